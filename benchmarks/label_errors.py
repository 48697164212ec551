"""Label-error ranking: Shoal's queue (shoal.analysis.label_errors) against cleanlab's ObjectLab
(``cleanlab.object_detection.rank.get_label_quality_scores``) on the same data, where labels are
corrupted on purpose and the predictions follow the clean labels.

Each corrupted image gets one corruption: a dropped box, a swapped class, a shifted box or a
spurious box. Both tools rank images (Shoal: the image's highest candidate score; ObjectLab:
1 - its label-quality score); reported: image-level AUROC, precision at K (K = the number of
corrupted images) and, per kind, the share of corrupted images found in the top K.

    .venv/bin/python benchmarks/label_errors.py [--images 2000] [--seed 0]
writes benchmarks/results/label-errors.md.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

CORRUPTIONS = ("dropped", "swapped", "shifted", "spurious")
WIDTH, HEIGHT = 640.0, 480.0
RESULTS = Path(__file__).resolve().parent / "results" / "label-errors.md"


@dataclass
class PlantedData:
    """Per image: the given (corrupted) labels as (L, 4) xywh boxes and classes, the
    predictions as (M, 4) boxes, classes and scores (M, C) class probabilities for
    ObjectLab), and which corruption the image got ("" when clean)."""

    num_classes: int
    label_boxes: list[NDArray[np.float64]]
    label_classes: list[NDArray[np.int64]]
    pred_boxes: list[NDArray[np.float64]]
    pred_classes: list[NDArray[np.int64]]
    pred_scores: list[NDArray[np.float64]]
    corruption: list[str]


def _random_boxes(rng: np.random.Generator, count: int) -> NDArray[np.float64]:
    """``count`` boxes on a grid of cells so that objects do not overlap each other."""
    cells = rng.choice(12, size=count, replace=False)
    cell_w, cell_h = WIDTH / 4, HEIGHT / 3
    w = rng.uniform(0.45, 0.85, count) * cell_w
    h = rng.uniform(0.45, 0.85, count) * cell_h
    x = (cells % 4) * cell_w + rng.uniform(0, 1, count) * (cell_w - w)
    y = (cells // 4) * cell_h + rng.uniform(0, 1, count) * (cell_h - h)
    return np.stack([x, y, w, h], axis=1)


def planted_data(
    num_images: int, *, seed: int = 0, num_classes: int = 5, corrupted_share: float = 0.2
) -> PlantedData:
    """A deterministic data set with one planted label error on ``corrupted_share`` of the
    images. The model is good but not perfect: it misses 3% of objects (a weak score
    instead), adds low-score background boxes, and jitters every box a little."""
    rng = np.random.default_rng(seed)
    data = PlantedData(num_classes, [], [], [], [], [], [])
    for _ in range(num_images):
        count = int(rng.integers(1, 7))
        clean = _random_boxes(rng, count + 1)  # one spare cell for a spurious box
        spare, clean = clean[-1], clean[:-1]
        classes = rng.integers(0, num_classes, count)
        # Predictions follow the clean labels.
        jitter = rng.normal(0, 0.03, (count, 4)) * np.repeat(clean[:, 2:], 2, axis=1)
        boxes = clean + jitter
        boxes[:, 2:] = np.maximum(boxes[:, 2:], 2.0)
        scores = rng.uniform(0.7, 0.99, count)
        missed = rng.random(count) < 0.03
        scores[missed] = rng.uniform(0.05, 0.3, int(missed.sum()))
        background = int(rng.integers(0, 3))
        bg_boxes = _random_boxes(rng, 12)[:background] * 0.5
        pred_boxes = np.concatenate([boxes, bg_boxes])
        pred_classes = np.concatenate([classes, rng.integers(0, num_classes, background)])
        pred_scores = np.concatenate([scores, rng.uniform(0.02, 0.3, background)])
        label_boxes, label_classes = clean.copy(), classes.copy()
        corruption = ""
        if rng.random() < corrupted_share:
            corruption = CORRUPTIONS[int(rng.integers(0, len(CORRUPTIONS)))]
            victim = int(rng.integers(0, count))
            if corruption == "dropped":
                keep = np.arange(count) != victim
                label_boxes, label_classes = label_boxes[keep], label_classes[keep]
            elif corruption == "swapped":
                label_classes[victim] = (
                    label_classes[victim] + int(rng.integers(1, num_classes))
                ) % num_classes
            elif corruption == "shifted":
                box = label_boxes[victim]
                box[0] += box[2] * rng.uniform(0.45, 0.7) * rng.choice([-1, 1])
                box[1] += box[3] * rng.uniform(0.2, 0.4) * rng.choice([-1, 1])
            else:
                label_boxes = np.concatenate([label_boxes, spare[None]])
                label_classes = np.append(label_classes, rng.integers(0, num_classes))
        data.label_boxes.append(label_boxes)
        data.label_classes.append(label_classes)
        data.pred_boxes.append(pred_boxes)
        data.pred_classes.append(pred_classes)
        data.pred_scores.append(pred_scores)
        data.corruption.append(corruption)
    return data


def shoal_image_scores(data: PlantedData) -> tuple[NDArray[np.float64], Any]:
    from shoal.analysis.label_errors import detection_label_errors
    from shoal.engine.detection.annotations import GroundTruth, Predictions

    n = len(data.corruption)
    gt = GroundTruth.from_arrays(
        frame_ids=np.arange(n),
        classes=[str(c) for c in range(data.num_classes)],
        frames=np.repeat(np.arange(n), [b.shape[0] for b in data.label_boxes]),
        labels=np.concatenate(data.label_classes),
        boxes=np.concatenate(data.label_boxes),
        labels_are_indices=True,
    )
    dt = Predictions.from_arrays(
        gt,
        frames=np.repeat(np.arange(n), [b.shape[0] for b in data.pred_boxes]),
        labels=np.concatenate(data.pred_classes),
        boxes=np.concatenate(data.pred_boxes),
        scores=np.concatenate(data.pred_scores),
        labels_are_indices=True,
    )
    found = detection_label_errors(gt, dt)
    return found.image_scores(n), found


def objectlab_image_scores(data: PlantedData) -> NDArray[np.float64]:
    """1 - ObjectLab's label quality (higher: more likely mislabelled). ObjectLab reads a
    box per class with that class's probability: each prediction's score goes to its
    class, and the rest of the mass is spread over the other classes."""
    from cleanlab.object_detection.rank import get_label_quality_scores

    def corners(boxes: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], axis=1)

    labels, predictions = [], []
    k = data.num_classes
    for i in range(len(data.corruption)):
        labels.append(
            {"bboxes": corners(data.label_boxes[i]), "labels": data.label_classes[i].astype(int)}
        )
        boxes, classes, scores = data.pred_boxes[i], data.pred_classes[i], data.pred_scores[i]
        per_class = []
        for c in range(k):
            probability = np.where(classes == c, scores, (1 - scores) / (k - 1))
            per_class.append(np.concatenate([corners(boxes), probability[:, None]], axis=1))
        predictions.append(np.array(per_class, dtype=object))
    quality = get_label_quality_scores(labels, predictions, verbose=False)
    return 1.0 - np.asarray(quality, np.float64)


def ranking_quality(scores: NDArray[np.float64], corruption: list[str]) -> dict[str, float]:
    """Image-level AUROC, precision at K and per-kind recall in the top K."""
    from sklearn.metrics import roc_auc_score

    planted = np.array([c != "" for c in corruption])
    k = int(planted.sum())
    top = np.zeros(planted.size, bool)
    top[np.argsort(-scores, kind="stable")[:k]] = True
    out = {
        "auroc": float(roc_auc_score(planted, scores)),
        "precision_at_k": float(top[planted].mean()),
    }
    kinds = np.array(corruption)
    for kind in CORRUPTIONS:
        of_kind = kinds == kind
        out[f"recall_{kind}"] = float(top[of_kind].mean()) if of_kind.any() else float("nan")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    data = planted_data(args.images, seed=args.seed)
    started = time.perf_counter()
    shoal_scores, found = shoal_image_scores(data)
    shoal_seconds = time.perf_counter() - started
    started = time.perf_counter()
    objectlab_scores = objectlab_image_scores(data)
    objectlab_seconds = time.perf_counter() - started
    rows = {
        "Shoal": (ranking_quality(shoal_scores, data.corruption), shoal_seconds),
        "ObjectLab (cleanlab 2.9)": (
            ranking_quality(objectlab_scores, data.corruption),
            objectlab_seconds,
        ),
    }
    planted = sum(c != "" for c in data.corruption)
    lines = [
        "# Label errors: Shoal against cleanlab's ObjectLab",
        "",
        f"{args.images} images (seed {args.seed}), {planted} with one planted label error "
        f"(dropped, swapped, shifted or spurious box); predictions follow the clean labels. "
        f"K = {planted}. Produced by `benchmarks/label_errors.py`.",
        "",
        "| tool | AUROC | precision at K | recall dropped | recall swapped | recall shifted "
        "| recall spurious | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, (quality, seconds) in rows.items():
        lines.append(
            f"| {name} | {quality['auroc']:.3f} | {quality['precision_at_k']:.3f} | "
            + " | ".join(f"{quality[f'recall_{kind}']:.3f}" for kind in CORRUPTIONS)
            + f" | {seconds:.2f} |"
        )
    lines += ["", f"Shoal's queue: {len(found)} candidates, by kind {found.counts()}.", ""]
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
