"""Task states: derived from the graph with no ledger, from ledger events once there is one."""

from __future__ import annotations

from conftest import Repo
from specloop.engine import open_project, project_status
from specloop.ledger import LEDGER_RELPATH, Ledger, TaskState


def states(repo: Repo) -> dict[str, tuple[str, str | None, int]]:
    report = project_status(open_project(repo.root, env={}))
    return {row.id: (str(row.state), row.reason, row.attempts) for row in report.tasks}


def three_tasks(repo: Repo) -> None:
    repo.task("0x01", scope=("src/a.py",))
    repo.task("0x02", depends_on="[0x01]", scope=("src/b.py",))
    repo.task("0x03", depends_on="[0x01, 0x02]", scope=("src/c.py",))


def test_without_a_ledger_tasks_are_ready_or_pending_and_no_ledger_is_created(repo: Repo) -> None:
    three_tasks(repo)
    assert states(repo) == {
        "0x01": ("ready", None, 0),
        "0x02": ("pending", "waiting for 0x01", 0),
        "0x03": ("pending", "waiting for 0x01, 0x02", 0),
    }
    assert not (repo.root / ".specloop").exists()


def test_ledger_events_decide_the_state_and_merges_unlock_dependents(repo: Repo) -> None:
    three_tasks(repo)
    with Ledger.open(repo.root / LEDGER_RELPATH) as ledger:
        run = ledger.start_run(base_ref="main", autonomy="gated")
        ledger.upsert_task("0x01", title="A task")
        ledger.upsert_task("0x02", title="A task")
        ledger.start_attempt("0x01", run_id=run.id)
        ledger.set_task_state("0x01", TaskState.RUNNING, run_id=run.id)
        ledger.set_task_state("0x01", TaskState.MERGED, reason="all checks passed", run_id=run.id)
        for _ in range(2):
            ledger.start_attempt("0x02", run_id=run.id)
        ledger.set_task_state("0x02", TaskState.FAILED, reason="`pytest` failed", run_id=run.id)
    assert states(repo) == {
        "0x01": ("merged", "all checks passed", 1),
        "0x02": ("failed", "`pytest` failed", 2),
        "0x03": ("pending", "waiting for 0x02", 0),
    }
    report = project_status(open_project(repo.root, env={}))
    assert report.as_json()["run"]["autonomy"] == "gated"


def test_a_stored_ready_or_pending_state_is_re_derived(repo: Repo) -> None:
    three_tasks(repo)
    with Ledger.open(repo.root / LEDGER_RELPATH) as ledger:
        ledger.upsert_task("0x02", title="A task")
        ledger.set_task_state("0x02", TaskState.READY)
    assert states(repo)["0x02"] == ("pending", "waiting for 0x01", 0)


def test_cycles_and_unknown_dependencies_show_as_blocked_with_the_reason(repo: Repo) -> None:
    repo.task("0x01", depends_on="[0x02]", scope=("src/a.py",))
    repo.task("0x02", depends_on="[0x01]", scope=("src/b.py",))
    repo.task("0x03", depends_on="[0x09]", scope=("src/c.py",))
    assert states(repo) == {
        "0x01": ("blocked", "dependency cycle: 0x01 -> 0x02 -> 0x01", 0),
        "0x02": ("blocked", "dependency cycle: 0x01 -> 0x02 -> 0x01", 0),
        "0x03": ("blocked", "depends on unknown task 0x09", 0),
    }


def test_unreadable_task_files_and_duplicate_ids_are_reported_as_problems(repo: Repo) -> None:
    repo.task("0x01")
    repo.task("0x01", "again", scope=("src/b.py",))
    repo.write("tasks/0x02-bad.md", "---\nid: [\n---\n")
    report = project_status(open_project(repo.root, env={}))
    assert [(p.path, p.code) for p in report.problems] == [
        ("tasks/0x02-bad.md", "T002"),
        ("tasks/0x01-task.md", "G001"),
    ]
    assert [row.id for row in report.tasks] == ["0x01"]
