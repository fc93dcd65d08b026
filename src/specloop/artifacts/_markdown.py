"""A small, line-exact Markdown structure scanner: front matter, ATX headings, list items.

Why not markdown-it-py: task files use a narrow subset (front matter, `##` headings,
list items, code spans) and `specloop status` / `lint` have tight time budgets.
markdown-it-py costs ~70 ms to import and ~0.3 ms per file; this scanner costs neither,
and it keeps the 1-based line of everything it returns (see docs/plans/002-foundation.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+|$)(.*?)(?:[ \t]+#+)?[ \t]*$")
_LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)])(?:[ \t]+(.*)|$)")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")


@dataclass(frozen=True)
class Heading:
    """An ATX heading outside code fences."""

    level: int
    title: str
    line: int


@dataclass(frozen=True)
class Block:
    """The lines under one level-2 heading, up to the next heading of level 1 or 2."""

    title: str
    line: int
    lines: tuple[tuple[int, str], ...]

    @property
    def text(self) -> str:
        """The body with leading and trailing blank lines removed."""
        body = [text for _, text in self.lines]
        while body and not body[0].strip():
            body.pop(0)
        while body and not body[-1].strip():
            body.pop()
        return "\n".join(body)


@dataclass(frozen=True)
class ListItem:
    """A list item with its continuation lines joined by single spaces."""

    text: str
    line: int


def iter_headings(lines: list[str], first_line: int = 1) -> Iterator[Heading]:
    """Yield the ATX headings that are not inside fenced code blocks."""
    fence: str | None = None
    for offset, raw in enumerate(lines):
        fence_match = _FENCE.match(raw)
        if fence is not None:
            closes = fence_match is not None and not fence_match.group(2).strip()
            if closes and fence_match and fence_match.group(1)[0] == fence[0]:
                fence = None if len(fence_match.group(1)) >= len(fence) else fence
            continue
        if fence_match and not (fence_match.group(1)[0] == "`" and "`" in fence_match.group(2)):
            fence = fence_match.group(1)
            continue
        heading = _HEADING.match(raw)
        if heading:
            yield Heading(len(heading.group(1)), heading.group(2).strip(), first_line + offset)


def split_blocks(lines: list[str], first_line: int = 1) -> tuple[list[Heading], list[Block]]:
    """Split a body into level-2 blocks; return also every heading seen (for hints)."""
    headings = list(iter_headings(lines, first_line))
    blocks: list[Block] = []
    bounds = [h for h in headings if h.level <= 2]
    for index, heading in enumerate(bounds):
        if heading.level != 2:
            continue
        end = bounds[index + 1].line if index + 1 < len(bounds) else first_line + len(lines)
        body = tuple(
            (number, lines[number - first_line]) for number in range(heading.line + 1, end)
        )
        blocks.append(Block(heading.title, heading.line, body))
    return headings, blocks


def list_items(lines: tuple[tuple[int, str], ...]) -> tuple[list[ListItem], list[tuple[int, str]]]:
    """The list items of a block, and its non-blank lines that are not part of any item."""
    items: list[ListItem] = []
    loose: list[tuple[int, str]] = []
    current: tuple[int, list[str]] | None = None
    for number, raw in lines:
        match = _LIST_ITEM.match(raw)
        if match:
            if current:
                items.append(ListItem(" ".join(current[1]).strip(), current[0]))
            current = (number, [match.group(1) or ""])
        elif raw.strip() and current and raw[:1] in " \t":
            current[1].append(raw.strip())
        elif raw.strip():
            if current:
                items.append(ListItem(" ".join(current[1]).strip(), current[0]))
                current = None
            loose.append((number, raw.strip()))
        elif current:
            items.append(ListItem(" ".join(current[1]).strip(), current[0]))
            current = None
    if current:
        items.append(ListItem(" ".join(current[1]).strip(), current[0]))
    return items, loose


def code_spans(text: str) -> list[str]:
    """The contents of the inline code spans in `text`, CommonMark-style."""
    spans = []
    for match in _CODE_SPAN.finditer(text):
        content = match.group(2)
        if content.startswith(" ") and content.endswith(" ") and content.strip():
            content = content[1:-1]
        spans.append(content)
    return spans


def normalize_title(title: str) -> str:
    """Heading text compared case-insensitively, ignoring a trailing colon and extra spaces."""
    return " ".join(title.rstrip(":").split()).casefold()
