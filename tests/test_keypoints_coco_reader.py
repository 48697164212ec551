"""read_coco_keypoints against pycocotools' COCO/loadRes/COCOeval on randomized data:
the ground truth's ignore flags, the results' boxes and areas, OKS through the reader's
columns, sigmas, and the errors naming file and record."""

from __future__ import annotations

import contextlib
import copy
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from keypoints_oracle import (
    PERSON_NAMES,
    PERSON_SKELETON,
    pycocotools_keypoints,
    random_keypoint_coco,
)
from shoal.engine.keypoints import COCO_PERSON_SIGMAS, DEFAULT_SIGMA
from shoal.errors import InputError
from shoal.formats.coco import read_coco_keypoints
from shoal.formats.coco import read_coco_keypoints as reexported
from test_keypoints import oks_matrices


@pytest.mark.parametrize("seed", range(6))
def test_columns_equal_pycocotools(seed: int) -> None:
    gt, results = random_keypoint_coco(np.random.default_rng(seed), num_images=30)
    # Bytes go through the C scanners, parsed values through the Python reading.
    ground_truth, predictions, similarity = read_coco_keypoints(
        orjson.dumps(gt), orjson.dumps(results)
    )
    gt_values, from_values, by_python = read_coco_keypoints(gt, results)
    for column in ("frame", "label", "box", "area", "iscrowd", "ignore", "ids"):
        assert np.array_equal(getattr(ground_truth, column), getattr(gt_values, column))
    assert np.array_equal(similarity.gt_keypoints.points, by_python.gt_keypoints.points)
    assert np.array_equal(similarity.gt_keypoints.offsets, by_python.gt_keypoints.offsets)
    for column in ("frame", "label", "box", "score", "area", "ids"):
        assert np.array_equal(getattr(predictions, column), getattr(from_values, column))
    assert np.array_equal(similarity.dt_keypoints.points, by_python.dt_keypoints.points)
    assert np.array_equal(similarity.dt_keypoints.offsets, by_python.dt_keypoints.offsets)
    evaluation = pycocotools_keypoints(gt, results)
    loaded = [evaluation.cocoDt.anns[i + 1] for i in range(len(results))]
    np.testing.assert_array_equal(predictions.box, np.array([a["bbox"] for a in loaded]))
    np.testing.assert_array_equal(predictions.area, [a["area"] for a in loaded])
    annotations = gt["annotations"]
    # COCOeval._prepare's flag: crowd or num_keypoints == 0 (Shoal: iscrowd | ignore).
    expected_ignore = [bool(evaluation.cocoGt.anns[a["id"]]["ignore"]) for a in annotations]
    assert (ground_truth.iscrowd | ground_truth.ignore).tolist() == expected_ignore
    assert ground_truth.ignore.tolist() == [a["num_keypoints"] == 0 for a in annotations]
    assert similarity.schemas[0].names == tuple(PERSON_NAMES)
    assert similarity.schemas[0].skeleton == tuple(tuple(limb) for limb in PERSON_SKELETON)
    assert np.array_equal(similarity.schemas[0].sigmas, COCO_PERSON_SIGMAS)
    ours = oks_matrices(gt, results, similarity)
    for key, matrix in evaluation.ious.items():
        if len(matrix):
            np.testing.assert_allclose(ours[key], np.asarray(matrix), rtol=0, atol=1e-12)


def test_paths_bytes_and_results_object(tmp_path: Path) -> None:
    gt, results = random_keypoint_coco(np.random.default_rng(3), num_images=8)
    gt_path, results_path = tmp_path / "gt.json", tmp_path / "results.json"
    gt_path.write_text(json.dumps(gt))
    results_path.write_text(json.dumps(results))
    from_values = read_coco_keypoints(gt, results)
    for source in [(gt_path, results_path), (str(gt_path), results_path.read_bytes())]:
        read = read_coco_keypoints(*source)
        for ours, theirs in zip(read[:2], from_values[:2], strict=True):
            assert np.array_equal(ours.box, theirs.box)
            assert np.array_equal(ours.frame, theirs.frame)
    assert reexported is read_coco_keypoints
    # A results object listing its own images and categories (matched by file name
    # and category name) gives the same columns.
    as_object = {
        "images": [{"id": i["id"] + 1000, "file_name": i["file_name"]} for i in gt["images"]],
        "categories": [{"id": c["id"] + 50, "name": c["name"]} for c in gt["categories"]],
        "annotations": [
            {**r, "image_id": r["image_id"] + 1000, "category_id": r["category_id"] + 50}
            for r in results
        ],
    }
    _, predictions, _ = read_coco_keypoints(gt, as_object)
    assert np.array_equal(predictions.frame, from_values[1].frame)
    assert np.array_equal(predictions.label, from_values[1].label)


def test_results_with_a_bbox_keep_it_as_loadres_does() -> None:
    gt, results = random_keypoint_coco(np.random.default_rng(4), num_images=6)
    rng = np.random.default_rng(0)
    for r in results:
        r["bbox"] = rng.uniform(1, 100, 4).round(2).tolist()
    _, predictions, _ = read_coco_keypoints(gt, results)
    loaded = pycocotools_keypoints(gt, results).cocoDt
    np.testing.assert_array_equal(
        predictions.box, [loaded.anns[i + 1]["bbox"] for i in range(len(results))]
    )
    np.testing.assert_array_equal(
        predictions.area, [loaded.anns[i + 1]["area"] for i in range(len(results))]
    )


def test_sigmas_for_other_keypoint_counts_equal_pycocotools() -> None:
    """A 5-keypoint class: the default sigma, or the given ones, equal pycocotools run
    with those ``kpt_oks_sigmas``."""
    gt, results = random_keypoint_coco(np.random.default_rng(5), num_images=12, categories=1)
    for record in [*gt["annotations"], *results]:
        record["keypoints"] = record["keypoints"][: 5 * 3]
    for a in gt["annotations"]:
        a["num_keypoints"] = sum(v > 0 for v in a["keypoints"][2::3])
    gt["categories"][0]["keypoints"] = PERSON_NAMES[:5]
    gt["categories"][0]["skeleton"] = [[1, 2], [2, 3]]
    given = np.array([0.02, 0.05, 0.09, 0.04, 0.07])
    for sigmas, expected in [(None, np.full(5, DEFAULT_SIGMA)), ({1: given}, given)]:
        _, _, similarity = read_coco_keypoints(gt, results, sigmas=sigmas)
        assert np.array_equal(similarity.schemas[0].sigmas, expected)
        with contextlib.redirect_stdout(io.StringIO()):
            coco_gt = COCO()
            coco_gt.dataset = copy.deepcopy(gt)
            coco_gt.createIndex()
            evaluation = COCOeval(coco_gt, coco_gt.loadRes(copy.deepcopy(results)), "keypoints")
            evaluation.params.kpt_oks_sigmas = expected
            evaluation.evaluate()
        ours = oks_matrices(gt, results, similarity)
        for key, matrix in evaluation.ious.items():
            if len(matrix):
                np.testing.assert_allclose(ours[key], np.asarray(matrix), rtol=0, atol=1e-12)


def small_coco() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    gt = {
        "images": [{"id": 1, "file_name": "a.jpg"}],
        "categories": [
            {"id": 1, "name": "person", "keypoints": ["a", "b"], "skeleton": [[1, 2]]},
            {"id": 2, "name": "hand"},
        ],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 1,
                "bbox": [0, 0, 10, 10],
                "area": 80.0,
                "keypoints": [1, 1, 2, 5, 5, 1],
                "num_keypoints": 2,
            },
            {
                "id": 2,
                "image_id": 1,
                "category_id": 2,
                "bbox": [0, 0, 4, 4],
                "keypoints": [1, 1, 2],
            },
        ],
    }
    results = [
        {"image_id": 1, "category_id": 1, "keypoints": [1, 1, 1, 5, 6, 1], "score": 0.9},
        {"image_id": 1, "category_id": 2, "keypoints": [2, 2, 1], "score": 0.5},
    ]
    return gt, results


@pytest.mark.parametrize("as_bytes", [False, True])
def test_category_without_names_and_missing_num_keypoints(as_bytes: bool) -> None:
    gt, results = small_coco()
    gt["annotations"][0]["keypoints"] = [1, 1, 0, 5, 5, 0]
    gt["annotations"][0].pop("num_keypoints")
    sources = (orjson.dumps(gt), orjson.dumps(results)) if as_bytes else (gt, results)
    ground_truth, predictions, similarity = read_coco_keypoints(*sources)
    hand = similarity.schemas[1]
    assert hand.names == ("1",) and hand.skeleton == ()
    assert ground_truth.ignore.tolist() == [True, False]  # counted from the v flags
    assert predictions.box.tolist() == [[1, 1, 4, 5], [2, 2, 0, 0]]


def bad(gt_change: Any = None, results_change: Any = None) -> InputError:
    """The error for the changed documents, the same from parsed values as from bytes
    (the C scanner's path, which hands anything unusual to the Python reading)."""
    gt, results = small_coco()
    if gt_change:
        gt_change(gt)
    if results_change:
        results_change(results)
    with pytest.raises(InputError) as error:
        read_coco_keypoints(gt, results)
    with pytest.raises(InputError) as from_bytes:
        read_coco_keypoints(json.dumps(gt).encode(), json.dumps(results).encode())
    assert from_bytes.value.message == error.value.message
    assert from_bytes.value.record == error.value.record
    return error.value


def test_errors_name_the_record() -> None:
    def set_gt(i: int, key: str, value: Any) -> Any:
        return lambda gt: gt["annotations"][i].__setitem__(key, value)

    def set_result(i: int, key: str, value: Any) -> Any:
        return lambda results: results[i].__setitem__(key, value)

    error = bad(set_gt(0, "keypoints", [1, 1, 2]))
    assert error.record == "annotations[0]"
    assert "3 keypoint values; category 1 has 2 keypoints (6 values" in error.message
    error = bad(set_gt(0, "keypoints", [1, 1, 2, "x", 5, 1]))
    assert error.record == "annotations[0]" and '"x" is not a finite number' in error.message
    error = bad(lambda gt: gt["annotations"][0].pop("keypoints"))
    assert error.record == "annotations[0]" and 'missing "keypoints"' in error.message
    error = bad(set_gt(1, "num_keypoints", -1))
    assert error.record == "annotations[1]" and "num_keypoints -1" in error.message
    error = bad(lambda gt: gt["categories"][0].__setitem__("skeleton", [[1, 3]]))
    assert error.record == "categories[0]" and "skeleton limb [1, 3]" in error.message
    error = bad(lambda gt: gt["categories"][0].__setitem__("keypoints", "ab"))
    assert error.record == "categories[0]"
    error = bad(results_change=set_result(1, "keypoints", [2, 2, 1, 3, 3, 1]))
    assert error.record == 1
    assert "6 keypoint values; category 2 ('hand') has 1 keypoints" in error.message
    error = bad(results_change=set_result(0, "keypoints", [1, 1, 1, 5, float("inf"), 1]))
    assert error.record == 0 and "not a finite number" in error.message
    error = bad(results_change=set_result(1, "keypoints", [2, 2]))
    assert error.record == 1 and "not x, y, v triples" in error.message
    error = bad(results_change=lambda r: r[1].pop("keypoints"))
    assert error.record == 1 and 'missing "keypoints"' in error.message
    error = bad(results_change=set_result(0, "bbox", [0, 0, 3, 3]))
    assert error.record == 1 and 'missing "bbox"' in error.message
    error = bad(results_change=set_result(1, "category_id", 7))
    assert error.record == 1 and "category_id 7" in error.message
    error = bad(results_change=set_result(0, "score", "high"))
    assert error.record == 0 and "score" in error.message
    with pytest.raises(InputError, match="expected an array of keypoint results"):
        read_coco_keypoints(small_coco()[0], {"x": 1})


@pytest.mark.parametrize("threads", [1, 2])
def test_ground_truth_error_wins_on_any_thread_count(threads: int) -> None:
    """The files are read one after the other (1 thread) or at once (2): the same
    columns, and with both files bad, the ground truth's error."""
    from shoal._native import set_threads

    gt, results = random_keypoint_coco(np.random.default_rng(8), num_images=10)
    set_threads(threads)
    try:
        ground_truth, predictions, _ = read_coco_keypoints(orjson.dumps(gt), orjson.dumps(results))
        assert len(ground_truth) == len(gt["annotations"]) and len(predictions) == len(results)
        gt["annotations"][2]["keypoints"] = gt["annotations"][2]["keypoints"][:-3]
        results[0]["keypoints"] = [1, 2]
        with pytest.raises(InputError) as error:
            read_coco_keypoints(orjson.dumps(gt), orjson.dumps(results))
        assert error.value.record == "annotations[2]"
    finally:
        set_threads(None)


def test_progress_reaches_the_end() -> None:
    gt, results = random_keypoint_coco(np.random.default_rng(9), num_images=5)
    calls: list[tuple[int, int]] = []
    read_coco_keypoints(
        orjson.dumps(gt), orjson.dumps(results), progress=lambda d, t: calls.append((d, t))
    )
    # Both files' shares, reported from two threads one call at a time: never past the
    # total, and whole at the end.
    assert all(0 <= d <= t for d, t in calls)
    assert max(d / t for d, t in calls) == 1.0
