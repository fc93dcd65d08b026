"""The Ledger: one open ledger database and every read and write specloop makes to it.

Its methods are split by subject: connection handling in ``_base``, usage and evidence in
``_evidence``, and runs, tasks, attempts and the event log here.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from specloop.ledger import _validate as v
from specloop.ledger._db import connect_ro, connect_rw, translate_errors, utc_now
from specloop.ledger._evidence import EvidenceMixin
from specloop.ledger._migrations import migrate, require_current
from specloop.ledger._reads import ReadsMixin
from specloop.ledger._records import (
    AttemptRecord,
    EventRecord,
    LedgerError,
    RunRecord,
    TaskState,
    TaskStatus,
)

# The kind of the event that set_task_state appends.
TASK_STATE_EVENT = "task.state"

_RUN_COLUMNS = "id, started_at, finished_at, status, base_ref, base_sha, autonomy"
_ATTEMPT_COLUMNS = "id, run_id, task_id, number, executor, started_at, finished_at, outcome"
_EVENT_COLUMNS = "id, at, kind, run_id, task_id, attempt_id, state, reason, data"


class Ledger(EvidenceMixin, ReadsMixin):
    """An open ledger database. Create one with ``Ledger.open`` or ``Ledger.open_existing``.

    Every write is its own short transaction, so several processes can share the file.
    One Ledger may be used from several threads; calls are serialised by a lock.
    """

    # -- opening and closing -------------------------------------------------------------

    @classmethod
    def open(cls, path: Path) -> Ledger:
        """Open the ledger at ``path`` for reading and writing.

        Creates the parent folders and the database if needed and applies any pending
        schema migrations. Raises LedgerError if it cannot be opened or was written by a
        newer specloop.
        """
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LedgerError(
                f"ledger {path} cannot be created: folder {path.parent}: {exc.strerror or exc}"
            ) from exc
        with translate_errors(path):
            conn = connect_rw(path)
            try:
                migrate(conn, path)
            except BaseException:
                conn.close()
                raise
        return cls(path, conn, readonly=False)

    @classmethod
    def open_existing(cls, path: Path) -> Ledger | None:
        """Open the ledger at ``path`` read-only, or return None if there is none yet.

        Never creates the database or any folder, and works when the folder is
        read-only. Raises LedgerError if the file is not a ledger, or its schema is older
        or newer than this specloop's (reading must not upgrade it).
        """
        path = Path(path)
        if not path.exists():
            return None
        with translate_errors(path):
            try:
                conn = connect_ro(path)
            except sqlite3.OperationalError:
                if not path.exists():  # removed since the check above: still "no ledger"
                    return None
                raise
            try:
                require_current(conn, path)
            except BaseException:
                conn.close()
                raise
        return cls(path, conn, readonly=True)

    # -- runs ----------------------------------------------------------------------------

    def start_run(
        self,
        *,
        base_ref: str | None = None,
        base_sha: str | None = None,
        autonomy: str | None = None,
        config: dict[str, Any] | None = None,
    ) -> RunRecord:
        """Record the start of a run (status ``running``) and return it."""
        v.optional_text("base_ref", base_ref)
        v.optional_text("base_sha", base_sha)
        v.optional_text("autonomy", autonomy)
        config_json = v.json_object("config", config)
        now = utc_now()
        with self._writing() as conn:
            cur = conn.execute(
                "INSERT INTO runs (started_at, status, base_ref, base_sha, autonomy, config)"
                " VALUES (?, 'running', ?, ?, ?, ?)",
                (now, base_ref, base_sha, autonomy, config_json),
            )
        return RunRecord(self._new_id(cur), now, None, "running", base_ref, base_sha, autonomy)

    def finish_run(self, run_id: int, status: str) -> None:
        """Record that a run ended with ``status``; a run can be finished only once."""
        v.text("status", status)
        with self._writing() as conn:
            self._finish(conn, "runs", "run", run_id, "status", status, {})

    def latest_run(self) -> RunRecord | None:
        """The most recently started run, or None if there has been none."""
        with self._reading() as conn:
            row = conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs ORDER BY id DESC LIMIT 1")
            found = row.fetchone()
        return None if found is None else RunRecord(*found)

    # -- tasks and attempts --------------------------------------------------------------

    def upsert_task(self, task_id: str, *, title: str, path: str | None = None) -> None:
        """Add the task, or update its title and file path if it is already known."""
        v.text("task_id", task_id)
        v.text("title", title)
        v.optional_text("path", path)
        now = utc_now()
        with self._writing() as conn:
            conn.execute(
                "INSERT INTO tasks (id, title, path, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                " title = excluded.title, path = excluded.path, updated_at = excluded.updated_at"
                " WHERE title IS NOT excluded.title OR path IS NOT excluded.path",
                (task_id, title, path, now, now),
            )

    def start_attempt(
        self,
        task_id: str,
        *,
        run_id: int | None = None,
        executor: str | None = None,
        model: str | None = None,
        branch: str | None = None,
        worktree: str | None = None,
        base_sha: str | None = None,
    ) -> AttemptRecord:
        """Record a new attempt at a task, numbered one more than its previous attempt."""
        v.text("task_id", task_id)
        for name, value in (
            ("executor", executor),
            ("model", model),
            ("branch", branch),
            ("worktree", worktree),
            ("base_sha", base_sha),
        ):
            v.optional_text(name, value)
        now = utc_now()
        with self._writing() as conn:
            self._require(conn, run_id=run_id, task_id=task_id)
            # Counted inside the write transaction, so two processes never get one number.
            (number,) = conn.execute(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM attempts WHERE task_id = ?", (task_id,)
            ).fetchone()
            cur = conn.execute(
                "INSERT INTO attempts (run_id, task_id, number, executor, model, branch,"
                " worktree, base_sha, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, task_id, number, executor, model, branch, worktree, base_sha, now),
            )
        return AttemptRecord(self._new_id(cur), run_id, task_id, number, executor, now, None, None)

    def finish_attempt(self, attempt_id: int, *, outcome: str, head_sha: str | None = None) -> None:
        """Record how an attempt ended; an attempt can be finished only once."""
        v.text("outcome", outcome)
        v.optional_text("head_sha", head_sha)
        with self._writing() as conn:
            extra = {"head_sha": head_sha}
            self._finish(conn, "attempts", "attempt", attempt_id, "outcome", outcome, extra)

    # -- the event log -------------------------------------------------------------------

    def append_event(
        self,
        kind: str,
        *,
        run_id: int | None = None,
        task_id: str | None = None,
        attempt_id: int | None = None,
        state: TaskState | None = None,
        reason: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> int:
        """Append one event to the log and return its id.

        An event with a ``state`` changes that task's state (see ``task_statuses``), so
        it needs a ``task_id``. ``data`` is stored as JSON.
        """
        v.text("kind", kind)
        state_value = None if state is None else v.state(state).value
        if state_value is not None and task_id is None:
            raise ValueError("an event that sets a state needs a task_id")
        v.optional_text("reason", reason)
        data_json = v.json_object("data", data)
        with self._writing() as conn:
            self._require(conn, run_id=run_id, task_id=task_id, attempt_id=attempt_id)
            cur = conn.execute(
                "INSERT INTO events (at, kind, run_id, task_id, attempt_id, state, reason, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (utc_now(), kind, run_id, task_id, attempt_id, state_value, reason, data_json),
            )
        return self._new_id(cur)

    def set_task_state(
        self,
        task_id: str,
        state: TaskState,
        *,
        reason: str | None = None,
        run_id: int | None = None,
        attempt_id: int | None = None,
    ) -> int:
        """Change a task's state by appending a ``task.state`` event; return its id."""
        v.text("task_id", task_id)
        return self.append_event(
            TASK_STATE_EVENT,
            run_id=run_id,
            task_id=task_id,
            attempt_id=attempt_id,
            state=v.state(state),
            reason=reason,
        )

    def events(
        self, *, task_id: str | None = None, run_id: int | None = None, after_id: int = 0
    ) -> list[EventRecord]:
        """Events in the order they were appended, optionally filtered.

        ``after_id`` returns only events newer than that id, to follow the log.
        """
        where = ["id > ?"]
        params: list[Any] = [after_id]
        if task_id is not None:
            where.append("task_id = ?")
            params.append(task_id)
        if run_id is not None:
            where.append("run_id = ?")
            params.append(run_id)
        sql = f"SELECT {_EVENT_COLUMNS} FROM events WHERE {' AND '.join(where)} ORDER BY id"
        with self._reading() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [self._event(row) for row in rows]

    def _event(self, row: tuple[Any, ...]) -> EventRecord:
        event_id, at, kind, run_id, task_id, attempt_id, state, reason, data = row
        try:
            parsed = None if state is None else TaskState(state)
            payload = None if data is None else json.loads(data)
        except ValueError as exc:
            raise LedgerError(f"ledger {self.path} event {event_id} is unreadable: {exc}") from exc
        return EventRecord(event_id, at, kind, run_id, task_id, attempt_id, parsed, reason, payload)

    def task_statuses(self) -> dict[str, TaskStatus]:
        """The current state of every task that has had a state event, keyed by task id.

        A task's state and reason are those of its latest state event; ``attempts`` is
        how many attempts it has had.
        """
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT e.task_id, e.state, e.reason, e.at,"
                " (SELECT count(*) FROM attempts a WHERE a.task_id = e.task_id)"
                " FROM events e JOIN ("
                "   SELECT max(id) AS id FROM events"
                "   WHERE state IS NOT NULL AND task_id IS NOT NULL GROUP BY task_id"
                " ) latest ON latest.id = e.id"
                " ORDER BY e.task_id"
            ).fetchall()
        try:
            return {
                task_id: TaskStatus(task_id, TaskState(state), reason, at, attempts)
                for task_id, state, reason, at, attempts in rows
            }
        except ValueError as exc:
            raise LedgerError(f"ledger {self.path} has an unreadable task state: {exc}") from exc
