"""Every ground-truth format of the public multi-format set (Padilla et al.) imports to
the same labels, and every detection format to the same predictions. Read in place."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from shoal.formats.coco_tables import from_coco, from_coco_results
from shoal.formats.cvat import from_cvat
from shoal.formats.text_boxes import from_text_boxes
from shoal.formats.voc import from_voc
from shoal.formats.yolo import from_yolo
from shoal.tables import DatasetTables, InferenceTables

from conftest import validation_folder


def _database() -> Path:
    return validation_folder("rafaelpadilla-review-object-detection-metrics") / "data" / "database"


def _toy() -> Path:
    return validation_folder("rafaelpadilla-review-object-detection-metrics") / "toyexample"


def _stem_of_frame(tables: DatasetTables) -> dict[str, str]:
    """frame_id -> image stem (COCO frames are numbered, the others are named)."""
    frames = tables.frames
    return {
        frame_id: Path(uri).stem if uri else frame_id
        for frame_id, uri in zip(
            frames.column("frame_id").to_pylist(),
            frames.column("image_uri").to_pylist(),
            strict=True,
        )
    }


def _boxes(table, stem_of: dict[str, str]) -> list[tuple[str, str, tuple[float, ...]]]:
    rows = [
        (stem_of[r["frame_id"]], r["class_name"], (r["x"], r["y"], r["width"], r["height"]))
        for r in table.to_pylist()
    ]
    return sorted(rows)


def _assert_same(a: list, b: list, tolerance: float) -> None:
    assert len(a) == len(b)
    assert [(f, c) for f, c, _ in a] == [(f, c) for f, c, _ in b]
    difference = np.abs(np.array([box for *_, box in a]) - np.array([box for *_, box in b]))
    assert difference.max() <= tolerance


def test_every_ground_truth_format_gives_the_same_labels() -> None:
    database = _database()
    gts = database / "gts"
    voc = from_voc(gts / "pascalvoc_format")
    reference = _boxes(voc.labels, _stem_of_frame(voc))
    assert len(reference) == 273 and voc.frames.num_rows == 100
    exact = {
        "imagenet": from_voc(gts / "imagenet_format"),
        "cvat": from_cvat(gts / "cvat_format" / "annotations.xml"),
        "coco v1": from_coco(gts / "coco_format_v1" / "instances_default.json"),
        "coco v2": from_coco(gts / "coco_format_v2" / "instances_v2.json"),
    }
    for name, tables in exact.items():
        assert tables.frames.num_rows == 100, name
        _assert_same(_boxes(tables.labels, _stem_of_frame(tables)), reference, 1e-6)
    yolo = from_yolo(
        gts / "yolo_format" / "obj_train_data",
        class_names=gts / "yolo_format" / "obj.names",
        image_sizes=voc,
    )
    # Six decimals of a fraction of at most 500 pixels: within 0.5e-6 * 500 per edge.
    _assert_same(_boxes(yolo.labels, _stem_of_frame(yolo)), reference, 500 * 1e-6)
    sizes = {f["frame_id"]: (f["width"], f["height"]) for f in voc.frames.to_pylist()}
    assert {f["frame_id"]: (f["width"], f["height"]) for f in yolo.frames.to_pylist()} == sizes


def _predictions(tables: InferenceTables, stem_of: dict[str, str]) -> list:
    rows = [
        (
            stem_of[r["frame_id"]],
            r["class_name"],
            round(r["confidence"], 6),
            (r["x"], r["y"], r["width"], r["height"]),
        )
        for r in tables.predictions.to_pylist()
    ]
    return sorted(rows)


def _assert_same_predictions(a: list, b: list, tolerance: float) -> None:
    assert len(a) == len(b)
    assert [row[:3] for row in a] == [row[:3] for row in b]
    difference = np.abs(np.array([row[3] for row in a]) - np.array([row[3] for row in b]))
    assert difference.max() <= tolerance


def test_every_detection_format_gives_the_same_predictions() -> None:
    database = _database()
    voc = from_voc(database / "gts" / "pascalvoc_format")
    names = database / "voc.names"
    stems = _stem_of_frame(voc)
    reference = _predictions(
        from_text_boxes(database / "dets" / "abs_xywh", class_names=names), stems
    )
    assert len(reference) == 452
    corners = from_text_boxes(database / "dets" / "abs_xyx2y2", coords="xyx2y2", class_names=names)
    _assert_same_predictions(_predictions(corners, stems), reference, 1e-6)
    relative = from_text_boxes(
        database / "dets" / "rel_xywh", coords="rel_xcycwh", class_names=names, image_sizes=voc
    )
    _assert_same_predictions(_predictions(relative, stems), reference, 500 * 1e-6)
    coco = from_coco_results(database / "dets" / "coco_format" / "coco_dets.json", voc)
    _assert_same_predictions(_predictions(coco, stems), reference, 1e-6)
    # The COCO ground truth numbers its images: results map through file names.
    coco_gt = from_coco(database / "gts" / "coco_format_v1" / "instances_default.json")
    on_coco = from_coco_results(database / "dets" / "coco_format" / "coco_dets.json", coco_gt)
    _assert_same_predictions(_predictions(on_coco, _stem_of_frame(coco_gt)), reference, 1e-6)


def test_toy_example_ground_truth_and_detections_agree_across_formats() -> None:
    toy = _toy()
    voc = from_voc(toy / "gts_vocpascal_format")
    coco = from_coco(toy / "gts_coco_format" / "toy_example_coco.JSON")
    reference = _boxes(voc.labels, _stem_of_frame(voc))
    assert len(reference) == 12
    _assert_same(_boxes(coco.labels, _stem_of_frame(coco)), reference, 1e-6)
    stems = _stem_of_frame(voc)
    names = toy / "voc.names"
    by_name = _predictions(from_text_boxes(toy / "dets_classname_abs_xywh"), stems)
    assert len(by_name) == 12
    variants = [
        (from_text_boxes(toy / "dets_classid_abs_xywh", class_names=names), 1e-6),
        (from_text_boxes(toy / "dets_classname_abs_xyx2y2", coords="xyx2y2"), 1e-6),
        (
            from_text_boxes(toy / "dets_classid_abs_xyx2y2", coords="xyx2y2", class_names=names),
            1e-6,
        ),
        # The toy example's relative files are not the exact ratios of the pixel boxes
        # (e.g. w 0.884800 * 375 = 331.8 for 332): they agree to within a pixel.
        (
            from_text_boxes(
                toy / "dets_classname_rel_xcycwh", coords="rel_xcycwh", image_sizes=voc
            ),
            1.0,
        ),
        (
            from_text_boxes(
                toy / "dets_classid_rel_xcycwh",
                coords="rel_xcycwh",
                image_sizes=voc,
                class_names=names,
            ),
            1.0,
        ),
        (from_coco_results(toy / "dets_coco_format" / "coco_dets.json", voc), 1e-6),
    ]
    for tables, tolerance in variants:
        _assert_same_predictions(_predictions(tables, stems), by_name, tolerance)


@pytest.mark.parametrize("folder", ["gts_vocpascal_format"])
def test_toy_example_sizes_match_the_published_list(folder: str) -> None:
    voc = from_voc(_toy() / folder)
    sizes = {f["frame_id"]: (f["width"], f["height"]) for f in voc.frames.to_pylist()}
    assert sizes["2007_000549"] == (375, 500)
    assert sizes["2010_004175"] == (400, 300)
