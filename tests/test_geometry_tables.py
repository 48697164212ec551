"""Geometry columns of labels and predictions (masks, polygons, keypoints, polylines,
points): validation with errors naming the record, Parquet round trips, the store
keeping them, and boxes-only tables unchanged. Masks are checked against
pycocotools.mask (the oracle for COCO RLE)."""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shoal.engine.keypoints import KeypointSchema
from shoal.errors import InputError
from shoal.store import Store
from shoal.tables import (
    GEOMETRY_SCHEMA,
    LABELS_SCHEMA,
    MASK_TYPE,
    DatasetTables,
    InferenceTables,
    has_geometry,
    keypoint_schemas,
    with_keypoint_schemas,
)

mask_api = pytest.importorskip("pycocotools.mask")

FRAMES = pa.table(
    {
        "frame_id": ["a", "b"],
        "width": pa.array([40, 30], pa.int32()),
        "height": pa.array([20, 10], pa.int32()),
    }
)
LABEL_TYPES = pa.schema(
    [
        *[
            (f.name, f.type)
            for f in LABELS_SCHEMA
            if f.name not in {"area", "iscrowd", "ignore", "attributes"}
        ],
        *[(f.name, f.type) for f in GEOMETRY_SCHEMA],
    ]
)


def _labels(rows: list[dict[str, object]]) -> pa.Table:
    full = []
    for number, row in enumerate(rows, 1):
        base: dict[str, object] = {"label_id": str(number), "frame_id": "a", "class_name": "c"}
        base.update({name: None for name in LABEL_TYPES.names if name not in base})
        base.update(row)
        full.append(base)
    return pa.Table.from_pylist(full, schema=LABEL_TYPES)


def _dicts(schemas: dict[str, KeypointSchema]) -> dict[str, object]:
    return {name: schema.to_dict() for name, schema in schemas.items()}


def _coco_mask(mask: np.ndarray) -> dict[str, object]:
    encoded = mask_api.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"height": mask.shape[0], "width": mask.shape[1], "counts": encoded["counts"].decode()}


def _random_mask(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    mask = np.zeros((height, width), np.uint8)
    y, x = rng.integers(0, height - 4), rng.integers(0, width - 4)
    mask[y : y + rng.integers(2, 5), x : x + rng.integers(2, 5)] = 1
    return mask


def test_polygons_are_rasterised_as_pycocotools_and_boxes_filled() -> None:
    rng = np.random.default_rng(3)
    rows, polygons = [], []
    for _ in range(20):
        ring = rng.uniform(0, 40, 8).tolist()
        ring[1::2] = rng.uniform(0, 20, 4).tolist()
        polygons.append([ring, rng.uniform(0, 20, 6).tolist()])
        rows.append({"polygon": polygons[-1]})
    dataset = DatasetTables.build(FRAMES, _labels(rows))
    labels = dataset.labels
    assert labels.column("shape").to_pylist() == ["polygon"] * 20
    for polygon, mask, x, y, w, h in zip(
        polygons,
        labels.column("mask").to_pylist(),
        *(labels.column(n).to_pylist() for n in ("x", "y", "width", "height")),
        strict=True,
    ):
        expected = mask_api.merge(mask_api.frPyObjects(polygon, 20, 40))
        assert mask["counts"] == expected["counts"].decode()
        assert (mask["height"], mask["width"]) == (20, 40)
        assert [x, y, w, h] == mask_api.toBbox(expected).tolist()
    # The polygons themselves are kept, exactly.
    assert labels.column("polygon").to_pylist() == polygons


def test_masks_keypoints_points_round_trip_through_parquet_and_the_store(tmp_path) -> None:
    rng = np.random.default_rng(7)
    masks = [_random_mask(rng, 20, 40) for _ in range(5)]
    rows = [{"mask": _coco_mask(m)} for m in masks]
    rows.append(
        {"keypoints": [3.0, 4.0, 2.0, 9.5, 1.25, 1.0, 0.0, 0.0, 0.0], "class_name": "person"}
    )
    rows.append({"points": [1.0, 2.0, 11.0, 5.0, 30.5, 7.0], "class_name": "lane"})
    rows.append({"points": [7.0, 8.0], "class_name": "tip"})
    rows.append({"x": 1.0, "y": 2.0, "width": 3.0, "height": 4.0})
    schemas = {"person": KeypointSchema(("nose", "left_eye", "right_eye"), ((1, 2), (1, 3)))}
    dataset = with_keypoint_schemas(DatasetTables.build(FRAMES, _labels(rows)), schemas)
    labels = dataset.labels
    assert labels.column("shape").to_pylist() == ["mask"] * 5 + [
        "keypoints",
        "polyline",
        "point",
        "box",
    ]
    boxes = np.column_stack(
        [labels.column(n).to_numpy(zero_copy_only=False) for n in ("x", "y", "width", "height")]
    )
    for mask, box in zip(masks, boxes[:5], strict=True):
        assert box.tolist() == mask_api.toBbox(mask_api.encode(np.asfortranarray(mask))).tolist()
    assert boxes[5].tolist() == [3.0, 1.25, 6.5, 2.75]  # the labeled keypoints' extent
    assert boxes[6].tolist() == [1.0, 2.0, 29.5, 5.0]
    assert boxes[7].tolist() == [7.0, 8.0, 0.0, 0.0]

    buffer = io.BytesIO()
    pq.write_table(labels, buffer)
    buffer.seek(0)
    back = pq.read_table(buffer)
    assert back.equals(labels)
    assert {k: v.to_dict() for k, v in keypoint_schemas(back).items()} == _dicts(schemas)

    store = Store(tmp_path / "store")
    project = store.create_project("p")
    stored = project.create_dataset("d", dataset)
    assert stored.labels().equals(labels)
    assert {k: v.to_dict() for k, v in keypoint_schemas(stored.labels()).items()} == _dicts(schemas)
    predictions = labels.select(
        ["frame_id", "class_name", "x", "y", "width", "height", *GEOMETRY_SCHEMA.names]
    )
    predictions = predictions.append_column(
        "confidence", pa.array(np.linspace(0.1, 0.9, labels.num_rows))
    )
    inference = stored.create_inference_set("m", InferenceTables.build(predictions))
    kept = inference.predictions()
    for name in GEOMETRY_SCHEMA.names:
        assert kept.column(name).to_pylist() == labels.column(name).to_pylist()


def test_boxes_only_tables_have_no_geometry_columns(tmp_path) -> None:
    labels = pa.table(
        {
            "label_id": ["1"],
            "frame_id": ["a"],
            "class_name": ["c"],
            "x": [1.0],
            "y": [1.0],
            "width": [2.0],
            "height": [2.0],
        }
    )
    dataset = DatasetTables.build(FRAMES, labels)
    assert dataset.labels.schema.names == LABELS_SCHEMA.names
    assert not has_geometry(dataset.labels)
    store = Store(tmp_path / "store")
    assert not has_geometry(store.create_project("p").create_dataset("d", dataset).labels())


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"shape": "blob"}, "label shape 'blob' is not one of box, mask, polygon"),
        ({"shape": "mask"}, "label is a mask without mask"),
        ({"shape": "polyline"}, "label is a polyline without points"),
        ({"keypoints": [1.0, 2.0]}, "label keypoints has 2 numbers, not (x, y, v) triples"),
        ({"keypoints": [1.0, 2.0, 3.0]}, "label keypoint visibility 3 is not 0, 1 or 2"),
        (
            {"keypoints": [1.0, float("nan"), 2.0]},
            "label keypoints has a value that is not a finite number",
        ),
        ({"points": [1.0, 2.0, 3.0]}, "label points has 3 numbers, not (x, y) pairs"),
        ({"shape": "point", "points": [1.0, 2.0, 3.0, 4.0]}, "label is a point with 4 numbers"),
        ({"polygon": [[1.0, 2.0, 3.0]]}, "label polygon has a ring of 3 numbers"),
        ({"polygon": []}, "label polygon has no rings"),
        (
            {"mask": {"height": 20, "width": 40, "counts": "zz"}},
            "label mask counts: counts character 'z'",
        ),
        (
            {"mask": {"height": 20, "width": 40, "counts": "3"}},
            "label mask counts cover 3 pixels, not 20 x 40",
        ),
        (
            {"mask": {"height": 10, "width": 40, "counts": "0"}},
            "label mask is 10 x 40 (height x width) but its frame is 20 x 40",
        ),
        (
            {"mask": {"height": 0, "width": 40, "counts": ""}},
            "label mask size 0 x 40 is not positive",
        ),
        (
            {"mask": pa.scalar({"height": 20, "width": 40, "counts": None}, MASK_TYPE).as_py()},
            "label mask has no counts",
        ),
    ],
)
def test_bad_geometry_names_the_file_and_record(row: dict[str, object], message: str) -> None:
    good = {"x": 0.0, "y": 0.0, "width": 1.0, "height": 1.0}
    labels = _labels([good, {**good, **row}])
    with pytest.raises(InputError) as caught:
        DatasetTables.build(FRAMES, labels, source="labels.json")
    assert caught.value.source == "labels.json"
    assert caught.value.record == 1
    assert message in caught.value.message


def test_polygon_on_a_frame_without_size_is_an_error() -> None:
    frames = pa.table({"frame_id": ["a"]})
    with pytest.raises(InputError, match="frame has no width and height"):
        DatasetTables.build(frames, _labels([{"polygon": [[0.0, 0.0, 4.0, 0.0, 4.0, 4.0]]}]))


def test_keypoint_schemas_must_fit_the_labels() -> None:
    dataset = DatasetTables.build(
        FRAMES, _labels([{"keypoints": [1.0, 1.0, 2.0], "class_name": "p"}])
    )
    with pytest.raises(
        InputError, match="label keypoints has 1 triples but class 'p' has 2 keypoints"
    ):
        with_keypoint_schemas(dataset, {"p": KeypointSchema(("a", "b"))})
    with pytest.raises(InputError, match=r"skeleton limb \[1, 3\] does not join two of the 2"):
        with_keypoint_schemas(dataset, {"p": KeypointSchema(("a", "b"), ((1, 3),))})
