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

    # schemathesis addresses an ASGI app as "testserver": name it, as shoal serve names its --host
    return create_app(store, max_upload_bytes=1 << 20, hosts=["testserver"])


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


# --------------------------------------------- the schema states the store's rules exactly
NAME_SAMPLES = [
    "a", ".", "..", "...", ".a", "a.", " a", "a ", "a b", "a/b", "a\\b", "a\x00b", "a\x85b",
    "\u00a0a", "a\u3000", "ü", "All Frames", "x" * 200, "x" * 201, "", "\t", "a\nb", "🙂",
]  # fmt: skip


def _store_accepts(check: Any, name: str) -> bool:
    try:
        check(name)
    except shoal.InputError:
        return False
    return True


def _schema_accepts(pattern: str, name: str) -> bool:
    import re

    return 1 <= len(name) <= 200 and re.fullmatch(pattern, name) is not None


@pytest.mark.parametrize("name", NAME_SAMPLES)
def test_the_schemas_name_rules_are_the_stores(name: str) -> None:
    from shoal.server._models import CLASS_NAME_PATTERN, NAME_PATTERN
    from shoal.store import check_class_name, check_name

    assert _schema_accepts(NAME_PATTERN, name) == _store_accepts(
        lambda n: check_name(n, "project"), name
    )
    assert _schema_accepts(CLASS_NAME_PATTERN, name) == _store_accepts(check_class_name, name)


def test_the_schemas_name_rules_are_the_stores_for_any_text() -> None:
    from hypothesis import given
    from hypothesis import strategies as st

    from shoal.server._models import CLASS_NAME_PATTERN, NAME_PATTERN
    from shoal.store import check_class_name, check_name

    @given(st.text(max_size=8) | st.text(min_size=195, max_size=205))
    @settings(max_examples=400, deadline=None, database=None)
    def agree(name: str) -> None:
        assert _schema_accepts(NAME_PATTERN, name) == _store_accepts(
            lambda n: check_name(n, "project"), name
        ), name
        assert _schema_accepts(CLASS_NAME_PATTERN, name) == _store_accepts(check_class_name, name)

    agree()


def test_the_schemas_limits_are_the_stores() -> None:
    from shoal.server._models import MAX_NAME_LENGTH, MAX_QUERY_LENGTH
    from shoal.store._names import MAX_NAME_LENGTH as STORE_NAME_LENGTH
    from shoal.store._query import MAX_LENGTH as STORE_QUERY_LENGTH

    assert (MAX_NAME_LENGTH, MAX_QUERY_LENGTH) == (STORE_NAME_LENGTH, STORE_QUERY_LENGTH)
