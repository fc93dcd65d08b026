"""Line numbers for keys: tomllib returns plain dicts, so scan the text for them.

The scan understands table headers (``[run]``, ``[providers."openai-compatible"]``,
``[[x]]``), bare/quoted/dotted keys, and skips the insides of multi-line strings and
arrays. It is a heuristic for messages and sources only: it never raises, and a key it
cannot place falls back to its nearest placed parent (an inline table's line) or None.
"""

from __future__ import annotations

import re

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_BASIC = re.compile(r'"((?:[^"\\]|\\.)*)"')
_LITERAL = re.compile(r"'([^']*)'")
# Strings and comments removed before counting brackets, so "[" inside them is ignored.
_NOT_CODE = re.compile(r'"""|\'\'\'|"(?:[^"\\]|\\.)*"|\'[^\']*\'|#.*')

KeyLines = dict[tuple[str, ...], int]


def _skip_space(line: str, pos: int) -> int:
    while pos < len(line) and line[pos] in " \t":
        pos += 1
    return pos


def _key_path(line: str, pos: int) -> tuple[tuple[str, ...], int] | None:
    """Parse a (dotted) key starting at ``pos``: its parts and where it ends."""
    parts: list[str] = []
    while True:
        pos = _skip_space(line, pos)
        bare = _BARE.match(line, pos)
        basic = _BASIC.match(line, pos)
        literal = _LITERAL.match(line, pos)
        if bare is not None:
            parts.append(bare.group(0))
            pos = bare.end()
        elif basic is not None:
            if "\\" in basic.group(1):
                return None  # escaped names are rare; not worth an unescaper here
            parts.append(basic.group(1))
            pos = basic.end()
        elif literal is not None:
            parts.append(literal.group(1))
            pos = literal.end()
        else:
            return None
        pos = _skip_space(line, pos)
        if not line.startswith(".", pos):
            return tuple(parts), pos
        pos += 1


def _bracket_depth(code: str) -> int:
    """How many more ``[``/``{`` than ``]``/``}`` a piece of a line opens."""
    bare = _NOT_CODE.sub("", code)
    return bare.count("[") + bare.count("{") - bare.count("]") - bare.count("}")


def _open_string(code: str) -> tuple[str, int] | None:
    """A multi-line string left open at the end of ``code``: its delimiter and start."""
    pos = 0
    while True:
        found = [(code.find(d, pos), d) for d in ('"""', "'''")]
        starts = [(at, d) for at, d in found if at >= 0]
        if not starts:
            return None
        start, delim = min(starts)
        end = code.find(delim, start + 3)
        if end < 0:
            return delim, start
        pos = end + 3


def key_lines(text: str) -> KeyLines:
    """Map every key path found in ``text`` to its 1-based line (first occurrence)."""
    lines: KeyLines = {}
    table: tuple[str, ...] = ()
    in_string: str | None = None  # delimiter of the multi-line string we are inside
    depth = 0  # open brackets of a multi-line array or inline table
    # TOML counts lines by "\n" only; str.splitlines() would also split on \x0c etc.
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        if in_string is not None:
            end = line.find(in_string)
            if end < 0:
                continue
            line = line[end + 3 :]
            in_string = None
            code = line
        elif depth > 0:
            code = line
        else:
            statement = _scan_statement(line, number, lines, table)
            if statement is None:  # a table header
                header = _header(line)
                if header is not None:
                    table = header
                    lines.setdefault(table, number)
                continue
            code = statement
        opened = _open_string(code)
        if opened is not None:
            in_string, start = opened
            code = code[:start]
        depth = max(0, depth + _bracket_depth(code))
    return lines


def _header(line: str) -> tuple[str, ...] | None:
    stripped = line.lstrip()
    double = stripped.startswith("[[")
    start = len(line) - len(stripped) + (2 if double else 1)
    parsed = _key_path(line, start)
    if parsed is None:
        return None
    path, end = parsed
    closing = "]]" if double else "]"
    return path if line.startswith(closing, end) else None


def _scan_statement(line: str, number: int, lines: KeyLines, table: tuple[str, ...]) -> str | None:
    """Record a ``key = value`` line; return the code after ``=`` (None for headers)."""
    if line.lstrip().startswith("["):
        return None
    parsed = _key_path(line, 0)
    if parsed is None or not line.startswith("=", parsed[1]):
        return line
    lines.setdefault(table + parsed[0], number)
    return line[parsed[1] + 1 :]


def line_of(lines: KeyLines, path: tuple[str, ...]) -> int | None:
    """The line of ``path``, or of its nearest parent that was placed, or None."""
    for end in range(len(path), 0, -1):
        found = lines.get(path[:end])
        if found is not None:
            return found
    return None
