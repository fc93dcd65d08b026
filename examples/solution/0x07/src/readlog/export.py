"""Sessions as CSV that a spreadsheet opens safely: no cell is ever run as a formula."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import UTC
from typing import TextIO

from readlog.models import Session

HEADER = ("started_at", "book", "pages", "minutes", "note")
FORMULA_STARTS = ("=", "+", "-", "@")


def safe_cell(text: str) -> str:
    """`text`, with a leading `'` when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(sessions: Iterable[Session], stream: TextIO) -> int:
    """Write the header and one row per session (times in ISO-8601 UTC); return the rows."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(HEADER)
    count = 0
    for session in sessions:
        started_at = session.started_at.astimezone(UTC).isoformat(timespec="seconds")
        book, note = safe_cell(session.book), safe_cell(session.note)
        writer.writerow((started_at, book, session.pages, session.minutes, note))
        count += 1
    return count
