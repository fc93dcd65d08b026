"""Read-only queries for reports: every run, attempt, check, finding and decision as records.

The engine writes these rows one at a time; the report (and the dashboard) read them in
bulk, so each method is one query (reviews: one per table), optionally narrowed to one run.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from specloop.ledger._base import LedgerBase
from specloop.ledger._records import RunRecord

_ATTEMPT_COLUMNS = (
    "id, run_id, task_id, number, executor, model, branch, base_sha, head_sha,"
    " started_at, finished_at, outcome"
)
_CHECK_COLUMNS = (
    "c.id, c.attempt_id, c.at, c.name, c.kind, c.command, c.phase, c.status, c.exit_code,"
    " c.output, c.duration_ms"
)
_FINDING_COLUMNS = (
    "f.id, f.attempt_id, f.at, f.reviewer, f.priority, f.title, f.body, f.path, f.line_start,"
    " f.line_end, f.category, f.confidence, f.blocking"
)

_REVIEW_COLUMNS = (
    "r.id, r.at, r.run_id, r.task_id, r.attempt_id, r.range, r.security, r.reviewers,"
    " r.verdicts, r.blocking, r.dropped_outside_diff, r.failures, r.not_reviewed"
)
# The reviewers that raised a finding come as one JSON list, sorted by name.
_REVIEW_FINDING_COLUMNS = (
    "f.id, f.review_id, f.priority, f.title, f.body, f.path, f.line_start, f.line_end,"
    " f.category, f.confidence, f.blocking, (SELECT json_group_array(x.reviewer) FROM"
    " (SELECT reviewer FROM review_finding_reviewers WHERE finding_id = f.id ORDER BY"
    " reviewer) x), b.vote, b.why, b.at"
)


@dataclass(frozen=True)
class AttemptDetail:
    """Every column of one attempt, including the commits its diff runs between."""

    id: int
    run_id: int | None
    task_id: str
    number: int
    executor: str | None
    model: str | None
    branch: str | None
    base_sha: str | None
    head_sha: str | None
    started_at: str
    finished_at: str | None
    outcome: str | None


@dataclass(frozen=True)
class CheckRecord:
    """One recorded check result; ``phase`` is ``before`` (on the base) or ``after``."""

    id: int
    attempt_id: int
    at: str
    name: str
    kind: str
    command: str | None
    phase: str
    status: str
    exit_code: int | None
    output: str
    duration_ms: int | None


@dataclass(frozen=True)
class FindingRecord:
    """One review finding on an attempt; priority 0 is the most urgent."""

    id: int
    attempt_id: int
    at: str
    reviewer: str
    priority: int
    title: str
    body: str
    path: str | None
    line_start: int | None
    line_end: int | None
    category: str
    confidence: float | None
    blocking: bool


@dataclass(frozen=True)
class DecisionRecord:
    """Who decided what about a task, and why."""

    id: int
    task_id: str
    attempt_id: int | None
    decision: str
    actor: str
    reason: str
    at: str


@dataclass(frozen=True)
class TaskUsage:
    """Model usage summed over one task's calls; ``cost_usd`` None when any cost is unknown."""

    task_id: str
    calls: int
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    cost_usd: float | None


@dataclass(frozen=True)
class ProofRecord:
    """The latest proof run of a review finding (``finding_proofs``, migration 3)."""

    at: str
    test_path: str | None
    command: str | None
    exit_code: int | None
    outcome: str  # reproduced, not reproduced or error
    output: str


@dataclass(frozen=True)
class ReviewFindingDetail:
    """A review finding ``F{id}`` with who raised it, the vote that counts and its proof.

    ``vote``/``why``/``voted_at`` are the latest feedback (a person may change their
    mind; ``specloop review stats`` counts the latest vote too), None before any.
    """

    id: int
    review_id: int
    priority: int
    title: str
    body: str
    path: str | None
    line_start: int | None
    line_end: int | None
    category: str
    confidence: float | None
    blocking: bool
    reviewers: tuple[str, ...]
    vote: str | None
    why: str | None
    voted_at: str | None
    proof: ProofRecord | None


@dataclass(frozen=True)
class ReviewRecord:
    """One review of an attempt or of a range (no task, no attempt), with its findings.

    The JSON columns come decoded; text that is not the JSON expected is kept whole.
    """

    id: int
    at: str
    run_id: int | None
    task_id: str | None
    attempt_id: int | None
    range: str
    security: bool
    reviewers: tuple[str, ...]
    verdicts: tuple[tuple[str, str], ...]
    blocking: bool
    dropped_outside_diff: int
    failures: tuple[str, ...]
    not_reviewed: tuple[str, ...]
    findings: tuple[ReviewFindingDetail, ...]


def _texts(raw: str) -> tuple[str, ...]:
    try:
        value = json.loads(raw)
    except ValueError:
        return (raw,)
    return tuple(str(item) for item in value) if isinstance(value, list) else (raw,)


def _pairs(raw: str) -> tuple[tuple[str, str], ...]:
    try:
        value = json.loads(raw)
    except ValueError:
        return (("?", raw),)
    if not isinstance(value, dict):
        return (("?", raw),)
    return tuple((str(k), str(v)) for k, v in value.items())


def _review(head: tuple[Any, ...], findings: tuple[ReviewFindingDetail, ...]) -> ReviewRecord:
    values: list[Any] = [*head[:6], bool(head[6]), _texts(head[7]), _pairs(head[8])]
    values += [bool(head[9]), head[10], _texts(head[11]), _texts(head[12]), findings]
    return ReviewRecord(*values)


def _has_table(conn: sqlite3.Connection, table: str) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return conn.execute(query, (table,)).fetchone() is not None


def _run_filter(run_id: int | None, alias: str = "") -> tuple[str, list[Any]]:
    if run_id is None:
        return "1 = 1", []
    return f"{alias}run_id = ?", [run_id]


class ReadsMixin(LedgerBase):
    """Bulk, read-only queries over the whole ledger or one run."""

    def runs(self) -> list[RunRecord]:
        """Every run, oldest first."""
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT id, started_at, finished_at, status, base_ref, base_sha, autonomy"
                " FROM runs ORDER BY id"
            ).fetchall()
        return [RunRecord(*row) for row in rows]

    def attempt_details(self, *, run_id: int | None = None) -> list[AttemptDetail]:
        """Every attempt (of one run, if given), by task and then attempt number."""
        where, params = _run_filter(run_id)
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT {_ATTEMPT_COLUMNS} FROM attempts WHERE {where} ORDER BY task_id, number",
                params,
            ).fetchall()
        return [AttemptDetail(*row) for row in rows]

    def checks(self, *, run_id: int | None = None) -> list[CheckRecord]:
        """Every check result (of one run's attempts, if given), in the order recorded."""
        where, params = _run_filter(run_id, "a.")
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT {_CHECK_COLUMNS} FROM checks c JOIN attempts a ON a.id = c.attempt_id"
                f" WHERE {where} ORDER BY c.id",
                params,
            ).fetchall()
        return [CheckRecord(*row) for row in rows]

    def findings(self, *, run_id: int | None = None) -> list[FindingRecord]:
        """Every review finding (of one run's attempts, if given), most urgent first."""
        where, params = _run_filter(run_id, "a.")
        with self._reading() as conn:
            rows = conn.execute(
                f"SELECT {_FINDING_COLUMNS} FROM findings f"
                f" JOIN attempts a ON a.id = f.attempt_id WHERE {where}"
                " ORDER BY f.priority, f.id",
                params,
            ).fetchall()
        return [FindingRecord(*(*row[:-1], bool(row[-1]))) for row in rows]

    def decisions(self, *, run_id: int | None = None) -> list[DecisionRecord]:
        """Every decision, oldest first; for one run, those about that run's attempts."""
        columns = "d.id, d.task_id, d.attempt_id, d.decision, d.actor, d.reason, d.at"
        where, params = _run_filter(run_id, "a.")
        with self._reading() as conn:
            # LEFT JOIN: a decision need not name an attempt; it then belongs to no run.
            rows = conn.execute(
                f"SELECT {columns} FROM decisions d LEFT JOIN attempts a ON a.id = d.attempt_id"
                f" WHERE {where} ORDER BY d.id",
                params,
            ).fetchall()
        return [DecisionRecord(*row) for row in rows]

    def usage_per_task(self, *, run_id: int | None = None) -> dict[str, TaskUsage]:
        """Usage summed per task (calls outside any task are left out), keyed by task id."""
        where, params = _run_filter(run_id)
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT task_id, count(*), sum(input_tokens), sum(cached_tokens),"
                " sum(output_tokens),"
                # As in usage_totals: one unknown cost makes the sum unknown, never zero.
                " CASE WHEN count(cost_usd) = count(*) THEN total(cost_usd) END"
                f" FROM usage WHERE task_id IS NOT NULL AND {where} GROUP BY task_id",
                params,
            ).fetchall()
        return {row[0]: TaskUsage(*row) for row in rows}

    def reviews(self, *, run_id: int | None = None) -> list[ReviewRecord]:
        """Every review (of one run, if given), oldest first, its findings most urgent first.

        A review belongs to a run by its own ``run_id`` or its attempt's. Proofs show
        only when the ledger has ``finding_proofs``: older ledgers lack the table.
        """
        where = "1 = 1" if run_id is None else "coalesce(r.run_id, a.run_id) = ?"
        params = [] if run_id is None else [run_id]
        scope = f"FROM reviews r LEFT JOIN attempts a ON a.id = r.attempt_id WHERE {where}"
        with self._reading() as conn:
            query = f"SELECT {_REVIEW_COLUMNS} {scope} ORDER BY r.id"
            heads = conn.execute(query, params).fetchall()
            found = conn.execute(
                f"SELECT {_REVIEW_FINDING_COLUMNS} FROM review_findings f"
                # The latest vote counts, as in reviewer_stats (max id = the latest).
                " LEFT JOIN finding_feedback b ON b.id ="
                " (SELECT max(c.id) FROM finding_feedback c WHERE c.finding_id = f.id)"
                f" WHERE f.review_id IN (SELECT r.id {scope}) ORDER BY f.priority, f.id",
                params,
            ).fetchall()
            proofs: dict[int, ProofRecord] = {}
            if _has_table(conn, "finding_proofs"):
                # Only the columns a report shows, by name: the table may grow more.
                for row in conn.execute(
                    "SELECT p.finding_id, p.at, p.test_path, p.command, p.exit_code, p.outcome,"
                    " p.output FROM finding_proofs p WHERE p.rowid ="
                    " (SELECT max(q.rowid) FROM finding_proofs q WHERE q.finding_id = p.finding_id)"
                ):
                    proofs[row[0]] = ProofRecord(*row[1:])
        findings_of: dict[int, list[ReviewFindingDetail]] = {}
        for row in found:
            raised = _texts(row[11]) if row[11] else ()
            values = [*row[:10], bool(row[10]), raised, *row[12:], proofs.get(row[0])]
            detail = ReviewFindingDetail(*values)
            findings_of.setdefault(detail.review_id, []).append(detail)
        return [_review(head, tuple(findings_of.get(head[0], ()))) for head in heads]

    def has_table(self, table: str) -> bool:
        """Whether the ledger has ``table`` (tables newer migrations add may be missing)."""
        with self._reading() as conn:
            return _has_table(conn, table)

    def table_rows(self, table: str) -> list[dict[str, Any]] | None:
        """Every row of ``table`` as a dict, or None when the ledger has no such table.

        For tables newer code adds that a reader wants to show without knowing their
        columns.
        """
        with self._reading() as conn:
            if not _has_table(conn, table):
                return None
            # The name was just matched against sqlite_master, so quoting it is enough.
            quoted = '"' + table.replace('"', '""') + '"'
            cursor = conn.execute(f"SELECT * FROM {quoted} ORDER BY rowid")
            names = [d[0] for d in cursor.description]
            rows: list[tuple[Any, ...]] = cursor.fetchall()
        return [dict(zip(names, row, strict=True)) for row in rows]
