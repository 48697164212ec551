"""CVAT XML and Labelbox NDJSON written by Shoal and read back by Shoal's readers to the
same tables: boxes to the bit (random float boxes included), polygons, polylines,
points, skeletons, radio answers, and masks pixel for pixel against pycocotools'
decoding of the originals (and the written PNGs against Pillow's)."""

from __future__ import annotations

import base64
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

import shoal
from shoal.errors import InputError
from shoal.formats.coco_tables import from_coco
from shoal.formats.cvat import as_cvat, from_cvat
from shoal.formats.labelbox import as_labelbox, from_labelbox
from shoal.tables import (
    DatasetTables,
    InferenceTables,
    keypoint_schemas,
    rasterise_polygons,
    with_keypoint_schemas,
)
from test_geometry_formats import (
    CVAT_IMAGES,
    DATASET,
    SKELETONS,
)
from test_geometry_formats import (
    test_labelbox_polygons_lines_points_and_masks as write_labelbox_fixture,
)

mask_api = pytest.importorskip("pycocotools.mask")
Image = pytest.importorskip("PIL.Image")

WIDTH, HEIGHT = 48, 32


def _rle(pixels: np.ndarray) -> dict:
    encoded = mask_api.encode(np.asfortranarray(pixels.astype(np.uint8)))
    return {"height": HEIGHT, "width": WIDTH, "counts": encoded["counts"].decode()}


def _pixels(mask: dict) -> np.ndarray:
    """pycocotools' decoding of a ``mask`` column value: the oracle masks are checked by."""
    rle = {"size": [mask["height"], mask["width"]], "counts": mask["counts"].encode()}
    return mask_api.decode(rle)


def _with_derived_box(row: dict) -> dict:
    """``row`` with the box the readers give its geometry: the vertices' extent of a
    polygon, polyline or point, pycocotools' ``toBbox`` of a mask."""
    if row.get("shape") == "mask":
        rle = {"size": [HEIGHT, WIDTH], "counts": row["mask"]["counts"].encode()}
        box = mask_api.toBbox(rle).tolist()
    elif row.get("shape") in {"polygon", "polyline", "point"}:
        values = row["polygon"][0] if row["shape"] == "polygon" else row["points"]
        xs, ys = values[0::2], values[1::2]
        box = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
    else:
        return row
    return {**row, **dict(zip(("x", "y", "width", "height"), box, strict=True))}


def _random_masks(rng: np.random.Generator) -> list[np.ndarray]:
    blob = np.zeros((HEIGHT, WIDTH), bool)
    blob[3:20, 5:30] = rng.random((17, 25)) < 0.7  # holes and ragged edges
    corner = np.zeros((HEIGHT, WIDTH), bool)
    corner[HEIGHT - 4 :, WIDTH - 6 :] = True  # touches the image's last row and column
    full = np.ones((HEIGHT, WIDTH), bool)
    return [blob, corner, full, np.zeros((HEIGHT, WIDTH), bool)]


def _dataset(rng: np.random.Generator, grid: float | None = 1 / 256) -> DatasetTables:
    """Two frames with every shape CVAT holds: random boxes (on a ``grid``, or any
    float), a tag, polygon, polyline, single points, masks (an empty one too) and
    skeletons."""
    frames = pa.table(
        {
            "frame_id": ["cam/a", "b", "empty"],
            "image_uri": ["cam/a.jpg", None, "empty.png"],
            "width": [WIDTH, WIDTH, WIDTH],
            "height": [HEIGHT, HEIGHT, HEIGHT],
        }
    )
    rows: list[dict] = []
    for _ in range(6):
        x, y, w, h = rng.uniform(0.1, 20, 4)
        if grid is not None:
            x, y, w, h = (round(v / grid) * grid for v in (x, y, w, h))
        rows.append({"class_name": "car", "x": x, "y": y, "width": w, "height": h})
    rows[0]["attributes"] = json.dumps(
        {"occluded": True, "source": "auto", "color": "red"}, separators=(",", ":")
    )
    rows[1]["attributes"] = json.dumps(
        {"occluded": 0, "score": 0.25, "count": 3, "parked": False}, separators=(",", ":")
    )
    rows.append({"class_name": "daytime"})
    ring = [1.5, 2.0, 30.25, 4.0, 20.0, 25.5, 3.0, 20.0]
    rows.append({"class_name": "car", "shape": "polygon", "polygon": [ring]})
    rows.append({"class_name": "lane", "shape": "polyline", "points": [0.0, 31.0, 47.0, 0.5]})
    rows.append({"class_name": "tip", "shape": "point", "points": [3.25, 4.0]})
    for pixels in _random_masks(rng):
        rows.append({"class_name": "blob", "shape": "mask", "mask": _rle(pixels)})
    rows.append(
        {
            "class_name": "person",
            "shape": "keypoints",
            "keypoints": [10, 2.5, 2, 20, 14, 1, 0, 0, 0],
        }
    )
    for number, row in enumerate(rows, 1):
        row["frame_id"] = "cam/a" if number <= 9 else "b"
        row["label_id"] = (
            f"{row['frame_id']}:{sum(r['frame_id'] == row['frame_id'] for r in rows[:number])}"
        )
    names = ("label_id", "frame_id", "class_name", "x", "y", "width", "height", "attributes")
    geometry = ("shape", "polygon", "points", "mask", "keypoints")
    labels = pa.Table.from_pylist(
        [{k: _with_derived_box(row).get(k) for k in names + geometry} for row in rows]
    )
    dataset = DatasetTables.build(frames, labels)
    from shoal.engine.keypoints import KeypointSchema

    schemas = {"person": KeypointSchema(("head", "hand", "foot"))}
    return with_keypoint_schemas(dataset, schemas)


def test_cvat_round_trip_every_shape(tmp_path: Path) -> None:
    dataset = _dataset(np.random.default_rng(15))
    path = as_cvat(dataset, tmp_path / "annotations.xml")
    back = from_cvat(path)
    assert back.frames.to_pylist() == [
        {**frame, "image_uri": frame["image_uri"] or frame["frame_id"]}
        for frame in dataset.frames.to_pylist()
    ]
    # Boxes, ids, attributes and every geometry column equal, floats to the bit.
    assert back.labels.to_pylist() == dataset.labels.to_pylist()
    assert keypoint_schemas(back)["person"].names == ("head", "hand", "foot")
    for before, after in zip(dataset.labels.to_pylist(), back.labels.to_pylist(), strict=True):
        if before["shape"] == "mask":
            assert np.array_equal(_pixels(after["mask"]), _pixels(before["mask"]))
    # The written file is CVAT's layout: the shape keys that lead stay on the element.
    root = ET.parse(path).getroot()
    box = root.find("image/box")
    assert box is not None and box.get("occluded") == "1" and box.get("source") == "auto"
    assert [(a.get("name"), a.text) for a in box.iter("attribute")] == [("color", "red")]


def test_cvat_float_boxes_are_within_an_ulp_of_their_corners(tmp_path: Path) -> None:
    # CVAT keeps corners; width = xbr - xtl can only land on the corner's float grid,
    # so a box off that grid reads back within one ulp of its far corner (and exactly
    # when such a corner exists: the writer nudges xbr to it).
    dataset = _dataset(np.random.default_rng(7), grid=None)
    back = from_cvat(as_cvat(dataset, tmp_path / "floats.xml"))
    exact = 0
    for before, after in zip(dataset.labels.to_pylist(), back.labels.to_pylist(), strict=True):
        if before["shape"] != "box" or before["x"] is None:
            assert after == before
            continue
        assert (after["x"], after["y"]) == (before["x"], before["y"])
        for start, size in (("x", "width"), ("y", "height")):
            corner = before[start] + before[size]
            assert abs(after[size] - before[size]) <= np.spacing(corner)
            exact += after[size] == before[size]
    assert exact > 0


def test_cvat_mask_runs_are_cvats_row_by_row_over_the_masks_extent(tmp_path: Path) -> None:
    pixels = np.zeros((HEIGHT, WIDTH), np.uint8)
    pixels[2:5, 5:9] = [[0, 1, 1, 0], [1, 1, 1, 1], [0, 0, 1, 0]]
    frames = pa.table({"frame_id": ["m"], "width": [WIDTH], "height": [HEIGHT]})
    labels = pa.Table.from_pylist(
        [
            {
                "label_id": "m:1",
                "frame_id": "m",
                "class_name": "blob",
                "shape": "mask",
                "mask": _rle(pixels),
            }
        ]
    )
    as_cvat(DatasetTables.build(frames, labels), tmp_path / "m.xml")
    mask = ET.parse(tmp_path / "m.xml").getroot().find("image/mask")
    assert mask is not None
    # As the CVAT reader's own fixture: rows 0110 / 1111 / 0010 at (5, 2), background first.
    assert (mask.get("left"), mask.get("top"), mask.get("width"), mask.get("height")) == (
        "5",
        "2",
        "4",
        "3",
    )
    assert mask.get("rle") == "1, 2, 1, 4, 2, 1, 1"


@pytest.mark.parametrize("fixture", [CVAT_IMAGES, SKELETONS], ids=["shapes", "skeletons"])
def test_cvat_files_read_write_read_the_same(tmp_path: Path, fixture: str) -> None:
    (tmp_path / "in.xml").write_text(fixture)
    dataset = from_cvat(tmp_path / "in.xml")
    back = from_cvat(as_cvat(dataset, tmp_path / "out.xml"))
    assert back.frames.to_pylist() == dataset.frames.to_pylist()
    assert back.labels.to_pylist() == dataset.labels.to_pylist()
    assert keypoint_schemas(back).keys() == keypoint_schemas(dataset).keys()


def _one_label_dataset(frame: dict, label: dict) -> DatasetTables:
    frames = pa.Table.from_pylist([{"frame_id": "f", "width": 10, "height": 10, **frame}])
    labels = pa.Table.from_pylist(
        [{"label_id": "f:1", "frame_id": "f", "class_name": "c", **label}]
    )
    return DatasetTables.build(frames, labels)


@pytest.mark.parametrize(
    ("frame", "label", "message"),
    [
        (
            {"width": None, "height": None},
            {"x": 1.0, "y": 1.0, "width": 2.0, "height": 2.0},
            "frame 'f' has no size",
        ),
        ({"image_uri": "other.jpg"}, {}, "frame 'f' cannot be a CVAT image"),
        (
            {},
            {"shape": "polygon", "polygon": [[0.0, 0, 5, 0, 5, 5], [6.0, 6, 9, 6, 9, 9]]},
            "has 2 polygons",
        ),
        ({}, {"attributes": json.dumps({"tags": ["a", "b"]})}, 'attribute \'tags\' is ["a","b"]'),
        ({}, {"attributes": json.dumps({"code": "007"})}, "attribute 'code' is \"007\""),
        ({}, {"attributes": json.dumps({"note": "a\tb"})}, "text 'a\\tb' has a tab or control"),
        ({}, {"attributes": json.dumps({"note": "a\x01"})}, "has a tab or control character"),
    ],
)
def test_cvat_what_it_cannot_hold_is_named(
    tmp_path: Path, frame: dict, label: dict, message: str
) -> None:
    with pytest.raises(InputError) as caught:
        as_cvat(_one_label_dataset(frame, label), tmp_path / "x.xml")
    assert message in caught.value.message
    assert not (tmp_path / "x.xml").exists()


def _inferences(dataset: DatasetTables, rng: np.random.Generator) -> InferenceTables:
    rows: list[dict] = []
    for _ in range(4):
        x, y = rng.uniform(0, 20, 2)
        w, h = rng.uniform(0.1, 20, 2)
        rows.append({"class_name": "car", "x": x, "y": y, "width": w, "height": h})
    rows.append({"class_name": "daytime"})
    rows.append(
        {"class_name": "car", "shape": "polygon", "polygon": [[1.5, 2.0, 30.25, 4.0, 20.0, 25.5]]}
    )
    rows.append(
        {"class_name": "lane", "shape": "polyline", "points": [0.0, 31.0, 47.0, 0.5, 9.0, 9.0]}
    )
    rows.append({"class_name": "tip", "shape": "point", "points": [3.25, 4.0]})
    for pixels in _random_masks(rng):
        rows.append({"class_name": "blob", "shape": "mask", "mask": _rle(pixels)})
    for number, row in enumerate(rows):
        row["prediction_id"] = f"p{number}"
        row["frame_id"] = ("cam/a", "b")[number % 2]
        row["confidence"] = float(rng.uniform(0, 1))
    names = ("prediction_id", "frame_id", "class_name", "x", "y", "width", "height", "confidence")
    geometry = ("shape", "polygon", "points", "mask", "keypoints")
    table = pa.Table.from_pylist(
        [{k: _with_derived_box(row).get(k) for k in names + geometry} for row in rows]
    )
    # As every reader does: polygons rasterised on their frames' sizes.
    conformed = InferenceTables.build(table).predictions
    table = rasterise_polygons(conformed, dataset.frames, what="prediction")
    return InferenceTables.build(table, frame_ids=dataset.frames.column("frame_id"))


def test_labelbox_round_trip_every_shape(tmp_path: Path) -> None:
    rng = np.random.default_rng(16)
    dataset = _dataset(rng)
    inferences = _inferences(dataset, rng)
    path = as_labelbox(inferences, dataset, tmp_path / "predictions.ndjson")
    back = from_labelbox(path, dataset)
    assert back.predictions.to_pylist() == inferences.predictions.to_pylist()
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    for before, line in zip(inferences.predictions.to_pylist(), lines, strict=True):
        if before["shape"] != "mask":
            continue
        # The embedded PNG, decoded by Pillow, is the mask pycocotools decodes.
        with Image.open(io.BytesIO(base64.b64decode(line["mask"]["png"]))) as image:
            png = np.asarray(image.convert("L"))
        assert np.array_equal(png > 0, _pixels(before["mask"]) > 0)
    answer = next(line for line in lines if "answer" in line)
    assert answer["answer"]["name"] == "daytime" and answer["dataRow"] == {"globalKey": "cam/a"}


def test_labelbox_file_read_write_read_the_same(tmp_path: Path) -> None:
    write_labelbox_fixture(tmp_path)  # writes predictions.ndjson
    dataset = from_coco(DATASET)
    inferences = from_labelbox(tmp_path / "predictions.ndjson", dataset)
    back = from_labelbox(as_labelbox(inferences, dataset, tmp_path / "out.ndjson"), dataset)
    assert back.predictions.to_pylist() == inferences.predictions.to_pylist()


def test_labelbox_keypoints_and_unknown_frames_are_named(tmp_path: Path) -> None:
    dataset = _dataset(np.random.default_rng(1))
    keypoints = pa.Table.from_pylist(
        [
            {
                "prediction_id": "k",
                "frame_id": "b",
                "class_name": "person",
                "confidence": 0.5,
                "shape": "keypoints",
                "keypoints": [1.0, 1, 2, 3, 3, 2, 5, 5, 2],
            }
        ]
    )
    with pytest.raises(InputError, match="prediction 'k' has shape 'keypoints'"):
        as_labelbox(InferenceTables.build(keypoints), dataset, tmp_path / "k.ndjson")
    stray = pa.table({"prediction_id": ["s"], "frame_id": ["nowhere"], "class_name": ["c"]})
    with pytest.raises(InputError, match="frame 'nowhere', which is not in the dataset"):
        as_labelbox(InferenceTables.build(stray), dataset, tmp_path / "s.ndjson")
    assert not (tmp_path / "k.ndjson").exists() and not (tmp_path / "s.ndjson").exists()


def test_writers_are_public() -> None:
    assert shoal.as_cvat is as_cvat and shoal.as_labelbox is as_labelbox


def test_cvat_from_coco_takes_the_image_names_as_frame_ids_when_asked(tmp_path: Path) -> None:
    dataset = from_coco(DATASET)  # frame ids are COCO's image ids, not the file names
    with pytest.raises(InputError, match="pass rename_frames=True"):
        as_cvat(dataset, tmp_path / "coco.xml")
    back = from_cvat(as_cvat(dataset, tmp_path / "coco.xml", rename_frames=True))
    renamed = {f["frame_id"]: f["image_uri"].rsplit(".", 1)[0] for f in dataset.frames.to_pylist()}
    assert back.frames.to_pylist() == [
        {**f, "frame_id": renamed[f["frame_id"]]} for f in dataset.frames.to_pylist()
    ]
    ids = ("label_id", "frame_id")
    assert [{k: v for k, v in row.items() if k not in ids} for row in back.labels.to_pylist()] == [
        {k: v for k, v in row.items() if k not in ids} for row in dataset.labels.to_pylist()
    ]
    assert back.labels.column("frame_id").to_pylist() == [
        renamed[f] for f in dataset.labels.column("frame_id").to_pylist()
    ]


def test_cvat_frames_that_would_read_back_as_one_are_named(tmp_path: Path) -> None:
    frames = pa.table(
        {"frame_id": ["1", "2"], "image_uri": ["a.jpg", "a.png"], "width": [4, 4], "height": [4, 4]}
    )
    labels = pa.Table.from_pylist(
        [],
        schema=pa.schema(
            [("label_id", pa.string()), ("frame_id", pa.string()), ("class_name", pa.string())]
        ),
    )
    with pytest.raises(InputError, match="frames '1' and '2' would both read back as frame 'a'"):
        as_cvat(DatasetTables.build(frames, labels), tmp_path / "x.xml", rename_frames=True)


def test_stored_segm_metrics_equal_after_the_round_trip(tmp_path: Path) -> None:
    # Masks and polygons written by as_cvat / as_labelbox and read back give the store
    # the same COCO segm numbers as the originals.
    from shoal.store import Store

    rng = np.random.default_rng(21)
    frame_ids = [f"f{n}" for n in range(6)]
    frames = pa.table(
        {
            "frame_id": frame_ids,
            "image_uri": [f"{f}.jpg" for f in frame_ids],
            "width": [WIDTH] * 6,
            "height": [HEIGHT] * 6,
        }
    )
    labels, predictions = [], []
    for frame_id in frame_ids:
        for number in range(3):
            x, y = rng.integers(0, 30), rng.integers(0, 18)
            truth = np.zeros((HEIGHT, WIDTH), bool)
            truth[y : y + rng.integers(4, 14), x : x + rng.integers(4, 18)] = True
            row = {"label_id": f"{frame_id}:{number + 1}", "frame_id": frame_id}
            if number == 0:
                ring = [float(x), float(y), x + 12.5, float(y), x + 6.0, y + 10.5]
                labels.append({**row, "class_name": "car", "shape": "polygon", "polygon": [ring]})
            else:
                labels.append({**row, "class_name": "blob", "shape": "mask", "mask": _rle(truth)})
            guess = np.roll(truth, tuple(rng.integers(-2, 3, 2)), axis=(0, 1))
            guess &= rng.random(guess.shape) < 0.9
            predictions.append(
                {"prediction_id": f"{frame_id}-{number}", "frame_id": frame_id,
                 "class_name": ("car", "blob")[bool(number)], "confidence": float(rng.uniform()),
                 "shape": "mask", "mask": _rle(guess)}
            )  # fmt: skip
    columns = ("label_id", "frame_id", "class_name", "x", "y", "width", "height", "shape", "polygon", "mask")  # fmt: skip
    dataset = DatasetTables.build(
        frames,
        pa.Table.from_pylist([{k: _with_derived_box(r).get(k) for k in columns} for r in labels]),
    )
    inferences = InferenceTables.build(
        pa.Table.from_pylist([_with_derived_box(r) for r in predictions]),
        frame_ids=dataset.frames.column("frame_id"),
    )
    back = from_cvat(as_cvat(dataset, tmp_path / "gt.xml"))
    back_inferences = from_labelbox(as_labelbox(inferences, back, tmp_path / "p.ndjson"), back)
    store = Store(tmp_path / "store")
    stats = []
    for name, (truth, guesses) in {
        "original": (dataset, inferences),
        "round-trip": (back, back_inferences),
    }.items():
        stored = store.create_project(name).create_dataset("d", truth)
        metrics = stored.create_inference_set("m", guesses).metrics(include=["coco_summary"])
        assert metrics.iou_type == "segm"
        stats.append(list(metrics.coco_summary.stats.values()))
    assert stats[0] == stats[1]
    assert 0 < stats[0][0] < 1
