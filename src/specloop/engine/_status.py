"""Task states for `specloop status` and `next`: the ledger's events, else the graph."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from specloop.artifacts import Diagnostic, Severity, TaskGraph, lint_graph, load_tasks
from specloop.engine._project import Project
from specloop.ledger import LEDGER_RELPATH, Ledger, RunRecord, TaskState

#: States the ledger may hold that are re-derived from the graph rather than trusted.
_DERIVED = {TaskState.PENDING, TaskState.READY}


@dataclass(frozen=True)
class TaskRow:
    """One task as `status` shows it."""

    id: str
    title: str
    state: TaskState
    depends_on: tuple[str, ...]
    attempts: int
    reason: str | None
    source: str


@dataclass(frozen=True)
class StatusReport:
    """The latest run, every task with its state, and problems reading the task files."""

    run: RunRecord | None
    tasks: list[TaskRow]
    problems: list[Diagnostic]
    graph: TaskGraph

    def ready(self) -> list[str]:
        """Ids of the tasks that may start now."""
        return [row.id for row in self.tasks if row.state == TaskState.READY]

    def as_json(self) -> dict[str, Any]:
        """The `status --json` shape of DESIGN.md §9."""
        run = None
        if self.run is not None:
            run = {
                "id": self.run.id,
                "status": self.run.status,
                "started_at": self.run.started_at,
                "finished_at": self.run.finished_at,
                "base_ref": self.run.base_ref,
                "autonomy": self.run.autonomy,
            }
        return {
            "run": run,
            "tasks": [
                {
                    "id": row.id,
                    "title": row.title,
                    "state": str(row.state),
                    "depends_on": list(row.depends_on),
                    "attempts": row.attempts,
                    "reason": row.reason,
                }
                for row in self.tasks
            ],
        }


def project_status(project: Project) -> StatusReport:
    """Read the task files and the ledger (never creating it) and derive every state."""
    loaded = load_tasks(project.root, project.config.tasks_dir)
    problems = [d for d in loaded.diagnostics if d.severity == Severity.ERROR]
    problems += [d for d in lint_graph(loaded.tasks) if d.code == "G001"]
    graph = TaskGraph(loaded.tasks)
    run = None
    recorded = {}
    ledger = Ledger.open_existing(project.root / LEDGER_RELPATH)
    if ledger is not None:
        with ledger:
            recorded = ledger.task_statuses()
            run = ledger.latest_run()
    blocked = graph.blocked()
    merged = {task_id for task_id, s in recorded.items() if s.state == TaskState.MERGED}
    rows = []
    for task_id in graph.ids:
        task = graph.tasks[task_id]
        entry = recorded.get(task_id)
        attempts = entry.attempts if entry else 0
        if entry is not None and entry.state not in _DERIVED:
            state, reason = entry.state, entry.reason
        elif task_id in blocked:
            state, reason = TaskState.BLOCKED, blocked[task_id].reason
        else:
            waiting = [d for d in task.depends_on if d not in merged]
            state = TaskState.PENDING if waiting else TaskState.READY
            reason = "waiting for " + ", ".join(waiting) if waiting else None
        rows.append(
            TaskRow(task_id, task.title, state, task.depends_on, attempts, reason, task.source)
        )
    return StatusReport(run, rows, problems, graph)
