"""Regenerate web/src/fixtures/*.json (and a few images) from real Shoal output.

Run from the repository root:  .venv/bin/python web/scripts/make_fixtures.py
Builds the demo projects at scale 0.1 in a temporary store; deterministic.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

import numpy as np

import shoal
from shoal.demo import build_demo_projects

WEB = Path(__file__).resolve().parents[1]
OUT = WEB / "src" / "fixtures"
# Beside the JSON (tests only, never built into the app); `image_url` names them as the
# mocked server would serve them.
IMAGES = WEB / "src" / "fixtures" / "images"


def clean(value):
    """JSON-safe: NaN becomes null, floats rounded to 6 significant digits' worth."""
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 6)
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, np.generic):
        return clean(value.item())
    return value


# The store stamps creation times and random segment UUIDs; the fixtures replace them with
# fixed values so that regenerating them changes nothing.
STABLE: dict[str, str] = {}
CREATED_AT = "2026-01-01T00:00:00.000Z"


def stabilize(value):
    if isinstance(value, dict):
        return {
            k: CREATED_AT if k == "created_at" else stabilize(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [stabilize(v) for v in value]
    if isinstance(value, str):
        return STABLE.get(value, value)
    return value


def dump(name: str, value) -> None:
    text = json.dumps(stabilize(clean(value)), separators=(",", ":"))
    (OUT / f"{name}.json").write_text(text + "\n")


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="shoal-webfix-"))
    try:
        store = shoal.Store(home)
        build_demo_projects(store, scale=0.1)
        project = store.project("shapes")
        dataset = project.datasets()[0]
        base = dataset.inference_set("threshold-cc")
        other = dataset.inference_set("adaptive-cc")
        conf, iou = project.default_conf, project.default_iou
        for segment in dataset.segments():
            STABLE[segment.uuid] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"shoal-fixture/{segment.name}"))
        ev = other.evaluate()
        dump(
            "shapes_project",
            {
                "project": project.to_dict(),
                "dataset": dataset.to_dict(),
                "inference_sets": [s.to_dict() for s in dataset.inference_sets()],
                "segments": [s.to_dict() for s in dataset.segments()],
                "iou_thresholds": list(ev.iou_thresholds),
            },
        )
        dump("shapes_report", ev.report(conf, iou).to_dict())
        dump("shapes_matrix", ev.confusion_matrix(conf, iou).to_dict())
        dump("shapes_coco", ev.coco_summary().to_dict())
        curves = [ev.pr_curve(None, iou=iou)] + [ev.pr_curve(c, iou=iou) for c in ev.labels]
        dump("shapes_pr_curves", [c.to_dict() for c in curves])
        dump("shapes_best_thresholds", [c.best().to_dict() for c in curves])
        dump(
            "shapes_regression",
            {
                base.name: [r.to_dict() for r in base.regression_results()],
                other.name: [r.to_dict() for r in other.regression_results()],
            },
        )
        comparison = base.compare(other)
        dump(
            "shapes_compare",
            {
                "base": base.name,
                "other": other.name,
                **comparison.to_dict(),
                "cells": [
                    comparison.cell(t, p)
                    for t in comparison.matrix_labels
                    for p in comparison.matrix_labels
                ],
            },
        )
        # A few frames' objects with their boxes, for ExampleGrid and FrameView.
        outcomes = ev.outcomes(conf, iou)
        gt, dt = ev.ground_truth, ev.predictions
        gt_box = {int(i): [float(v) for v in b] for i, b in zip(gt.ids, gt.box)}
        dt_box = {int(i): [float(v) for v in b] for i, b in zip(dt.ids, dt.box)}
        frames = dataset.frames().to_pylist()
        chosen = [f for f in frames if f["num_shapes"] >= 3][:6]
        IMAGES.mkdir(parents=True, exist_ok=True)
        examples = []
        for frame in chosen:
            rows = [r for r in outcomes.records() if r["frame_id"] == frame["frame_id"]]
            for r in rows:
                table = dt_box if r["kind"] == "prediction" else gt_box
                r["box"] = table[int(r["id"])]
            src = Path(dataset.image_root) / frame["image_uri"]
            shutil.copyfile(src, IMAGES / frame["image_uri"])
            examples.append(
                {
                    "frame_id": frame["frame_id"],
                    "image_url": f"fixtures/{frame['image_uri']}",
                    "width": frame["width"],
                    "height": frame["height"],
                    "objects": rows,
                }
            )
        dump("shapes_frames", {"conf": conf, "iou": iou, "frames": examples})
        # The classification project: a 10-class matrix and report.
        digits = store.project("digits")
        dset = digits.datasets()[0]
        dev = dset.inference_set("logreg-4x4").evaluate()
        dump("digits_report", dev.report(digits.default_conf).to_dict())
        dump("digits_matrix", dev.confusion_matrix(digits.default_conf).to_dict())
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(f"wrote fixtures to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
