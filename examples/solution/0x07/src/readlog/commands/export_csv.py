"""Write sessions as CSV, oldest first."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from readlog.commands.list_sessions import parse_since
from readlog.export import write_csv
from readlog.store import Store

NAME = "export"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--csv", metavar="FILE", required=True, help="the file to write, or - for stdout"
    )
    parser.add_argument(
        "--since", metavar="DATE", help="only sessions from DATE on (YYYY-MM-DD, local time)"
    )


def run(args: argparse.Namespace, store: Store) -> int:
    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as error:
        print(f"readlog: error: {error}", file=sys.stderr)
        return 2
    sessions = list(reversed(store.between(since, None)))
    if args.csv == "-":
        write_csv(sessions, sys.stdout)
        return 0
    try:
        with Path(args.csv).open("w", encoding="utf-8", newline="") as stream:
            count = write_csv(sessions, stream)
    except OSError as error:
        print(f"readlog: error: --csv: cannot write {args.csv}: {error.strerror}", file=sys.stderr)
        return 2
    print(f"exported {count} sessions to {args.csv}")
    return 0
