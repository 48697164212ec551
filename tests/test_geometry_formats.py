"""CVAT polygons, polylines, points and video tracks, and Labelbox NDJSON polygons,
lines, points and masks, into the geometry columns: masks equal to pycocotools'
(``frPyObjects`` for polygons, ``encode`` for PNG pixels), errors naming the element or
line, and what COCO can hold written and read back to the same numbers."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest

from shoal.errors import InputError
from shoal.formats.coco_tables import as_coco, from_coco
from shoal.formats.cvat import from_cvat
from shoal.formats.labelbox import from_labelbox
from shoal.tables import DatasetTables, keypoint_schemas

mask_api = pytest.importorskip("pycocotools.mask")
Image = pytest.importorskip("PIL.Image")

CVAT_IMAGES = """<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <image id="0" name="a.jpg" width="60" height="40">
    <polygon label="car" occluded="0" source="manual" points="10.5,5;40,8.25;30,30;12,25" z_order="0">
      <attribute name="color">red</attribute>
    </polygon>
    <polyline label="lane" source="manual" points="0,39;20,20;59,2"/>
    <points label="tip" source="manual" points="3,4;7.5,9"/>
    <box label="car" xtl="1" ytl="2" xbr="11" ybr="12"/>
  </image>
</annotations>"""

CVAT_VIDEO = """<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta><task><size>5</size><original_size><width>50</width><height>30</height></original_size></task></meta>
  <track id="0" label="car" source="manual">
    <box frame="0" outside="0" occluded="0" keyframe="1" xtl="1" ytl="1" xbr="10" ybr="10" z_order="0"/>
    <box frame="1" outside="0" occluded="0" keyframe="0" xtl="2" ytl="1" xbr="11" ybr="10" z_order="0"/>
    <box frame="2" outside="1" occluded="0" keyframe="1" xtl="2" ytl="1" xbr="11" ybr="10" z_order="0"/>
  </track>
  <track id="1" label="road" source="manual">
    <polygon frame="1" outside="0" occluded="0" keyframe="1" points="0,0;20,0;20,20" z_order="0"/>
    <polyline frame="3" outside="0" occluded="0" keyframe="1" points="0,0;10,10" z_order="0"/>
  </track>
</annotations>"""


def test_cvat_polygons_polylines_points(tmp_path: Path) -> None:
    path = tmp_path / "annotations.xml"
    path.write_text(CVAT_IMAGES)
    dataset = from_cvat(path)
    polygon, polyline, first, second, box = dataset.labels.to_pylist()
    ring = [10.5, 5.0, 40.0, 8.25, 30.0, 30.0, 12.0, 25.0]
    assert polygon["shape"] == "polygon" and polygon["polygon"] == [ring]
    expected = mask_api.merge(mask_api.frPyObjects([ring], 40, 60))
    assert polygon["mask"] == {"height": 40, "width": 60, "counts": expected["counts"].decode()}
    assert (polygon["x"], polygon["y"], polygon["width"], polygon["height"]) == (10.5, 5, 29.5, 25)
    assert json.loads(polygon["attributes"]) == {
        "occluded": False, "source": "manual", "z_order": 0, "color": "red"
    }  # fmt: skip
    assert polyline["shape"] == "polyline" and polyline["points"] == [0, 39, 20, 20, 59, 2]
    assert (polyline["x"], polyline["y"], polyline["width"], polyline["height"]) == (0, 2, 59, 37)
    assert [
        (p["label_id"], p["shape"], p["points"], p["x"], p["width"]) for p in (first, second)
    ] == [
        ("a:3.1", "point", [3, 4], 3, 0),
        ("a:3.2", "point", [7.5, 9], 7.5, 0),
    ]
    assert box["shape"] == "box" and box["mask"] is None

    # COCO holds the polygon and box, not the polyline or points.
    with pytest.raises(InputError, match="is a polyline: COCO holds"):
        as_coco(dataset)
    kept = dataset.labels.filter(
        np.isin(dataset.labels.column("shape").to_numpy(False), ["polygon", "box"])
    )
    coco_part = DatasetTables.build(dataset.frames, kept)
    again = from_coco(as_coco(coco_part))
    for name in ("polygon", "mask", "x", "y", "width", "height"):
        assert again.labels.column(name).to_pylist() == coco_part.labels.column(name).to_pylist()


def test_cvat_video_tracks_become_frames(tmp_path: Path) -> None:
    path = tmp_path / "video.xml"
    path.write_text(CVAT_VIDEO)
    dataset = from_cvat(path)
    assert dataset.frames.column("frame_id").to_pylist() == [
        "frame_000000",
        "frame_000001",
        "frame_000003",
    ]
    assert set(dataset.frames.column("width").to_pylist()) == {50}
    rows = dataset.labels.to_pylist()
    assert [(r["label_id"], r["class_name"], r["shape"]) for r in rows] == [
        ("frame_000000:track:0", "car", "box"),
        ("frame_000001:track:0", "car", "box"),
        ("frame_000001:track:1", "road", "polygon"),
        ("frame_000003:track:1", "road", "polyline"),
    ]
    assert json.loads(rows[1]["attributes"])["track_id"] == 0
    assert json.loads(rows[1]["attributes"])["keyframe"] == 0
    assert (
        rows[2]["mask"]["counts"]
        == mask_api.merge(mask_api.frPyObjects([[0, 0, 20, 0, 20, 20]], 30, 50))["counts"].decode()
    )


@pytest.mark.parametrize(
    ("old", "new", "record", "message"),
    [
        ('points="3,4;7.5,9"', 'points="3,4;7.5"', "image 1, <points> 3", "point '7.5' is not x,y"),
        (
            'points="3,4;7.5,9"',
            'points="3,4;x,9"',
            "image 1, <points> 3",
            "point is 'x', not a number",
        ),
        ('points="0,39;20,20;59,2"', 'points="0,39"', "image 1, <polyline> 2", "has 1 point"),
        ('<box label="car"', '<ellipse label="car"', "image 1, <ellipse> 4", "not supported"),
    ],
)
def test_cvat_bad_shapes_are_named(
    tmp_path: Path, old: str, new: str, record: str, message: str
) -> None:
    path = tmp_path / "annotations.xml"
    path.write_text(CVAT_IMAGES.replace(old, new))
    with pytest.raises(InputError) as caught:
        from_cvat(path)
    assert caught.value.record == record and message in caught.value.message


def test_cvat_video_without_size_is_named(tmp_path: Path) -> None:
    path = tmp_path / "video.xml"
    path.write_text(
        CVAT_VIDEO.replace(
            "<original_size><width>50</width><height>30</height></original_size>", ""
        )
    )
    with pytest.raises(InputError, match="no <meta><task><original_size>"):
        from_cvat(path)


DATASET = {
    "images": [{"id": 1, "file_name": "a.jpg", "width": 32, "height": 24}],
    "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 5, 5]}],
    "categories": [{"id": 1, "name": "cat"}],
}


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def test_labelbox_polygons_lines_points_and_masks(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    composite = np.zeros((24, 32, 3), np.uint8)
    composite[2:9, 3:20] = (255, 0, 0)
    composite[12:20, 5:9] = (0, 255, 0)
    composite[rng.random((24, 32)) < 0.05] = (0, 0, 255)
    (tmp_path / "masks").mkdir()
    (tmp_path / "masks" / "composite.png").write_bytes(_png(composite))
    lone = (rng.random((24, 32)) < 0.3).astype(np.uint8) * 255
    rows = [
        {"uuid": "p", "dataRow": {"globalKey": "a.jpg"}, "name": "cat", "confidence": 0.9,
         "polygon": [{"x": 1, "y": 1}, {"x": 20, "y": 3.5}, {"x": 12, "y": 20}]},
        {"uuid": "l", "dataRow": {"id": "1"}, "name": "lane", "line": [{"x": 0, "y": 23}, {"x": 31, "y": 0}]},
        {"uuid": "t", "dataRow": {"id": "1"}, "name": "tip", "confidence": 0.4, "point": {"x": 5, "y": 6}},
        {"uuid": "r", "dataRow": {"id": "1"}, "name": "cat", "mask": {"instanceURI": "masks/composite.png", "colorRGB": [255, 0, 0]}},
        {"uuid": "g", "dataRow": {"id": "1"}, "name": "dog", "mask": {"instanceURI": "masks/composite.png", "colorRGB": [0, 255, 0]}},
        {"uuid": "b", "dataRow": {"id": "1"}, "name": "dog", "mask": {"png": base64.b64encode(_png(lone)).decode()}},
    ]  # fmt: skip
    path = tmp_path / "predictions.ndjson"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    polygon, line, point, red, green, lone_row = from_labelbox(
        path, from_coco(DATASET)
    ).predictions.to_pylist()
    ring = [1.0, 1.0, 20.0, 3.5, 12.0, 20.0]
    assert polygon["polygon"] == [ring] and polygon["confidence"] == 0.9
    assert (
        polygon["mask"]["counts"]
        == mask_api.merge(mask_api.frPyObjects([ring], 24, 32))["counts"].decode()
    )
    assert (
        line["shape"] == "polyline"
        and line["points"] == [0, 23, 31, 0]
        and line["confidence"] == 1.0
    )
    assert (point["shape"], point["points"], point["width"]) == ("point", [5, 6], 0)
    for row, pixels in (
        (red, (composite == (255, 0, 0)).all(axis=2)),
        (green, (composite == (0, 255, 0)).all(axis=2)),
        (lone_row, lone > 0),
    ):
        expected = mask_api.encode(np.asfortranarray(pixels.astype(np.uint8)))
        assert row["shape"] == "mask"
        assert row["mask"]["counts"] == expected["counts"].decode()
        assert [row["x"], row["y"], row["width"], row["height"]] == mask_api.toBbox(
            expected
        ).tolist()


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            {"name": "c", "line": [{"x": 1, "y": 2}]},
            'line is [{"x":1,"y":2}], not a list of at least 2 points',
        ),
        ({"name": "c", "point": {"x": 1}}, "point y is null, not a number"),
        ({"name": "c", "mask": {"png": "***"}}, "mask png is not base64 text"),
        ({"name": "c", "mask": {"instanceURI": "https://x/m.png"}}, "is a URL: download it"),
        ({"name": "c", "mask": {"instanceURI": "missing.png"}}, "cannot read mask 'missing.png'"),
        (
            {"name": "c", "mask": {"png": base64.b64encode(b"not png").decode()}},
            "mask is not a readable image",
        ),
        (
            {
                "name": "c",
                "mask": {"png": base64.b64encode(_png(np.zeros((5, 5), np.uint8))).decode()},
            },
            "mask is 5 x 5 pixels but its frame is 32 x 24",
        ),
    ],
)
def test_labelbox_bad_geometry_is_named(tmp_path: Path, item: dict, message: str) -> None:
    path = tmp_path / "predictions.ndjson"
    path.write_text(json.dumps({"dataRow": {"id": "1"}, **item}) + "\n")
    with pytest.raises(InputError) as caught:
        from_labelbox(path, from_coco(DATASET))
    assert caught.value.record == "line 1"
    assert message in caught.value.message


def test_cvat_masks(tmp_path: Path) -> None:
    # A 4 x 3 box at (5, 2): rows 0110 / 1111 / 0010, as CVAT writes it (row by row,
    # background first): 1, 2, 1, 4, 2, 1, 1.
    xml = """<annotations><version>1.1</version>
      <image id="0" name="m.png" width="12" height="8">
        <mask label="blob" source="manual" occluded="0" rle="1, 2, 1, 4, 2, 1, 1"
              left="5" top="2" width="4" height="3" z_order="0"/>
      </image></annotations>"""
    (tmp_path / "m.xml").write_text(xml)
    row = from_cvat(tmp_path / "m.xml").labels.to_pylist()[0]
    pixels = np.zeros((8, 12), np.uint8)
    pixels[2:5, 5:9] = [[0, 1, 1, 0], [1, 1, 1, 1], [0, 0, 1, 0]]
    expected = mask_api.encode(np.asfortranarray(pixels))
    assert row["shape"] == "mask" and row["mask"]["counts"] == expected["counts"].decode()
    assert [row["x"], row["y"], row["width"], row["height"]] == mask_api.toBbox(expected).tolist()
    assert json.loads(row["attributes"]) == {"source": "manual", "occluded": False, "z_order": 0}
    (tmp_path / "bad.xml").write_text(xml.replace('rle="1, 2, 1, 4, 2, 1, 1"', 'rle="1, 2"'))
    with pytest.raises(InputError, match=r"rle covers 3 pixels, not its 4 x 3 box") as caught:
        from_cvat(tmp_path / "bad.xml")
    assert caught.value.record == "image 1, <mask> 1"
    (tmp_path / "out.xml").write_text(xml.replace('left="5"', 'left="10"'))
    with pytest.raises(InputError, match=r"leaves the 12 x 8 image"):
        from_cvat(tmp_path / "out.xml")


SKELETONS = """<annotations><version>1.1</version>
  <meta><task><labels>
    <label><name>person</name><type>skeleton</type></label>
    <label><name>head</name><type>points</type><parent>person</parent></label>
    <label><name>hand</name><type>points</type><parent>person</parent></label>
    <label><name>foot</name><type>points</type><parent>person</parent></label>
  </labels></task></meta>
  <image id="0" name="p.png" width="40" height="30">
    <skeleton label="person" source="manual" z_order="0">
      <points label="foot" occluded="0" outside="0" points="12,28"/>
      <points label="head" occluded="0" outside="0" points="10,2.5"/>
      <points label="hand" occluded="1" outside="0" points="20,14"/>
    </skeleton>
    <skeleton label="person" source="manual" z_order="0">
      <points label="head" occluded="0" outside="0" points="30,5"/>
      <points label="hand" occluded="0" outside="1" points="0,0"/>
    </skeleton>
  </image></annotations>"""


def test_cvat_skeletons_are_keypoints_in_the_classs_order(tmp_path: Path) -> None:
    path = tmp_path / "s.xml"
    path.write_text(SKELETONS)
    dataset = from_cvat(path)
    first, second = dataset.labels.to_pylist()
    # meta's order: head, hand, foot; v 2 visible, 1 occluded, 0 outside or absent.
    assert first["keypoints"] == [10, 2.5, 2, 20, 14, 1, 12, 28, 2]
    assert second["keypoints"] == [30, 5, 2, 0, 0, 0, 0, 0, 0]
    assert first["shape"] == "keypoints"
    assert (first["x"], first["y"], first["width"], first["height"]) == (10, 2.5, 10, 25.5)
    assert keypoint_schemas(dataset)["person"].names == ("head", "hand", "foot")
    # Without the meta: the first skeleton's order; a point the class lacks is named.
    path.write_text(SKELETONS.replace("<parent>person</parent>", ""))
    assert keypoint_schemas(from_cvat(path))["person"].names == ("foot", "head", "hand")
    path.write_text(SKELETONS.replace('label="hand" occluded="0"', 'label="tail" occluded="0"'))
    with pytest.raises(InputError, match="skeleton point 'tail' is not a keypoint of 'person'"):
        from_cvat(path)
