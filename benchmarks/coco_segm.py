"""End-to-end COCO instance segmentation (segm) evaluation benchmark: Shoal against
pycocotools, faster-coco-eval, hotcoco and ultrafast-pycocotools.

    python benchmarks/coco_segm.py [--size M] [--engines shoal,hotcoco,...] [--repeat 3]

The data: ``--size`` S (500 images), M (5,000) or L (20,000), written once to
``benchmarks/data/segm-SIZE``. It takes the boxes of benchmarks/generate.py's data set
of that size (``shoal.demo.synthetic.generate_coco``: images of several sizes, 80
classes, 1% crowds, scores, duplicates and false positives) and gives each object a
mask inside its box: a star-shaped polygon of 8 to 32 vertices for the ground truth
(a crowd's as an uncompressed RLE, as COCO stores crowds; ``area`` the mask's area),
and for every prediction another star inside its predicted box, rasterised and
written as a compressed RLE without a ``bbox`` (as cocoapi's segm results: area and
box are the mask's). Seeded: the same size gives byte-identical files.

Every engine runs in fresh subprocesses through benchmarks/_coco_protocols.py (Shoal
from a wheel of this checkout, each peer as its own documentation shows); every engine's
stats are checked against pycocotools' and the table prints ratios to Shoal.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
STAT_NAMES = (
    "AP",
    "AP50",
    "AP75",
    "APs",
    "APm",
    "APl",
    "AR1",
    "AR10",
    "AR100",
    "ARs",
    "ARm",
    "ARl",
)
SIZES = {"S": 500, "M": 5_000, "L": 20_000}
GENERATOR_VERSION = 2
SEED = 15


# ----------------------------------------------------------------------- the data


def _star(box, angles, radius):
    """A star-shaped polygon inside ``box`` (x, y, w, h): vertices at ``angles`` around
    its centre, ``radius`` (0-1) of the way to its edge; flat, rounded to hundredths."""
    import numpy as np

    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    xs = cx + radius * np.cos(angles) * box[2] / 2
    ys = cy + radius * np.sin(angles) * box[3] / 2
    return np.column_stack((xs, ys)).ravel().round(2).tolist()


def _shape(rng, vertices: int):
    """A random star's angles (sorted) and radii."""
    import numpy as np

    return np.sort(rng.random(vertices)) * 2 * np.pi, rng.uniform(0.55, 1.0, vertices)


def _box_iou(box, boxes):
    """IoU of one box with each of ``boxes`` (x, y, w, h)."""
    import numpy as np

    w = np.minimum(box[0] + box[2], boxes[:, 0] + boxes[:, 2]) - np.maximum(box[0], boxes[:, 0])
    h = np.minimum(box[1] + box[3], boxes[:, 1] + boxes[:, 3]) - np.maximum(box[1], boxes[:, 1])
    inter = np.clip(w, 0, None) * np.clip(h, 0, None)
    return inter / (box[2] * box[3] + boxes[:, 2] * boxes[:, 3] - inter)


def generate(images: int, seed: int = SEED) -> tuple[dict, list[dict]]:
    """Segm ground truth and results for ``images`` images (deterministic). A
    prediction's mask is the shape of the ground truth its box overlaps most (radii
    jittered by up to 8%) drawn in its own box, as a detector's masks follow the
    objects; a prediction overlapping nothing gets a random star."""
    from collections import defaultdict

    import numpy as np

    from shoal.demo.synthetic import DEFAULT_SEED, generate_coco
    from shoal.engine.masks import masks_from_polygons, masks_to_strings

    gt, boxes_results = generate_coco(images, DEFAULT_SEED)
    rng = np.random.default_rng(seed)
    size_of = {image["id"]: (image["height"], image["width"]) for image in gt["images"]}
    annotations = gt["annotations"]
    shapes = [_shape(rng, int(rng.choice([8, 16, 32]))) for _ in annotations]
    polygons = [_star(a["bbox"], *shape) for a, shape in zip(annotations, shapes, strict=True)]
    gt_sizes = np.asarray([size_of[a["image_id"]] for a in annotations], np.int64).reshape(-1, 2)
    n = len(polygons)
    masks = masks_from_polygons(polygons, np.arange(n), n, gt_sizes[:, 0], gt_sizes[:, 1])
    for index, annotation in enumerate(annotations):
        annotation["area"] = float(masks.area[index])
        if annotation["iscrowd"]:
            rle = masks.rle(index)
            annotation["segmentation"] = {"size": list(rle.size), "counts": rle.counts.tolist()}
        else:
            annotation["segmentation"] = [polygons[index]]
    by_image = defaultdict(list)
    for index, annotation in enumerate(annotations):
        by_image[annotation["image_id"]].append(index)
    gt_boxes = np.asarray([a["bbox"] for a in annotations], np.float64).reshape(-1, 4)
    dt_polygons = []
    for record in boxes_results:
        candidates = by_image.get(record["image_id"], [])
        box = np.asarray(record["bbox"], np.float64)
        overlap = _box_iou(box, gt_boxes[candidates]) if candidates else np.zeros(0)
        if overlap.size and overlap.max() > 0.1:
            angles, radius = shapes[candidates[int(np.argmax(overlap))]]
            radius = radius * rng.uniform(0.92, 1.08, radius.size)
        else:
            angles, radius = _shape(rng, 12)
        dt_polygons.append(_star(box, angles, radius))
    dt_sizes = np.asarray([size_of[r["image_id"]] for r in boxes_results], np.int64)
    m = len(dt_polygons)
    dt_masks = masks_from_polygons(dt_polygons, np.arange(m), m, dt_sizes[:, 0], dt_sizes[:, 1])
    strings = masks_to_strings(dt_masks)
    results = [
        {
            "image_id": record["image_id"],
            "category_id": record["category_id"],
            "segmentation": {"size": [int(h), int(w)], "counts": text},
            "score": record["score"],
        }
        for record, (h, w), text in zip(boxes_results, dt_sizes.tolist(), strings, strict=True)
    ]
    return gt, results


def ensure_data(size: str, regenerate: bool):
    sys.path.insert(0, HERE)
    import _coco_protocols

    return _coco_protocols.ensure_data(
        "segm", size, SIZES[size], GENERATOR_VERSION, SEED, generate, regenerate
    )


# ----------------------------------------------------------------------- the runs


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, HERE)
    import _coco_protocols

    return _coco_protocols.main(
        argv,
        script=__file__,
        description=__doc__.splitlines()[0],
        sizes=tuple(SIZES),
        stat_names=STAT_NAMES,
        ensure_data=ensure_data,
        title=lambda size, meta: (
            f"## COCO segm evaluation, size {size} ({meta['images']} images, "
            f"{meta['annotations']} GT masks, {meta['predictions']} RLE predictions, "
            f"{meta['predictions_mb']} MB)"
        ),
        single_run=("pycocotools",),
    )


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    from _coco_protocols import ENGINES, child

    if len(sys.argv) > 1 and sys.argv[1] in ENGINES:
        sys.exit(child(sys.argv[1:], "segm", 12))
    sys.exit(main())
