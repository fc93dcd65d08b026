"""Ledger methods for model usage, check results, review findings, reviews and decisions."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from specloop.ledger import _validate as v
from specloop.ledger._base import LedgerBase
from specloop.ledger._db import utc_now
from specloop.ledger._records import UsageTotals


class EvidenceMixin(LedgerBase):
    """What it cost and why it was accepted: usage, checks, findings and decisions."""

    def record_usage(
        self,
        *,
        role: str,
        model: str,
        input_tokens: int,
        output_tokens: int,
        cached_tokens: int = 0,
        cost_usd: float | None = None,
        stage: str | None = None,
        run_id: int | None = None,
        task_id: str | None = None,
        attempt_id: int | None = None,
        duration_ms: int | None = None,
    ) -> int:
        """Record one model call's token counts and cost; ``cost_usd=None`` means unknown."""
        row = (
            v.text("role", role),
            v.text("model", model),
            v.optional_text("stage", stage),
            v.count("input_tokens", input_tokens),
            v.count("cached_tokens", cached_tokens),
            v.count("output_tokens", output_tokens),
            v.cost(cost_usd),
            v.optional_count("duration_ms", duration_ms),
        )
        with self._writing() as conn:
            self._require(conn, run_id=run_id, task_id=task_id, attempt_id=attempt_id)
            cur = conn.execute(
                "INSERT INTO usage (at, run_id, task_id, attempt_id, role, model, stage,"
                " input_tokens, cached_tokens, output_tokens, cost_usd, duration_ms)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (utc_now(), run_id, task_id, attempt_id, *row),
            )
        return self._new_id(cur)

    def usage_totals(
        self, *, run_id: int | None = None, task_id: str | None = None
    ) -> list[UsageTotals]:
        """Usage summed per (role, model), optionally for one run and/or task.

        A group's cost is None if any of its calls had an unknown cost.
        """
        where = ["1 = 1"]
        params: list[Any] = []
        if run_id is not None:
            where.append("run_id = ?")
            params.append(run_id)
        if task_id is not None:
            where.append("task_id = ?")
            params.append(task_id)
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT role, model, count(*), sum(input_tokens), sum(cached_tokens),"
                " sum(output_tokens),"
                # count(cost_usd) skips NULLs: any unknown cost makes the total unknown.
                " CASE WHEN count(cost_usd) = count(*) THEN total(cost_usd) END"
                f" FROM usage WHERE {' AND '.join(where)}"
                " GROUP BY role, model ORDER BY role, model",
                params,
            ).fetchall()
        return [UsageTotals(*row) for row in rows]

    def record_check(
        self,
        attempt_id: int,
        *,
        name: str,
        kind: str,
        status: str,
        phase: str = "after",
        command: str | None = None,
        exit_code: int | None = None,
        output: str = "",
        duration_ms: int | None = None,
    ) -> int:
        """Record one check's result for an attempt (before or after its change)."""
        row = (
            v.text("name", name),
            v.text("kind", kind),
            v.optional_text("command", command),
            v.one_of("phase", phase, v.CHECK_PHASES),
            v.one_of("status", status, v.CHECK_STATUSES),
            v.optional_int("exit_code", exit_code),
            v.optional_text("output", output) or "",
            v.optional_count("duration_ms", duration_ms),
        )
        with self._writing() as conn:
            self._require(conn, attempt_id=attempt_id)
            cur = conn.execute(
                "INSERT INTO checks (attempt_id, at, name, kind, command, phase, status,"
                " exit_code, output, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (attempt_id, utc_now(), *row),
            )
        return self._new_id(cur)

    def record_finding(
        self,
        attempt_id: int,
        *,
        reviewer: str,
        priority: int,
        title: str,
        body: str,
        path: str | None,
        line_start: int | None,
        line_end: int | None,
        category: str,
        confidence: float | None,
        blocking: bool,
    ) -> int:
        """Record one review finding on an attempt; priority 0 is the most urgent."""
        v.lines(line_start, line_end)
        if not isinstance(blocking, bool):
            raise ValueError(f"blocking must be True or False, got {blocking!r}")
        if not isinstance(body, str):
            raise ValueError(f"body must be a string, got {type(body).__name__}")
        row = (
            v.text("reviewer", reviewer),
            v.priority(priority),
            v.text("title", title),
            body,
            v.optional_text("path", path),
            line_start,
            line_end,
            v.text("category", category),
            v.confidence(confidence),
            int(blocking),
        )
        with self._writing() as conn:
            self._require(conn, attempt_id=attempt_id)
            cur = conn.execute(
                "INSERT INTO findings (attempt_id, at, reviewer, priority, title, body, path,"
                " line_start, line_end, category, confidence, blocking)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (attempt_id, utc_now(), *row),
            )
        return self._new_id(cur)

    def record_decision(
        self,
        task_id: str,
        *,
        decision: str,
        actor: str,
        reason: str,
        attempt_id: int | None = None,
    ) -> int:
        """Record who decided what about a task and why; every decision needs a reason."""
        row = (
            v.text("task_id", task_id),
            attempt_id,
            v.text("decision", decision),
            v.text("actor", actor),
            v.text("reason", reason),
        )
        with self._writing() as conn:
            self._require(conn, task_id=task_id, attempt_id=attempt_id)
            cur = conn.execute(
                "INSERT INTO decisions (task_id, attempt_id, decision, actor, reason, at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (*row, utc_now()),
            )
        return self._new_id(cur)

    # -- reviews (migration 2): a range or an attempt, its findings, votes on them

    def record_review(
        self,
        *,
        diff_range: str,
        security: bool,
        reviewers: Sequence[str],
        verdicts: Mapping[str, str],
        blocking: bool,
        findings: Sequence[ReviewFindingLike],
        run_id: int | None = None,
        task_id: str | None = None,
        attempt_id: int | None = None,
        dropped_outside_diff: int = 0,
        failures: Sequence[str] = (),
        not_reviewed: Sequence[str] = (),
    ) -> tuple[int, list[int]]:
        """Record one review and its findings in one transaction; return their ids.

        The finding ids come back in the order given: ``F{id}`` is a finding's name.
        """
        v.text("diff_range", diff_range)
        for name, flag in (("security", security), ("blocking", blocking)):
            if not isinstance(flag, bool):
                raise ValueError(f"{name} must be True or False, got {flag!r}")
        rows = [_finding_row(finding) for finding in findings]
        head = (
            run_id,
            task_id,
            attempt_id,
            diff_range,
            int(security),
            json.dumps([v.text("reviewer", r) for r in reviewers], ensure_ascii=False),
            json.dumps(dict(verdicts), ensure_ascii=False),
            int(blocking),
            v.count("dropped_outside_diff", dropped_outside_diff),
            json.dumps(list(failures), ensure_ascii=False),
            json.dumps(list(not_reviewed), ensure_ascii=False),
        )
        now = utc_now()
        with self._writing() as conn:
            self._require(conn, run_id=run_id, task_id=task_id, attempt_id=attempt_id)
            cur = conn.execute(
                "INSERT INTO reviews (at, run_id, task_id, attempt_id, range, security,"
                " reviewers, verdicts, blocking, dropped_outside_diff, failures, not_reviewed)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (now, *head),
            )
            review_id = self._new_id(cur)
            ids: list[int] = []
            for row, priorities in rows:
                cur = conn.execute(
                    "INSERT INTO review_findings (review_id, at, priority, title, body, path,"
                    " line_start, line_end, category, confidence, blocking)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (review_id, now, *row),
                )
                finding_id = self._new_id(cur)
                conn.executemany(
                    "INSERT INTO review_finding_reviewers (finding_id, reviewer, priority)"
                    " VALUES (?, ?, ?)",
                    [(finding_id, who, p) for who, p in priorities.items()],
                )
                ids.append(finding_id)
        return review_id, ids

    def review_finding(self, finding_id: int) -> ReviewFindingRecord | None:
        """The stored finding ``F{finding_id}``, or None when there is none."""
        with self._reading() as conn:
            found = conn.execute(
                "SELECT id, review_id, priority, title, path, line_start, line_end, blocking"
                " FROM review_findings WHERE id = ?",
                (finding_id,),
            ).fetchone()
        if found is None:
            return None
        finding_id, review_id, priority, title, path, line_start, line_end, blocking = found
        return ReviewFindingRecord(
            finding_id, review_id, priority, title, path, line_start, line_end, bool(blocking)
        )

    def record_finding_feedback(self, finding_id: int, *, vote: str, why: str | None = None) -> int:
        """Record a person's vote (``up`` = real problem, ``down`` = false positive)."""
        v.one_of("vote", vote, VOTES)
        v.optional_text("why", why)
        with self._writing() as conn:
            if (
                conn.execute("SELECT 1 FROM review_findings WHERE id = ?", (finding_id,)).fetchone()
                is None
            ):
                raise ValueError(f"unknown finding F{finding_id} in ledger {self.path}")
            cur = conn.execute(
                "INSERT INTO finding_feedback (finding_id, vote, why, at) VALUES (?, ?, ?, ?)",
                (finding_id, vote, why, utc_now()),
            )
        return self._new_id(cur)

    # -- proofs of findings (migration 3): `specloop review --security --prove`

    def record_finding_proof(
        self,
        finding_id: int,
        *,
        reviewer: str,
        outcome: str,
        test_path: str | None = None,
        command: str | None = None,
        exit_code: int | None = None,
        reason: str = "",
        output: str = "",
        duration_ms: int | None = None,
    ) -> int:
        """Record one attempt to prove finding ``F{finding_id}`` with a failing test.

        ``outcome`` is ``reproduced`` (the test failed as predicted), ``not reproduced``
        (it passed) or ``error`` (no usable test, or it could not run to an answer).
        ``output`` is stored as given: the caller bounds it.
        """
        row = (
            v.text("reviewer", reviewer),
            v.optional_text("test_path", test_path),
            v.optional_text("command", command),
            v.optional_int("exit_code", exit_code),
            v.one_of("outcome", outcome, PROOF_OUTCOMES),
            v.optional_text("reason", reason) or "",
            v.optional_text("output", output) or "",
            v.optional_count("duration_ms", duration_ms),
        )
        with self._writing() as conn:
            if (
                conn.execute("SELECT 1 FROM review_findings WHERE id = ?", (finding_id,)).fetchone()
                is None
            ):
                raise ValueError(f"unknown finding F{finding_id} in ledger {self.path}")
            cur = conn.execute(
                "INSERT INTO finding_proofs (finding_id, at, reviewer, test_path, command,"
                " exit_code, outcome, reason, output, duration_ms)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (finding_id, utc_now(), *row),
            )
        return self._new_id(cur)

    def finding_proofs(self, finding_id: int) -> list[FindingProofRecord]:
        """Every proof recorded for finding ``F{finding_id}``, oldest first."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT id, finding_id, at, reviewer, test_path, command, exit_code, outcome,"
                " reason, output, duration_ms FROM finding_proofs WHERE finding_id = ?"
                " ORDER BY id",
                (finding_id,),
            ).fetchall()
        return [FindingProofRecord(*row) for row in rows]

    def reviewer_stats(self) -> list[ReviewerStats]:
        """Per reviewer model: its findings, and how many people confirmed or rejected."""
        with self._reading() as conn:
            rows = conn.execute(
                "WITH latest AS ("
                " SELECT f.finding_id, f.vote FROM finding_feedback f"
                " WHERE f.id = (SELECT max(g.id) FROM finding_feedback g"
                " WHERE g.finding_id = f.finding_id))"
                " SELECT r.reviewer, count(*),"
                " count(CASE WHEN latest.vote = 'up' THEN 1 END),"
                " count(CASE WHEN latest.vote = 'down' THEN 1 END)"
                " FROM review_finding_reviewers r"
                " LEFT JOIN latest ON latest.finding_id = r.finding_id"
                " GROUP BY r.reviewer ORDER BY r.reviewer"
            ).fetchall()
        return [ReviewerStats(*row) for row in rows]


# -- the records of reviews

VOTES = ("up", "down")
PROOF_OUTCOMES = ("reproduced", "not reproduced", "error")


class ReviewFindingLike(Protocol):
    """What ``record_review`` reads of a finding (``specloop.review.Finding`` fits).

    ``priorities`` is (reviewer, that reviewer's priority) for every reviewer that
    raised it. A Protocol so this package need not import the review package.
    """

    @property
    def priority(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def path(self) -> str | None: ...
    @property
    def line_start(self) -> int | None: ...
    @property
    def line_end(self) -> int | None: ...
    @property
    def category(self) -> str: ...
    @property
    def confidence(self) -> float | None: ...
    @property
    def blocking(self) -> bool: ...
    @property
    def priorities(self) -> Sequence[tuple[str, int]]: ...


@dataclass(frozen=True)
class ReviewerStats:
    """How one reviewer model's findings fared with people (``specloop review stats``).

    ``precision`` is confirmed / (confirmed + rejected); None before any vote. A
    finding several reviewers raised counts for each of them; the latest vote counts.
    """

    reviewer: str
    findings: int
    confirmed: int
    rejected: int

    @property
    def precision(self) -> float | None:
        """up / (up + down), or None when no finding of this reviewer has a vote."""
        voted = self.confirmed + self.rejected
        return None if voted == 0 else self.confirmed / voted


@dataclass(frozen=True)
class ReviewFindingRecord:
    """One stored review finding; ``public_id`` is how people name it (``F12``)."""

    id: int
    review_id: int
    priority: int
    title: str
    path: str | None
    line_start: int | None
    line_end: int | None
    blocking: bool

    @property
    def public_id(self) -> str:
        """``F`` and the row id."""
        return f"F{self.id}"


def _finding_row(finding: ReviewFindingLike) -> tuple[tuple[Any, ...], dict[str, int]]:
    """A finding's column values, checked, and its reviewers' priorities."""
    v.lines(finding.line_start, finding.line_end)
    if not isinstance(finding.blocking, bool):
        raise ValueError(f"blocking must be True or False, got {finding.blocking!r}")
    if not isinstance(finding.body, str):
        raise ValueError(f"body must be a string, got {type(finding.body).__name__}")
    priorities = {v.text("reviewer", who): v.priority(p) for who, p in finding.priorities}
    if not priorities:
        raise ValueError(f"finding {finding.title!r} names no reviewer")
    row = (
        v.priority(finding.priority),
        v.text("title", finding.title),
        finding.body,
        v.optional_text("path", finding.path),
        finding.line_start,
        finding.line_end,
        v.text("category", finding.category),
        v.confidence(finding.confidence),
        int(finding.blocking),
    )
    return row, priorities


@dataclass(frozen=True)
class FindingProofRecord:
    """One stored proof run of a review finding (see ``record_finding_proof``)."""

    id: int
    finding_id: int
    at: str
    reviewer: str
    test_path: str | None
    command: str | None
    exit_code: int | None
    outcome: str
    reason: str
    output: str
    duration_ms: int | None
