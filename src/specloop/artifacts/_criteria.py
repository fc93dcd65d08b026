"""Completion criteria: which lines specloop can check, and how."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from specloop.artifacts._markdown import code_spans


class CriterionKind(StrEnum):
    """How a completion criterion is checked."""

    COMMAND = "command"  # a backticked command: passes when it exits 0
    BUILTIN = "builtin"  # a fixed phrase specloop checks itself
    UNCHECKABLE = "uncheckable"  # anything else: a lint warning


class BuiltinCheck(StrEnum):
    """The checks behind the fixed phrases (the verifier implements each)."""

    NO_TODOS = "no-todos"
    ALL_TESTS_PASS = "all-tests-pass"
    NO_UNUSED_IMPORTS = "no-unused-imports"


#: Phrase (normalized: case-folded, single spaces, no final period) -> check.
BUILTIN_PHRASES: dict[str, BuiltinCheck] = {
    "no todos left in code": BuiltinCheck.NO_TODOS,
    "no todos in code": BuiltinCheck.NO_TODOS,
    "no todo or fixme left in code": BuiltinCheck.NO_TODOS,
    "all tests pass": BuiltinCheck.ALL_TESTS_PASS,
    "no unused imports": BuiltinCheck.NO_UNUSED_IMPORTS,
}

#: The canonical phrase for each check, as shown in messages and written by the planner.
CANONICAL_PHRASES: dict[BuiltinCheck, str] = {
    BuiltinCheck.NO_TODOS: "No TODOs left in code",
    BuiltinCheck.ALL_TESTS_PASS: "All tests pass",
    BuiltinCheck.NO_UNUSED_IMPORTS: "No unused imports",
}


@dataclass(frozen=True)
class Criterion:
    """One line of a task's Completion Criteria."""

    text: str
    kind: CriterionKind
    command: str | None = None
    builtin: BuiltinCheck | None = None
    line: int = field(default=0, compare=False)


def _normalize_phrase(text: str) -> str:
    return " ".join(text.strip().rstrip(".").split()).casefold()


def classify_criterion(text: str, line: int = 0) -> Criterion:
    """Classify a criterion line: command (first code span), built-in phrase, or uncheckable."""
    spans = [span for span in code_spans(text) if span.strip()]
    if spans:
        return Criterion(text, CriterionKind.COMMAND, command=spans[0].strip(), line=line)
    builtin = BUILTIN_PHRASES.get(_normalize_phrase(text))
    if builtin is not None:
        return Criterion(text, CriterionKind.BUILTIN, builtin=builtin, line=line)
    return Criterion(text, CriterionKind.UNCHECKABLE, line=line)
