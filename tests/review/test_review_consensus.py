"""Merging several reviewers' findings and the blocking rule."""

from __future__ import annotations

from typing import Any

from specloop.review import BlockPolicy, ReviewerFinding, merge_findings

A, B = "openai:gpt-4.1", "anthropic:claude-sonnet-4-6"


def raw(reviewer: str = A, priority: int = 1, **changes: Any) -> ReviewerFinding:
    values: dict[str, Any] = {
        "reviewer": reviewer,
        "priority": priority,
        "title": f"[P{priority}] Fix it",
        "body": f"{reviewer} says why.",
        "path": "src/app.py",
        "line_start": 5,
        "line_end": 7,
        "category": "correctness",
        "confidence": 0.5,
    }
    values.update(changes)
    return ReviewerFinding(**values)


def merge(*findings: ReviewerFinding, heard: int = 2, **policy: Any) -> list[Any]:
    return merge_findings(findings, policy=BlockPolicy(**policy), reviewers_heard=heard)


def test_same_file_category_and_overlapping_lines_merge() -> None:
    (merged,) = merge(
        raw(A, 2, confidence=0.4), raw(B, 1, line_start=7, line_end=9, confidence=0.7)
    )
    assert merged.reviewers == (B, A)  # sorted
    assert merged.priority == 1 and merged.title == "[P1] Fix it"  # the most severe leads
    assert (merged.line_start, merged.line_end) == (5, 9)
    assert merged.confidence == 0.7
    assert dict(merged.priorities) == {A: 2, B: 1}
    assert f"Also flagged by {A}" in merged.body


def test_other_file_category_or_lines_stay_apart() -> None:
    findings = merge(
        raw(A),
        raw(B, path="src/other.py"),
        raw(B, category="security"),
        raw(B, line_start=8, line_end=9),
    )
    assert len(findings) == 4


def test_p0_from_one_reviewer_blocks() -> None:
    (only,) = merge(raw(A, 0))
    assert only.blocking
    (only,) = merge(raw(A, 0), p0_blocks=False)
    assert not only.blocking


def test_p1_needs_two_reviewers_when_two_reviewed() -> None:
    (lonely,) = merge(raw(A, 1))
    assert not lonely.blocking  # the reviewers disagree: one P1 is not enough
    (agreed,) = merge(raw(A, 1), raw(B, 2), raw(B, 1, line_start=6))
    assert agreed.blocking and agreed.reviewers == (B, A)
    (p0_and_p1,) = merge(raw(A, 0), raw(B, 1), p0_blocks=False)
    assert p0_and_p1.blocking  # a P0 counts toward the P1 quorum


def test_a_single_reviewer_p1_blocks_and_p2_never_does() -> None:
    (alone,) = merge(raw(A, 1), heard=1)
    assert alone.blocking
    findings = merge(raw(A, 2), raw(B, 2), raw(A, 3, path="x"))
    assert not any(f.blocking for f in findings)


def test_one_reviewers_duplicates_count_once() -> None:
    (merged,) = merge(raw(A, 1), raw(A, 1, line_start=6))
    assert merged.reviewers == (A,) and not merged.blocking


def test_order_is_most_severe_first() -> None:
    findings = merge(raw(A, 3, path="a"), raw(A, 0, path="z"), raw(A, 2, path="m"))
    assert [f.priority for f in findings] == [0, 2, 3]
