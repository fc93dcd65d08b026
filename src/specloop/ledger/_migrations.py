"""The ledger schema, as an ordered list of numbered migrations.

Each migration is a function registered with ``@migration``; its number is its position
in ``MIGRATIONS`` (from 1) and the ones a database has run are recorded in
``_migrations``. ``migrate`` applies the missing ones.

RULES FOR CHANGING THE SCHEMA: add a new ``@migration`` function at the END of this file. Never edit,
reorder, rename or delete a migration that has been released: existing ledgers have
already run it, recorded under its number and name, and will not run it again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from specloop.ledger._db import utc_now, write_transaction
from specloop.ledger._records import LedgerError

MigrationFn = Callable[[sqlite3.Connection], None]


@dataclass(frozen=True)
class Migration:
    """One schema step: ``id`` is its 1-based position, ``name`` its function's name."""

    id: int
    name: str
    apply: MigrationFn


MIGRATIONS: list[Migration] = []


def migration(fn: MigrationFn) -> MigrationFn:
    """Register ``fn`` as the next migration (numbered by registration order)."""
    MIGRATIONS.append(Migration(len(MIGRATIONS) + 1, fn.__name__, fn))
    return fn


def applied_migrations(conn: sqlite3.Connection) -> dict[int, str]:
    """Return {id: name} of the migrations recorded in the database (empty if none)."""
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'"
    ).fetchone()
    if has_table is None:
        return {}
    return {int(i): str(n) for i, n in conn.execute("SELECT id, name FROM _migrations")}


def _check_known(path: Path, applied: dict[int, str], migrations: Sequence[Migration]) -> None:
    """Refuse a database that ran migrations this code does not know."""
    known = {m.id: m.name for m in migrations}
    newer = sorted(i for i in applied if i not in known)
    if newer:
        raise LedgerError(
            f"ledger {path} was written by a newer specloop (schema version {newer[-1]}, "
            f"this specloop knows up to {len(known)}); upgrade specloop to use it"
        )
    for i, name in sorted(applied.items()):
        if known[i] != name:
            raise LedgerError(
                f"ledger {path} recorded migration {i} as {name!r} but this specloop calls it "
                f"{known[i]!r}; it was written by a different specloop version"
            )


def _check_list(migrations: Sequence[Migration]) -> None:
    # A gap or duplicate would make "which ran" ambiguous; this is a programming error.
    ids = [m.id for m in migrations]
    if ids != list(range(1, len(ids) + 1)):
        raise ValueError(f"migration ids must be 1..{len(ids)} in order, got {ids}")


def migrate(
    conn: sqlite3.Connection, path: Path, migrations: Sequence[Migration] = MIGRATIONS
) -> list[int]:
    """Apply the migrations the database has not run yet; return the ids applied.

    Safe when several processes open a fresh ledger at once: the list of applied
    migrations is re-read inside a ``BEGIN IMMEDIATE`` transaction, so only the first
    process applies them and the others find nothing left to do. All pending migrations
    commit together, so a failure leaves the schema as it was.
    """
    _check_list(migrations)
    # Fast path without the write lock: the usual case is an up-to-date ledger.
    applied = applied_migrations(conn)
    _check_known(path, applied, migrations)
    if len(applied) == len(migrations):
        return []
    done: list[int] = []
    with write_transaction(conn):
        conn.execute(
            "CREATE TABLE IF NOT EXISTS _migrations ("
            "id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        applied = applied_migrations(conn)
        _check_known(path, applied, migrations)
        for m in migrations:
            if m.id in applied:
                continue
            m.apply(conn)
            conn.execute(
                "INSERT INTO _migrations (id, name, applied_at) VALUES (?, ?, ?)",
                (m.id, m.name, utc_now()),
            )
            done.append(m.id)
    return done


def require_current(
    conn: sqlite3.Connection, path: Path, migrations: Sequence[Migration] = MIGRATIONS
) -> None:
    """For read-only use: raise LedgerError unless the schema is exactly the known one."""
    applied = applied_migrations(conn)
    _check_known(path, applied, migrations)
    if len(applied) < len(migrations):
        raise LedgerError(
            f"ledger {path} has an older schema (version {max(applied, default=0)}, this "
            f"specloop needs {len(migrations)}); run a specloop command that writes, "
            "e.g. `specloop run`, to upgrade it"
        )


def schema_version(conn: sqlite3.Connection) -> int:
    """The highest migration id recorded in the database (0 for an empty database)."""
    return max(applied_migrations(conn), default=0)


# --- The migrations, oldest first. Append new ones at the end of the file; never edit one.


def _run(conn: sqlite3.Connection, *statements: str) -> None:
    # One statement per execute(): executescript() would COMMIT the migration transaction.
    for statement in statements:
        conn.execute(statement)


def _append_only(table: str) -> list[str]:
    """Triggers that make ``table`` reject UPDATE and DELETE."""
    return [
        f"CREATE TRIGGER {table}_append_only_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} are append-only: {verb} is not allowed'); END"
        for verb in ("UPDATE", "DELETE")
    ]


@migration
def m001_initial_schema(conn: sqlite3.Connection) -> None:
    """Runs, tasks, attempts, the event log, usage, checks, findings and decisions."""
    _run(
        conn,
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            base_ref TEXT,
            base_sha TEXT,
            autonomy TEXT,
            config TEXT  -- JSON object
        )""",
        """CREATE TABLE tasks (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            path TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        """CREATE TABLE attempts (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES runs(id),
            task_id TEXT NOT NULL REFERENCES tasks(id),
            number INTEGER NOT NULL CHECK (number >= 1),
            executor TEXT,
            model TEXT,
            branch TEXT,
            worktree TEXT,
            base_sha TEXT,
            head_sha TEXT,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            outcome TEXT,
            UNIQUE (task_id, number)
        )""",
        # AUTOINCREMENT: event ids must only grow, since readers tail the log by after_id.
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            run_id INTEGER REFERENCES runs(id),
            task_id TEXT REFERENCES tasks(id),
            attempt_id INTEGER REFERENCES attempts(id),
            state TEXT,  -- non-null marks a task state change
            reason TEXT,
            data TEXT,  -- JSON object
            CHECK (state IS NULL OR task_id IS NOT NULL)
        )""",
        "CREATE INDEX events_task ON events(task_id, id)",
        "CREATE INDEX events_run ON events(run_id, id)",
        # Covers "latest state event per task" without reading the whole log.
        "CREATE INDEX events_task_state ON events(task_id, id) WHERE state IS NOT NULL",
        *_append_only("events"),
        """CREATE TABLE usage (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            run_id INTEGER REFERENCES runs(id),
            task_id TEXT REFERENCES tasks(id),
            attempt_id INTEGER REFERENCES attempts(id),
            role TEXT NOT NULL,
            model TEXT NOT NULL,
            stage TEXT,
            input_tokens INTEGER NOT NULL CHECK (input_tokens >= 0),
            cached_tokens INTEGER NOT NULL DEFAULT 0 CHECK (cached_tokens >= 0),
            output_tokens INTEGER NOT NULL CHECK (output_tokens >= 0),
            cost_usd REAL CHECK (cost_usd IS NULL OR cost_usd >= 0),  -- NULL = unknown
            duration_ms INTEGER CHECK (duration_ms IS NULL OR duration_ms >= 0)
        )""",
        "CREATE INDEX usage_run ON usage(run_id)",
        "CREATE INDEX usage_task ON usage(task_id)",
        """CREATE TABLE checks (
            id INTEGER PRIMARY KEY,
            attempt_id INTEGER NOT NULL REFERENCES attempts(id),
            at TEXT NOT NULL,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            command TEXT,
            phase TEXT NOT NULL CHECK (phase IN ('before', 'after')),
            status TEXT NOT NULL CHECK (status IN ('passed', 'failed', 'error', 'skipped')),
            exit_code INTEGER,
            output TEXT NOT NULL DEFAULT '',
            duration_ms INTEGER CHECK (duration_ms IS NULL OR duration_ms >= 0)
        )""",
        "CREATE INDEX checks_attempt ON checks(attempt_id)",
        """CREATE TABLE findings (
            id INTEGER PRIMARY KEY,
            attempt_id INTEGER NOT NULL REFERENCES attempts(id),
            at TEXT NOT NULL,
            reviewer TEXT NOT NULL,  -- the reviewer model
            priority INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 3),
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            path TEXT,
            line_start INTEGER,
            line_end INTEGER,
            category TEXT NOT NULL,
            confidence REAL CHECK (confidence IS NULL OR confidence BETWEEN 0 AND 1),
            blocking INTEGER NOT NULL CHECK (blocking IN (0, 1))
        )""",
        "CREATE INDEX findings_attempt ON findings(attempt_id)",
        # Who decided what and why: an audit trail, so append-only like the event log.
        """CREATE TABLE decisions (
            id INTEGER PRIMARY KEY,
            task_id TEXT NOT NULL REFERENCES tasks(id),
            attempt_id INTEGER REFERENCES attempts(id),
            decision TEXT NOT NULL CHECK (length(trim(decision)) > 0),
            actor TEXT NOT NULL CHECK (length(trim(actor)) > 0),
            reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
            at TEXT NOT NULL
        )""",
        "CREATE INDEX decisions_task ON decisions(task_id)",
        *_append_only("decisions"),
    )


@migration
def m002_reviews(conn: sqlite3.Connection) -> None:
    """Reviews of a range or an attempt, their findings, and people's votes on findings.

    ``findings`` needs an attempt; a review of a range (``specloop review A..B``) has
    none, so reviews keep their own findings. A finding's id is its public name
    (``F12``). Each reviewer that raised a merged finding gets a row with its own
    priority, so per-model precision can be computed. Feedback is append-only: a
    person may change their mind, and the latest vote per finding counts.
    """
    _run(
        conn,
        """CREATE TABLE reviews (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            run_id INTEGER REFERENCES runs(id),
            task_id TEXT REFERENCES tasks(id),
            attempt_id INTEGER REFERENCES attempts(id),  -- NULL for a range review
            range TEXT NOT NULL,
            security INTEGER NOT NULL CHECK (security IN (0, 1)),
            reviewers TEXT NOT NULL,  -- JSON list of PROVIDER:MODEL
            verdicts TEXT NOT NULL,  -- JSON object reviewer -> verdict
            blocking INTEGER NOT NULL CHECK (blocking IN (0, 1)),
            dropped_outside_diff INTEGER NOT NULL DEFAULT 0 CHECK (dropped_outside_diff >= 0),
            failures TEXT NOT NULL DEFAULT '[]',  -- JSON list of messages
            not_reviewed TEXT NOT NULL DEFAULT '[]'  -- JSON list of messages
        )""",
        "CREATE INDEX reviews_run ON reviews(run_id)",
        "CREATE INDEX reviews_attempt ON reviews(attempt_id)",
        """CREATE TABLE review_findings (
            id INTEGER PRIMARY KEY,
            review_id INTEGER NOT NULL REFERENCES reviews(id),
            at TEXT NOT NULL,
            priority INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 3),
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            path TEXT,
            line_start INTEGER,
            line_end INTEGER,
            category TEXT NOT NULL,
            confidence REAL CHECK (confidence IS NULL OR confidence BETWEEN 0 AND 1),
            blocking INTEGER NOT NULL CHECK (blocking IN (0, 1))
        )""",
        "CREATE INDEX review_findings_review ON review_findings(review_id)",
        """CREATE TABLE review_finding_reviewers (
            finding_id INTEGER NOT NULL REFERENCES review_findings(id),
            reviewer TEXT NOT NULL,
            priority INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 3),
            PRIMARY KEY (finding_id, reviewer)
        )""",
        "CREATE INDEX review_finding_reviewers_reviewer ON review_finding_reviewers(reviewer)",
        """CREATE TABLE finding_feedback (
            id INTEGER PRIMARY KEY,
            finding_id INTEGER NOT NULL REFERENCES review_findings(id),
            vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
            why TEXT,
            at TEXT NOT NULL
        )""",
        "CREATE INDEX finding_feedback_finding ON finding_feedback(finding_id, id)",
        *_append_only("finding_feedback"),
    )


@migration
def m003_finding_proofs(conn: sqlite3.Connection) -> None:
    """Proof runs of review findings (``specloop review --security --prove``).

    One row per attempt to prove a finding: the test a reviewer proposed, the command,
    how it ended and a bounded copy of its output. ``test_path`` and ``command`` are
    NULL when no usable test was proposed (outcome ``error``). Append-only: a proof is
    evidence, and a later proof of the same finding adds a row.
    """
    _run(
        conn,
        """CREATE TABLE finding_proofs (
            id INTEGER PRIMARY KEY,
            finding_id INTEGER NOT NULL REFERENCES review_findings(id),
            at TEXT NOT NULL,
            reviewer TEXT NOT NULL,  -- the reviewer model asked for the test
            test_path TEXT,
            command TEXT,
            exit_code INTEGER,
            outcome TEXT NOT NULL
                CHECK (outcome IN ('reproduced', 'not reproduced', 'error')),
            reason TEXT NOT NULL DEFAULT '',
            output TEXT NOT NULL DEFAULT '',
            duration_ms INTEGER CHECK (duration_ms IS NULL OR duration_ms >= 0)
        )""",
        "CREATE INDEX finding_proofs_finding ON finding_proofs(finding_id, id)",
        *_append_only("finding_proofs"),
    )
