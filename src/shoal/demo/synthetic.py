"""Deterministic COCO-like detection data: the demo's sample and the benchmarks' data.

``generate_coco(num_images, seed)`` returns a COCO ground-truth dict and a COCO results
list. The same ``(num_images, seed)`` always gives byte-identical files. Everything is drawn
from one seeded ``numpy.random.Generator`` with vectorised operations, so M (5,000 images,
~390k predictions) takes a few seconds.

The mix is meant to exercise every branch of COCO bbox evaluation: a long-tailed class
distribution, small/medium/large boxes (plus a few tiny and zero-area ones), crowd
regions, gapped image and category ids, images without ground truth or without
predictions, images with more than 100 predictions of one class (``maxDets``),
duplicates, wrong-class and mislocalised detections, low-scored background boxes and
tied scores. Predictions are grouped by image but shuffled within an image, so ties are
broken by file order exactly as pycocotools does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

GENERATOR_VERSION = 2
DEFAULT_SEED = 20240601

# The 80 COCO classes with their (gapped) ids 1..90.
COCO_CATEGORIES: tuple[tuple[int, str], ...] = (
    (1, "person"), (2, "bicycle"), (3, "car"), (4, "motorcycle"), (5, "airplane"),
    (6, "bus"), (7, "train"), (8, "truck"), (9, "boat"), (10, "traffic light"),
    (11, "fire hydrant"), (13, "stop sign"), (14, "parking meter"), (15, "bench"),
    (16, "bird"), (17, "cat"), (18, "dog"), (19, "horse"), (20, "sheep"), (21, "cow"),
    (22, "elephant"), (23, "bear"), (24, "zebra"), (25, "giraffe"), (27, "backpack"),
    (28, "umbrella"), (31, "handbag"), (32, "tie"), (33, "suitcase"), (34, "frisbee"),
    (35, "skis"), (36, "snowboard"), (37, "sports ball"), (38, "kite"),
    (39, "baseball bat"), (40, "baseball glove"), (41, "skateboard"), (42, "surfboard"),
    (43, "tennis racket"), (44, "bottle"), (46, "wine glass"), (47, "cup"), (48, "fork"),
    (49, "knife"), (50, "spoon"), (51, "bowl"), (52, "banana"), (53, "apple"),
    (54, "sandwich"), (55, "orange"), (56, "broccoli"), (57, "carrot"), (58, "hot dog"),
    (59, "pizza"), (60, "donut"), (61, "cake"), (62, "chair"), (63, "couch"),
    (64, "potted plant"), (65, "bed"), (67, "dining table"), (70, "toilet"), (72, "tv"),
    (73, "laptop"), (74, "mouse"), (75, "remote"), (76, "keyboard"), (77, "cell phone"),
    (78, "microwave"), (79, "oven"), (80, "toaster"), (81, "sink"), (82, "refrigerator"),
    (84, "book"), (85, "clock"), (86, "vase"), (87, "scissors"), (88, "teddy bear"),
    (89, "hair drier"), (90, "toothbrush"),
)  # fmt: skip
NUM_CLASSES = len(COCO_CATEGORIES)

# Typical photo resolutions and how often they occur.
_IMAGE_SHAPES = np.array(
    [[640, 480], [480, 640], [640, 427], [427, 640], [500, 375], [640, 360], [1280, 720],
     [1920, 1080], [800, 600], [375, 500]],
    dtype=np.int64,
)  # fmt: skip
_IMAGE_SHAPE_P = np.array([0.30, 0.12, 0.18, 0.08, 0.07, 0.07, 0.08, 0.03, 0.04, 0.03])

# Knobs of the mix (fractions are per non-crowd ground-truth box unless stated).
MEAN_GT_PER_IMAGE = 7.0
MAX_GT_PER_IMAGE = 60
CROWD_FRACTION = 0.01
TINY_FRACTION = 0.01
ZERO_AREA_FRACTION = 0.003
DOMINANT_CLASS_FRACTION = 0.4  # share of an image's boxes that take its dominant class
DUPLICATE_FRACTIONS = (0.25, 0.08)  # first and second duplicates of a detected box
WRONG_CLASS_FRACTION = 0.12
MISLOCALIZED_FRACTION = 0.15
BACKGROUND_PER_IMAGE = (35, 102)  # uniform integer range [lo, hi)
HEAVY_IMAGE_FRACTION = 0.01  # images with >100 predictions of a single class
HEAVY_IMAGE_PREDICTIONS = (105, 160)
NO_PREDICTION_FRACTION = 0.02
SCORE_DECIMALS = ((2, 0.30), (3, 0.25), (5, 0.45))  # (decimals, share of predictions)


@dataclass(frozen=True)
class _Boxes:
    """Column-oriented boxes: image row index, class index, xywh, score."""

    image: np.ndarray
    cls: np.ndarray
    xywh: np.ndarray
    score: np.ndarray


def _class_probabilities(rng: np.random.Generator) -> np.ndarray:
    """Zipf-like long tail over a random ranking of the classes, floored so none vanish."""
    rank = rng.permutation(NUM_CLASSES)
    zipf = 1.0 / (rank + 1.0) ** 1.1
    p: np.ndarray = 0.92 * zipf / zipf.sum() + 0.08 / NUM_CLASSES
    total: float = float(p.sum())
    return p / total


def _at_least_one(rng: np.random.Generator, n: int, fraction: float) -> np.ndarray:
    """Indices of ``max(1, round(fraction * n))`` distinct items out of ``n`` (none if n == 0)."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    k = min(n, max(1, round(fraction * n)))
    return np.sort(rng.choice(n, size=k, replace=False))


def _clip_to_image(xywh: np.ndarray, wh: np.ndarray, min_side: float) -> np.ndarray:
    """Clip boxes to their image and give every side at least ``min_side`` pixels."""
    x1 = np.clip(xywh[:, 0], 0.0, wh[:, 0] - min_side)
    y1 = np.clip(xywh[:, 1], 0.0, wh[:, 1] - min_side)
    x2 = np.clip(xywh[:, 0] + xywh[:, 2], x1 + min_side, wh[:, 0])
    y2 = np.clip(xywh[:, 1] + xywh[:, 3], y1 + min_side, wh[:, 1])
    return np.stack([x1, y1, x2 - x1, y2 - y1], axis=1)


def _jitter(rng: np.random.Generator, xywh: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Move the centre by N(0, sigma) box sizes and scale each side by exp(N(0, sigma))."""
    n = len(xywh)
    w, h = xywh[:, 2], xywh[:, 3]
    cx = xywh[:, 0] + w / 2 + rng.normal(0.0, 1.0, n) * sigma * np.maximum(w, 2.0)
    cy = xywh[:, 1] + h / 2 + rng.normal(0.0, 1.0, n) * sigma * np.maximum(h, 2.0)
    nw = np.maximum(w, 2.0) * np.exp(rng.normal(0.0, 1.0, n) * sigma)
    nh = np.maximum(h, 2.0) * np.exp(rng.normal(0.0, 1.0, n) * sigma)
    return np.stack([cx - nw / 2, cy - nh / 2, nw, nh], axis=1)


def _random_boxes(rng: np.random.Generator, wh: np.ndarray) -> np.ndarray:
    """Boxes with log-uniform side (4 px .. 90% of the short image side) and varied aspect."""
    n = len(wh)
    short = wh.min(axis=1).astype(np.float64)
    side = np.exp(rng.uniform(np.log(4.0), np.log(0.9 * short), n))
    aspect = np.exp(rng.normal(0.0, 0.45, n))
    w = np.minimum(side * np.sqrt(aspect), wh[:, 0])
    h = np.minimum(side / np.sqrt(aspect), wh[:, 1])
    x = rng.uniform(0.0, 1.0, n) * (wh[:, 0] - w)
    y = rng.uniform(0.0, 1.0, n) * (wh[:, 1] - h)
    return np.stack([x, y, w, h], axis=1)


def _make_ground_truth(
    rng: np.random.Generator, wh: np.ndarray, class_p: np.ndarray, dominant: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return (image row, class index, xywh, area, iscrowd) for every ground-truth box."""
    num_images = len(wh)
    p = 2.0 / (2.0 + MEAN_GT_PER_IMAGE)  # negative binomial: mean 7, ~5% empty images
    counts = np.minimum(rng.negative_binomial(2, p, num_images), MAX_GT_PER_IMAGE)
    if num_images and not (counts == 0).any():
        counts[rng.integers(num_images)] = 0  # always at least one image without GT
    image = np.repeat(np.arange(num_images), counts)
    n = len(image)

    cls = rng.choice(NUM_CLASSES, size=n, p=class_p)
    cls = np.where(rng.random(n) < DOMINANT_CLASS_FRACTION, dominant[image], cls)

    xywh = _random_boxes(rng, wh[image])
    area_factor = rng.uniform(0.55, 0.95, n)  # segmentation area is smaller than its box

    tiny = _at_least_one(rng, n, TINY_FRACTION)
    xywh[tiny, 2:] = rng.uniform(0.5, 3.0, (len(tiny), 2))
    zero = _at_least_one(rng, n, ZERO_AREA_FRACTION)
    xywh[zero, 2 + rng.integers(0, 2, len(zero))] = 0.0

    iscrowd = np.zeros(n, dtype=np.int64)
    crowd = _at_least_one(rng, n, CROWD_FRACTION)
    iscrowd[crowd] = 1
    cwh = wh[image[crowd]].astype(np.float64)
    xywh[crowd, 2:] = cwh * rng.uniform(0.35, 0.9, (len(crowd), 2))
    xywh[crowd, :2] = rng.uniform(0.0, 1.0, (len(crowd), 2)) * (cwh - xywh[crowd, 2:])
    area_factor[crowd] = rng.uniform(0.3, 0.7, len(crowd))

    xywh = np.round(xywh, 2)
    area = np.round(xywh[:, 2] * xywh[:, 3] * area_factor, 4)
    return image, cls, xywh, area, iscrowd


def _make_predictions(
    rng: np.random.Generator,
    wh: np.ndarray,
    class_p: np.ndarray,
    dominant: np.ndarray,
    gt_image: np.ndarray,
    gt_cls: np.ndarray,
    gt_xywh: np.ndarray,
    gt_crowd: np.ndarray,
) -> _Boxes:
    num_images = len(wh)
    parts: list[_Boxes] = []

    # Correct detections: detection rate and IoU depend on the noise level sigma.
    real = np.flatnonzero(gt_crowd == 0)
    small = gt_xywh[real, 2] * gt_xywh[real, 3] < 32.0**2
    found = real[rng.random(len(real)) < np.where(small, 0.65, 0.9)]
    sigma = rng.uniform(0.01, 0.3, len(found))
    tp_score = np.clip(
        0.3 + 0.7 * rng.beta(5.0, 2.0, len(found)) - 0.8 * sigma + rng.normal(0, 0.05, len(found)),
        0.02,
        0.999,
    )
    parts.append(
        _Boxes(gt_image[found], gt_cls[found], _jitter(rng, gt_xywh[found], sigma), tp_score)
    )

    # Duplicates of detected boxes: more jitter, lower score than the original.
    for fraction in DUPLICATE_FRACTIONS:
        pick = rng.random(len(found)) < fraction
        src = found[pick]
        parts.append(
            _Boxes(
                gt_image[src],
                gt_cls[src],
                _jitter(rng, gt_xywh[src], rng.uniform(0.03, 0.35, len(src))),
                tp_score[pick] * rng.uniform(0.3, 0.95, len(src)),
            )
        )

    # Wrong class on a well-localised box.
    src = real[rng.random(len(real)) < WRONG_CLASS_FRACTION]
    wrong = (gt_cls[src] + rng.integers(1, NUM_CLASSES, len(src))) % NUM_CLASSES
    parts.append(
        _Boxes(
            gt_image[src],
            wrong,
            _jitter(rng, gt_xywh[src], rng.uniform(0.02, 0.15, len(src))),
            rng.uniform(0.1, 0.75, len(src)),
        )
    )

    # Mislocalised: right class, shifted by 0.5-1.2 box sizes, so IoU is low.
    src = real[rng.random(len(real)) < MISLOCALIZED_FRACTION]
    box = gt_xywh[src].copy()
    angle = rng.uniform(0.0, 2 * np.pi, len(src))
    shift = rng.uniform(0.5, 1.2, len(src))
    box[:, 0] += np.cos(angle) * shift * np.maximum(box[:, 2], 2.0)
    box[:, 1] += np.sin(angle) * shift * np.maximum(box[:, 3], 2.0)
    box[:, 2:] = np.maximum(box[:, 2:], 2.0) * np.exp(rng.normal(0.0, 0.4, (len(src), 2)))
    parts.append(_Boxes(gt_image[src], gt_cls[src], box, rng.beta(2.0, 4.0, len(src))))

    # Detections of individuals inside crowd regions (matched to crowd, hence ignored).
    crowd = np.flatnonzero(gt_crowd == 1)
    per_crowd = rng.integers(3, 11, len(crowd))
    src = np.repeat(crowd, per_crowd)
    cbox = gt_xywh[src]
    frac = rng.uniform(0.1, 0.35, (len(src), 2))
    box = np.empty_like(cbox)
    box[:, 2:] = cbox[:, 2:] * frac
    box[:, :2] = cbox[:, :2] + rng.uniform(0.0, 1.0, (len(src), 2)) * (cbox[:, 2:] - box[:, 2:])
    parts.append(_Boxes(gt_image[src], gt_cls[src], box, rng.uniform(0.05, 0.85, len(src))))

    # Background: random boxes, classes from the long tail, low scores.
    counts = rng.integers(*BACKGROUND_PER_IMAGE, num_images)
    image = np.repeat(np.arange(num_images), counts)
    cls = rng.choice(NUM_CLASSES, size=len(image), p=class_p)
    cls = np.where(rng.random(len(image)) < 0.3, dominant[image], cls)
    parts.append(_Boxes(image, cls, _random_boxes(rng, wh[image]), rng.beta(1.0, 8.0, len(image))))

    # A few images with more than 100 predictions of their dominant class (maxDets cut).
    heavy = _at_least_one(rng, num_images, HEAVY_IMAGE_FRACTION)
    counts = rng.integers(*HEAVY_IMAGE_PREDICTIONS, len(heavy))
    image = np.repeat(heavy, counts)
    parts.append(
        _Boxes(
            image,
            dominant[image],
            _random_boxes(rng, wh[image]),
            rng.beta(1.5, 4.0, len(image)),
        )
    )

    out = _Boxes(
        np.concatenate([p.image for p in parts]),
        np.concatenate([p.cls for p in parts]),
        np.concatenate([p.xywh for p in parts]),
        np.concatenate([p.score for p in parts]),
    )

    # Some images (never the heavy ones) get no predictions at all.
    candidates = np.setdiff1d(np.arange(num_images), heavy)
    empty = candidates[_at_least_one(rng, len(candidates), NO_PREDICTION_FRACTION)]
    keep = ~np.isin(out.image, empty)

    # Group by image, random order within an image (ties then break by file order).
    order = np.lexsort((rng.random(len(out.image)), out.image))
    order = order[keep[order]]
    xywh = np.round(_clip_to_image(out.xywh[order], wh[out.image[order]], 1.0), 2)
    score = _round_scores(rng, np.clip(out.score[order], 0.01, 0.999))
    return _Boxes(out.image[order], out.cls[order], xywh, score)


def _round_scores(rng: np.random.Generator, score: np.ndarray) -> np.ndarray:
    """Round scores to 2, 3 or 5 decimals (the coarse ones create many ties)."""
    decimals = np.array([d for d, _ in SCORE_DECIMALS])
    share = np.array([s for _, s in SCORE_DECIMALS])
    which = rng.choice(len(decimals), size=len(score), p=share / share.sum())
    out = score.copy()
    for i, d in enumerate(decimals):
        sel = which == i
        out[sel] = np.round(score[sel], int(d))
    return out


def generate_coco(
    num_images: int, seed: int = DEFAULT_SEED
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Build ``(coco_ground_truth, coco_results)`` for ``num_images`` images.

    Deterministic: equal arguments give equal output (and equal JSON bytes).
    """
    if num_images < 1:
        raise ValueError("num_images must be >= 1")
    rng = np.random.default_rng(seed)

    image_ids = np.cumsum(rng.integers(1, 8, num_images))  # sorted, gapped, >= 1
    wh = _IMAGE_SHAPES[rng.choice(len(_IMAGE_SHAPES), size=num_images, p=_IMAGE_SHAPE_P)]
    class_p = _class_probabilities(rng)
    dominant = rng.choice(NUM_CLASSES, size=num_images, p=class_p)
    cat_ids = np.array([cid for cid, _ in COCO_CATEGORIES])

    g_img, g_cls, g_xywh, g_area, g_crowd = _make_ground_truth(rng, wh, class_p, dominant)
    pred = _make_predictions(rng, wh, class_p, dominant, g_img, g_cls, g_xywh, g_crowd)

    # Ground truth grouped by image in random order within the image; images shuffled.
    g_order = np.lexsort((rng.random(len(g_img)), g_img))
    image_order = rng.permutation(num_images)

    images = [
        {"id": iid, "width": w, "height": h, "file_name": f"{iid:012d}.jpg"}
        for iid, (w, h) in zip(
            image_ids[image_order].tolist(), wh[image_order].tolist(), strict=True
        )
    ]
    annotations = [
        {
            "id": aid,
            "image_id": iid,
            "category_id": cid,
            "bbox": box,
            "area": area,
            "iscrowd": crowd,
        }
        for aid, iid, cid, box, area, crowd in zip(
            range(1, len(g_order) + 1),
            image_ids[g_img[g_order]].tolist(),
            cat_ids[g_cls[g_order]].tolist(),
            g_xywh[g_order].tolist(),
            g_area[g_order].tolist(),
            g_crowd[g_order].tolist(),
            strict=True,
        )
    ]
    gt: dict[str, Any] = {
        "info": {
            "description": "Shoal synthetic detection data",
            "version": str(GENERATOR_VERSION),
            "seed": seed,
        },
        "licenses": [],
        "images": images,
        "annotations": annotations,
        "categories": [
            {"id": cid, "name": name, "supercategory": "object"} for cid, name in COCO_CATEGORIES
        ],
    }
    predictions = [
        {"image_id": iid, "category_id": cid, "bbox": box, "score": score}
        for iid, cid, box, score in zip(
            image_ids[pred.image].tolist(),
            cat_ids[pred.cls].tolist(),
            pred.xywh.tolist(),
            pred.score.tolist(),
            strict=True,
        )
    ]
    return gt, predictions
