"""``shoal doctor``: check a home for damage and repair what can be repaired.

One line per problem, naming the file and what it belongs to; the last line says
whether the store is healthy. Exit 0 when it is (leftovers of interrupted writes and
repaired damage do not count), 1 when damage remains, 2 on bad input (no store there).
The checks and repairs are ``shoal.store.examine``'s.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from shoal.cli._projects import home_option
from shoal.errors import NotFoundError


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "doctor",
        help="check the store for damaged files (exit 1 if damage remains)",
        description=(
            "Check the catalog and every data object of a home: read each file whole, "
            "list damaged or missing ones and leftovers of interrupted writes. With "
            "--repair, drop kept matchings that cannot be read (they are matched again) "
            "and the leftovers; damaged datasets and inference sets are only reported "
            "(re-import them with --replace, or delete them). Exit 0 when healthy, 1 when "
            "damage remains."
        ),
    )
    parser.add_argument(
        "--repair",
        action="store_true",
        help="drop unreadable kept matchings and leftovers of interrupted writes",
    )
    home_option(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from shoal.store import default_home, examine, holds_store

    home = args.home if args.home is not None else default_home()
    if not holds_store(home):
        raise NotFoundError(f"no Shoal store at {home}")
    checkup = examine(home, repair=args.repair)
    for finding in checkup.findings:
        print(finding.line())
    damaged = sum(f.damage and not f.repaired for f in checkup.findings)
    objects = checkup.checked.get("objects", 0)
    if checkup.healthy:
        print(f"healthy: {home} (catalog and {objects} data object(s) read whole)")
        return 0
    advice = "" if args.repair else "; `shoal doctor --repair` drops what can be rebuilt"
    print(
        f"damaged: {home}: {damaged} problem(s) remain{advice}; re-import damaged datasets "
        "and inference sets with --replace, or delete them",
        file=sys.stderr,
    )
    return 1
