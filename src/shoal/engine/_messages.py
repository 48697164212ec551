"""How the engine writes values into error messages."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["shown"]


def shown(value: Any) -> str:
    """A value as its plain Python repr: a NumPy scalar (``np.str_('42')``) is shown as the
    value it holds (``'42'``), which is what the user wrote."""
    return repr(value.item() if isinstance(value, np.generic) else value)
