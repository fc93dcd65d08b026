"""Record one reading session."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from readlog.models import Session
from readlog.store import Store

NAME = "log"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("book", help="the book's title")
    parser.add_argument("--pages", type=int, required=True, help="pages read, 0-2000")
    parser.add_argument("--minutes", type=int, required=True, help="minutes read, 1-1440")
    parser.add_argument(
        "--at", metavar="WHEN", help="ISO-8601 start, local time without an offset (default: now)"
    )
    parser.add_argument("--note", default="", help="an optional note, up to 500 characters")


def parse_when(text: str | None) -> datetime:
    """`--at`: ISO-8601, local time when it has no offset; None means now."""
    if text is None:
        return datetime.now().astimezone()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--at: not an ISO-8601 date and time: {text!r}") from None
    return moment if moment.utcoffset() is not None else moment.astimezone()


def run(args: argparse.Namespace, store: Store) -> int:
    try:
        session = Session(
            book=args.book,
            pages=args.pages,
            minutes=args.minutes,
            started_at=parse_when(args.at),
            note=args.note,
        )
    except ValueError as error:
        print(f"readlog: error: {error}", file=sys.stderr)
        return 2
    saved = store.add(session)
    print(f"logged #{saved.id}: {saved.book}, {saved.pages} pages in {saved.minutes} min")
    return 0
