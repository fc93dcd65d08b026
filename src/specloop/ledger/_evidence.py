"""Ledger methods for model usage, check results, review findings and decisions."""

from __future__ import annotations

from typing import Any

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
