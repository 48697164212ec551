"""Pascal VOC and CVAT XML: round trips and bad input named by file and element."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shoal.errors import InputError
from shoal.formats.cvat import from_cvat
from shoal.formats.voc import as_voc, from_voc

VOC = """<annotation>
  <filename>{name}.jpg</filename>
  <size><width>200</width><height>100</height><depth>3</depth></size>
  <object><name>cat</name><pose>Left</pose><truncated>1</truncated><difficult>0</difficult>
    <bndbox><xmin>10</xmin><ymin>20</ymin><xmax>50.5</xmax><ymax>60</ymax></bndbox></object>
  <object><name>dog</name><difficult>1</difficult>
    <bndbox><xmin>0</xmin><ymin>0</ymin><xmax>5</xmax><ymax>5</ymax></bndbox></object>
</annotation>"""


def _voc_folder(tmp_path: Path, text: str = VOC) -> Path:
    folder = tmp_path / "Annotations"
    folder.mkdir()
    for name in ("a", "b"):
        (folder / f"{name}.xml").write_text(text.format(name=name))
    return tmp_path


def test_voc_reads_boxes_difficult_and_attributes(tmp_path: Path) -> None:
    dataset = from_voc(_voc_folder(tmp_path))
    assert dataset.frames.to_pylist()[0] == {
        "frame_id": "a", "image_uri": "a.jpg", "width": 200, "height": 100
    }  # fmt: skip
    cat, dog = dataset.labels.to_pylist()[:2]
    assert (cat["x"], cat["y"], cat["width"], cat["height"]) == (10, 20, 40.5, 40)
    assert json.loads(cat["attributes"]) == {"pose": "Left", "truncated": 1}
    assert not cat["ignore"] and dog["ignore"]
    assert cat["label_id"] == "a:1"


def test_voc_round_trip(tmp_path: Path) -> None:
    dataset = from_voc(_voc_folder(tmp_path))
    as_voc(dataset, tmp_path / "out")
    again = from_voc(tmp_path / "out")
    assert again.frames.equals(dataset.frames)
    assert again.labels.equals(dataset.labels)


@pytest.mark.parametrize(
    ("old", "new", "record", "message"),
    [
        ("<xmax>5</xmax>", "<xmax>-5</xmax>", "object 2", "xmax < xmin"),
        ("<xmax>5</xmax>", "", "object 2", "<bndbox> has no <xmax>"),
        ("<ymin>0</ymin>", "<ymin>NaN</ymin>", "object 2", "not a finite number"),
        ("<difficult>1</difficult>", "<difficult>maybe</difficult>", "object 2", "expected 0 or 1"),
        ("<width>200</width>", "<width>-200</width>", "size", "not a positive"),
        ("<name>dog</name>", "", "object 2", "<object> has no <name>"),
    ],
)
def test_voc_bad_input_names_file_and_object(
    tmp_path: Path, old: str, new: str, record: str, message: str
) -> None:
    folder = _voc_folder(tmp_path, VOC.replace(old, new))
    with pytest.raises(InputError) as error:
        from_voc(folder)
    assert error.value.source == str(folder / "Annotations" / "a.xml")
    assert error.value.record == record
    assert message in error.value.message


def test_truncated_xml_names_the_line(tmp_path: Path) -> None:
    folder = _voc_folder(tmp_path, VOC[:200])
    with pytest.raises(InputError) as error:
        from_voc(folder)
    assert str(error.value).startswith(str(folder / "Annotations" / "a.xml") + ": record line ")
    assert "not well-formed XML" in error.value.message


CVAT = """<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <image id="0" name="train/a.jpg" width="200" height="100">
    <box label="cat" occluded="1" source="manual" xtl="10" ytl="20" xbr="50.5" ybr="60" z_order="0">
      <attribute name="color">black</attribute>
    </box>
    <tag label="indoor" source="manual"/>
  </image>
  <image id="1" name="train/b.jpg" width="200" height="100">
    <ellipse label="cat" cx="10" cy="10" rx="4" ry="3" occluded="0"/>
  </image>
</annotations>"""


def test_cvat_reads_boxes_tags_and_attributes(tmp_path: Path) -> None:
    path = tmp_path / "annotations.xml"
    path.write_text(CVAT)
    with pytest.raises(InputError) as error:
        from_cvat(path)
    assert error.value.record == "image 2, <ellipse> 1"
    dataset = from_cvat(path, other_shapes="skip")
    assert dataset.frames.column("frame_id").to_pylist() == ["train/a", "train/b"]
    box, tag = dataset.labels.to_pylist()
    assert (box["x"], box["y"], box["width"], box["height"]) == (10, 20, 40.5, 40)
    assert json.loads(box["attributes"]) == {
        "occluded": True, "source": "manual", "z_order": 0, "color": "black"
    }  # fmt: skip
    assert tag["class_name"] == "indoor" and tag["x"] is None


@pytest.mark.parametrize(
    ("old", "new", "record", "message"),
    [
        ('xbr="50.5"', 'xbr="5"', "image 1, <box> 1", "xbr < xtl"),
        ('xbr="50.5"', 'xbr="inf"', "image 1, <box> 1", "not a finite number"),
        ('ytl="20"', "", "image 1, <box> 1", "<box> has no ytl"),
        (
            'width="200" height="100">\n    <box',
            'width="nan" height="100">\n    <box',
            "image 1",
            "not a finite number",
        ),
        ('name="train/b.jpg"', 'name="train/a.jpg"', "image 2", "duplicate frame id 'train/a'"),
        ('z_order="0"', 'z_order="0" rotation="30"', "image 1, <box> 1", "rotated"),
    ],
)
def test_cvat_bad_input_names_file_and_element(
    tmp_path: Path, old: str, new: str, record: str, message: str
) -> None:
    path = tmp_path / "annotations.xml"
    assert old in CVAT
    path.write_text(CVAT.replace(old, new, 1))
    with pytest.raises(InputError) as error:
        from_cvat(path, other_shapes="skip")
    assert error.value.source == str(path)
    assert error.value.record == record
    assert message in error.value.message


def test_cvat_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "annotations.xml"
    path.write_text(CVAT[:300])
    with pytest.raises(InputError, match="not well-formed XML"):
        from_cvat(path)
