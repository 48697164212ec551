"""Rendering the "shapes" demo's scenes: grayscale images of simple shapes with truth.

Each scene is a linear background gradient with clutter (thin lines and soft blobs),
then one to six shapes (circles, squares, triangles and crosses of varied size,
rotation and polarity) painted in order, so a later shape occludes an earlier one,
then a slight blur and sensor noise. Everything comes from one NumPy generator, so a
seed gives the same pixels and boxes.

A shape's ground-truth box is the bounding box of its *visible* pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage  # type: ignore[import-untyped]

SHAPE_CLASSES = ("circle", "square", "triangle", "cross")
SCENE_WIDTH = 320
SCENE_HEIGHT = 240

# Under these visible shares, a shape is heavily occluded / marked ignore.
HEAVILY_OCCLUDED = 0.6
BARELY_VISIBLE = 0.3
_OCCLUDED = 0.9  # a scene has occlusion when a shape shows less than this share


@dataclass(frozen=True)
class SceneObject:
    class_name: str
    box: tuple[float, float, float, float]  # x, y, width, height of the visible pixels
    visible_pixels: int
    visible_fraction: float


@dataclass(frozen=True)
class Scene:
    pixels: NDArray[np.uint8]  # (height, width)
    objects: list[SceneObject]
    contrast: float  # the scene's shape-to-background intensity step (0..255 scale)
    clutter: float  # 0 (none) .. 1 (eight lines and ten blobs)
    noise: float  # standard deviation of the sensor noise
    gradient: float  # background intensity change across the image

    @property
    def occlusion(self) -> bool:
        return any(o.visible_fraction < _OCCLUDED for o in self.objects)


def _shape_mask(
    class_name: str, u: NDArray[np.float64], v: NDArray[np.float64], radius: float
) -> NDArray[np.bool_]:
    """Pixels of a shape centred at u = v = 0 in its own rotated coordinates."""
    if class_name == "circle":
        return u * u + v * v <= (0.85 * radius) ** 2
    if class_name == "square":
        half = 0.75 * radius
        return (np.abs(u) <= half) & (np.abs(v) <= half)
    if class_name == "triangle":
        # Equilateral, circumradius ``radius``: inside all three edges (inradius r / 2).
        inside = np.ones(u.shape, bool)
        for normal in (-math.pi / 2, math.pi / 6, 5 * math.pi / 6):
            inside &= u * math.cos(normal) + v * math.sin(normal) <= radius / 2
        return inside
    arm, half_width = 0.9 * radius, 0.3 * radius
    return ((np.abs(u) <= arm) & (np.abs(v) <= half_width)) | (
        (np.abs(u) <= half_width) & (np.abs(v) <= arm)
    )


def _draw_clutter(
    image: NDArray[np.float64], rng: np.random.Generator, clutter: float, contrast: float
) -> None:
    height, width = image.shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64) + 0.5
    for _ in range(round(clutter * 8)):
        x0, x1 = rng.uniform(0, width, 2)
        y0, y1 = rng.uniform(0, height, 2)
        thickness = rng.uniform(0.6, 1.4)
        dx, dy = x1 - x0, y1 - y0
        t = np.clip(((xs - x0) * dx + (ys - y0) * dy) / max(dx * dx + dy * dy, 1e-9), 0, 1)
        distance = np.hypot(xs - (x0 + t * dx), ys - (y0 + t * dy))
        image[distance <= thickness] += rng.choice((-1.0, 1.0)) * contrast * rng.uniform(0.5, 1)
    for _ in range(round(clutter * 10)):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        sigma = rng.uniform(1.5, 4.0)
        amplitude = rng.choice((-1.0, 1.0)) * contrast * rng.uniform(0.4, 0.9)
        image += amplitude * np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma * sigma))


def render_scene(rng: np.random.Generator) -> Scene:
    width, height = SCENE_WIDTH, SCENE_HEIGHT
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64) + 0.5
    base = rng.uniform(70, 185)
    gradient = rng.uniform(0, 80)
    angle = rng.uniform(0, 2 * math.pi)
    half_diagonal = math.hypot(width, height) / 2
    along = (
        (xs - width / 2) * math.cos(angle) + (ys - height / 2) * math.sin(angle)
    ) / half_diagonal
    image = base + gradient / 2 * along
    contrast = rng.uniform(22, 90)
    clutter = float(rng.uniform(0, 1)) if rng.uniform() < 0.75 else 0.0
    _draw_clutter(image, rng, clutter, contrast)

    owner = np.full((height, width), -1, np.int64)
    class_names: list[str] = []
    full_pixels: list[int] = []
    centres: list[tuple[float, float]] = []
    for _ in range(int(rng.integers(1, 7))):
        class_name = SHAPE_CLASSES[int(rng.integers(len(SHAPE_CLASSES)))]
        radius = rng.uniform(9, 32)
        if centres and rng.uniform() < 0.35:
            # Place it against an earlier shape, so scenes have real occlusion.
            px, py = centres[int(rng.integers(len(centres)))]
            offset, direction = rng.uniform(0.6, 1.4) * radius, rng.uniform(0, 2 * math.pi)
            cx, cy = px + offset * math.cos(direction), py + offset * math.sin(direction)
        else:
            cx, cy = rng.uniform(radius, width - radius), rng.uniform(radius, height - radius)
        rotation = rng.uniform(0, 2 * math.pi) if class_name != "circle" else 0.0
        x0, x1 = max(int(cx - radius) - 1, 0), min(int(cx + radius) + 2, width)
        y0, y1 = max(int(cy - radius) - 1, 0), min(int(cy + radius) + 2, height)
        if x0 >= x1 or y0 >= y1:
            continue
        dx, dy = xs[y0:y1, x0:x1] - cx, ys[y0:y1, x0:x1] - cy
        u = dx * math.cos(rotation) + dy * math.sin(rotation)
        v = -dx * math.sin(rotation) + dy * math.cos(rotation)
        mask = _shape_mask(class_name, u, v, radius)
        if not mask.any():
            continue
        polarity = 1.0 if rng.uniform() < 0.7 else -1.0
        step = polarity * contrast * rng.uniform(0.8, 1.2)
        window = image[y0:y1, x0:x1]
        window[mask] = base + gradient / 2 * along[y0:y1, x0:x1][mask] + step
        owner[y0:y1, x0:x1][mask] = len(class_names)
        class_names.append(class_name)
        full_pixels.append(int(mask.sum()))
        centres.append((cx, cy))

    image = ndimage.gaussian_filter(image, 0.7)
    noise = float(rng.uniform(2, 9))
    image += rng.normal(0.0, noise, image.shape)
    pixels = np.clip(np.round(image), 0, 255).astype(np.uint8)

    objects = []
    boxes = ndimage.find_objects(owner + 1, max_label=len(class_names))
    visible = np.bincount(owner[owner >= 0], minlength=len(class_names))
    for index, class_name in enumerate(class_names):
        found = boxes[index]
        if found is None:
            continue  # hidden behind later shapes
        rows, cols = found
        objects.append(
            SceneObject(
                class_name=class_name,
                box=(
                    float(cols.start),
                    float(rows.start),
                    float(cols.stop - cols.start),
                    float(rows.stop - rows.start),
                ),
                visible_pixels=int(visible[index]),
                visible_fraction=round(float(visible[index] / full_pixels[index]), 3),
            )
        )
    return Scene(
        pixels=pixels,
        objects=objects,
        contrast=round(float(contrast), 1),
        clutter=round(clutter, 3),
        noise=round(noise, 2),
        gradient=round(float(gradient), 1),
    )
