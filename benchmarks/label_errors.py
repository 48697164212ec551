"""Label-error ranking: Shoal's queue (shoal.analysis.label_errors) against cleanlab's ObjectLab
(``cleanlab.object_detection.rank.get_label_quality_scores``) on the same data, where labels are
corrupted on purpose and the predictions follow the clean labels.

Each corrupted image gets one corruption: a dropped box, a swapped class, a shifted box or a
spurious box. Both tools rank images (Shoal: the image's highest candidate score; ObjectLab:
1 - its label-quality score); reported: image-level AUROC, precision at K (K = the number of
corrupted images) and, per kind, the share of corrupted images found in the top K.

    .venv/bin/python benchmarks/label_errors.py [--images 2000] [--seed 0] [--no-demo]
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


def _corrupt(
    rng: np.random.Generator,
    boxes: NDArray[np.float64],
    classes: NDArray[np.int64],
    spare: NDArray[np.float64] | None,
    num_classes: int,
    share: float,
) -> tuple[str, NDArray[np.float64], NDArray[np.int64]]:
    """With probability ``share``, one corruption of an image's labels: a dropped box, a
    swapped class, a box shifted by about half its width, or ``spare`` added as a spurious
    box of a random class (not chosen when there is no spare). Returns the corruption
    ("" for none) and the labels."""
    boxes, classes = boxes.copy(), classes.copy()
    count = classes.size
    if count == 0 or rng.random() >= share:
        return "", boxes, classes
    kinds = CORRUPTIONS if spare is not None else CORRUPTIONS[:-1]
    corruption = kinds[int(rng.integers(0, len(kinds)))]
    victim = int(rng.integers(0, count))
    if corruption == "dropped":
        keep = np.arange(count) != victim
        boxes, classes = boxes[keep], classes[keep]
    elif corruption == "swapped":
        classes[victim] = (classes[victim] + int(rng.integers(1, num_classes))) % num_classes
    elif corruption == "shifted":
        box = boxes[victim]
        box[0] += box[2] * rng.uniform(0.45, 0.7) * rng.choice([-1, 1])
        box[1] += box[3] * rng.uniform(0.2, 0.4) * rng.choice([-1, 1])
    else:
        assert spare is not None
        boxes = np.concatenate([boxes, spare[None]])
        classes = np.append(classes, rng.integers(0, num_classes))
    return corruption, boxes, classes


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
        corruption, label_boxes, label_classes = _corrupt(
            rng, clean, classes, spare, num_classes, corrupted_share
        )
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


def _free_box(
    rng: np.random.Generator, taken: NDArray[np.float64], size: NDArray[np.float64], extent: float
) -> NDArray[np.float64] | None:
    """A box of ``size`` (w, h) inside [0, extent]^2 touching none of ``taken``."""
    for _ in range(50):
        x, y = (
            rng.uniform(0, max(extent - size[0], 1.0)),
            rng.uniform(0, max(extent - size[1], 1.0)),
        )
        apart = (
            (x + size[0] <= taken[:, 0])
            | (taken[:, 0] + taken[:, 2] <= x)
            | (y + size[1] <= taken[:, 1])
            | (taken[:, 1] + taken[:, 3] <= y)
        )
        if apart.all():
            return np.array([x, y, size[0], size[1]])
    return None


def demo_planted(gt: Any, dt: Any, *, seed: int = 0, share: float = 0.2) -> PlantedData:
    """A demo project's labels with planted errors (as :func:`planted_data` plants them)
    and its real detector's predictions, unchanged."""
    rng = np.random.default_rng(seed)
    num_classes = len(gt.classes)
    data = PlantedData(num_classes, [], [], [], [], [], [])
    size = np.median(gt.box[:, 2:], axis=0)
    extent = float(max(gt.box[:, :2].max() + gt.box[:, 2:].max(), 1.0))
    for frame in range(gt.num_frames):
        labels, predictions = gt.frame == frame, dt.frame == frame
        boxes, classes = gt.box[labels], gt.label[labels].astype(np.int64)
        taken = np.concatenate([boxes, dt.box[predictions]])
        spare = _free_box(rng, taken, size, extent)
        corruption, boxes, classes = _corrupt(rng, boxes, classes, spare, num_classes, share)
        data.label_boxes.append(boxes)
        data.label_classes.append(classes)
        data.pred_boxes.append(dt.box[predictions])
        data.pred_classes.append(dt.label[predictions].astype(np.int64))
        data.pred_scores.append(dt.score[predictions])
        data.corruption.append(corruption)
    return data


def demo_rows(seed: int) -> list[str]:
    """The comparison on the demo's shapes project (both detectors), rows of a table."""
    import tempfile

    from shoal.demo import build_demo_projects
    from shoal.store import Store

    lines = []
    with tempfile.TemporaryDirectory() as home:
        store = Store(home)
        build_demo_projects(store)
        dataset = store.project("shapes").datasets()[0]
        for inference_set in dataset.inference_sets():
            with inference_set.evaluation() as evaluation:
                gt, dt = evaluation.ground_truth, evaluation.predictions
            data = demo_planted(gt, dt, seed=seed)
            planted = sum(c != "" for c in data.corruption)
            ours = ranking_quality(shoal_image_scores(data)[0], data.corruption)
            theirs = ranking_quality(objectlab_image_scores(data), data.corruption)
            for name, quality in (("Shoal", ours), ("ObjectLab", theirs)):
                lines.append(
                    f"| shapes / {inference_set.name} ({gt.num_frames} images, K = {planted}) "
                    f"| {name} | {quality['auroc']:.3f} | {quality['precision_at_k']:.3f} | "
                    + " | ".join(f"{quality[f'recall_{kind}']:.3f}" for kind in CORRUPTIONS)
                    + " |"
                )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-demo", action="store_true", help="skip the demo projects")
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
    if not args.no_demo:
        lines += [
            "## The demo's shapes project",
            "",
            "The same corruptions planted in the labels of the demo's detection project "
            "(rendered shapes); the predictions are its two real connected-component "
            "detectors, unchanged (they do not follow the clean labels).",
            "",
            "| data | tool | AUROC | precision at K | recall dropped | recall swapped "
            "| recall shifted | recall spurious |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
            *demo_rows(args.seed),
            "",
        ]
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
