"""The ledger's reviews: findings without an attempt, votes and per-reviewer precision."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from specloop.ledger import Ledger
from specloop.review import Finding

A, B = "openai:gpt-4.1", "anthropic:claude-sonnet-4-6"


def merged(by_reviewer: dict[str, int], **changes: object) -> Finding:
    values: dict[str, object] = {
        "reviewers": tuple(sorted(by_reviewer)),
        "priority": min(by_reviewer.values()),
        "title": "[P1] Fix it",
        "body": "Because.",
        "path": "src/app.py",
        "line_start": 3,
        "line_end": 4,
        "category": "correctness",
        "confidence": 0.6,
        "blocking": False,
        "priorities": tuple(sorted(by_reviewer.items())),
    }
    values.update(changes)
    return Finding(**values)  # type: ignore[arg-type]


def record(ledger: Ledger, *findings: Finding) -> list[int]:
    _, ids = ledger.record_review(
        diff_range="main..HEAD",
        security=False,
        reviewers=[A, B],
        verdicts={A: "patch is incorrect", B: "patch is correct"},
        blocking=False,
        findings=findings,
    )
    return ids


def test_a_range_review_needs_no_attempt_and_votes_make_precision(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "ledger.db") as ledger:
        first, second, third = record(
            ledger, merged({A: 1, B: 2}), merged({A: 2}, line_start=9, line_end=9), merged({B: 3})
        )
        assert (first, second, third) == (1, 2, 3)
        ledger.record_finding_feedback(first, vote="down", why="not reachable")
        ledger.record_finding_feedback(first, vote="up", why="on second thought, it is")
        ledger.record_finding_feedback(second, vote="down")
        stats = {s.reviewer: s for s in ledger.reviewer_stats()}
        stored = ledger.review_finding(first)
    assert (stats[A].findings, stats[A].confirmed, stats[A].rejected) == (2, 1, 1)
    assert stats[A].precision == 0.5
    assert (stats[B].findings, stats[B].confirmed, stats[B].precision) == (2, 1, 1.0)
    assert stored is not None and stored.public_id == "F1" and stored.review_id == 1
    rows = sqlite3.connect(tmp_path / "ledger.db").execute(
        "SELECT reviewer, priority FROM review_finding_reviewers WHERE finding_id = 1 ORDER BY reviewer"
    )
    assert rows.fetchall() == [(B, 2), (A, 1)]


def test_bad_feedback_and_findings_are_refused(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "ledger.db") as ledger:
        with pytest.raises(ValueError, match="unknown finding F4"):
            ledger.record_finding_feedback(4, vote="up")
        (finding_id,) = record(ledger, merged({A: 1}))
        with pytest.raises(ValueError, match="vote must be one of up, down"):
            ledger.record_finding_feedback(finding_id, vote="meh")
        with pytest.raises(ValueError, match="names no reviewer"):
            record(ledger, merged({A: 1}, priorities=()))
        with pytest.raises(ValueError, match="unknown attempt"):
            ledger.record_review(
                diff_range="a..b",
                security=True,
                reviewers=[A],
                verdicts={},
                blocking=True,
                findings=[],
                attempt_id=99,
            )
        assert ledger.reviewer_stats()[0].precision is None


def test_feedback_is_append_only(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "ledger.db") as ledger:
        (finding_id,) = record(ledger, merged({A: 1}))
        ledger.record_finding_feedback(finding_id, vote="up")
    conn = sqlite3.connect(tmp_path / "ledger.db")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM finding_feedback")
