"""The fast ways of reading COCO give exactly what the exact slow way gives.

The ground truth's C scan (``bytes`` or a path) against the same file parsed by
Python (the dict), and the two files read concurrently against one after the other,
on the same values and on the same errors.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from shoal import InputError
from shoal.engine.detection.annotations import GroundTruth, Predictions
from shoal.formats.coco import (
    CocoGroundTruth,
    parse_coco_ground_truth,
    read_coco_detections,
    read_coco_ground_truth,
    read_coco_results,
)

from coco_oracle import random_coco

GT_FIELDS = ("image_ids", "image", "label", "box", "area", "iscrowd", "ignore")


def assert_same_parse(fast: CocoGroundTruth, slow: CocoGroundTruth) -> None:
    for field in GT_FIELDS:
        a, b = getattr(fast, field), getattr(slow, field)
        assert a.dtype == b.dtype, field
        # Bit for bit: equal_nan for missing areas, and the sign of zero counts.
        assert np.array_equal(a.view(np.uint8), b.view(np.uint8)), field
    assert (fast.ids is None) == (slow.ids is None)
    if fast.ids is not None and slow.ids is not None:
        assert np.array_equal(fast.ids, slow.ids)
    assert fast.file_names == slow.file_names
    assert fast.categories == slow.categories
    assert np.array_equal(fast.classes.ids, slow.classes.ids)
    assert np.array_equal(fast.classes.names, slow.classes.names)


def assert_same_columns(a: GroundTruth | Predictions, b: GroundTruth | Predictions) -> None:
    for field in ("frame", "label", "box", "ids"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    if isinstance(a, GroundTruth) and isinstance(b, GroundTruth):
        for field in ("frame_ids", "area", "iscrowd", "ignore"):
            assert np.array_equal(getattr(a, field), getattr(b, field)), field
    if isinstance(a, Predictions) and isinstance(b, Predictions):
        assert np.array_equal(a.score, b.score)


def awkward_ground_truth(seed: int) -> dict[str, Any]:
    """A random COCO file with what real files carry: polygons and RLE masks to skip,
    flags as booleans, missing areas and ids, numbers only float() rounds exactly."""
    rng = np.random.default_rng(seed)
    gt, _ = random_coco(rng, num_images=15)
    with_ids = bool(rng.integers(2))
    for index, annotation in enumerate(gt["annotations"]):
        annotation["segmentation"] = (
            [[1.5, 2.25, 3e2, 4.0, 5, 6.125]]
            if index % 3
            else {"size": [480, 640], "counts": "Xk0\\u00e9\\"}
        )
        if index % 4 == 0:
            annotation.pop("area", None)
        if index % 5 == 0:
            annotation["iscrowd"] = bool(annotation.get("iscrowd", 0))
        if index % 6 == 0:
            annotation["ignore"] = [0, 1, True, False, 2][index % 5]
        if index % 7 == 0:
            # 20 significant digits: more than the C scanner rounds itself.
            annotation["bbox"][0] = float(f"{annotation['bbox'][0]:.3f}1234567890123")
            annotation["area"] = 1.0000000000000000000001
        if not with_ids:
            annotation.pop("id", None)
    gt["info"] = {"note": [1, {"deep": [None, True, -0.0, 1e-300]}], "text": "tab\tescaped"}
    return gt


@pytest.mark.parametrize("seed", range(8))
def test_the_ground_truth_scan_reads_what_python_reads(seed: int) -> None:
    gt = awkward_ground_truth(seed)
    text = json.dumps(gt).encode()
    fast = parse_coco_ground_truth(text)
    slow = parse_coco_ground_truth(gt)  # a dict: the Python path
    assert_same_parse(fast, slow)
    for ignore_flag in (False, True):
        assert_same_columns(
            read_coco_ground_truth(text, ignore_flag=ignore_flag),
            read_coco_ground_truth(gt, ignore_flag=ignore_flag),
        )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda gt: gt["annotations"][1].update(category_id=999), "category_id 999 is not in"),
        (lambda gt: gt["annotations"][2].update(image_id=-5), "image_id -5 is not in images"),
        (lambda gt: gt["annotations"][1].update(area=-1.0), "area -1.0 is negative"),
        (lambda gt: gt["annotations"][2]["bbox"].__setitem__(2, -3), "negative width"),
        (lambda gt: gt["annotations"][1].update(iscrowd=None), "iscrowd null must be 0 or 1"),
        (lambda gt: gt["annotations"][1].update(id="a"), "is a string but earlier ids"),
        (lambda gt: gt["annotations"][2].update(id=gt["annotations"][0]["id"]), "duplicate"),
        (lambda gt: gt["images"][1].update(width=0), "width 0 is not a positive whole"),
        (lambda gt: gt["images"].append(dict(gt["images"][0])), "duplicate image id"),
        (lambda gt: gt["categories"][0].update(id="x"), 'category id "x" must be an integer'),
        (lambda gt: gt.pop("categories"), 'missing "categories" list'),
    ],
)
def test_the_ground_truth_scan_words_errors_as_python_does(change: Any, message: str) -> None:
    gt, _ = random_coco(np.random.default_rng(3), num_images=6, max_gt=4)
    for index, annotation in enumerate(gt["annotations"]):
        annotation["id"] = index + 1
    change(gt)
    errors = []
    for source in (json.dumps(gt).encode(), gt):
        with pytest.raises(InputError) as caught:
            read_coco_ground_truth(source)
        errors.append((caught.value.record, caught.value.message))
    assert errors[0] == errors[1]
    assert message in errors[0][1]


def test_an_infinite_number_anywhere_is_malformed_json_as_orjson_says() -> None:
    gt, _ = random_coco(np.random.default_rng(4), num_images=4)
    text = json.dumps(gt)[:-1] + ', "info": {"scale": 1e999}}'
    with pytest.raises(InputError, match="malformed JSON"):
        read_coco_ground_truth(text.encode())


def write_pair(folder: Path, seed: int) -> tuple[Path, Path]:
    gt, dt = random_coco(np.random.default_rng(seed), num_images=40, max_dt=60)
    gt_path, dt_path = folder / "gt.json", folder / "results.json"
    gt_path.write_text(json.dumps(gt))
    dt_path.write_text(json.dumps(dt))
    return gt_path, dt_path


@pytest.mark.parametrize("seed", range(4))
def test_reading_both_files_concurrently_gives_what_reading_them_in_turn_gives(
    tmp_path: Path, seed: int
) -> None:
    gt_path, dt_path = write_pair(tmp_path, seed)
    in_turn_gt = read_coco_ground_truth(gt_path)
    in_turn_dt = read_coco_results(dt_path, in_turn_gt)
    for threads in (1, 2):
        gt, dt = read_coco_detections(gt_path, dt_path, threads=threads)
        assert_same_columns(gt, in_turn_gt)
        assert_same_columns(dt, in_turn_dt)


def test_progress_follows_both_files_to_the_end(tmp_path: Path) -> None:
    gt_path, dt_path = write_pair(tmp_path, 1)
    seen: list[tuple[int, int]] = []
    read_coco_detections(gt_path, dt_path, threads=2, progress=lambda d, t: seen.append((d, t)))
    # Each file's last report is its end, so the last one of all sees both ended.
    assert seen[-1][0] == seen[-1][1] > 0
    assert all(0 <= d <= t for d, t in seen)


def break_ground_truth(path: Path) -> None:
    gt = json.loads(path.read_text())
    gt["annotations"][0]["category_id"] = 999
    path.write_text(json.dumps(gt))


def break_results(path: Path) -> None:
    path.write_text(path.read_text()[:-10])  # truncated: malformed JSON


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize(
    ("broken", "named"),
    [(("gt",), "gt.json"), (("results",), "results.json"), (("gt", "results"), "gt.json")],
)
def test_an_error_in_either_file_names_that_file(
    tmp_path: Path, threads: int, broken: tuple[str, ...], named: str
) -> None:
    gt_path, dt_path = write_pair(tmp_path, 2)
    if "gt" in broken:
        break_ground_truth(gt_path)
    if "results" in broken:
        break_results(dt_path)
    with pytest.raises(InputError) as caught:
        read_coco_detections(gt_path, dt_path, threads=threads)
    assert caught.value.source is not None and caught.value.source.endswith(named)
    expected = "category_id 999" if "gt" in broken else "malformed JSON"
    assert expected in str(caught.value)


def results_text(count: int, decoy: bool) -> bytes:
    """``count`` results records; with ``decoy``, the middle record carries a string
    that looks like record boundaries (``}, {"``) and spans the middle of the file,
    where the scan in two halves guesses that a record starts."""
    rng = np.random.default_rng(count)
    records = []
    for index in range(count):
        record: dict[str, Any] = {
            "image_id": int(rng.choice([3, 7, 11])),
            "category_id": int(rng.choice([2, 5])),
            "bbox": [round(float(v), int(rng.integers(0, 20))) for v in rng.random(4) * 100],
            "score": float(rng.random()),
        }
        if decoy and index == count // 2:
            record["note"] = (
                '}, {"image_id": 3, "category_id": 2, "bbox": [1, 2, 3, 4]}, {"x": ' * (2 * count)
            )
        records.append(record)
    return json.dumps(records).encode()


@pytest.mark.parametrize("decoy", [False, True])
def test_a_results_file_scanned_in_two_halves_reads_as_in_one(
    monkeypatch: pytest.MonkeyPatch, decoy: bool
) -> None:
    from shoal.formats import _json_columns as scanner
    from shoal.formats import coco

    monkeypatch.setattr(coco, "_SPLIT_MIN_BYTES", 0)  # split even this small file
    count = 301
    text = results_text(count, decoy)
    guess = scanner.guess_record_start(np.frombuffer(text, np.uint8), len(text) // 2)
    inside_the_note = text.rfind(b'"note"', 0, guess) > text.rfind(b'"score"', 0, guess)
    assert inside_the_note == decoy  # the guess is wrong exactly when there is a decoy
    halves = coco._scan_results(text, None, threads=2)
    whole = coco._scan_results(text, None, threads=1)
    assert halves is not None and whole is not None
    for joined, single in zip(halves, whole, strict=True):
        assert joined.dtype == single.dtype and joined.tobytes() == single.tobytes()
    assert whole[0].size == count
    assert coco.parse_coco_results(text, threads=2).box.tobytes() == whole[2].tobytes()


@pytest.mark.parametrize(
    ("late_record", "problem"),
    [
        ('{"image_id": "7", "category_id": 2, "bbox": [1, 2, 3, 4]}', "is a string"),
        ('{"image_id": 7, "category_id": 2, "bbox": [1, 2, 3]}', "bbox must be 4 numbers"),
        ('{"image_id": 7, "category_id": 2, "bbox": [1, 2, 3, 4], "score": 1e999}', "malformed"),
    ],
)
def test_a_bad_record_in_the_second_half_is_reported_as_in_one(
    monkeypatch: pytest.MonkeyPatch, late_record: str, problem: str
) -> None:
    from shoal.formats import coco

    monkeypatch.setattr(coco, "_SPLIT_MIN_BYTES", 0)
    text = results_text(301, decoy=False)
    text = text[:-1] + b", " + late_record.encode() + b"]"
    ground_truth = json.dumps(
        {
            "images": [{"id": i} for i in (3, 7, 11)],
            "categories": [{"id": 2, "name": "cat"}, {"id": 5, "name": "dog"}],
        }
    ).encode()
    errors = []
    for threads in (1, 2):
        with pytest.raises(InputError) as caught:
            read_coco_detections(ground_truth, text, threads=threads)
        errors.append(str(caught.value))
    assert errors[0] == errors[1]
    assert problem in errors[0]
    assert "record 301" in errors[0] or "offset" in errors[0]  # the late record, or byte


@pytest.mark.parametrize("seed", range(6))
def test_id_lookup_finds_the_first_index_of_each_id(seed: int) -> None:
    from shoal.formats.coco import _lookup

    rng = np.random.default_rng(seed)
    base = [0, -(2**61), 2**61 - 50, -(2**63), 2**63 - 60][seed % 5]  # dense or not
    known = base + rng.integers(0, 40, 30)  # repeats on purpose
    extremes = [-(2**63), 2**63 - 1, -(2**62), 2**62, int(known.min()) - 1]
    wanted = np.concatenate([base + rng.integers(-5, 45, 200), extremes]).astype(np.int64)
    first: dict[int, int] = {}
    for index, value in enumerate(known.tolist()):
        first.setdefault(value, index)
    index, found = _lookup(known.astype(np.int64), wanted)
    assert found.tolist() == [w in first for w in wanted.tolist()]
    assert index[found].tolist() == [first[w] for w in wanted[found].tolist()]
