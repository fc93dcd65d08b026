"""The records readlog keeps: a reading `Session` and a `WeekSummary`, checked on creation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

MAX_BOOK = 200
MAX_PAGES = 2000
MAX_MINUTES = 1440
MAX_NOTE = 500
WEEK = re.compile(r"\d{4}-W\d{2}")


def _check_count(field: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{field} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{field} must be between {low} and {high}, got {value}")


@dataclass(frozen=True, kw_only=True)
class Session:
    """One reading session; `id` is None until the store has saved it."""

    id: int | None = None
    book: str
    pages: int
    minutes: int
    started_at: datetime
    note: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.book, str):
            raise ValueError(f"book must be text, got {self.book!r}")
        book = self.book.strip()
        if not 1 <= len(book) <= MAX_BOOK:
            raise ValueError(f"book must be 1-{MAX_BOOK} characters, got {len(book)}")
        object.__setattr__(self, "book", book)
        _check_count("pages", self.pages, 0, MAX_PAGES)
        _check_count("minutes", self.minutes, 1, MAX_MINUTES)
        if not isinstance(self.started_at, datetime) or self.started_at.utcoffset() is None:
            raise ValueError("started_at must be a timezone-aware datetime")
        if not isinstance(self.note, str) or len(self.note) > MAX_NOTE:
            raise ValueError(f"note must be text of at most {MAX_NOTE} characters")


@dataclass(frozen=True)
class WeekSummary:
    """Totals of one ISO week; `by_book` is (book, pages, minutes), most pages first."""

    week: str
    sessions: int
    pages: int
    minutes: int
    pages_per_hour: float
    by_book: tuple[tuple[str, int, int], ...] = ()

    def __post_init__(self) -> None:
        if not WEEK.fullmatch(self.week):
            raise ValueError(f"week must look like 2025-W07, got {self.week!r}")
        for field in ("sessions", "pages", "minutes"):
            if getattr(self, field) < 0:
                raise ValueError(f"{field} must not be negative")
        if self.pages_per_hour < 0:
            raise ValueError("pages_per_hour must not be negative")
