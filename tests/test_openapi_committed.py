"""web/openapi.json, which the web app's TypeScript types are generated from, is the
server's schema as it is now (`make web-types` rewrites both)."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest

from shoal.server._openapi import main, schema_text

COMMITTED = Path(__file__).resolve().parents[1] / "web" / "openapi.json"


def test_the_committed_schema_is_the_live_apps() -> None:
    committed = COMMITTED.read_text(encoding="utf-8")
    live = schema_text()
    if committed != live:
        changes = difflib.unified_diff(
            committed.splitlines(), live.splitlines(), "web/openapi.json", "the app", n=1
        )
        shown = "\n".join(list(changes)[:40])
        pytest.fail(f"web/openapi.json is stale: run `make web-types`\n{shown}")


def test_the_schema_text_is_stable_sorted_and_without_a_version() -> None:
    text = schema_text()
    assert text == schema_text()
    document = json.loads(text)
    assert text == json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert "version" not in document["info"] and document["info"]["title"] == "Shoal"
    schemas = document["components"]["schemas"]
    # What the web app reads: the report's records, the comparison's cells.
    assert {"ReportOut", "ClassRow", "MetricsOut", "ComparisonOut", "CellOut"} <= set(schemas)
    assert schemas["ReportOut"]["properties"]["classes"]["items"]["$ref"].endswith("/ClassRow")


def test_check_tells_a_stale_file_and_how_to_regenerate_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "openapi.json"
    assert main([str(target), "--check"]) == 1  # missing
    target.write_text("{}\n", encoding="utf-8")
    assert main([str(target), "--check"]) == 1
    assert "is stale: run `make web-types`" in capsys.readouterr().err
    assert main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == schema_text()
    assert main([str(target), "--check"]) == 0
