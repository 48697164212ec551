"""Shoal: find where your models fail."""

from shoal.errors import InputError, ShoalError

__all__ = ["InputError", "ShoalError"]
__version__ = "0.1.0"
