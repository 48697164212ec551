"""Loading Shoal's native kernel libraries (plain C, called through ctypes), and how
many threads they may use."""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from importlib.machinery import EXTENSION_SUFFIXES
from typing import Any

import numpy as np
from numpy.typing import NDArray

from shoal.errors import InputError, ShoalError

__all__ = [
    "BOOL",
    "F64",
    "I8",
    "I32",
    "I64",
    "MAX_THREADS",
    "U8",
    "empty_unhinted",
    "load_library",
    "machine_threads",
    "parse_thread_count",
    "set_threads",
    "thread_count",
]

# The kernels' own ceiling (MAX_THREADS in the C sources); more would never be used.
MAX_THREADS = 64
_THREADS_VARIABLE = "SHOAL_THREADS"
_chosen_threads: int | None = None


_set_hugepage = getattr(
    getattr(getattr(np, "_core", None), "multiarray", None), "_set_madvise_hugepage", None
)
_hugepage_lock = threading.Lock()


def empty_unhinted(shape: int | tuple[int, ...], dtype: Any) -> NDArray[Any]:
    """``np.empty`` without NumPy's transparent-huge-page hint, for the large output
    buffers kernels fill (sized for the worst case, mostly never touched): with the
    kernel's usual ``defrag=madvise`` setting the hint makes each first touch of a huge
    page wait for memory compaction (0.7 s of system time for a segm results file's runs,
    0.03 s for a keypoints file's values, against a tenth of that without it)."""
    if _set_hugepage is None or int(np.prod(shape)) * np.dtype(dtype).itemsize < (4 << 20):
        return np.empty(shape, dtype)
    with _hugepage_lock:
        previous = _set_hugepage(False)
        try:
            return np.empty(shape, dtype)
        finally:
            _set_hugepage(previous)


def load_library(module: str) -> ctypes.CDLL:
    """The shared library built for ``module`` (see setup.py): a file beside its
    package's modules, looked up directly (``importlib.util.find_spec`` would cost
    more start-up time than loading the library)."""
    package, _, name = module.rpartition(".")
    folder = os.path.dirname(sys.modules[package].__file__ or "")
    for suffix in EXTENSION_SUFFIXES:
        path = os.path.join(folder, name + suffix)
        if os.path.exists(path):
            return ctypes.CDLL(path)
    raise ShoalError(
        f"Shoal's native library {module} is not built; reinstall Shoal "
        "(pip install shoal) or run `make` in a checkout"
    )


def machine_threads() -> int:
    """The CPUs this process may run on (its affinity mask, where the OS has one)."""
    process_cpu_count = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if process_cpu_count is not None:
        count = process_cpu_count()
    elif hasattr(os, "sched_getaffinity"):
        count = len(os.sched_getaffinity(0))
    else:
        count = os.cpu_count()
    return max(1, min(count or 1, MAX_THREADS))


def parse_thread_count(text: str | int, *, source: str = _THREADS_VARIABLE) -> int:
    """A thread count from user input: a whole number from 1 to ``MAX_THREADS``."""
    try:
        value = int(str(text).strip())
    except ValueError:
        raise InputError(
            f"{text!r} is not a thread count (a whole number from 1 to {MAX_THREADS})",
            source=source,
        ) from None
    if not 1 <= value <= MAX_THREADS:
        raise InputError(
            f"thread count {value} is out of range (1 to {MAX_THREADS})", source=source
        )
    return value


def set_threads(count: int | None) -> None:
    """Use ``count`` threads in the kernels from now on (``None``: back to
    ``SHOAL_THREADS`` or the machine's CPUs)."""
    global _chosen_threads
    _chosen_threads = None if count is None else parse_thread_count(count, source="threads")


def thread_count() -> int:
    """Threads the kernels use: ``set_threads``' choice, else ``SHOAL_THREADS``, else
    the CPUs this process may run on. Results do not depend on it."""
    if _chosen_threads is not None:
        return _chosen_threads
    text = os.environ.get(_THREADS_VARIABLE, "").strip()
    return parse_thread_count(text) if text else machine_threads()


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
