"""End-to-end COCO keypoints evaluation benchmark: Shoal against pycocotools,
faster-coco-eval, hotcoco and ultrafast-pycocotools.

    python benchmarks/coco_keypoints.py [--size M] [--engines shoal,hotcoco,...] [--repeat 3]

The data: ``--size`` S (500 images), M (5,000) or L (20,000) of seeded person-keypoint
ground truth (17 keypoints, crowds, objects without labelled keypoints, every COCO area
range) and results (several per person, false positives, images past maxDets 20),
written once to ``benchmarks/data/keypoints-SIZE``.

Every engine runs in fresh subprocesses through benchmarks/_coco_protocols.py (Shoal
from a wheel of this checkout, each peer as its own documentation shows); every engine's
stats are checked against pycocotools' and the table prints ratios to Shoal.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
STAT_NAMES = ("AP", "AP50", "AP75", "APm", "APl", "AR", "AR50", "AR75", "ARm", "ARl")
SIZES = {"S": 500, "M": 5_000, "L": 20_000}
GENERATOR_VERSION = 1
SEED = 15


# ----------------------------------------------------------------------- the data


def generate(images: int, seed: int = SEED) -> tuple[dict, list[dict]]:
    """Person-keypoint ground truth and results for ``images`` images (deterministic)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    names = [f"keypoint{k}" for k in range(1, 18)]
    skeleton = [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12], [7, 13], [6, 7]]
    gt: dict = {
        "images": [
            {"id": i, "file_name": f"{i:012d}.jpg", "width": 640, "height": 480}
            for i in range(1, images + 1)
        ],
        "categories": [
            {"id": 1, "name": "person", "supercategory": "person", "keypoints": names,
             "skeleton": skeleton}
        ],
        "annotations": [],
    }  # fmt: skip
    results: list[dict] = []
    counts = np.minimum(rng.poisson(2.5, images), 15)
    for image, count in zip(range(1, images + 1), counts.tolist(), strict=True):
        size = np.exp(rng.uniform(np.log(12), np.log(400), (count, 2)))
        corner = rng.uniform(0, 1, (count, 2)) * (np.array([640, 480]) - np.minimum(size, 400))
        for box_xy, box_wh in zip(corner, size, strict=True):
            visible = rng.choice(3, 17, p=[0.3, 0.15, 0.55]) * (rng.random() > 0.1)
            xy = box_xy + rng.random((17, 2)) * box_wh
            xy[visible == 0] = 0.0
            keypoints = np.column_stack([xy.round(2), visible]).ravel().tolist()
            gt["annotations"].append(
                {
                    "id": len(gt["annotations"]) + 1,
                    "image_id": image,
                    "category_id": 1,
                    "bbox": [*box_xy.round(2).tolist(), *box_wh.round(2).tolist()],
                    "area": round(float(box_wh.prod() * rng.uniform(0.4, 0.9)), 2),
                    "iscrowd": int(rng.random() < 0.01),
                    "keypoints": keypoints,
                    "num_keypoints": int((visible > 0).sum()),
                }
            )
            for _ in range(int(rng.integers(1, 4))):
                spot = box_xy + rng.random((17, 2)) * box_wh
                target = np.where((visible > 0)[:, None], xy, spot)
                noise = rng.normal(0, float(rng.choice([1.0, 3.0, 8.0, 20.0])), (17, 2))
                results.append(_result(rng, image, target + noise))
        for _ in range(int(rng.integers(0, 30 if rng.random() < 0.1 else 5))):
            xy = rng.uniform([0, 0], [640, 480], (17, 2))
            results.append(_result(rng, image, xy))
    return gt, results


def _result(rng, image: int, xy) -> dict:
    import numpy as np

    flags = np.ones(17)
    return {
        "image_id": image,
        "category_id": 1,
        "keypoints": np.column_stack([xy.round(2), flags]).ravel().tolist(),
        "score": round(float(rng.random()), 3),
    }


def ensure_data(size: str, regenerate: bool):
    sys.path.insert(0, HERE)
    import _coco_protocols

    return _coco_protocols.ensure_data(
        "keypoints", size, SIZES[size], GENERATOR_VERSION, SEED, generate, regenerate
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
            f"## COCO keypoints evaluation, size {size} ({meta['images']} images, "
            f"{meta['annotations']} GT, {meta['predictions']} predictions)"
        ),
        single_run=(),
    )


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    from _coco_protocols import ENGINES, child

    if len(sys.argv) > 1 and sys.argv[1] in ENGINES:
        sys.exit(child(sys.argv[1:], "keypoints", 10))
    sys.exit(main())
