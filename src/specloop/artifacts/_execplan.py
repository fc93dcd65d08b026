"""ExecPlans (`plans/*.md`): the checkable rules of reference/workflow-rules.md §6.3.

R1 required sections, R2 checkboxes only (and at least one) in Progress, R3 timestamps
on completed items, R4 Decision/Surprise entry fields, R5 no enclosing fence, R6 a
blank line after each heading, R7 the "living document" sentence, R8 external links,
R10 a command in Validation and Acceptance.
"""

from __future__ import annotations

import re

from specloop.artifacts._diagnostics import Diagnostic, Severity
from specloop.artifacts._markdown import (
    Block,
    iter_headings,
    list_items,
    normalize_title,
    split_blocks,
)

LIVING_SECTIONS = (
    "Progress",
    "Surprises & Discoveries",
    "Decision Log",
    "Outcomes & Retrospective",
)
PROFILE_SECTIONS = (
    "Purpose / Big Picture",
    "Context and Orientation",
    "Plan of Work",
    "Concrete Steps",
    "Validation and Acceptance",
    "Idempotence and Recovery",
    "Artifacts and Notes",
    "Interfaces and Dependencies",
)
_CHECKBOX = re.compile(r"^ {0,3}(?:[-*+]|\d+[.)]) \[([ xX])\]")
_TIMESTAMP = re.compile(r"\(\d{4}-\d{2}-\d{2} \d{2}:\d{2}Z\)")
_URL = re.compile(r"https?://\S+")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def looks_like_execplan(text: str) -> bool:
    """A Markdown file without front matter that has a Progress and a Decision Log section."""
    if text.startswith("---"):
        return False
    titles = {normalize_title(h.title) for h in iter_headings(text.splitlines()) if h.level == 2}
    return {"progress", "decision log"} <= titles


def _entries(block: Block, first: str, required: tuple[str, ...]) -> list[tuple[int, str]]:
    """(line, message) for each list entry of `block` lacking one of the labels."""
    problems = []
    items, _ = list_items(block.lines)
    for item in items:
        missing = [
            label for label in (first, *required) if label.casefold() not in item.text.casefold()
        ]
        if missing:
            problems.append((item.line, "entry lacks " + ", ".join(f'"{m}"' for m in missing)))
    return problems


def lint_execplan(text: str, *, source: str) -> list[Diagnostic]:
    """Every rule violation in one ExecPlan, with its line."""
    out: list[Diagnostic] = []

    def add(line: int, code: str, severity: Severity, message: str) -> None:
        out.append(Diagnostic(source, line, 1, code, severity, message))

    lines = text.splitlines()
    first = next((n for n, raw in enumerate(lines, 1) if raw.strip()), 1)
    if lines and _FENCE.match(lines[first - 1]):
        add(
            first,
            "P005",
            Severity.ERROR,
            "the plan is wrapped in a code fence; a plan file is plain Markdown",
        )
    headings, blocks = split_blocks(lines)
    by_title = {normalize_title(b.title): b for b in blocks}
    for name in LIVING_SECTIONS:
        if normalize_title(name) not in by_title:
            add(1, "P001", Severity.ERROR, f'missing living section "## {name}"')
    for name in PROFILE_SECTIONS:
        if normalize_title(name) not in by_title:
            add(1, "P002", Severity.WARNING, f'missing section "## {name}"')
    intro_end = blocks[0].line if blocks else len(lines) + 1
    if "living document" not in " ".join(lines[: intro_end - 1]).casefold():
        add(1, "P007", Severity.WARNING, "the introduction does not say this is a living document")

    progress = by_title.get("progress")
    fenced = _fenced_lines(lines)
    progress_lines = {n for n, _ in progress.lines} if progress else set()
    boxes = [(n, raw) for n, raw in enumerate(lines, 1) if n not in fenced and _CHECKBOX.match(raw)]
    if progress is not None and not any(n in progress_lines for n, _ in boxes):
        add(progress.line, "P003", Severity.ERROR, "Progress has no checkbox items (- [ ] / - [x])")
    for number, raw in boxes:
        if number not in progress_lines:
            add(number, "P003", Severity.ERROR, "checkboxes belong only in Progress")
        elif _CHECKBOX.match(raw).group(1) in "xX" and not _TIMESTAMP.search(raw):  # type: ignore[union-attr]
            add(
                number,
                "P004",
                Severity.WARNING,
                "completed item has no timestamp like (2026-01-31 14:05Z)",
            )

    decisions = by_title.get("decision log")
    if decisions is not None:
        for number, message in _entries(decisions, "Decision:", ("Rationale:", "Date/Author:")):
            add(number, "P006", Severity.ERROR, f"Decision Log {message}")
    surprises = by_title.get(normalize_title("Surprises & Discoveries"))
    if surprises is not None:
        for number, message in _entries(surprises, "Observation:", ("Evidence:",)):
            add(number, "P006", Severity.ERROR, f"Surprises & Discoveries {message}")

    for heading in headings:
        following = lines[heading.line] if heading.line < len(lines) else ""
        if following.strip():
            add(heading.line, "P008", Severity.WARNING, "put a blank line after the heading")
    for number, raw in enumerate(lines, 1):
        if number not in fenced and _URL.search(raw):
            add(
                number,
                "P009",
                Severity.WARNING,
                "external link: a plan must be self-contained; explain what is needed here",
            )

    validation = by_title.get(normalize_title("Validation and Acceptance"))
    if validation is not None:
        has_command = (
            any(raw.startswith("    ") and raw.strip() for _, raw in validation.lines)
            or "`" in validation.text
        )
        if not has_command:
            add(
                validation.line,
                "P010",
                Severity.ERROR,
                "Validation and Acceptance has no command to run",
            )
    return out


def _fenced_lines(lines: list[str]) -> set[int]:
    """1-based numbers of the lines inside (or delimiting) fenced code blocks."""
    inside: set[int] = set()
    fence: str | None = None
    for number, raw in enumerate(lines, 1):
        match = _FENCE.match(raw)
        if fence is None and match:
            fence = match.group(1)
            inside.add(number)
        elif fence is not None:
            inside.add(number)
            if raw.strip().startswith(fence) and not raw.strip()[3:].strip():
                fence = None
    return inside
