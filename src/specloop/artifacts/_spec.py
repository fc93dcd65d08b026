"""SPEC.md: the required sections, in order, and the open questions left in it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from specloop.artifacts._diagnostics import Diagnostic, Severity
from specloop.artifacts._markdown import Block, list_items, normalize_title, split_blocks

REQUIRED_SPEC_SECTIONS = (
    "Problem statement",
    "Architecture",
    "Data models",
    "Entrypoints",
    "Threat model",
    "Non-goals",
    "Open questions",
    "Success criteria",
)
_OPEN_QUESTIONS = normalize_title("Open questions")
_RESOLVED = re.compile(r"\b(resolved|answered|answer:|decided|decision:)", re.IGNORECASE)
_NONE = re.compile(r"^(none|n/a|no open questions)\b", re.IGNORECASE)
_STRUCK = re.compile(r"^~~.*~~")


@dataclass(frozen=True)
class Spec:
    """A parsed SPEC.md: its level-2 sections by normalized title."""

    source: str
    sections: tuple[Block, ...]

    def section(self, title: str) -> Block | None:
        """The first section with this title (case-insensitive), if any."""
        key = normalize_title(title)
        return next((s for s in self.sections if normalize_title(s.title) == key), None)

    def open_questions(self) -> list[tuple[int, str]]:
        """(line, text) of every question in Open questions not marked as resolved."""
        block = self.section("Open questions")
        if block is None:
            return []
        items, loose = list_items(block.lines)
        candidates = [(item.line, item.text) for item in items] + loose
        questions = []
        for line, text in sorted(candidates):
            stripped = text.strip()
            if stripped.startswith(("[x]", "[X]")) or _STRUCK.match(stripped):
                continue
            if _RESOLVED.search(stripped) or _NONE.match(stripped):
                continue
            if stripped.startswith("[ ]") or stripped.endswith("?"):
                questions.append((line, stripped.removeprefix("[ ]").strip()))
        return questions


def parse_spec(text: str, *, source: str = "SPEC.md") -> Spec:
    """Split SPEC.md into its sections (never fails: lint reports what is missing)."""
    _, blocks = split_blocks(text.splitlines())
    return Spec(source, tuple(blocks))


def lint_spec(spec: Spec) -> list[Diagnostic]:
    """Missing, empty or out-of-order required sections, and open questions left."""
    out: list[Diagnostic] = []
    present = [normalize_title(block.title) for block in spec.sections]
    order = [normalize_title(name) for name in REQUIRED_SPEC_SECTIONS]
    for name in REQUIRED_SPEC_SECTIONS:
        block = spec.section(name)
        if block is None:
            out.append(
                Diagnostic(
                    spec.source, 1, 1, "S002", Severity.ERROR, f'missing section "## {name}"'
                )
            )
        elif not block.text.strip():
            out.append(
                Diagnostic(
                    spec.source,
                    block.line,
                    1,
                    "S005",
                    Severity.WARNING,
                    f'section "{name}" is empty',
                )
            )
    seen = [title for title in present if title in order]
    expected = sorted(set(seen), key=order.index)
    firsts = list(dict.fromkeys(seen))
    if firsts != expected:
        for title, want in zip(firsts, expected, strict=True):
            if title != want:
                block = spec.section(title)
                line = block.line if block else 1
                out.append(
                    Diagnostic(
                        spec.source,
                        line,
                        1,
                        "S003",
                        Severity.WARNING,
                        "sections out of order; expected: " + ", ".join(REQUIRED_SPEC_SECTIONS),
                    )
                )
                break
    for line, question in spec.open_questions():
        out.append(
            Diagnostic(
                spec.source,
                line,
                1,
                "S004",
                Severity.WARNING,
                f"open question left in the spec: {question} (answer it, or mark it Resolved)",
            )
        )
    return out
