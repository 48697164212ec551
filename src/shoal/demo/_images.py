"""Writing a demo's frames as grayscale PNG files in a folder of their own."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image


def fresh_image_folder(folder: Path) -> Path:
    """``folder``, emptied of a previous build's images (created if missing)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def write_grayscale_png(pixels: NDArray[np.uint8], path: Path) -> None:
    Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8)).save(path, format="PNG")
