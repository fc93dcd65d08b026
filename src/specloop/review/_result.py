"""What a review found, in the shapes its readers need: one line, feedback text, JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from specloop.review._consensus import Finding
from specloop.review._schema import CORRECT, INCORRECT

NO_VERDICT = "no verdict: output unusable"


@dataclass(frozen=True)
class ReviewBudget:
    """How much one review may send: characters per call and calls per reviewer.

    A diff larger than ``max_chunk_chars`` is split into several calls; parts past
    ``max_chunks`` are not reviewed and are named in ``ReviewResult.not_reviewed``.
    ``parallel`` bounds the reviewer calls in flight at once.
    """

    max_chunk_chars: int = 60_000
    max_chunks: int = 8
    parallel: int = 4


@dataclass
class ReviewResult:
    """The outcome of one review of one diff range, after consensus.

    ``blocking`` is True when any finding blocks or any reviewer's output was unusable
    (fail closed: a review nobody could read approves nothing).
    """

    diff_range: str
    security: bool
    findings: list[Finding] = field(default_factory=list)
    verdicts: dict[str, str] = field(default_factory=dict)
    dropped_outside_diff: int = 0
    not_reviewed: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    reviewed_files: list[str] = field(default_factory=list)
    explanations: dict[str, list[str]] = field(default_factory=dict)
    chunks: int = 0
    calls: int = 0
    cost_usd: float | None = 0.0
    run_id: int | None = None
    task_id: str | None = None
    attempt_id: int | None = None

    @property
    def blocking(self) -> bool:
        """True when a finding blocks or a reviewer failed."""
        return bool(self.failures) or any(f.blocking for f in self.findings)

    @property
    def nothing_to_review(self) -> bool:
        """True when the diff had no text to show a reviewer (empty, or only binary files)."""
        return not self.reviewed_files and not self.failures and self.chunks == 0

    def summary(self) -> str:
        """One line: what was reviewed, what was found, whether it blocks."""
        head = f"review of {self.diff_range}"
        if self.nothing_to_review:
            why = "only binary files changed" if self.not_reviewed else "the diff is empty"
            return f"{head}: nothing to review ({why})"
        blocking = sum(f.blocking for f in self.findings)
        parts = [f"{_count(len(self.findings), 'finding')} ({blocking} blocking)"]
        correct = sum(v == CORRECT for v in self.verdicts.values())
        incorrect = sum(v == INCORRECT for v in self.verdicts.values())
        parts.append(f"verdicts {correct} correct, {incorrect} incorrect")
        if self.failures:
            parts.append(f"{_count(len(self.failures), 'reviewer failure')}")
        if self.dropped_outside_diff:
            parts.append(f"{self.dropped_outside_diff} dropped outside the diff")
        if self.not_reviewed:
            parts.append(f"{len(self.not_reviewed)} not reviewed")
        return f"{head}: {', '.join(parts)}: {'BLOCKED' if self.blocking else 'passed'}"

    def report(self, ids: list[int] | None = None) -> str:
        """Text for a person or for the next attempt's handover: every finding and problem.

        ``ids`` are the findings' ledger ids, in order, shown as ``F12``.
        """
        lines = [self.summary()]
        for index, finding in enumerate(self.findings):
            label = f"F{ids[index]} " if ids is not None and index < len(ids) else ""
            flag = " BLOCKING" if finding.blocking else ""
            lines.append(
                f"- {label}{finding.title} at {finding.location}"
                f" ({finding.category}; {', '.join(finding.reviewers)}){flag}"
            )
            lines.extend(f"    {line}" for line in finding.body.splitlines())
        if self.failures:
            lines.append("Reviewers whose output was unusable (the review blocks):")
            lines.extend(f"- {failure}" for failure in self.failures)
        if self.not_reviewed:
            lines.append("Not reviewed:")
            lines.extend(f"- {item}" for item in self.not_reviewed)
        if self.dropped_outside_diff:
            lines.append(
                f"{_count(self.dropped_outside_diff, 'finding')} about lines outside the diff"
                " dropped (pre-existing code is out of scope)."
            )
        if self.verdicts:
            lines.append(
                "Verdicts: " + "; ".join(f"{who}: {what}" for who, what in self.verdicts.items())
            )
        return "\n".join(lines) + "\n"

    def as_json(self, ids: list[int] | None = None) -> dict[str, Any]:
        """Everything above as JSON-ready data (``id`` is ``F12`` once recorded)."""
        findings = []
        for index, f in enumerate(self.findings):
            findings.append(
                {
                    "id": f"F{ids[index]}" if ids is not None and index < len(ids) else None,
                    "reviewers": list(f.reviewers),
                    "priorities": dict(f.priorities),
                    "priority": f.priority,
                    "title": f.title,
                    "body": f.body,
                    "path": f.path,
                    "line_start": f.line_start,
                    "line_end": f.line_end,
                    "category": f.category,
                    "confidence": f.confidence,
                    "blocking": f.blocking,
                }
            )
        return {
            "range": self.diff_range,
            "security": self.security,
            "blocking": self.blocking,
            "summary": self.summary(),
            "findings": findings,
            "verdicts": self.verdicts,
            "dropped_outside_diff": self.dropped_outside_diff,
            "not_reviewed": self.not_reviewed,
            "failures": self.failures,
            "reviewed_files": self.reviewed_files,
            "chunks": self.chunks,
            "calls": self.calls,
            "cost_usd": self.cost_usd,
        }


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
