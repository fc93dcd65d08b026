"""Weekly totals as pure functions: the bounds of an ISO week, and a summary of sessions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, tzinfo

from readlog.models import Session, WeekSummary

_WEEK = re.compile(r"(\d{4})-W(\d{2})")


def parse_week(week: str) -> tuple[int, int]:
    """`"2025-W07"` -> `(2025, 7)`; ValueError unless the ISO week exists."""
    match = _WEEK.fullmatch(week)
    if match:
        year, number = int(match[1]), int(match[2])
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError:
            pass
        else:
            return year, number
    raise ValueError(f"--week: {week!r} is not an ISO week such as 2025-W07")


def current_week(today: date | None = None) -> str:
    """The ISO week of `today` (default: the local date), as `YYYY-Www`."""
    year, number, _ = (today or date.today()).isocalendar()
    return f"{year}-W{number:02d}"


def week_bounds(week: str, tz: tzinfo | None = None) -> tuple[datetime, datetime]:
    """Monday 00:00 of `week` and of the week after, in `tz` (default: local time)."""
    year, number = parse_week(week)
    start = datetime.combine(date.fromisocalendar(year, number, 1), time())
    end = start + timedelta(days=7)
    if tz is None:
        return start.astimezone(), end.astimezone()
    return start.replace(tzinfo=tz), end.replace(tzinfo=tz)


def summarize(week: str, sessions: Iterable[Session]) -> WeekSummary:
    """Totals, pace and per-book rows (most pages first, then by title) of `sessions`."""
    books: dict[str, tuple[int, int]] = {}
    count = 0
    for session in sessions:
        count += 1
        pages, minutes = books.get(session.book, (0, 0))
        books[session.book] = (pages + session.pages, minutes + session.minutes)
    by_book = sorted(
        ((book, pages, minutes) for book, (pages, minutes) in books.items()),
        key=lambda row: (-row[1], row[0]),
    )
    pages = sum(row[1] for row in by_book)
    minutes = sum(row[2] for row in by_book)
    pace = round(pages * 60 / minutes, 1) if minutes else 0.0
    return WeekSummary(week, count, pages, minutes, pace, tuple(by_book))
