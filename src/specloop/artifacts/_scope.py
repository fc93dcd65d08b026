"""A task's scope: repo-relative paths and globs, matching and overlap.

Glob syntax: `*` and `?` stay inside one path segment, `[...]` is a character class,
`**` spans any number of segments, and an entry ending in `/` means everything below it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache

_MAGIC = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class ScopeEntry:
    """One line of a task's Files to Modify: a path or glob, and an optional note."""

    pattern: str
    note: str = ""
    line: int = field(default=0, compare=False)


def has_magic(pattern: str) -> bool:
    """Whether `pattern` contains glob characters."""
    return _MAGIC.search(pattern) is not None


def normalize_pattern(pattern: str) -> str:
    """`./a//b/` -> `a/b/**`: one spelling per scope so comparisons are exact."""
    directory = pattern.endswith("/")
    parts = [part for part in pattern.split("/") if part not in ("", ".")]
    normalized = "/".join(parts)
    if directory and normalized:
        normalized += "/**"
    return normalized


def pattern_problem(pattern: str) -> str | None:
    """Why `pattern` cannot be a scope entry, or None when it can."""
    if not pattern.strip():
        return "empty path"
    if pattern.startswith(("/", "~")) or re.match(r"^[A-Za-z]:[\\/]", pattern):
        return f"`{pattern}` is absolute; list paths relative to the repository root"
    if "\\" in pattern:
        return f"`{pattern}` uses backslashes; use forward slashes"
    if ".." in pattern.split("/"):
        return f"`{pattern}` leaves the repository (..)"
    if not normalize_pattern(pattern):
        return f"`{pattern}` names the repository root, not files"
    return None


@lru_cache(maxsize=4096)
def _compile(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[" and (end := pattern.find("]", i + 2)) != -1:
            body = pattern[i + 1 : end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        else:
            out.append(re.escape(char))
            i += 1
    return re.compile("".join(out) + r"\Z")


def matches(pattern: str, path: str) -> bool:
    """Whether the repo-relative `path` falls inside the scope entry `pattern`."""
    pattern = normalize_pattern(pattern)
    if not has_magic(pattern):
        return pattern == path
    return _compile(pattern).match(path) is not None


def literal_prefix(pattern: str) -> tuple[str, ...]:
    """The leading path segments of `pattern` that contain no glob characters."""
    prefix: list[str] = []
    for segment in normalize_pattern(pattern).split("/"):
        if has_magic(segment):
            break
        prefix.append(segment)
    return tuple(prefix)


def _segment_static(segment: str) -> tuple[str, str]:
    """The literal text before the first and after the last glob character."""
    first = _MAGIC.search(segment)
    head = segment[: first.start()] if first else segment
    last = max(segment.rfind("*"), segment.rfind("?"), segment.rfind("]"))
    tail = segment[last + 1 :] if first else segment
    return head, tail


def _segments_may_overlap(a: str, b: str) -> bool:
    if not has_magic(a):
        return fnmatchcase(a, b) if has_magic(b) else a == b
    if not has_magic(b):
        return fnmatchcase(b, a)
    (head_a, tail_a), (head_b, tail_b) = _segment_static(a), _segment_static(b)
    heads_agree = head_a.startswith(head_b) or head_b.startswith(head_a)
    tails_agree = tail_a.endswith(tail_b) or tail_b.endswith(tail_a)
    return heads_agree and tails_agree


def _may_overlap(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    if not a and not b:
        return True
    if a and a[0] == "**":
        return _may_overlap(a[1:], b) or (bool(b) and _may_overlap(a, b[1:]))
    if b and b[0] == "**":
        return _may_overlap(a, b[1:]) or (bool(a) and _may_overlap(a[1:], b))
    if not a or not b:
        return False
    return _segments_may_overlap(a[0], b[0]) and _may_overlap(a[1:], b[1:])


def patterns_may_overlap(a: str, b: str) -> bool:
    """Whether some path could match both entries.

    Exact for paths and for a glob against a path; for two globs it errs towards
    "overlap", the safe answer for scheduling (overlapping tasks never run together).
    """
    a, b = normalize_pattern(a), normalize_pattern(b)
    if not has_magic(a) and not has_magic(b):
        return a == b
    return _may_overlap(tuple(a.split("/")), tuple(b.split("/")))
