"""Schemathesis over the whole OpenAPI schema: no 5xx, no answer that breaks the schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

import shoal

pytest.importorskip("fastapi")
schemathesis = pytest.importorskip("schemathesis")


def _app() -> Any:
    import tempfile

    import pyarrow as pa

    home = Path(tempfile.mkdtemp(prefix="shoal-schema-"))
    store = shoal.Store(home)
    project = store.create_project("p", classes=["cat", "dog"])
    frames = pa.table(
        {
            "frame_id": ["f0", "f1", "f2"],
            "image_uri": ["a.png", None, "https://x.test/b.png"],
            "weather": ["sun", "rain", "sun"],
        }
    )
    labels = pa.table({
        "label_id": ["l0", "l1", "l2"], "frame_id": ["f0", "f1", "f2"], "class_name": ["cat", "dog", "cat"],
        "x": [1.0, 2.0, 3.0], "y": [1.0, 2.0, 3.0], "width": [5.0, 5.0, 5.0], "height": [5.0, 5.0, 5.0],
    })  # fmt: skip
    dataset = project.create_dataset(
        "d", shoal.DatasetTables.build(frames, labels), image_root=home
    )
    predictions = pa.table({
        "frame_id": ["f0", "f1", "f2"], "class_name": ["cat", "cat", "dog"], "x": [1.0, 2.0, 3.0],
        "y": [1.0, 2.0, 3.0], "width": [5.0, 4.0, 5.0], "height": [5.0, 5.0, 5.0], "confidence": [0.9, 0.5, 0.2],
    })  # fmt: skip
    dataset.create_inference_set("m", shoal.InferenceTables.build(predictions))
    dataset.create_inference_set("n", shoal.InferenceTables.build(predictions))
    dataset.create_segment("s", frames=["f0", "f1"], precision=0.5)
    project.create_issue("i")
    from shoal.server import create_app

    return create_app(store, max_upload_bytes=1 << 20)


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_api_keeps_its_schema(case: Any) -> None:
    call_and_check(case)


def call_and_check(case: Any) -> None:
    """Call the app with ``case``: no 500, and the status code, content type and body
    the schema documents."""
    from schemathesis.checks import (
        content_type_conformance,
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    )

    case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ]
    )


REAL_NAMES = {
    "project": "p",
    "dataset": "d",
    "inference_set": "m",
    "segment": "s",
    "issue": "i",
    "frame_id": "f0",
}


@schema.include(method="GET").parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_reads_of_real_names_keep_the_schema(case: Any) -> None:
    """The same checks with the path naming what exists, so generated query parameters
    (conf, iou, filters, pages) reach the evaluations."""
    for name in list(case.path_parameters or {}):
        if name in REAL_NAMES:
            case.path_parameters[name] = REAL_NAMES[name]
    call_and_check(case)
