"""The ledger: an SQLite record of everything specloop does.

Runs, tasks, attempts, an append-only event log (a task's state is the state of its
latest state event), model usage and cost, check results, review findings and
decisions. The file lives at ``<project>/.specloop/state/ledger.db`` in WAL mode so
several specloop processes can use it at once.

Usage::

    with Ledger.open(project / LEDGER_RELPATH) as ledger:
        ledger.upsert_task("0x01", title="Add the storage layer")
        ledger.set_task_state("0x01", TaskState.RUNNING)

This package imports nothing else from specloop, and only the standard library.
"""

from pathlib import Path

from specloop.ledger._evidence import ReviewerStats
from specloop.ledger._records import (
    AttemptRecord,
    EventRecord,
    LedgerError,
    RunRecord,
    TaskState,
    TaskStatus,
    UsageTotals,
)
from specloop.ledger._store import TASK_STATE_EVENT, Ledger

#: Where the ledger lives, relative to the project root.
LEDGER_RELPATH = Path(".specloop/state/ledger.db")

__all__ = [
    "LEDGER_RELPATH",
    "TASK_STATE_EVENT",
    "AttemptRecord",
    "EventRecord",
    "Ledger",
    "LedgerError",
    "ReviewerStats",
    "RunRecord",
    "TaskState",
    "TaskStatus",
    "UsageTotals",
]
