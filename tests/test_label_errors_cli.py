"""``shoal eval GT PRED --label-errors``: the queue in the JSON output and its top printed."""

from __future__ import annotations

import json

from shoal.analysis.label_errors import detection_label_errors
from shoal.cli import main
from shoal.formats.coco import read_coco_detections

from conftest import validation_folder


def _write_scene(tmp_path):
    """Image 1: a found label and a confident box on nothing (missing); image 2: a label
    of class a under a confident class-b box (wrong_class); image 3: a label half off its
    class-a box (loose_box); image 4: a found label and a label nothing found (spurious)."""
    square = [0, 0, 10, 10]
    gt = {
        "images": [{"id": i} for i in (1, 2, 3, 4)],
        "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
        "annotations": [
            {"id": 11, "image_id": 1, "category_id": 1, "bbox": square, "area": 100},
            {"id": 12, "image_id": 2, "category_id": 1, "bbox": square, "area": 100},
            {"id": 13, "image_id": 3, "category_id": 1, "bbox": square, "area": 100},
            {"id": 14, "image_id": 4, "category_id": 1, "bbox": square, "area": 100},
            {"id": 15, "image_id": 4, "category_id": 1, "bbox": [50, 50, 10, 10], "area": 100},
        ],
    }
    results = [
        {"image_id": 1, "category_id": 1, "bbox": square, "score": 0.9},
        {"image_id": 1, "category_id": 1, "bbox": [80, 80, 10, 10], "score": 0.8},
        {"image_id": 2, "category_id": 2, "bbox": square, "score": 0.95},
        {"image_id": 3, "category_id": 1, "bbox": [6, 0, 10, 10], "score": 0.7},
        {"image_id": 4, "category_id": 1, "bbox": square, "score": 0.9},
    ]
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "results.json").write_text(json.dumps(results))
    return tmp_path / "gt.json", tmp_path / "results.json"


def test_eval_adds_the_queue_highest_first(tmp_path, capsys):
    gt_path, results_path = _write_scene(tmp_path)
    out = tmp_path / "out.json"
    code = main(["eval", str(gt_path), str(results_path), "--label-errors", "--json", str(out)])
    assert code == 0
    queue = json.loads(out.read_text())["label_errors"]
    assert queue == [
        {"image_id": 2, "kind": "wrong_class", "score": 0.95, "annotation_id": 12, "partner": 2},
        {"image_id": 1, "kind": "missing", "score": 0.8, "prediction": 1, "partner": None},
        {"image_id": 3, "kind": "loose_box", "score": 0.7, "annotation_id": 13, "partner": 3},
        # class a: 2 of the 4 other labels found; its image: 1 of 1.
        {"image_id": 4, "kind": "spurious", "score": 0.5, "annotation_id": 15, "partner": None},
    ]
    printed = capsys.readouterr().out
    assert (
        "Label errors (4 candidates: 1 missing, 1 spurious, 1 wrong_class, 1 loose_box)" in printed
    )
    table = printed.split("Label errors")[1].splitlines()
    assert table[1].split() == ["score", "kind", "image", "suspect", "against"]
    assert table[2].split() == ["0.950", "wrong_class", "2", "annotation", "12", "prediction", "#2"]
    assert table[3].split() == ["0.800", "missing", "1", "prediction", "#1"]


def test_confidence_option_sets_the_operating_point(tmp_path):
    gt_path, results_path = _write_scene(tmp_path)
    out = tmp_path / "out.json"
    main(["eval", str(gt_path), str(results_path), "--label-errors", "--label-errors-conf",
          "0.85", "--json", str(out)])  # fmt: skip
    kinds = [entry["kind"] for entry in json.loads(out.read_text())["label_errors"]]
    assert "missing" not in kinds and "loose_box" not in kinds and "wrong_class" in kinds


def test_queue_on_real_results_equals_the_analysis(tmp_path, capsys):
    folder = validation_folder("cocoapi-val2014-fake100")
    gt_path = folder / "instances_val2014_100.json"
    results_path = folder / "instances_val2014_fakebbox100_results.json"
    out = tmp_path / "out.json"
    assert (
        main(["eval", str(gt_path), str(results_path), "--label-errors", "--json", str(out)]) == 0
    )
    queue = json.loads(out.read_text())["label_errors"]
    gt, dt = read_coco_detections(gt_path, results_path)
    expected = detection_label_errors(gt, dt).to_records(gt)
    assert queue == expected
    # Record indices point into the results file: each on the candidate's image.
    records = json.loads(results_path.read_text())
    for entry in queue:
        index = entry["prediction"] if "prediction" in entry else entry["partner"]
        if index is not None:
            assert records[index]["image_id"] == entry["image_id"]
    assert len(queue) > 20 and "more in --json output" in capsys.readouterr().out
    scores = [entry["score"] for entry in queue]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= score <= 1.0 for score in scores)


def test_without_the_option_there_is_no_queue(tmp_path, capsys):
    gt_path, results_path = _write_scene(tmp_path)
    out = tmp_path / "out.json"
    main(["eval", str(gt_path), str(results_path), "--json", str(out)])
    assert "label_errors" not in json.loads(out.read_text())
    assert "Label errors" not in capsys.readouterr().out
