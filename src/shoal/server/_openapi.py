"""The REST API's OpenAPI schema as a stable text, which the web app's types are made from.

``python -m shoal.server._openapi web/openapi.json`` writes it (``make web-types`` does,
then generates ``web/src/api/schema.ts`` from it); ``--check`` only says whether the
file is current. The text is the same for the same routes and models: sorted keys, two
spaces, a final newline, and no version number (a release would otherwise make the
committed schema stale without any change of shape).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["schema", "schema_text"]

REGENERATE = "make web-types"


def schema() -> dict[str, Any]:
    """The application's OpenAPI schema, built over an empty store in a scratch folder."""
    from shoal.server._app import create_app

    with tempfile.TemporaryDirectory(prefix="shoal-openapi-") as home:
        document: dict[str, Any] = create_app(home).openapi()
    info = dict(document.get("info", {}))
    info.pop("version", None)
    return {**document, "info": info}


def schema_text() -> str:
    return json.dumps(schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shoal.server._openapi",
        description="Write the REST API's OpenAPI schema (what the web app's types come from).",
    )
    parser.add_argument("path", type=Path, help="where the schema goes, e.g. web/openapi.json")
    parser.add_argument(
        "--check", action="store_true", help="only check that PATH is current (exit 1 if not)"
    )
    args = parser.parse_args(argv)
    text = schema_text()
    if args.check:
        current = args.path.read_text(encoding="utf-8") if args.path.exists() else None
        if current != text:
            print(f"{args.path} is stale: run `{REGENERATE}`", file=sys.stderr)
            return 1
        return 0
    args.path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
