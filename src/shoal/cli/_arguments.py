"""Argument types shared by the commands: argparse refuses bad values with a clear
message (``shoal eval: error: argument --conf: 2.0 is not in [0, 1]``) and exit code 2,
before anything is read or written."""

from __future__ import annotations

import argparse

__all__ = [
    "non_negative_int",
    "positive_float",
    "positive_int",
    "tcp_port",
    "threshold",
    "unit_float",
]


def unit_float(text: str) -> float:
    """A number in [0, 1]: a confidence, an IoU, a threshold."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{value} is not in [0, 1]")
    return value


def threshold(text: str) -> float | None:
    """A threshold in [0, 1], or ``none`` to remove it."""
    if text.strip().lower() == "none":
        return None
    return unit_float(text)


def _whole_number(text: str, lowest: int, highest: int | None = None) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if highest is not None and not lowest <= value <= highest:
        raise argparse.ArgumentTypeError(f"{value} is not between {lowest} and {highest}")
    if value < lowest:
        raise argparse.ArgumentTypeError(f"{value} is not {lowest} or more")
    return value


def positive_int(text: str) -> int:
    """A whole number of at least 1: a count of images."""
    return _whole_number(text, 1)


def non_negative_int(text: str) -> int:
    """A whole number of at least 0: a count where 0 means none."""
    return _whole_number(text, 0)


def tcp_port(text: str) -> int:
    """A TCP port (0 lets the system pick one)."""
    return _whole_number(text, 0, 65535)


def positive_float(text: str) -> float:
    """A finite number above 0: a scale, a size in MB."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{value} is not a positive number")
    return value
