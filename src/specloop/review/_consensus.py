"""Merging several reviewers' findings into one list, and deciding which ones block.

The merge rule is deliberately simple, so a person can predict it: two findings are
the same finding when they name the same file, the same category, and line ranges
that overlap (inclusive). No text similarity: two reviewers wording the same bug
differently still merge, and two different bugs on the same lines in different
categories (a leak and an injection) stay apart. Merging is transitive through a
group's members, and one reviewer's duplicate findings merge too (counted once).

A merged finding takes its priority, title and body from its most severe member
(then the most confident), its line range from the union of the members', and keeps
each reviewer's own priority. It blocks the gate when:

- ``policy.p0_blocks`` and any reviewer rated it P0; or
- at least ``policy.p1_min_reviewers`` different reviewers rated it P1 or P0. When
  fewer reviewers gave a usable review than that, all of those that did must agree:
  with a single reviewer configured its P1 still blocks (the default gate blocks on
  P0/P1, §8.2), while with two reviewers one lone P1 is a disagreement and does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class BlockPolicy:
    """When a finding blocks: P0 from any reviewer, P1 from at least N reviewers."""

    p0_blocks: bool = True
    p1_min_reviewers: int = 2


@dataclass(frozen=True)
class ReviewerFinding:
    """One reviewer's finding after validation, located inside the diff."""

    reviewer: str
    priority: int
    title: str
    body: str
    path: str
    line_start: int
    line_end: int
    category: str
    confidence: float


@dataclass(frozen=True)
class Finding:
    """A finding after consensus: who raised it, how severe, where, and whether it blocks.

    ``priorities`` holds each reviewer's own priority for it (the most severe when one
    reviewer raised it twice); ``priority`` is the most severe of them.
    """

    reviewers: tuple[str, ...]
    priority: int
    title: str
    body: str
    path: str
    line_start: int
    line_end: int
    category: str
    confidence: float
    blocking: bool
    priorities: tuple[tuple[str, int], ...] = ()

    @property
    def location(self) -> str:
        """``path:start-end`` (or ``path:line``)."""
        if self.line_start == self.line_end:
            return f"{self.path}:{self.line_start}"
        return f"{self.path}:{self.line_start}-{self.line_end}"


def _same_issue(group: list[ReviewerFinding], candidate: ReviewerFinding) -> bool:
    first = group[0]
    if (first.path, first.category) != (candidate.path, candidate.category):
        return False
    return any(
        member.line_start <= candidate.line_end and candidate.line_start <= member.line_end
        for member in group
    )


def _blocks(priorities: dict[str, int], policy: BlockPolicy, reviewers_heard: int) -> bool:
    if policy.p0_blocks and any(p == 0 for p in priorities.values()):
        return True
    needed = max(1, min(policy.p1_min_reviewers, reviewers_heard))
    return sum(1 for p in priorities.values() if p <= 1) >= needed


def merge_findings(
    findings: Sequence[ReviewerFinding], *, policy: BlockPolicy, reviewers_heard: int
) -> list[Finding]:
    """Group findings that point at the same issue; most severe first.

    ``reviewers_heard`` is how many reviewers gave a usable review (see the module's
    note on the P1 rule).
    """
    ordered = sorted(findings, key=lambda f: (f.priority, -f.confidence, f.path, f.line_start))
    groups: list[list[ReviewerFinding]] = []
    for finding in ordered:
        group = next((g for g in groups if _same_issue(g, finding)), None)
        if group is None:
            groups.append([finding])
        else:
            group.append(finding)
    merged = [_merge(group, policy, reviewers_heard) for group in groups]
    return sorted(merged, key=lambda f: (f.priority, f.path, f.line_start, f.title))


def _merge(group: list[ReviewerFinding], policy: BlockPolicy, reviewers_heard: int) -> Finding:
    lead = group[0]  # the most severe, then the most confident (see merge_findings' sort)
    priorities: dict[str, int] = {}
    for member in group:
        priorities[member.reviewer] = min(priorities.get(member.reviewer, 3), member.priority)
    body = lead.body.strip()
    others = [m for m in group[1:] if m.reviewer != lead.reviewer]
    if others:
        # The other reviewers' wording helps whoever fixes it; keep it short.
        body += "\n\n" + "\n".join(f"Also flagged by {m.reviewer}: {m.title}" for m in others)
    return Finding(
        reviewers=tuple(sorted(priorities)),
        priority=lead.priority,
        title=lead.title,
        body=body,
        path=lead.path,
        line_start=min(m.line_start for m in group),
        line_end=max(m.line_end for m in group),
        category=lead.category,
        confidence=max(m.confidence for m in group),
        blocking=_blocks(priorities, policy, reviewers_heard),
        priorities=tuple(sorted(priorities.items())),
    )
