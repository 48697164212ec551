"""Loading Shoal's native kernel libraries (plain C, called through ctypes)."""

from __future__ import annotations

import ctypes
import importlib.util
from typing import Any

import numpy as np

from shoal.errors import ShoalError

__all__ = ["BOOL", "F64", "I8", "I32", "I64", "U8", "load_library"]


def load_library(module: str) -> ctypes.CDLL:
    """The shared library built for ``module`` (see setup.py)."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ShoalError(
            f"Shoal's native library {module} is not built; reinstall Shoal "
            "(pip install shoal) or run `make` in a checkout"
        )
    return ctypes.CDLL(spec.origin)


def _array(dtype: Any, ndim: int | None = None) -> Any:
    return np.ctypeslib.ndpointer(dtype=dtype, ndim=ndim, flags="C_CONTIGUOUS")


# Argument types for C arrays: ctypes checks dtype and contiguity on every call, so a
# wrong array raises instead of corrupting memory.
F64 = _array(np.float64)
I64 = _array(np.int64)
I32 = _array(np.int32)
I8 = _array(np.int8)
U8 = _array(np.uint8)
BOOL = _array(np.bool_)
