"""Value types of the ledger: task states, the error type and the records it returns.

Plain frozen dataclasses (not pydantic) because this package sits on the import path of
``specloop status``, which has a tight start-up budget.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class TaskState(StrEnum):
    """The state of one task, as shown by ``specloop status`` (DESIGN.md §9)."""

    PENDING = "pending"
    READY = "ready"
    RUNNING = "running"
    VERIFYING = "verifying"
    AWAITING_APPROVAL = "awaiting_approval"
    MERGED = "merged"
    FAILED = "failed"
    BLOCKED = "blocked"


class LedgerError(Exception):
    """The ledger database cannot be used: locked, read-only, corrupt or of an unknown schema.

    The message is one line and names the database file, so the CLI can print it as is.
    """


@dataclass(frozen=True)
class RunRecord:
    """One ``specloop run`` invocation."""

    id: int
    started_at: str
    finished_at: str | None
    status: str
    base_ref: str | None
    base_sha: str | None
    autonomy: str | None


@dataclass(frozen=True)
class AttemptRecord:
    """One try at one task; ``number`` counts from 1 per task."""

    id: int
    run_id: int | None
    task_id: str
    number: int
    executor: str | None
    started_at: str
    finished_at: str | None
    outcome: str | None


@dataclass(frozen=True)
class TaskStatus:
    """A task's current state, derived from its latest state event."""

    task_id: str
    state: TaskState
    reason: str | None
    changed_at: str
    attempts: int


@dataclass(frozen=True)
class EventRecord:
    """One row of the append-only event log; ``state`` is set for state changes only."""

    id: int
    at: str
    kind: str
    run_id: int | None
    task_id: str | None
    attempt_id: int | None
    state: TaskState | None
    reason: str | None
    data: dict[str, Any] | None


@dataclass(frozen=True)
class UsageTotals:
    """Model usage summed over one (role, model) group.

    ``cost_usd`` is None when any call in the group had an unknown cost: an unknown cost
    is never counted as zero, so a total is only shown when it is complete.
    """

    role: str
    model: str
    calls: int
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    cost_usd: float | None
