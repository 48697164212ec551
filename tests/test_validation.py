"""One rule for incoming rows, whatever door they come in by: the SDK builders, the
column input, the format readers, the tables and the server's uploads refuse the same
boxes, and type metadata by the same policy."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import shoal
from shoal.errors import InputError
from shoal.tables import DatasetTables

BAD_BOXES = [
    ((1.0, 2.0, -3.0, 4.0), "negative width or height"),
    ((1.0, 2.0, 3.0, -0.5), "negative width or height"),
    ((math.nan, 2.0, 3.0, 4.0), "not 4 finite numbers"),
    ((1.0, math.inf, 3.0, 4.0), "not 4 finite numbers"),
]


@pytest.mark.parametrize(("box", "problem"), BAD_BOXES)
def test_every_door_refuses_the_same_boxes(box, problem, tmp_path: Path) -> None:
    x, y, w, h = box
    frames = {"frame_id": ["f"]}
    labels = {"label_id": ["l"], "frame_id": ["f"], "class_name": ["cat"],
              "x": [x], "y": [y], "width": [w], "height": [h]}  # fmt: skip
    # Columns (NaN is pandas' missing there: a NaN box is a partial box, refused too).
    with pytest.raises(InputError):
        shoal.LabeledDataset.from_columns(frames=frames, labels=labels)
    # Tables.
    with pytest.raises(InputError, match="box"):
        DatasetTables.build(pa.table(frames), pa.table(labels))
    # The frame builder names the field.
    frame = shoal.LabeledFrame(frame_id="f")
    with pytest.raises(InputError, match=r"is not finite|is negative"):
        frame.add_label_2d_bbox(
            label_id="l", classification="cat", left=x, top=y, width=w, height=h
        )
    # Files: a COCO annotation and a text-labels row.
    if all(math.isfinite(v) for v in box):
        document = {
            "images": [{"id": 1}],
            "categories": [{"id": 1, "name": "cat"}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": list(box)}],
        }
        with pytest.raises(InputError, match=problem) as caught:
            shoal.from_coco(document)
        assert caught.value.record == "annotations[0]"
        with pytest.raises(InputError, match=problem):
            shoal.read_coco_ground_truth(document)
        folder = tmp_path / "labels"
        folder.mkdir()
        (folder / "f.txt").write_text(f"cat {x} {y} {w} {h}\n")
        with pytest.raises(InputError, match=problem) as caught:
            shoal.from_text_labels(folder)
        assert caught.value.record == "line 1"


def _coco_with_image_values(values: list[Any]) -> dict[str, Any]:
    return {
        "images": [{"id": i, "weather": v} for i, v in enumerate(values)],
        "categories": [{"id": 1, "name": "cat"}],
    }


def test_file_metadata_keeps_one_type_and_widens_ints_to_float() -> None:
    frames = shoal.from_coco(_coco_with_image_values([1, 2.5, None])).frames
    assert frames.schema.field("weather").type == pa.float64()
    assert frames.column("weather").to_pylist() == [1.0, 2.5, None]
    nested = shoal.from_coco(_coco_with_image_values([{"rain": 1}, None])).frames
    assert nested.column("weather").to_pylist() == ['{"rain":1}', None]
    with pytest.raises(InputError) as caught:
        shoal.from_coco(_coco_with_image_values(["rain", 3]))
    assert caught.value.record == "frame '1'"
    assert "metadata 'weather' is int, but it is str at frame '0'" in caught.value.message


def test_builders_keep_one_type_per_key_as_files_do() -> None:
    dataset = shoal.LabeledDataset()
    first = shoal.LabeledFrame(frame_id="0")
    first.add_user_metadata("weather", "rain")
    dataset.add_frame(first)
    second = shoal.LabeledFrame(frame_id="1")
    second.add_user_metadata("weather", 3)
    with pytest.raises(InputError, match="metadata 'weather' is int, but it is str"):
        dataset.add_frame(second)


def test_server_uploads_type_metadata_by_the_same_policy(tmp_path: Path) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from shoal.server import create_app

    client = TestClient(create_app(tmp_path / "home"), base_url="http://localhost")
    api = "/api/v1"
    assert client.post(f"{api}/projects", json={"name": "p", "task": "detection"}).status_code < 300

    def commit(weather: list[Any]) -> Any:
        upload_id = client.post(f"{api}/uploads").json()["upload_id"]
        frames = [{"frame_id": str(i), "weather": w} for i, w in enumerate(weather)]
        put = client.put(f"{api}/uploads/{upload_id}/chunks/0", json={"frames": frames})
        assert put.status_code == 200, put.text
        body = {"kind": "dataset", "project": "p", "name": "d", "replace": True}
        return client.post(f"{api}/uploads/{upload_id}/commit", json=body)

    assert commit([1, 2.5]).status_code == 201
    stored = shoal.Store(tmp_path / "home").project("p").dataset("d").frames()
    assert stored.column("weather").to_pylist() == [1.0, 2.5]
    refused = commit(["rain", 3])
    assert refused.status_code == 400
    assert "metadata 'weather' is int, but it is str" in json.dumps(refused.json())


def test_messages_show_plain_values_not_numpy_reprs() -> None:
    import numpy as np

    frame = shoal.LabeledFrame(frame_id="f")
    with pytest.raises(InputError) as caught:
        frame.add_image(width=np.str_("640"), height=480)
    assert "np.str_" not in str(caught.value) and "'640'" in str(caught.value)
    with pytest.raises(InputError) as caught:
        frame.add_label_2d_bbox(label_id="l", classification="cat", left=np.str_("1"),
                                top=0, width=1, height=1)  # fmt: skip
    assert "np.str_" not in str(caught.value)
    gt = shoal.read_coco_ground_truth(
        {"images": [{"id": "a"}], "categories": [{"id": 1, "name": "cat"}]}
    )
    with pytest.raises(InputError) as caught:
        shoal.read_coco_results([{"image_id": "b", "category_id": 1, "bbox": [0, 0, 1, 1]}], gt)
    assert str(caught.value) == 'record 0: image_id "b" is not in the ground truth'


def test_shoal_import_applies_the_same_rules(tmp_path: Path, capsys: Any) -> None:
    from shoal.cli import main

    path = tmp_path / "gt.json"
    path.write_text(json.dumps(_coco_with_image_values(["rain", 3])))
    home = str(tmp_path / "home")
    assert main(["import", "coco", str(path), "--project", "p", "--home", home]) == 2
    err = capsys.readouterr().err
    assert f"{path}: record frame '1': metadata 'weather' is int, but it is str" in err
    document = _coco_with_image_values([1, 2])
    document["annotations"] = [{"id": 1, "image_id": 0, "category_id": 1, "bbox": [0, 0, -1, 1]}]
    path.write_text(json.dumps(document))
    assert main(["import", "coco", str(path), "--project", "p", "--home", home]) == 2
    err = capsys.readouterr().err
    assert f"{path}: record annotations[0]: bbox [0.0, 0.0, -1.0, 1.0] has a negative" in err


def test_every_frame_column_is_a_reserved_metadata_name() -> None:
    from shoal.formats._validation import RESERVED_METADATA_KEYS
    from shoal.tables import FRAME_COLUMNS

    assert set(FRAME_COLUMNS.names) <= RESERVED_METADATA_KEYS
