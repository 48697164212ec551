"""``shoal serve``: the REST API (and its docs at /docs) on one store."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from shoal.cli._arguments import non_negative_int, tcp_port
from shoal.cli._projects import home_option
from shoal.errors import InputError

__all__ = ["main", "register", "run"]

KEYS_ENV = "SHOAL_API_KEYS"
MEGABYTE = 1024 * 1024
# Upload limits in MB: at least a kilobyte (a chunk's JSON), at most a terabyte.
SMALLEST_LIMIT_MB = 0.001
LARGEST_LIMIT_MB = 1024 * 1024


def megabytes(text: str) -> float:
    """An upload limit in MB (fractions allowed) that is a whole number of bytes from 1 KB
    to 1 TB."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not SMALLEST_LIMIT_MB <= value <= LARGEST_LIMIT_MB:  # NaN and infinity fail too
        raise argparse.ArgumentTypeError(
            f"{text} is not between {SMALLEST_LIMIT_MB:g} (1 KB) and {LARGEST_LIMIT_MB} (1 TB) MB"
        )
    return value


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "serve",
        help="serve the REST API on a store",
        description=(
            "Serve Shoal's REST API (OpenAPI at /openapi.json, docs at /docs). On a loopback "
            "address no key is needed; on any other address API keys are required "
            f"(--api-keys-file, or ${KEYS_ENV}). Without keys, only requests addressed "
            "(Host header) to localhost, 127.x.y.z, [::1] or --host are answered, so a web "
            "page cannot reach the API through a visitor's browser (DNS rebinding)."
        ),
    )
    _add_arguments(parser)
    parser.set_defaults(run=run)


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    home_option(parser)
    parser.add_argument("--host", default="127.0.0.1", help="default: %(default)s")
    parser.add_argument("--port", type=tcp_port, default=8000, help="default: %(default)s")
    parser.add_argument(
        "--api-keys-file",
        type=Path,
        default=None,
        help="lines of '<key> read-only' or '<key> read-write'",
    )
    parser.add_argument(
        "--preload",
        type=non_negative_int,
        default=4,
        metavar="N",
        help=(
            "load the evaluations of the N most recently written inference sets in the "
            "background at start-up, so the first page opens fast (default: %(default)s; 0: none)"
        ),
    )
    parser.add_argument(
        "--max-upload-mb",
        type=megabytes,
        default=256,
        metavar="MB",
        help="largest request body in MB (default: %(default)s)",
    )
    parser.add_argument(
        "--max-upload-total-mb",
        type=megabytes,
        default=2048,
        metavar="MB",
        help="largest total of one upload's chunks in MB (default: %(default)s)",
    )
    parser.add_argument(
        "--thumbnail-cache-mb",
        type=megabytes,
        default=256,
        metavar="MB",
        help="most disk the thumbnail cache may use, least recently used removed first "
        "(default: %(default)s)",
    )


def arguments(**given: Any) -> argparse.Namespace:
    """``shoal serve``'s arguments at their defaults, with ``given`` in their place (for
    commands that serve too, such as ``shoal demo --serve``)."""
    parser = argparse.ArgumentParser(prog="shoal serve")
    _add_arguments(parser)
    args = parser.parse_args([])
    for name, value in given.items():
        if not hasattr(args, name):
            raise TypeError(f"shoal serve has no argument {name!r}")
        setattr(args, name, value)
    return args


def load_keys(path: Path | None) -> dict[str, Any]:
    """Keys from the file, else from ``$SHOAL_API_KEYS`` (entries separated by commas or
    newlines), else none."""
    from shoal.server import parse_api_keys

    if path is not None:
        return parse_api_keys(path.read_text(encoding="utf-8").splitlines(), source=str(path))
    value = os.environ.get(KEYS_ENV, "")
    if value.strip():
        return parse_api_keys(value.replace(",", "\n").splitlines(), source=f"${KEYS_ENV}")
    return {}


def run(args: argparse.Namespace) -> int:
    from shoal.server import create_app, is_loopback

    keys = load_keys(args.api_keys_file)
    if not is_loopback(args.host) and not keys:
        print(
            f"shoal: error: refusing to serve on {args.host} without API keys; "
            f"pass --api-keys-file FILE or set {KEYS_ENV} (or bind to 127.0.0.1)",
            file=sys.stderr,
        )
        return 2
    _check_port_free(args.host, args.port)
    import uvicorn

    from shoal.server._http import MAX_REQUEST_HEAD_BYTES, HttpProtocol
    from shoal.server._logging import log_config
    from shoal.server._webapp import WEBAPP_DIR
    from shoal.store import Store, holds_store

    # Serving may create the store (clients can import into it), but say so: a new,
    # empty store is more often a mistyped --home than a wish.
    new = not holds_store(args.home)
    store = Store(args.home)
    app = create_app(
        store,
        api_keys=keys or None,
        max_upload_bytes=int(args.max_upload_mb * MEGABYTE),
        max_upload_total_bytes=int(args.max_upload_total_mb * MEGABYTE),
        preload=args.preload,
        hosts=[args.host],
        thumbnail_cache_bytes=int(args.thumbnail_cache_mb * MEGABYTE),
    )
    access = f"{len(keys)} API key{'s' if len(keys) != 1 else ''}" if keys else "no API keys"
    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{host}:{args.port}/"
    what = f"a new, empty store at {store.home.path}" if new else str(store.home.path)
    print(f"shoal: serving {what} ({access})", file=sys.stderr)
    if (WEBAPP_DIR / "index.html").is_file():
        print(f"shoal: open the web app at {url} (API docs at {url}docs)", file=sys.stderr)
    else:
        print(
            f"shoal: the REST API is at {url}api/v1 (docs at {url}docs); the web app is not "
            "built in this installation (`make demo` builds it)",
            file=sys.stderr,
        )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=log_config(),
        http=HttpProtocol,
        h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES,
    )
    return 0


def _check_port_free(host: str, port: int) -> None:
    """A clear error now rather than uvicorn's after the store has opened."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise InputError(
                f"cannot listen on {host}:{port}: {error.strerror or error} "
                "(is another server running? pass --port)"
            ) from None


def main(argv: list[str] | None = None) -> int:
    """``python -m shoal.cli._serve``: ``shoal serve`` on its own (the same parser and the
    same one-line errors)."""
    from shoal.cli import main as shoal_main

    return shoal_main(["serve", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
