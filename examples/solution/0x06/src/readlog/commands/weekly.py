"""Show the totals and pace of one ISO week, per book and overall."""

from __future__ import annotations

import argparse
import sys

from readlog.store import Store
from readlog.summary import current_week, summarize, week_bounds

NAME = "weekly"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--week", metavar="YYYY-Www", help="the ISO week, e.g. 2025-W07 (default: this week)"
    )


def run(args: argparse.Namespace, store: Store) -> int:
    week = args.week or current_week()
    try:
        start, end = week_bounds(week)
    except ValueError as error:
        print(f"readlog: error: {error}", file=sys.stderr)
        return 2
    summary = summarize(week, store.between(start, end))
    if not summary.sessions:
        print(f"no sessions in {week}", file=sys.stderr)
        return 1
    plural = "" if summary.sessions == 1 else "s"
    print(
        f"{week}: {summary.sessions} session{plural}, {summary.pages} pages,"
        f" {summary.minutes} min, {summary.pages_per_hour} pages/hour"
    )
    for book, pages, minutes in summary.by_book:
        print(f"  {book}: {pages} pages, {minutes} min")
    return 0
