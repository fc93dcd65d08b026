"""`specloop resume`: finish a run that a crash, kill -9 or Ctrl-C interrupted.

The engine writes an intent event before each step, so the ledger says how far each
in-flight attempt got. An attempt caught before its merge is abandoned (its worktree
is reset by the pool on the next checkout, its branch kept) and the task starts a
fresh attempt; an attempt caught during its merge is either already merged (its head
is in the base: recorded, never merged twice) or merged now."""

from __future__ import annotations

from dataclasses import dataclass

from specloop.engine._engine import Engine, RunSummary, executor_names
from specloop.engine._project import ProjectError
from specloop.gitops import is_ancestor, resolve
from specloop.ledger import TaskState


@dataclass(frozen=True)
class Repair:
    """What resume did about one task that was in flight."""

    task_id: str
    action: str


def reconcile(engine: Engine) -> list[Repair]:
    """Bring every task that was running or verifying back to a consistent state."""
    repairs: list[Repair] = []
    base_branch = engine._base_branch()
    for task_id, status in sorted(engine.ledger.task_statuses().items()):
        if status.state not in (TaskState.RUNNING, TaskState.VERIFYING):
            continue
        events = [e for e in engine.ledger.events(task_id=task_id) if e.attempt_id is not None]
        if not events:
            engine.ledger.set_task_state(
                task_id, TaskState.READY, reason="interrupted before its first attempt; resumed"
            )
            repairs.append(Repair(task_id, "restarted"))
            continue
        attempt_id = events[-1].attempt_id
        assert attempt_id is not None
        mine = [e for e in events if e.attempt_id == attempt_id]
        kinds = {e.kind: e for e in mine}
        started = kinds.get("attempt.started")
        branch = str((started.data or {}).get("branch", "")) if started else ""
        slot = _slot_of(str((started.data or {}).get("worktree", "")) if started else "")
        if "attempt.merged" in kinds:
            data = kinds["attempt.merged"].data or {}
            engine.ledger.set_task_state(
                task_id,
                TaskState.MERGED,
                reason=f"merged as {str(data.get('commit', ''))[:12]}",
                attempt_id=attempt_id,
            )
            repairs.append(Repair(task_id, "merged (recorded)"))
            continue
        if "attempt.merge_intent" in kinds:
            head = str((kinds["attempt.merge_intent"].data or {}).get("head"))
            base = resolve(engine.project.root, base_branch)
            if is_ancestor(engine.project.root, head, base):
                engine.mark_merged(task_id, attempt_id, head, base, branch, slot=slot)
                repairs.append(Repair(task_id, "was already merged; recorded once"))
            else:
                tasks = engine._tasks()
                number = int((started.data or {}).get("number", 0)) if started else 0
                feedback = engine.merge(tasks[task_id], attempt_id, number, branch, head, slot=slot)
                if feedback is not None:
                    engine.ledger.append_event(
                        "task.feedback", task_id=task_id, data={"feedback": feedback}
                    )
                    engine.ledger.set_task_state(
                        task_id, TaskState.READY, reason="conflict on resume; re-queued"
                    )
                repairs.append(Repair(task_id, "merge finished"))
            continue
        engine.ledger.finish_attempt(attempt_id, outcome="interrupted")
        engine.ledger.set_task_state(
            task_id,
            TaskState.READY,
            reason="attempt interrupted; resumed with a fresh attempt",
            attempt_id=attempt_id,
        )
        repairs.append(Repair(task_id, "attempt abandoned; a fresh attempt follows"))
    return repairs


def _slot_of(worktree: str) -> int:
    """The pool slot number of a worktree path `.../slot-N` (0 when it is not one)."""
    name = worktree.rstrip("/").rsplit("/", 1)[-1]
    number = name.removeprefix("slot-")
    return int(number) if name.startswith("slot-") and number.isdigit() else 0


def resume(engine: Engine) -> tuple[list[Repair], RunSummary | None]:
    """Reconcile, then continue the interrupted run with its original choices."""
    run = engine.ledger.latest_run()
    if run is None or run.finished_at is not None:
        raise ProjectError(
            "nothing to resume: the last run finished (start one with `specloop run`)"
        )
    repairs = reconcile(engine)
    config = {}
    for event in engine.ledger.events(run_id=run.id):
        if event.kind == "run.options" and event.data:
            config = event.data
    task_ids = [str(t) for t in config.get("tasks", [])]
    executor_name = str(config.get("executor") or engine.project.config.executor)
    autonomy = str(config.get("autonomy") or run.autonomy or engine.project.config.autonomy)
    if autonomy == "gated" and engine.ask is not None:
        engine.progress.disable_live()
    executor = engine.executor_factory(
        executor_names(executor_name)[0],
        config=engine.project.config,
        env=engine.env,
        ledger=engine.ledger,
    )
    tasks = engine._tasks()
    selected = set(task_ids) if task_ids else None
    engine.progress.emit(
        "run.resumed",
        None,
        f"resuming run {run.id}: "
        + (", ".join(f"{r.task_id} {r.action}" for r in repairs) or "nothing was in flight"),
        run=run.id,
    )
    names = executor_names(executor_name)
    parallel = config.get("parallel")
    best_of = config.get("best_of")
    summary = engine.continue_run(
        run.id,
        tasks,
        selected,
        executor,
        autonomy,
        run.base_ref or engine._base_branch(),
        executor_names=names,
        parallel=parallel if isinstance(parallel, int) else 1,
        best_of=best_of if isinstance(best_of, int) else None,
        review=bool(config.get("review", False)),
    )
    return repairs, summary
