"""List stored sessions, newest first."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from readlog.models import Session
from readlog.store import Store

NAME = "list"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since", metavar="DATE", help="only sessions from DATE on (YYYY-MM-DD, local time)"
    )
    parser.add_argument("--book", metavar="TITLE", help="only this book (whole title, any case)")
    parser.add_argument("--limit", metavar="N", type=int, help="at most N sessions")


def parse_since(text: str) -> datetime:
    """A `--since` value: a date means local midnight; a time without an offset is local."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--since: not a date: {text!r}") from None
    return moment if moment.utcoffset() is not None else moment.astimezone()


def format_session(session: Session) -> str:
    """`YYYY-MM-DD HH:MM  BOOK  N p  M min`, in local time."""
    when = session.started_at.astimezone().strftime("%Y-%m-%d %H:%M")
    return f"{when}  {session.book}  {session.pages} p  {session.minutes} min"


def run(args: argparse.Namespace, store: Store) -> int:
    if args.limit is not None and args.limit < 1:
        print("readlog: error: --limit must be at least 1", file=sys.stderr)
        return 2
    try:
        since = parse_since(args.since) if args.since else None
    except ValueError as error:
        print(f"readlog: error: {error}", file=sys.stderr)
        return 2
    sessions = store.between(since, None, book=args.book)[: args.limit]
    if not sessions:
        print("no sessions match", file=sys.stderr)
        return 1
    for session in sessions:
        print(format_session(session))
    return 0
