"""The quality pipeline (shoal.store._quality): each image read once at the working
size, frame and crop metrics equal to the kernels on that image, geometry without
images, one warning per frame whose image cannot be read, threads changing nothing;
and the metrics stored and read back through the store."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from PIL import Image

from shoal.analysis import quality as kernels
from shoal.store import Store
from shoal.store._quality import (
    AT_URL,
    BOX_COLUMNS,
    FRAME_COLUMNS,
    NO_IMAGE_ROOT,
    compute_quality,
    locate_image,
    read_working_image,
)
from shoal.tables import DatasetTables, InferenceTables


def _picture(seed: int, width: int, height: int, gray: bool = False) -> Image.Image:
    """A smooth gradient with noise: compressible like a photograph, never flat."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width]
    base = np.stack([xs * 255 / width, ys * 255 / height, (xs + ys) * 127 / (width + height)], -1)
    pixels = np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)
    picture = Image.fromarray(pixels)
    return picture.convert("L") if gray else picture


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "images"
    folder.mkdir()
    _picture(1, 1280, 960).save(folder / "big.jpg", quality=90)
    _picture(2, 200, 150).save(folder / "small.png")
    _picture(3, 640, 480, gray=True).save(folder / "gray.jpg", quality=90)
    _picture(4, 900, 300).convert("P").save(folder / "palette.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8 this is not a JPEG")
    (folder.parent / "outside.png").write_bytes((folder / "small.png").read_bytes())
    return folder


FRAMES = [
    # frame_id, image_uri, width, height (None: unknown to the table)
    ("big", "big.jpg", 1280, 960),
    ("small", "small.png", None, None),
    ("gray", "gray.jpg", 640, 480),
    ("palette", "palette.png", 900, 300),
    ("broken", "broken.jpg", 100, 100),
    ("missing", "missing.jpg", 100, 100),
    ("outside", "../outside.png", 200, 150),
    ("url", "https://example.com/a.jpg", 100, 100),
    ("none", None, 50, 40),
]


def _dataset_tables() -> DatasetTables:
    frames = pa.table(
        {
            "frame_id": [f[0] for f in FRAMES],
            "image_uri": [f[1] for f in FRAMES],
            "width": pa.array([f[2] for f in FRAMES], pa.int32()),
            "height": pa.array([f[3] for f in FRAMES], pa.int32()),
        }
    )
    labels = pa.table(
        {
            "label_id": ["b1", "b2", "s1", "g1", "p1", "n1", "m1"],
            "frame_id": ["big", "big", "small", "gray", "palette", "none", "missing"],
            "class_name": ["a", "b", "a", "a", "b", "a", "a"],
            "x": [100.0, 150.0, 10.0, 0.0, 850.0, 10.0, 5.0],
            "y": [100.0, 120.0, 20.0, 0.0, 10.0, 10.0, 5.0],
            "width": [400.0, 300.0, 50.0, 640.0, 50.0, 20.0, 10.0],
            "height": [300.0, 200.0, 40.0, 480.0, 200.0, 10.0, 10.0],
        }
    )
    return DatasetTables.build(frames, labels)


def _predictions() -> pa.Table:
    return InferenceTables.build(
        pa.table(
            {
                "prediction_id": ["q1", "q2", "q3"],
                "frame_id": ["big", "big", "small"],
                "class_name": ["a", "a", "a"],
                "x": [110.0, 600.0, 0.0],
                "y": [90.0, 500.0, 0.0],
                "width": [380.0, 100.0, 1.5],
                "height": [310.0, 100.0, 150.0],
                "confidence": [0.9, 0.8, 0.7],
            }
        )
    ).predictions


def _row(table: pa.Table, key: str, value: str) -> dict[str, object]:
    return next(r for r in table.to_pylist() if r[key] == value)


def test_frames_and_crops_equal_the_kernels_on_the_working_image(image_folder: Path) -> None:
    data = _dataset_tables()
    result = compute_quality(
        data.frames, data.labels, {"model": _predictions()}, image_folder, threads=2
    )
    assert result.frames.column_names == ["frame_id", *FRAME_COLUMNS]
    assert result.labels.column_names == ["label_id", *BOX_COLUMNS]
    assert result.predictions["model"].column_names == ["prediction_id", *BOX_COLUMNS]
    assert result.images_read == 4
    assert result.frames_without_image == 1
    for frame_id, uri, _, _ in FRAMES[:4]:
        pixels, own_size = read_working_image(image_folder / uri)
        assert max(pixels.shape[:2]) <= kernels.WORKING_SIDE
        expected = kernels.frame_pixels(pixels)
        row = _row(result.frames, "frame_id", frame_id)
        for name in ("brightness", "contrast", "sharpness", "colorfulness"):
            assert row[name] == pytest.approx(getattr(expected, name), rel=1e-12), name
        assert (row["image_width"], row["image_height"]) == own_size
    # The 1280 x 960 JPEG is read at 320 x 240 (decoded at 1/4); the box is scaled by 1/4.
    pixels, _ = read_working_image(image_folder / "big.jpg")
    assert pixels.shape == (240, 320, 3)
    crops = kernels.crop_quality(kernels.luma(pixels), np.array([[25, 25, 125, 100]]))
    label = _row(result.labels, "label_id", "b1")
    assert label["crop_brightness"] == pytest.approx(crops.brightness[0], rel=1e-12)
    assert label["crop_sharpness"] == pytest.approx(crops.sharpness[0], rel=1e-12)
    # Gray images have no colour.
    assert _row(result.frames, "frame_id", "gray")["colorfulness"] == 0.0


def test_geometry_needs_no_image(image_folder: Path) -> None:
    data = _dataset_tables()
    result = compute_quality(data.frames, data.labels, {"model": _predictions()}, image_folder)
    b1 = _row(result.labels, "label_id", "b1")
    assert b1["relative_area"] == pytest.approx(400 * 300 / (1280 * 960))
    assert b1["aspect_ratio"] == pytest.approx(4 / 3)
    # left 100/1280, top 100/960, right 780/1280, bottom 560/960: the left is nearest
    assert b1["border_distance"] == pytest.approx(100 / 1280)
    # b1 and b2 overlap: 300 x 200 inside 400 x 300
    assert b1["max_overlap"] == pytest.approx(300 * 200 / (400 * 300))
    # the table lacks small.png's size: the image's own (200 x 150) is used
    s1 = _row(result.labels, "label_id", "s1")
    assert s1["relative_area"] == pytest.approx(50 * 40 / (200 * 150))
    # a frame without an image still has its labels' geometry, and no crop values
    n1 = _row(result.labels, "label_id", "n1")
    assert n1["relative_area"] == pytest.approx(200 / 2000)
    assert n1["crop_brightness"] is None
    none = _row(result.frames, "frame_id", "none")
    assert none["brightness"] is None
    assert (none["image_area"], none["aspect_ratio"]) == (2000.0, 1.25)
    assert none["label_count"] == 1.0 and none["label_density"] == pytest.approx(0.1)
    big = _row(result.frames, "frame_id", "big")
    assert big["label_count"] == 2.0
    assert big["label_density"] == pytest.approx((400 * 300 + 300 * 200) / (1280 * 960))
    # predictions overlap among themselves only
    q1 = _row(result.predictions["model"], "prediction_id", "q1")
    assert q1["max_overlap"] == 0.0
    # a box 1.5 px wide has brightness but no sharpness (fewer than 3 columns)
    q3 = _row(result.predictions["model"], "prediction_id", "q3")
    assert q3["crop_brightness"] is not None and q3["crop_sharpness"] is None


def test_each_unreadable_image_is_one_warning_and_nulls(image_folder: Path) -> None:
    data = _dataset_tables()
    result = compute_quality(data.frames, data.labels, {}, image_folder, threads=2)
    messages = {w.frame_id: w.message for w in result.warnings}
    assert set(messages) == {"broken", "missing", "outside"}
    assert result.warning_count == 3
    assert "cannot read the image" in messages["broken"]
    assert "missing" in messages["missing"]
    assert "outside the dataset's image root" in messages["outside"]
    # a reason of the whole dataset is one note with its count, not a warning per frame
    assert result.notes == ["1 frame not read: " + AT_URL]
    for frame_id in [*messages, "url"]:
        row = _row(result.frames, "frame_id", frame_id)
        assert row["brightness"] is None and row["sharpness"] is None
        assert row["image_width"] is not None  # the table's size still counts
    m1 = _row(result.labels, "label_id", "m1")
    assert m1["crop_brightness"] is None and m1["relative_area"] is not None
    # without an image root, one note counts the frames that have an image
    no_root = compute_quality(data.frames, data.labels, {}, None)
    assert no_root.warning_count == 0 and no_root.images_read == 0
    assert no_root.notes == ["7 frames not read: " + NO_IMAGE_ROOT, "1 frame not read: " + AT_URL]


def test_threads_change_nothing(image_folder: Path) -> None:
    data = _dataset_tables()
    one = compute_quality(data.frames, data.labels, {"m": _predictions()}, image_folder, threads=1)
    four = compute_quality(data.frames, data.labels, {"m": _predictions()}, image_folder, threads=4)
    assert one.frames.equals(four.frames)
    assert one.labels.equals(four.labels)
    assert one.predictions["m"].equals(four.predictions["m"])


def test_progress_counts_images(image_folder: Path) -> None:
    data = _dataset_tables()
    calls: list[tuple[int, int]] = []
    compute_quality(
        data.frames, data.labels, {}, image_folder, progress=lambda d, t: calls.append((d, t))
    )
    # the files there are to read (inside the root, present): big, small, gray, palette
    # and broken; the rest are warned about before reading
    assert calls[0] == (0, 5) and calls[-1] == (5, 5)


def test_draft_decoding_stays_close_to_a_full_decode(image_folder: Path) -> None:
    """Decoding a JPEG at 1/4 scale (draft) gives nearly what a full decode averaged
    down gives: the working image does not depend on the reader more than this."""
    pixels, _ = read_working_image(image_folder / "big.jpg")
    with Image.open(image_folder / "big.jpg") as opened:
        full = np.asarray(opened.convert("RGB").resize((320, 240), Image.Resampling.BOX))
    drafted, reference = kernels.frame_pixels(pixels), kernels.frame_pixels(full)
    assert drafted.brightness == pytest.approx(reference.brightness, abs=0.005)
    assert drafted.contrast == pytest.approx(reference.contrast, abs=0.005)
    assert drafted.sharpness == pytest.approx(reference.sharpness, rel=0.15)


def test_locate_image_follows_the_servers_rule(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"")
    assert locate_image("a.png", tmp_path) == (str((tmp_path / "a.png").resolve()), None)
    assert locate_image(None, tmp_path) == (None, None)
    assert locate_image("", tmp_path) == (None, None)
    assert "outside" in str(locate_image(str(tmp_path.parent / "x.png"), tmp_path)[1])
    assert "URL" in str(locate_image("file:///etc/passwd", tmp_path)[1])
    assert locate_image("a.png", None) == (None, NO_IMAGE_ROOT)


def test_a_frame_without_boxes_and_nan_handling() -> None:
    frames = pa.table(
        {
            "frame_id": ["a"],
            "image_uri": pa.array([None], pa.string()),
            "width": pa.array([None], pa.int32()),
            "height": pa.array([None], pa.int32()),
        }
    )
    data = DatasetTables.build(frames, pa.table({"label_id": [], "frame_id": [], "class_name": []}))
    result = compute_quality(data.frames, data.labels, {}, None)
    row = result.frames.to_pylist()[0]
    assert row["label_count"] == 0.0 and row["label_density"] == 0.0
    assert row["image_area"] is None and row["aspect_ratio"] is None
    assert not math.isnan(row["label_count"])


# through the store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "home")


def test_stored_metrics_read_back_equal_the_computed_ones(store: Store, image_folder: Path) -> None:
    project = store.create_project("p", task="detection")
    dataset = project.create_dataset("d", _dataset_tables(), image_root=image_folder)
    dataset.create_inference_set("model", InferenceTables.build(_predictions()))
    computed = dataset.compute_quality()
    assert computed.warning_count == 3
    frames = dataset.element_metrics("frame")
    for name in FRAME_COLUMNS:
        assert frames.column(name).to_pylist() == computed.frames.column(name).to_pylist(), name
    labels = dataset.element_metrics("label")
    for name in BOX_COLUMNS:
        assert labels.column(name).to_pylist() == computed.labels.column(name).to_pylist(), name
    predictions = dataset.inference_set("model").element_metrics()
    expected = computed.predictions["model"]
    for name in BOX_COLUMNS:
        assert predictions.column(name).to_pylist() == expected.column(name).to_pylist(), name
    infos = {(m.name, m.level) for m in dataset.metric_infos() if m.source == "quality"}
    assert ("brightness", "frame") in infos and ("crop_sharpness", "prediction") in infos


# shoal import and shoal quality


def _coco_with_images(folder: Path) -> tuple[Path, Path, Path]:
    images = folder / "images"
    images.mkdir(parents=True)
    gt = {
        "images": [
            {"id": 1, "file_name": "one.jpg", "width": 800, "height": 600},
            {"id": 2, "file_name": "two.png", "width": 120, "height": 90},
            {"id": 3, "file_name": "gone.jpg", "width": 50, "height": 50},
        ],
        "categories": [{"id": 1, "name": "thing"}],
        "annotations": [
            {"id": 10, "image_id": 1, "category_id": 1, "bbox": [100, 50, 300, 200],
             "area": 60000, "iscrowd": 0},
            {"id": 11, "image_id": 2, "category_id": 1, "bbox": [5, 5, 40, 30],
             "area": 1200, "iscrowd": 0},
        ],
    }  # fmt: skip
    predictions = [
        {"image_id": 1, "category_id": 1, "bbox": [110, 60, 290, 190], "score": 0.9},
        {"image_id": 2, "category_id": 1, "bbox": [0, 0, 60, 60], "score": 0.4},
    ]
    _picture(5, 800, 600).save(images / "one.jpg", quality=85)
    _picture(6, 120, 90).save(images / "two.png")
    gt_path, dt_path = folder / "gt.json", folder / "model.json"
    gt_path.write_text(json.dumps(gt))
    dt_path.write_text(json.dumps(predictions))
    return gt_path, dt_path, images


def test_import_computes_quality_and_shoal_quality_recomputes(tmp_path: Path, capsys) -> None:
    from shoal.cli import main

    gt, dt, images = _coco_with_images(tmp_path)
    home = str(tmp_path / "home")
    base = ["--project", "p", "--home", home]
    assert main(["import", "coco", str(gt), "--images", str(images), *base]) == 0
    captured = capsys.readouterr()
    assert "quality metrics of gt: 2 images read, 1 not readable" in captured.out
    assert "frame '3': the image file is missing" in captured.err
    assert main(["import", "coco-results", str(dt), "--dataset", "gt", *base]) == 0
    assert "quality metrics of model: 2 images read" in capsys.readouterr().out

    dataset = Store(home).project("p").dataset("gt")
    frames = dataset.element_metrics("frame")
    pixels, _ = read_working_image(images / "one.jpg")
    expected = kernels.frame_pixels(pixels)
    row = _row(frames, "frame_id", "1")
    assert row["brightness"] == pytest.approx(expected.brightness, rel=1e-12)
    assert row["sharpness"] == pytest.approx(expected.sharpness, rel=1e-12)
    assert _row(frames, "frame_id", "3")["brightness"] is None
    predictions = dataset.inference_set("model").element_metrics()
    # 800 x 600 read at 320 x 240: the box is scaled by 0.4
    crops = kernels.crop_quality(kernels.luma(pixels), np.array([[110, 60, 400, 250]]) * 0.4)
    first = predictions.to_pylist()[0]
    assert first["crop_sharpness"] == pytest.approx(crops.sharpness[0], rel=1e-12)
    assert first["relative_area"] == pytest.approx(290 * 190 / (800 * 600))

    # --no-quality stores none; `shoal quality` computes them, --json lists the warnings
    assert main(["import", "coco", str(gt), "--dataset", "bare", "--no-quality", *base]) == 0
    bare = Store(home).project("p").dataset("bare")
    assert not [m for m in bare.metric_infos() if m.source == "quality"]
    out = tmp_path / "quality.json"
    assert main(["quality", "p", "bare", "--home", home, "--json", str(out)]) == 0
    summary = json.loads(out.read_text())
    assert summary["images_read"] == 0 and summary["warning_count"] == 0
    assert summary["notes"] == ["3 frames not read: " + NO_IMAGE_ROOT]
    bare_frames = bare.element_metrics("frame")
    assert bare_frames.column("image_area").to_pylist() == [480000.0, 10800.0, 2500.0]
    assert bare_frames.column("brightness").null_count == 3


def test_a_new_inference_set_gets_its_geometry_at_once(store: Store, image_folder: Path) -> None:
    """On a dataset with quality metrics, creating an inference set stores its box
    geometry without reading images; compute_quality adds the crops."""
    project = store.create_project("p", task="detection")
    dataset = project.create_dataset("d", _dataset_tables(), image_root=image_folder)
    bare = dataset.create_inference_set("before", InferenceTables.build(_predictions()))
    assert bare.element_metrics().num_columns == 1  # no quality metrics yet: none computed
    dataset.compute_quality()
    model = dataset.create_inference_set("model", InferenceTables.build(_predictions()))
    rows = model.element_metrics().to_pylist()
    q1 = next(r for r in rows if r["prediction_id"] == "q1")
    assert q1["relative_area"] == pytest.approx(380 * 310 / (1280 * 960))
    assert q1["crop_brightness"] is None
    result = model.compute_quality()
    assert result.images_read == 2  # the frames with predictions: big and small
    q1 = next(r for r in model.element_metrics().to_pylist() if r["prediction_id"] == "q1")
    assert q1["crop_brightness"] is not None
