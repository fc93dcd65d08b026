"""Read-only queries for reports: every run, attempt, check, finding and decision as records.

The engine writes these rows one at a time; the report (and the dashboard) read them in
bulk, so each method is one query, optionally narrowed to one run.
"""

from __future__ import annotations

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

    def table_rows(self, table: str) -> list[dict[str, Any]] | None:
        """Every row of ``table`` as a dict, or None when the ledger has no such table.

        For tables newer code adds (e.g. review tables) that a reader wants to show
        without knowing their columns.
        """
        with self._reading() as conn:
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).fetchone()
            if found is None:
                return None
            # The name was just matched against sqlite_master, so quoting it is enough.
            quoted = '"' + table.replace('"', '""') + '"'
            cursor = conn.execute(f"SELECT * FROM {quoted} ORDER BY rowid")
            names = [d[0] for d in cursor.description]
            rows: list[tuple[Any, ...]] = cursor.fetchall()
        return [dict(zip(names, row, strict=True)) for row in rows]
