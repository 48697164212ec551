"""Labelbox NDJSON predictions (the model-run prediction import payload) to Shoal's tables.

One JSON object a line (blank lines skipped), as in Labelbox's "upload image
predictions" payloads:

* bounding box: ``{"uuid": "...", "dataRow": {"globalKey": "img.jpg"}, "name": "cat",
  "confidence": 0.9, "bbox": {"top": 30, "left": 12, "height": 170, "width": 80}}``:
  class = the tool ``name``, box ``x = left, y = top``;
* radio classification: ``{"dataRow": {"id": "ck..."}, "name": "species", "answer":
  {"name": "cat", "confidence": 0.5}}``: class = the answer's ``name`` (the question
  ``name`` is not a class), a frame-level prediction without a box.

``dataRow`` has ``id`` or ``globalKey``: it names a frame of ``dataset`` by
``frame_id``, else by ``image_uri``. A missing confidence is 1.0 (Labelbox's rule).
``prediction_id`` = ``uuid`` when present, else the line number. Nested
``classifications`` are not read; checklist answers (a list), free text, polygons,
masks, points and lines are errors naming the line.
"""

from __future__ import annotations

import os
from typing import Any

import orjson

from shoal.errors import InputError
from shoal.formats._rows import (
    PathLike,
    PredictionRows,
    build_inferences,
    describe,
    parse_number,
    read_text,
)
from shoal.tables import DatasetTables, InferenceTables

__all__ = ["from_labelbox"]


def _frame_lookup(dataset: DatasetTables) -> dict[str, str]:
    frames = dataset.frames
    ids = frames.column("frame_id").to_pylist()
    lookup = {
        uri: frame_id
        for frame_id, uri in zip(ids, frames.column("image_uri").to_pylist(), strict=True)
        if uri
    }
    lookup.update({frame_id: frame_id for frame_id in ids})
    return lookup


def _confidence(holder: dict[str, Any], source: str, record: str) -> float:
    value = holder.get("confidence")
    return 1.0 if value is None else parse_number(value, "confidence", source, record)


def from_labelbox(path: PathLike, dataset: DatasetTables) -> InferenceTables:
    """Labelbox NDJSON predictions on ``dataset``'s frames; layout in the module doc."""
    source = os.fspath(path)
    frame_of = _frame_lookup(dataset)
    predictions = PredictionRows()
    for number, line in enumerate(read_text(source).splitlines(), 1):
        if not line.strip():
            continue
        record = f"line {number}"
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raise InputError(
                f"is not valid JSON ({error.msg})", source=source, record=record
            ) from None
        if not isinstance(item, dict):
            raise InputError(
                f"is {describe(item)}, expected an object", source=source, record=record
            )
        data_row = item.get("dataRow")
        key = data_row.get("id", data_row.get("globalKey")) if isinstance(data_row, dict) else None
        if not isinstance(key, str):
            raise InputError(
                f'dataRow is {describe(data_row)}, expected {{"id": ...}} or {{"globalKey": ...}}',
                source=source,
                record=record,
            )
        if key not in frame_of:
            raise InputError(
                f"data row {key!r} is not a frame of the dataset", source=source, record=record
            )
        uuid = item.get("uuid")
        prediction_id = uuid if isinstance(uuid, str) and uuid else str(number)
        name = item.get("name")
        if "bbox" in item:
            bbox = item["bbox"]
            if not isinstance(bbox, dict):
                raise InputError(f"bbox is {describe(bbox)}", source=source, record=record)
            left, top, width, height = (
                parse_number(bbox.get(k), f"bbox {k}", source, record)
                for k in ("left", "top", "width", "height")
            )
            if not isinstance(name, str) or not name:
                raise InputError(
                    f"name is {describe(name)}, expected the class", source=source, record=record
                )
            predictions.add(
                prediction_id,
                frame_of[key],
                name,
                (left, top, width, height),
                _confidence(item, source, record),
                source=source,
                record=record,
            )
        elif "answer" in item:
            answer = item["answer"]
            if not isinstance(answer, dict):
                kind = "a checklist (several answers)" if isinstance(answer, list) else "free text"
                raise InputError(
                    f"answer is {kind}; only radio (single-choice) answers are read",
                    source=source,
                    record=record,
                )
            class_name = answer.get("name")
            if not isinstance(class_name, str) or not class_name:
                raise InputError(
                    f"answer name is {describe(class_name)}", source=source, record=record
                )
            confidence = (
                _confidence(answer, source, record)
                if "confidence" in answer
                else _confidence(item, source, record)
            )
            predictions.add(
                prediction_id,
                frame_of[key],
                class_name,
                None,
                confidence,
                source=source,
                record=record,
            )
        else:
            shapes = [k for k in ("polygon", "mask", "point", "line", "location") if k in item]
            what = f"a {shapes[0]} prediction" if shapes else "neither a bbox nor an answer"
            raise InputError(
                f"is {what}; Shoal reads bounding boxes and radio classifications",
                source=source,
                record=record,
            )
    return build_inferences(predictions, source=source, dataset=dataset)
