"""What a reviewer model must return, and the checks that send it back for repair.

The shape follows the Codex review format (reference/workflow-rules.md §8.5): findings
with a ``[P0]``-``[P3]`` title tag, a priority, a body with the reason, a code location
and a confidence; plus a verdict. specloop adds a ``category`` for consensus and, in
security mode, an attack vector and a mitigation for every security finding.

Two kinds of problem are handled differently, on purpose:

- A finding that is malformed (tag and priority disagree, empty body, end before
  start, security finding without a mitigation) is sent back to the model for repair
  through ``ModelClient.structured``'s repair rounds. A P0 with an empty body is
  repaired, not dropped: dropping it would approve by default, and a blocker without a
  reason can be neither fixed nor dismissed. If the repairs fail the whole reviewer
  output is unusable and the review blocks (fail closed).
- A well-formed finding about lines the change did not touch is dropped and counted by
  the caller (``findings_in_diff``), never repaired: pre-existing code is out of scope
  (§8.4 rule 4), and asking again would only invite a made-up location.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel, Field, field_validator

Category = Literal["security", "correctness", "performance", "maintainability"]
CATEGORIES: tuple[str, ...] = ("security", "correctness", "performance", "maintainability")
Verdict = Literal["patch is correct", "patch is incorrect"]
CORRECT: Verdict = "patch is correct"
INCORRECT: Verdict = "patch is incorrect"

MAX_TITLE = 80
_TAG = re.compile(r"^\[P([0-3])\]\s*\S")


class LineRange(BaseModel):
    """Inclusive line numbers in the file as the diff shows it (new file unless deleted)."""

    start: int = Field(ge=1, description="First line, as numbered in the diff.")
    end: int = Field(ge=1, description="Last line (inclusive); at most about 10 lines after start.")


class CodeLocation(BaseModel):
    """Where the problem is."""

    file_path: str = Field(
        min_length=1, description="Repository-relative path exactly as in the diff's ### header."
    )
    line_range: LineRange


class FindingOutput(BaseModel):
    """One discrete, actionable problem introduced by this change."""

    title: str = Field(
        max_length=MAX_TITLE,
        description="At most 80 characters, imperative, starting with its tag: '[P1] Close the file'.",
    )
    body: str = Field(
        description="One paragraph: why this is a bug and the conditions under which it occurs."
    )
    priority: int = Field(
        ge=0, le=3, description="0 = blocks release ... 3 = low; matches the tag."
    )
    category: Category
    confidence_score: float = Field(ge=0, le=1, description="0 to 1: how sure you are.")
    code_location: CodeLocation
    attack_vector: str | None = Field(
        default=None,
        description="Security review only: who attacks how, step by step, under the threat model.",
    )
    mitigation: str | None = Field(
        default=None, description="Security review only: the concrete change that prevents it."
    )

    @field_validator("body")
    @classmethod
    def _has_reason(cls, body: str) -> str:
        if not body.strip():
            raise ValueError("body must explain why this is a problem; it is empty")
        return body


class ReviewOutput(BaseModel):
    """A reviewer's whole answer for one chunk of the diff."""

    findings: list[FindingOutput] = Field(
        description="Only problems the author would fix; empty when there are none."
    )
    overall_correctness: Verdict
    overall_explanation: str = Field(description="1-3 sentences justifying the verdict.")
    overall_confidence_score: float = Field(ge=0, le=1)


def finding_problems(finding: FindingOutput, *, security: bool) -> list[str]:
    """What is wrong with one finding's content (empty when it is fine), one line each."""
    problems: list[str] = []
    where = f"finding {finding.title!r}"
    tag = _TAG.match(finding.title)
    if tag is None:
        problems.append(f"{where}: the title must start with its tag [P0]-[P3] and a text")
    elif int(tag.group(1)) != finding.priority:
        problems.append(
            f"{where}: the tag [P{tag.group(1)}] does not match priority {finding.priority}"
        )
    lines = finding.code_location.line_range
    if lines.end < lines.start:
        problems.append(f"{where}: line_range end {lines.end} is before start {lines.start}")
    if security and finding.category == "security":
        for name in ("attack_vector", "mitigation"):
            value = getattr(finding, name)
            if value is None or not value.strip():
                problems.append(f"{where}: a security finding needs a non-empty {name}")
    return problems


def output_validator(*, security: bool) -> Callable[[ReviewOutput], Sequence[str]]:
    """The validator ``ModelClient.structured`` runs on each reply (problems -> repair)."""

    def check(output: ReviewOutput) -> list[str]:
        return [p for f in output.findings for p in finding_problems(f, security=security)]

    return check
