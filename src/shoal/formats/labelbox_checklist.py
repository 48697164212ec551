"""Labelbox checklist answers (NDJSON) as multi-label predictions.

A checklist question lets a model (or a labeler) pick several answers for a data row, so
it is a multi-label classification. Labelbox's model-run prediction import payload puts
one question of one data row on a line::

    {"uuid": "9f..", "dataRow": {"globalKey": "img_001.jpg"}, "name": "contents",
     "answer": [{"name": "cat", "confidence": 0.91}, {"name": "dog", "confidence": 0.4}]}

Each answer is one prediction row of a multi-label project: class = the answer's
``name``, ``confidence`` = its confidence (the line's when the answer has none, 1.0 when
neither has one: Labelbox's rule), ``prediction_id`` = ``<uuid or line number>/<class>``.
Classes a line does not list score 0. ``dataRow`` (``id`` or ``globalKey``) names a frame
of the dataset by ``frame_id``, else by ``image_uri`` (as :mod:`shoal.formats.labelbox`).
With ``question``, only lines of that question are read (the others are skipped); a line
that is not a checklist answer (a box, a radio or text answer) is an error naming the
line, as is a class answered twice for one frame.
"""

from __future__ import annotations

import os

from shoal.errors import InputError
from shoal.formats._rows import PathLike, PredictionRows, describe
from shoal.formats.labelbox import _confidence, _frame_lookup, data_row_frame, ndjson_records
from shoal.tables import DatasetTables, InferenceTables

__all__ = ["from_labelbox_checklist"]


def from_labelbox_checklist(
    path: PathLike, dataset: DatasetTables, *, question: str | None = None
) -> InferenceTables:
    """Labelbox NDJSON checklist answers on ``dataset``'s frames; layout in the module
    doc."""
    source = os.fspath(path)
    frame_of = _frame_lookup(dataset)
    predictions = PredictionRows()
    seen: dict[tuple[str, str], str] = {}
    for number, record, item in ndjson_records(source):
        if question is not None and item.get("name") != question:
            continue
        frame_id = data_row_frame(item, frame_of, source, record)
        answers = item.get("answer")
        if not isinstance(answers, list):
            raise InputError(
                f"answer is {describe(answers)}, expected a checklist (a list of answers)",
                source=source,
                record=record,
            )
        uuid = item.get("uuid")
        base = uuid if isinstance(uuid, str) and uuid else str(number)
        for answer in answers:
            name = answer.get("name") if isinstance(answer, dict) else None
            if not isinstance(name, str) or not name:
                raise InputError(
                    f'checklist answer is {describe(answer)}, expected {{"name": ...}}',
                    source=source,
                    record=record,
                )
            if (frame_id, name) in seen:
                raise InputError(
                    f"frame {frame_id!r} has answer {name!r} twice (first at "
                    f"{seen[frame_id, name]})",
                    source=source,
                    record=record,
                )
            seen[frame_id, name] = record
            holder = answer if "confidence" in answer else item
            confidence = _confidence(holder, source, record)
            predictions.add(
                f"{base}/{name}", frame_id, name, None, confidence, source=source, record=record
            )
    return InferenceTables.build(
        predictions.table(), frame_ids=dataset.frames.column("frame_id"), source=source
    )
