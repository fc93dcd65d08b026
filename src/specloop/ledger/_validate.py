"""Checks on values passed into the ledger, raising ValueError with a clear message.

Bad input is refused before it reaches SQL, so the caller learns which argument was
wrong instead of reading a CHECK-constraint failure.
"""

from __future__ import annotations

import json
import math
from typing import Any

from specloop.ledger._records import TaskState

CHECK_STATUSES = ("passed", "failed", "error", "skipped")
CHECK_PHASES = ("before", "after")


def text(name: str, value: str) -> str:
    """A required, non-blank string."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def count(name: str, value: int) -> int:
    """A whole number that is not negative (a token count)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
    return value


def optional_count(name: str, value: int | None) -> int | None:
    """Like ``count`` but None (unknown) is allowed, e.g. a duration that was not measured."""
    return None if value is None else count(name, value)


def optional_int(name: str, value: int | None) -> int | None:
    """Any integer or None, e.g. an exit code (negative for a signal)."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError(f"{name} must be an integer or None, got {value!r}")
    return value


def optional_text(name: str, value: str | None) -> str | None:
    """An optional string (type-checked only: callers pass values they were given)."""
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be a string or None, got {type(value).__name__}")
    return value


def one_of(name: str, value: str, allowed: tuple[str, ...]) -> str:
    """A string from a fixed set."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")
    return value


def state(value: TaskState | str) -> TaskState:
    """A task state; plain strings with a known value are accepted too."""
    try:
        return TaskState(value)
    except ValueError:
        allowed = ", ".join(s.value for s in TaskState)
        raise ValueError(f"unknown task state {value!r}; expected one of {allowed}") from None


def cost(value: float | None) -> float | None:
    """A cost in USD: None means unknown, which is different from 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"cost_usd must be a number or None, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"cost_usd must be a finite number >= 0 or None, got {value!r}")
    return float(value)


def priority(value: int) -> int:
    """A finding priority: 0 (most urgent) to 3."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3:
        raise ValueError(f"priority must be an integer from 0 to 3, got {value!r}")
    return value


def confidence(value: float | None) -> float | None:
    """A reviewer confidence from 0.0 to 1.0, or None when not given."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(f"confidence must be a number from 0 to 1 or None, got {value!r}")
    return float(value)


def lines(line_start: int | None, line_end: int | None) -> None:
    """A finding's line range: 1-based, and the end not before the start."""
    for name, value in (("line_start", line_start), ("line_end", line_end)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise ValueError(f"{name} must be a line number >= 1 or None, got {value!r}")
    if line_start is not None and line_end is not None and line_end < line_start:
        raise ValueError(f"line_end ({line_end}) is before line_start ({line_start})")


def json_object(name: str, value: dict[str, Any] | None) -> str | None:
    """Serialise an optional dict as JSON text; refuse what JSON cannot represent."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"{name} must be a dict or None, got {type(value).__name__}")
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} cannot be stored as JSON: {exc}") from None
