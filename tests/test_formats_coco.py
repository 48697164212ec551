"""COCO readers: exact values, pycocotools parity, precise errors."""

from __future__ import annotations

import ctypes
import json
import math
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

from shoal.engine.detection.annotations import GroundTruth, Predictions
from shoal.errors import InputError
from shoal.formats import coco, read_coco_ground_truth, read_coco_results

VALIDATION = Path("/work/shared/validation")
FAKE100 = VALIDATION / "cocoapi-val2014-fake100"
IGNORE_CROWD = VALIDATION / "faster-coco-eval-ignore-crowd"


def small_gt(image_ids: list[Any] | None = None) -> dict[str, Any]:
    image_ids = [7, 3, 11] if image_ids is None else image_ids
    return {
        "images": [{"id": i, "file_name": f"{i}.jpg"} for i in image_ids],
        "categories": [{"id": 5, "name": "dog"}, {"id": 2, "name": "cat"}],
        "annotations": [
            {
                "id": 10,
                "image_id": image_ids[0],
                "category_id": 5,
                "bbox": [1, 2, 3, 4],
                "area": 9.5,
                "iscrowd": 0,
            },
            {
                "id": 11,
                "image_id": image_ids[1],
                "category_id": 2,
                "bbox": [0.5, 0, 10, 2],
                "iscrowd": 1,
            },
            {"id": 12, "image_id": image_ids[0], "category_id": 2, "bbox": [4, 4, 1, 1], "area": 1},
        ],
    }


@pytest.fixture
def gt() -> GroundTruth:
    return read_coco_ground_truth(small_gt())


def assert_same_predictions(a: Predictions, b: Predictions) -> None:
    for field in ("frame", "label", "box", "score", "ids"):
        left, right = getattr(a, field), getattr(b, field)
        assert left.dtype == right.dtype, field
        assert left.shape == right.shape, field
        assert left.tobytes() == right.tobytes(), field  # bit for bit, -0.0 included


def write(tmp_path: Path, name: str, content: bytes | str | Any) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode()
    elif not isinstance(content, bytes):
        content = orjson.dumps(content)
    path.write_bytes(content)
    return path


# ------------------------------------------------------------------ ground truth


def test_ground_truth_columns(gt: GroundTruth) -> None:
    assert gt.frame_ids.tolist() == [3, 7, 11]  # sorted, as pycocotools evaluates
    assert gt.classes.ids.tolist() == [2, 5]
    assert gt.classes.names.tolist() == ["cat", "dog"]
    assert gt.frame.tolist() == [1, 0, 1]
    assert gt.label.tolist() == [1, 0, 0]
    assert gt.box.tolist() == [[1, 2, 3, 4], [0.5, 0, 10, 2], [4, 4, 1, 1]]
    assert gt.box.dtype == np.float64 and gt.box.flags.c_contiguous
    assert gt.area.tolist() == [9.5, 20.0, 1.0]  # missing area: w * h
    assert gt.iscrowd.tolist() == [False, True, False]
    assert gt.ignore.tolist() == [False, False, False]
    assert gt.ids.tolist() == [10, 11, 12]


def test_ground_truth_sources_agree(tmp_path: Path) -> None:
    document = small_gt()
    path = write(tmp_path, "gt.json", document)
    from_path = read_coco_ground_truth(path)
    for other in (read_coco_ground_truth(str(path)), read_coco_ground_truth(path.read_bytes())):
        for field in ("frame_ids", "frame", "label", "box", "area", "iscrowd", "ids"):
            assert np.array_equal(getattr(from_path, field), getattr(other, field))


def test_ground_truth_ignore_flag_is_not_read() -> None:
    document = small_gt()
    document["annotations"][0]["ignore"] = 1
    assert not read_coco_ground_truth(document).ignore.any()


def test_ground_truth_ignore_flag_is_read_when_asked() -> None:
    document = small_gt()
    document["annotations"][0]["ignore"] = 1
    document["annotations"][2]["ignore"] = True
    gt = read_coco_ground_truth(document, ignore_flag=True)
    assert gt.ignore.tolist() == [True, False, True]
    assert gt.iscrowd.tolist() == [False, True, False]  # crowds stay crowds
    document["annotations"][1]["ignore"] = "yes"
    with pytest.raises(InputError, match='ignore "yes" must be 0 or 1') as caught:
        read_coco_ground_truth(document)
    assert caught.value.record == "annotations[1]"


def test_ground_truth_string_annotation_ids_are_numbered_for_the_engine() -> None:
    document = small_gt()
    for annotation, label_id in zip(document["annotations"], ["a", "b", "c"], strict=True):
        annotation["id"] = label_id
    assert read_coco_ground_truth(document).ids.tolist() == [1, 2, 3]
    document["annotations"][2]["id"] = "a"
    with pytest.raises(InputError, match='duplicate annotation id "a"'):
        read_coco_ground_truth(document)
    document["annotations"][2]["id"] = 12
    with pytest.raises(InputError, match="annotation id 12 is an integer but earlier ids"):
        read_coco_ground_truth(document)


def test_ground_truth_string_image_ids() -> None:
    gt = read_coco_ground_truth(small_gt(["b", "a", "c"]))
    assert gt.frame_ids.tolist() == ["a", "b", "c"]
    assert gt.frame.tolist() == [1, 0, 1]
    predictions = read_coco_results(
        [{"image_id": "c", "category_id": 2, "bbox": [0, 0, 1, 1], "score": 0.5}], gt
    )
    assert predictions.frame.tolist() == [2]


def test_ground_truth_without_annotations() -> None:
    gt = read_coco_ground_truth({"images": [{"id": 1}], "categories": [{"id": 1, "name": "a"}]})
    assert gt.num_frames == 1 and len(gt) == 0
    assert gt.box.shape == (0, 4)
    gt = read_coco_ground_truth({"images": [{"id": 1}], "categories": [], "annotations": []})
    assert len(gt) == 0 and len(gt.classes) == 0


def test_ground_truth_without_annotation_ids_numbers_them() -> None:
    document = small_gt()
    for annotation in document["annotations"]:
        del annotation["id"]
    assert read_coco_ground_truth(document).ids.tolist() == [1, 2, 3]


def test_ground_truth_progress(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    read_coco_ground_truth(
        write(tmp_path, "gt.json", small_gt()), progress=lambda d, t: calls.append((d, t))
    )
    assert len(calls) >= 2 and calls[-1][0] == calls[-1][1]


def _mutated(change: Any) -> dict[str, Any]:
    document = small_gt()
    change(document)
    return document


GT_ERRORS = [
    (lambda d: d["images"].append({"id": 3}), "images[3]", "duplicate image id 3"),
    (lambda d: d["annotations"][2].update(id=10), "annotations[2]", "duplicate annotation id 10"),
    (
        lambda d: d["annotations"][1].update(image_id=99),
        "annotations[1]",
        "image_id 99 is not in images",
    ),
    (
        lambda d: d["annotations"][2].update(category_id=4),
        "annotations[2]",
        "category_id 4 is not in categories",
    ),
    (
        lambda d: d["annotations"][0].update(bbox=[1, 2, 3]),
        "annotations[0]",
        "bbox must be 4 numbers",
    ),
    (
        lambda d: d["annotations"][0].update(bbox=[1, 2, "3", 4]),
        "annotations[0]",
        "bbox must be 4 numbers",
    ),
    (lambda d: d["annotations"][0].update(bbox=None), "annotations[0]", "bbox must be an array"),
    (
        lambda d: d["annotations"][1].update(bbox=[1, 2, -3, 4]),
        "annotations[1]",
        "negative width or height",
    ),
    (
        lambda d: d["annotations"][1].update(bbox=[1, 2, math.inf, 4]),
        "annotations[1]",
        "not 4 finite numbers",
    ),
    (
        lambda d: d["annotations"][1].update(area="big"),
        "annotations[1]",
        'area "big" must be a number',
    ),
    (lambda d: d["annotations"][2].update(iscrowd="no"), "annotations[2]", "iscrowd"),
    (lambda d: d["annotations"][1].pop("category_id"), "annotations[1]", 'missing "category_id"'),
    (
        lambda d: d["annotations"][1].update(category_id=2.0),
        "annotations[1]",
        "category_id 2.0 must be an integer",
    ),
    (lambda d: d["annotations"][1].pop("id"), "annotations[1]", 'missing "id"'),
    (
        lambda d: d["annotations"].append([1, 2]),
        "annotations[3]",
        "expected an object, got an array",
    ),
    (lambda d: d["images"].append("x.jpg"), "images[3]", "expected an object, got a string"),
    (lambda d: d["images"][1].pop("id"), "images[1]", 'missing "id"'),
    (
        lambda d: d["images"][2].update(id=1.5),
        "images[2]",
        "image id 1.5 must be an integer or a string",
    ),
    (
        lambda d: d["images"][0].update(id="7"),
        "images[0]",
        'image id "7" is a string but other ids are integers',
    ),
    (lambda d: d["categories"].append({"id": 5}), "categories[2]", "duplicate category id 5"),
    (
        lambda d: d["categories"][0].update(id="5"),
        "categories[0]",
        'category id "5" must be an integer',
    ),
    (
        lambda d: d["categories"][0].update(name=5),
        "categories[0]",
        "category name 5 must be a string",
    ),
]


@pytest.mark.parametrize(("change", "record", "message"), GT_ERRORS)
def test_ground_truth_errors(tmp_path: Path, change: Any, record: str, message: str) -> None:
    document = _mutated(change)
    sources: list[Any] = [document]
    if "Infinity" not in json.dumps(document):  # JSON files cannot hold infinities
        sources.append(write(tmp_path, "gt.json", document))
    for source in sources:
        with pytest.raises(InputError) as caught:
            read_coco_ground_truth(source)
        error = caught.value
        assert error.record == record
        assert message in error.message
        assert error.source == (str(source) if isinstance(source, Path) else None)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[]", "expected a COCO object"),
        (b'{"images": [], "annotations": []}', 'missing "categories"'),
        (b'{"images": {}, "categories": []}', '"images" must be an array'),
        (b'{"images": [{"id": 1}],\n "categories": [}', "malformed JSON at line 2"),
        (b"", "malformed JSON"),
    ],
)
def test_ground_truth_document_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = write(tmp_path, "gt.json", content)
    with pytest.raises(InputError, match=message) as caught:
        read_coco_ground_truth(path)
    assert caught.value.source == str(path)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the file"):
        read_coco_ground_truth(tmp_path / "absent.json")


# ---------------------------------------------------------------------- results


def test_results_columns(gt: GroundTruth, tmp_path: Path) -> None:
    records = [
        {
            "image_id": 11,
            "category_id": 5,
            "bbox": [1, 2, 3, 4],
            "score": 0.25,
            "segmentation": {"size": [2, 2], "counts": 'a\\"]}'},
        },
        {"score": 1, "bbox": [0.5, 1e-5, 1e3, -0.0], "category_id": 2, "image_id": 3, "id": 99},
        {"image_id": 7, "category_id": 2, "bbox": [0, 0, 0, 0]},
    ]
    path = write(tmp_path, "results.json", json.dumps(records, indent=2))
    predictions = read_coco_results(path, gt)
    assert predictions.frame.tolist() == [2, 0, 1]
    assert predictions.label.tolist() == [1, 0, 0]
    assert predictions.box.tolist() == [[1, 2, 3, 4], [0.5, 1e-5, 1000.0, -0.0], [0, 0, 0, 0]]
    assert math.copysign(1, predictions.box[1, 3]) == -1
    assert predictions.score.tolist() == [0.25, 1.0, 1.0]  # missing score: 1.0
    assert predictions.ids.tolist() == [1, 2, 3]  # loadRes numbering, not the file's "id"
    assert predictions.box.flags.c_contiguous
    assert_same_predictions(predictions, read_coco_results(records, gt))
    assert coco._scan_results(path.read_bytes(), None) is not None  # the fast path ran


def test_results_empty(gt: GroundTruth, tmp_path: Path) -> None:
    for source in ([], b"[]", b" [ \n ] \n", write(tmp_path, "empty.json", b"[]")):
        predictions = read_coco_results(source, gt)
        assert len(predictions) == 0
        assert predictions.box.shape == (0, 4)


def test_results_in_an_annotations_object(gt: GroundTruth) -> None:
    records = [{"image_id": 3, "category_id": 2, "bbox": [0, 0, 1, 1], "score": 0.5}]
    wrapped = read_coco_results(orjson.dumps({"annotations": records}), gt)
    assert_same_predictions(wrapped, read_coco_results(records, gt))
    with pytest.raises(InputError, match="a ground-truth file"):
        read_coco_results(small_gt(), gt)


def test_results_progress_and_chunking(gt: GroundTruth, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(3)
    records = [
        {
            "image_id": rng.choice([3, 7, 11]),
            "category_id": rng.choice([2, 5]),
            "bbox": [rng.random() * 9 for _ in range(4)],
            "score": rng.random(),
        }
        for _ in range(100)
    ]
    data = orjson.dumps(records)
    # Small chunks and a too-small capacity estimate exercise resuming and growing.
    monkeypatch.setattr(coco, "_SCAN_CHUNK_ROWS", 7)
    monkeypatch.setattr(coco, "_BYTES_PER_RECORD_LOWER_BOUND", 10**6)
    calls: list[tuple[int, int]] = []
    predictions = read_coco_results(data, gt, progress=lambda d, t: calls.append((d, t)))
    assert len(calls) > 10
    assert calls[-1] == (len(data), len(data))
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert_same_predictions(predictions, read_coco_results(records, gt))


def test_results_slow_tokens_across_pauses(
    gt: GroundTruth, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Numbers only float() rounds for certain (here 25 digits), with the slow-token
    arrays full after every record, chunks of 3 rows and a capacity that must grow."""
    rng = random.Random(5)

    def long_number() -> str:
        return f"{rng.randrange(0, 10**4)}.{rng.randrange(0, 10**21):021d}"

    texts = [
        f'{{"image_id": {rng.choice([3, 7, 11])}, "category_id": {rng.choice([2, 5])}, '
        f'"bbox": [{", ".join(long_number() for _ in range(4))}], "score": 0.{rng.randrange(10**20)}}}'
        for _ in range(40)
    ]
    data = f"[{','.join(texts)}]".encode()
    monkeypatch.setattr(coco, "_SCAN_CHUNK_ROWS", 3)
    monkeypatch.setattr(coco, "_SLOW_TOKEN_CAPACITY", 5)
    monkeypatch.setattr(coco, "_BYTES_PER_RECORD_LOWER_BOUND", 10**6)
    columns = coco._scan_results(data, None)
    assert columns is not None
    _, _, box, score = columns
    parsed = orjson.loads(data)
    assert box.tobytes() == np.array([r["bbox"] for r in parsed], np.float64).tobytes()
    assert score.tobytes() == np.array([r["score"] for r in parsed], np.float64).tobytes()
    assert_same_predictions(read_coco_results(data, gt), read_coco_results(parsed, gt))


def test_scan_records_pauses_at_record_boundaries() -> None:
    from shoal.formats import _json_columns as scanner

    record = b'{"image_id": 1, "category_id": 2, "bbox": [1e400, 2, 3, 4.5], "score": 0.5}'
    data = b"[" + b",".join([record] * 5) + b"]"
    buffer = np.frombuffer(data, np.uint8)
    status, position = scanner.open_array(buffer)
    assert (status, position) == (scanner.SCAN_PAUSED, 1)
    capacity = 4
    ids, classes = np.empty(capacity, np.int64), np.empty(capacity, np.int64)
    box, score = np.empty((capacity, 4)), np.empty(capacity)
    slow = [np.empty(5, np.int64) for _ in range(3)]
    rows = 0
    results = []
    while status == scanner.SCAN_PAUSED and rows < capacity:
        status, position, written, slow_count = scanner.scan_records(
            buffer, position, rows, 100, ids, classes, box, score, *slow
        )
        # Room for 5 slow tokens, a record's worst case: one record per call.
        results.append((status, written, slow_count, data[position : position + 1]))
        assert slow[0][0] == data.rindex(b"1e400", 0, position)
        assert slow[2][0] == rows * scanner.FIELDS_PER_ROW  # row, field 0
        rows += written
    assert results == [(scanner.SCAN_PAUSED, 1, 1, b"{")] * 4  # the row capacity is full
    assert box[:, 1:].tolist() == [[2, 3, 4.5]] * 4
    status, position, written, _ = scanner.scan_records(
        buffer, position, 0, 100, ids, classes, box, score, *slow
    )
    assert (status, position, written) == (scanner.SCAN_DONE, len(data), 1)


def test_scan_records_checks_array_sizes() -> None:
    from shoal.formats import _json_columns as scanner

    buffer = np.frombuffer(b'[{"image_id": 1}]', np.uint8)
    ids, classes = np.empty(4, np.int64), np.empty(4, np.int64)
    box, score = np.empty((4, 4)), np.empty(4)
    slow = [np.empty(5, np.int64) for _ in range(3)]
    with pytest.raises(ValueError, match="same rows"):
        scanner.scan_records(buffer, 1, 0, 9, ids, classes[:3], box, score, *slow)
    with pytest.raises(ValueError, match="same size"):
        scanner.scan_records(buffer, 1, 0, 9, ids, classes, box, score, *slow[:2], slow[2][:4])
    with pytest.raises(ValueError, match="no room"):
        scanner.scan_records(buffer, 1, 4, 9, ids, classes, box, score, *slow)
    with pytest.raises(ValueError, match="outside the buffer"):
        scanner.scan_records(buffer, 99, 0, 9, ids, classes, box, score, *slow)
    with pytest.raises(ctypes.ArgumentError):  # ctypes checks the dtype
        scanner.scan_records(buffer, 1, 0, 9, ids, classes, box.astype(np.float32), score, *slow)


def test_reading_results_does_not_import_numba(tmp_path: Path) -> None:
    path = write(
        tmp_path, "results.json", b'[{"image_id": 3, "category_id": 2, "bbox": [0, 0, 1, 1]}]'
    )
    code = (
        "import sys\n"
        "from shoal.formats import coco, read_coco_ground_truth, read_coco_results\n"
        f"gt = read_coco_ground_truth({json.dumps(small_gt())!r}.encode())\n"
        f"assert coco._scan_results(open({str(path)!r}, 'rb').read(), None) is not None\n"
        f"assert len(read_coco_results({str(path)!r}, gt)) == 1\n"
        "assert 'numba' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


RESULT_ERRORS: list[tuple[str, int, str]] = [
    (
        '{"image_id": 99, "category_id": 2, "bbox": [0, 0, 1, 1], "score": 0.5}',
        1,
        "image_id 99 is not in the ground truth",
    ),
    (
        '{"image_id": 3, "category_id": 4, "bbox": [0, 0, 1, 1], "score": 0.5}',
        1,
        "category_id 4 is not a ground-truth category",
    ),
    (
        '{"image_id": 3, "category_id": 2, "bbox": [0, 0, 1], "score": 0.5}',
        1,
        "bbox must be 4 numbers",
    ),
    (
        '{"image_id": 3, "category_id": 2, "bbox": [0, 0, 1, 1, 1], "score": 0.5}',
        1,
        "bbox must be 4 numbers",
    ),
    (
        '{"image_id": 3, "category_id": 2, "bbox": [0, "0", 1, 1], "score": 0.5}',
        1,
        "bbox must be 4 numbers",
    ),
    (
        '{"image_id": 3, "category_id": 2, "bbox": null, "score": 0.5}',
        1,
        "bbox must be an array of 4 numbers, got null",
    ),
    (
        '{"image_id": 3, "category_id": 2, "bbox": [0, 0, -1, 1], "score": 0.5}',
        1,
        "negative width or height",
    ),
    (
        '{"image_id": 3, "category_id": 2, "bbox": [0, 0, 1, -1e-9], "score": 0.5}',
        1,
        "negative width or height",
    ),
    (
        '{"image_id": 3, "category_id": 2, "bbox": [0, 0, 1, 1], "score": 1.5}',
        1,
        "score 1.5 is not in [0, 1]",
    ),
    (
        '{"image_id": 3, "category_id": 2, "bbox": [0, 0, 1, 1], "score": -0.1}',
        1,
        "score -0.1 is not in [0, 1]",
    ),
    (
        '{"image_id": 3, "category_id": 2, "bbox": [0, 0, 1, 1], "score": "high"}',
        1,
        'score "high" must be a number',
    ),
    ('{"image_id": 3, "category_id": 2, "score": 0.5}', 1, 'missing "bbox"'),
    (
        '{"image_id": 3, "category_id": 2, "segmentation": [[1, 2, 3, 4, 5, 6]]}',
        1,
        "not an RLE mask",
    ),
    ('{"category_id": 2, "bbox": [0, 0, 1, 1]}', 1, 'missing "image_id"'),
    ("[3, 2, [0, 0, 1, 1], 0.5]", 1, "expected an object, got an array"),
    (
        '{"image_id": 3.0, "category_id": 2, "bbox": [0, 0, 1, 1]}',
        1,
        "image_id 3.0 must be an integer or a string",
    ),
    (
        '{"image_id": "3", "category_id": 2, "bbox": [0, 0, 1, 1]}',
        1,
        'image_id "3" is a string but earlier ids are integers',
    ),
    (
        '{"image_id": 3, "category_id": true, "bbox": [0, 0, 1, 1]}',
        1,
        "category_id true must be an integer",
    ),
]


@pytest.mark.parametrize(("bad_record", "record", "message"), RESULT_ERRORS)
def test_results_errors(
    gt: GroundTruth, tmp_path: Path, bad_record: str, record: int, message: str
) -> None:
    good = '{"image_id": 7, "category_id": 5, "bbox": [1, 1, 2, 2], "score": 0.9}'
    text = f"[{good},\n {bad_record},\n {good}]"
    path = write(tmp_path, "results.json", text)
    with pytest.raises(InputError) as caught:
        read_coco_results(path, gt)
    assert caught.value.source == str(path)
    assert caught.value.record == record
    assert message in caught.value.message
    assert str(caught.value).startswith(f"{path}: record {record}: ")
    # The parsed value gives the same error, without a file name.
    with pytest.raises(InputError) as caught_object:
        read_coco_results(json.loads(text), gt)
    assert (caught_object.value.record, caught_object.value.message) == (
        record,
        caught.value.message,
    )


def test_bbox_from_rle_like_pycocotools(gt: GroundTruth) -> None:
    mask_api = pytest.importorskip("pycocotools.mask")
    rng = np.random.default_rng(5)
    records = []
    for _ in range(40):
        mask = np.zeros((rng.integers(1, 30), rng.integers(1, 30)), dtype=np.uint8, order="F")
        if rng.random() < 0.9:
            y0, x0 = rng.integers(0, mask.shape[0]), rng.integers(0, mask.shape[1])
            mask[y0 : y0 + rng.integers(1, 9), x0 : x0 + rng.integers(1, 9)] = 1
        rle = mask_api.encode(mask)
        counts = rle["counts"].decode()
        expected = mask_api.toBbox(rle).tolist()
        for segmentation in ({"size": rle["size"], "counts": counts},):
            records.append(
                {"image_id": 3, "category_id": 2, "segmentation": segmentation, "score": 0.5}
            )
            assert coco._rle_bbox(segmentation) == expected
    predictions = read_coco_results(records, gt)
    assert len(predictions) == 40


def test_results_nan_score_from_python_objects(gt: GroundTruth) -> None:
    records = [{"image_id": 3, "category_id": 2, "bbox": [0, 0, 1, 1], "score": math.nan}]
    with pytest.raises(InputError, match="score nan is not in") as caught:
        read_coco_results(records, gt)
    assert caught.value.record == 0


def test_results_string_ids_against_integer_ground_truth(gt: GroundTruth) -> None:
    with pytest.raises(InputError, match="is a string but the ground-truth image ids are integers"):
        read_coco_results(b'[{"image_id": "3", "category_id": 2, "bbox": [0, 0, 1, 1]}]', gt)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[{"image_id": 3, "category_id": 2, "bbox": [0, 0, 1, 1]},\n]',
            "malformed JSON at line 1, column 57 .*trailing comma",
        ),
        ('[{"image_id": 3, "category_id": 2, "bbox": [0, 0, 1, 1]}', "malformed JSON"),
        ('[{"image_id": 3, "category_id": 2, "bbox": [0, 0, 1, 1e999]}]', "malformed JSON"),
        ('[{"image_id": 3, "category_id": 2, "bbox": [0, 0, 1, 01]}]', "malformed JSON"),
        ('[{"image_id": 3, "category_id": 2, "bbox": [0, 0, 1, 1], "x": [1, }]', "malformed JSON"),
        (
            '[{"image_id": 3, "category_id": 2, "bbox": [0, 0, 1, 1], "x": "a\\q"}]',
            "malformed JSON",
        ),
        ('[{"image_id": 3, "category_id": 2, "bbox": [0, 0, 1, 1], "x": tru}]', "malformed JSON"),
        ('[{"image_id": 3, "category_id": 2, "bbox": [0, 0, 1, 1]}] x', "malformed JSON"),
        ('{"image_id": 3}', "expected an array of detections, got an object"),
        ("3", "expected an array of detections, got a number"),
    ],
)
def test_results_malformed(gt: GroundTruth, tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "results.json", text)
    with pytest.raises(InputError, match=message) as caught:
        read_coco_results(path, gt)
    assert caught.value.source == str(path)


def test_results_unusual_but_valid_json(gt: GroundTruth) -> None:
    """Things the scanner leaves to the slow path still load, identically."""
    records = [
        {"image_id": 3, "category_id": 2, "bbox": [0, 0, 1, 1], "note": "caf\u00e9"},  # non-ASCII
        {"image_id": 3, "category_id": 2, "bbox": [0, 0, 1, 1], "score": 0.5, "deep": [[[[[]]]]]},
    ]
    data = orjson.dumps(records)
    assert_same_predictions(read_coco_results(data, gt), read_coco_results(records, gt))
    escaped_key = b'[{"image\\u005fid": 3, "category_id": 2, "bbox": [0, 0, 1, 1]}]'
    assert read_coco_results(escaped_key, gt).frame.tolist() == [0]
    duplicate_key = b'[{"image_id": 7, "image_id": 3, "category_id": 2, "bbox": [0, 0, 1, 1]}]'
    assert read_coco_results(duplicate_key, gt).frame.tolist() == [0]  # last wins, as json


# ------------------------------------------------------------ float exactness


def _number_texts(rng: random.Random) -> str:
    """A JSON number in one of many spellings."""
    style = rng.randrange(10)
    sign = "-" if rng.random() < 0.3 else ""
    if style == 0:
        return sign + str(rng.randrange(0, 10 ** rng.randrange(1, 22)))
    if style == 1:
        return repr(rng.uniform(0, 1000)) if not sign else repr(-rng.uniform(0, 1000))
    if style == 2:
        return repr(float(np.float32(rng.uniform(0, 1000))))  # 17-digit mantissas
    if style == 3:
        return f"{sign}{rng.uniform(0, 1000):.{rng.randrange(0, 6)}f}"
    if style == 4:
        mantissa = str(rng.randrange(1, 10 ** rng.randrange(1, 20)))
        exponent_sign = rng.choice(["", "+", "-"])
        # Stay below 1.8e308: larger values are infinities, which JSON readers reject.
        limit = 330 if exponent_sign == "-" else 308 - len(mantissa)
        exponent = rng.choice(["e", "E"]) + exponent_sign + str(rng.randrange(0, limit))
        return sign + mantissa + exponent
    if style == 5:
        digits = str(rng.randrange(1, 10 ** rng.randrange(1, 30)))
        cut = rng.randrange(0, len(digits))
        return f"{sign}{digits[:cut] or '0'}.{digits[cut:]}e{rng.randrange(-330, 308 - cut)}"
    if style == 6:
        return rng.choice(
            ["0", "-0", "0.0", "-0.0", "0e5", "-0E-5", "1e-5", "1E+3", "1e22", "1e23"]
        )
    if style == 7:
        return rng.choice(
            [
                "9007199254740993",  # 2**53 + 1: a halfway case
                "9007199254740992.5",
                "2.2250738585072014e-308",  # smallest normal
                "4.9e-324",  # subnormal
                "1.7976931348623157e308",
                "0.1000000000000000055511151231257827021181583404541015625",
                "123456789012345678901234567890",
            ]
        )
    if style == 8:
        if rng.random() < 0.5:  # a float32 written out in full: an exact dyadic decimal
            value = float(np.float32(rng.uniform(0, 1000) * 10.0 ** rng.randrange(-6, 2)))
            return sign + f"{value:.30f}".rstrip("0").removesuffix(".")
        return repr(rng.uniform(0, 1) * 10.0 ** rng.randrange(-300, 300))
    return f"{sign}{rng.randrange(0, 10**6)}.{rng.randrange(0, 10**17):017d}"


def _json_with_noise(records: list[dict[str, str]], rng: random.Random) -> str:
    def space() -> str:
        return "".join(rng.choice(" \t\n\r") for _ in range(rng.choice([0, 0, 0, 1, 3])))

    parts = []
    for record in records:
        items = list(record.items())
        rng.shuffle(items)
        body = ",".join(
            f'{space()}"{key}"{space()}:{space()}{value}{space()}' for key, value in items
        )
        parts.append(f"{space()}{{{body}}}{space()}")
    return f"{space()}[{','.join(parts)}]{space()}"


EXTRA_VALUES = [
    '"a \\"quoted\\" ] } [ { string"',
    '{"size": [480, 640], "counts": "Vd]3[1\\\\a\\\\/\\u00e9"}',
    "[[1.5, 2, 3e4], [], {}, [{}], null, true, false]",
    "-12.5e-3",
    "null",
    '""',
    '{"nested": {"deeper": ["]", "}", "\\\\"]}}',
]


@pytest.mark.parametrize("seed", range(8))
def test_fast_path_is_bit_exact(seed: int) -> None:
    rng = random.Random(seed)
    gt = read_coco_ground_truth(small_gt())
    records = []
    for _ in range(300):
        record = {
            "image_id": str(rng.choice([3, 7, 11])),
            "category_id": str(rng.choice([2, 5])),
            "bbox": "[" + ",".join(_number_texts(rng) for _ in range(4)) + "]",
        }
        if rng.random() < 0.8:
            record["score"] = _number_texts(rng)
        for key in rng.sample(
            ["segmentation", "id", "area", "iscrowd", "extra"], rng.randrange(0, 4)
        ):
            record[key] = rng.choice(EXTRA_VALUES)
        records.append(record)
    data = _json_with_noise(records, rng).encode()
    columns = coco._scan_results(data, None)
    assert columns is not None  # the scanner handled it all
    image_ids, class_ids, box, score = columns
    parsed = orjson.loads(data)
    # Exactly Python's float() of each token (orjson rounds the same way) ...
    expected_box = np.array([[float(v) for v in r["bbox"]] for r in parsed])
    expected_score = np.array([float(r.get("score", 1.0)) for r in parsed])
    assert box.tobytes() == expected_box.tobytes()
    assert score.tobytes() == expected_score.tobytes()
    assert image_ids.tolist() == [r["image_id"] for r in parsed]
    assert class_ids.tolist() == [r["category_id"] for r in parsed]
    # ... and after validation both paths give the same predictions (or the same error).
    outcomes = []
    for source in (data, parsed):
        try:
            outcomes.append(read_coco_results(source, gt))
        except InputError as error:
            outcomes.append(error)
    if isinstance(outcomes[0], InputError):
        assert isinstance(outcomes[1], InputError)
        assert (outcomes[0].record, outcomes[0].message) == (
            outcomes[1].record,
            outcomes[1].message,
        )
    else:
        assert isinstance(outcomes[1], Predictions)
        assert_same_predictions(outcomes[0], outcomes[1])


def test_number_tokens_convert_like_float() -> None:
    from shoal.formats import _json_columns

    rng = random.Random(11)
    texts = [_number_texts(rng) for _ in range(20000)]
    for text in texts:
        buffer = np.frombuffer(text.encode(), dtype=np.uint8)
        end, value, exact = _json_columns.scan_number(buffer, 0)
        assert end == len(text), text
        if exact:
            expected = float(orjson.loads(text))  # "-0" is the integer 0
            assert np.float64(value).tobytes() == np.float64(expected).tobytes(), text


def test_numbers_near_halfway_points_convert_like_float() -> None:
    """Decimal values exactly halfway between two doubles (m / 10**k with 5**k | m and
    a 54-bit quotient) and their neighbours: round-half-to-even must match float()."""
    from shoal.formats import _json_columns

    rng = random.Random(13)
    texts = []
    for k in range(1, 5):
        for _ in range(500):
            quotient = (1 << 53) + 2 * rng.randrange(2 ** max(0, 10 - 3 * k)) + 1
            digits = str(quotient * 5**k + rng.choice([-1, 0, 0, 1]))
            texts.append(digits[:-k] + "." + digits[-k:])
    texts += [f"{rng.randrange(1, 10**17)}e{rng.randrange(-30, 30)}" for _ in range(2000)]
    for text in texts:
        end, value, exact = _json_columns.scan_number(np.frombuffer(text.encode(), np.uint8), 0)
        assert end == len(text), text
        if exact:
            assert np.float64(value).tobytes() == np.float64(float(text)).tobytes(), text


# ------------------------------------------------- public fixtures vs pycocotools


def _need(folder: Path) -> None:
    if not folder.is_dir():
        pytest.skip(f"validation data not available at {folder}")


def _pycocotools() -> Any:
    return pytest.importorskip("pycocotools.coco")


def test_fake100_ground_truth_matches_pycocotools() -> None:
    _need(FAKE100)
    coco_api = _pycocotools()
    gt_path = FAKE100 / "instances_val2014_100.json"
    reference = coco_api.COCO(str(gt_path))
    gt = read_coco_ground_truth(gt_path)
    assert gt.frame_ids.tolist() == sorted(reference.getImgIds())
    assert gt.classes.ids.tolist() == sorted(reference.getCatIds())
    assert gt.classes.names.tolist() == [
        c["name"] for c in reference.loadCats(sorted(reference.getCatIds()))
    ]
    annotations = reference.dataset["annotations"]
    assert len(gt) == len(annotations) == 839
    assert gt.ids.tolist() == [a["id"] for a in annotations]
    assert gt.box.tolist() == [a["bbox"] for a in annotations]
    assert gt.area.tolist() == [a["area"] for a in annotations]
    assert gt.iscrowd.tolist() == [bool(a["iscrowd"]) for a in annotations]
    assert int(gt.iscrowd.sum()) == 9
    assert gt.frame_ids[gt.frame].tolist() == [a["image_id"] for a in annotations]
    assert gt.classes.ids[gt.label].tolist() == [a["category_id"] for a in annotations]
    # Per image, pycocotools' imgToAnns order is file order, which rows keep.
    for image_id in reference.getImgIds()[:20]:
        rows = np.flatnonzero(gt.frame_ids[gt.frame] == image_id)
        assert gt.ids[rows].tolist() == [a["id"] for a in reference.imgToAnns[image_id]]


@pytest.mark.parametrize(
    ("results_name", "count"),
    [
        ("instances_val2014_fakebbox100_results.json", 734),
        ("instances_val2014_fakesegm100_results.json", None),
    ],
)
def test_fake100_results_match_load_res(results_name: str, count: int | None) -> None:
    _need(FAKE100)
    coco_api = _pycocotools()
    gt_path = FAKE100 / "instances_val2014_100.json"
    results_path = FAKE100 / results_name
    reference = coco_api.COCO(str(gt_path))
    loaded = reference.loadRes(str(results_path)).dataset["annotations"]
    raw = json.loads(results_path.read_text())
    gt = read_coco_ground_truth(gt_path)
    predictions = read_coco_results(results_path, gt)
    if count is not None:  # the bbox results take the fast path
        assert coco._scan_results(results_path.read_bytes(), None) is not None
    assert len(predictions) == len(loaded) == len(raw)
    if count is not None:
        assert len(predictions) == count
    assert predictions.ids.tolist() == [a["id"] for a in loaded]
    assert predictions.score.tolist() == [a["score"] for a in loaded]
    assert gt.frame_ids[predictions.frame].tolist() == [a["image_id"] for a in loaded]
    assert gt.classes.ids[predictions.label].tolist() == [a["category_id"] for a in loaded]
    # The segm results carry no bbox: like loadRes, derive it from the RLE mask.
    assert predictions.box.tolist() == [list(map(float, a["bbox"])) for a in loaded]
    if "bbox" in raw[0]:
        assert predictions.box.tolist() == [r["bbox"] for r in raw]


def test_mixed_string_and_integer_image_ids_fixture() -> None:
    _need(IGNORE_CROWD)
    path = IGNORE_CROWD / "gt_ignore_test.json"
    with pytest.raises(InputError) as caught:
        read_coco_ground_truth(path)
    error = caught.value
    assert error.source == str(path)
    assert error.record == "images[0]"
    assert error.message == 'image id "2299" is a string but other ids are integers'


def test_ignore_crowd_fixture_after_normalizing_ids() -> None:
    _need(IGNORE_CROWD)
    document = json.loads((IGNORE_CROWD / "gt_ignore_test.json").read_text())
    for image in document["images"]:
        image["id"] = int(image["id"])
    for annotation in document["annotations"]:
        annotation["image_id"] = int(annotation["image_id"])
    gt = read_coco_ground_truth(document)
    assert len(gt) == 14 and int(gt.iscrowd.sum()) == 1
    assert gt.ids[gt.iscrowd].tolist() == [900100002299]
    predictions = read_coco_results(IGNORE_CROWD / "dt_ignore_test.json", gt)
    assert len(predictions) == 63
    assert predictions.score[0] == 0.73537
    assert predictions.box[0].tolist() == [0.023, 131.217, 46.438, 145.565]
