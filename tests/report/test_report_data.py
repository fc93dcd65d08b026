"""Gathering a real run into ReportData, and `specloop report` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_support import DECISION, SUMMARY, TITLE_FAILED, TITLE_MERGED, built_project

from helpers import git, make_task, run_specloop
from specloop.artifacts import Task, TaskGraph, load_tasks
from specloop.ledger import LEDGER_RELPATH, Ledger
from specloop.report import ReportData, gather, layout_graph


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> ReportData:
    project = built_project(tmp_path_factory)
    status = run_specloop("status", "--json", cwd=project.root)
    states = {t["id"]: (t["state"], t["reason"]) for t in json.loads(status.stdout)["tasks"]}
    graph = TaskGraph(load_tasks(project.root).tasks)
    ledger = Ledger.open_existing(project.root / LEDGER_RELPATH)
    assert ledger is not None
    with ledger:
        diffs = {a.id: f"diff of attempt {a.id}" for a in ledger.attempt_details()}
        return gather(
            ledger, graph, states, project="p", spec_path="SPEC.md", spec_text="x", diffs=diffs
        )


def test_the_run_behind_the_fixture_merged_one_and_failed_one(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    project = built_project(tmp_path_factory)
    assert project.run.code == 1, project.run.stdout + project.run.stderr
    assert "0x01: merged into main" in project.run.stdout


def test_every_task_has_its_state_reason_and_attempts(data: ReportData) -> None:
    tasks = {t.id: t for t in data.tasks}
    assert [t.id for t in data.tasks] == ["0x01", "0x02", "0x03", "0x04"]
    assert (tasks["0x01"].state, tasks["0x01"].title) == ("merged", TITLE_MERGED)
    assert (tasks["0x02"].state, tasks["0x02"].title) == ("failed", TITLE_FAILED)
    assert tasks["0x03"].state == "blocked"
    assert "0x09" in str(tasks["0x03"].reason)
    assert tasks["0x04"].state == "pending"
    assert [len(tasks[t].attempts) for t in ("0x01", "0x02", "0x03", "0x04")] == [1, 1, 0, 0]
    assert data.totals.by_state == {"blocked": 1, "failed": 1, "merged": 1, "pending": 1}
    assert data.run is not None and data.run.status == "finished"


def test_attempts_carry_executor_summary_diff_and_time(data: ReportData) -> None:
    merged = next(t for t in data.tasks if t.id == "0x01")
    attempt = merged.attempts[0]
    assert attempt.executor is not None and attempt.executor.startswith("cmd:")
    assert attempt.outcome == "merged"
    assert attempt.summary == SUMMARY  # the latest attempt.executed event wins
    assert attempt.diff == f"diff of attempt {attempt.id}"
    assert attempt.duration_s is not None and attempt.duration_s >= 0
    assert merged.executor == attempt.executor


def test_checks_pair_the_base_result_with_the_result_after(data: ReportData) -> None:
    failed = next(t for t in data.tasks if t.id == "0x02").attempts[0]
    command = next(c for c in failed.checks if c.kind == "command")
    assert (command.before, command.status, command.exit_code) == ("failed", "failed", 1)
    assert "<script>" in command.output  # kept as is here; escaping is the renderer's job
    merged = next(t for t in data.tasks if t.id == "0x01").attempts[0]
    evidence = next(c for c in merged.checks if c.kind == "command")
    assert (evidence.before, evidence.status) == ("failed", "passed")


def test_findings_decisions_and_usage_are_gathered(data: ReportData) -> None:
    merged = next(t for t in data.tasks if t.id == "0x01")
    assert [f.priority for f in merged.attempts[0].findings] == [1]
    assert len(data.findings) == 1
    assert {d.decision for d in merged.decisions} == {"merge", "note"}
    assert DECISION in {d.reason for d in data.decisions}
    assert merged.usage is not None and merged.usage.input_tokens == 1200
    assert [(u.role, u.model) for u in data.usage] == [("executor", "openai:gpt-test")]
    assert data.totals.cost_usd == pytest.approx(0.0123)
    assert data.totals.output_tokens == 340


def test_an_unknown_cost_makes_the_total_unknown(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "ledger.db") as ledger:
        ledger.record_usage(role="planner", model="m", input_tokens=1, output_tokens=1)
        ledger.record_usage(
            role="reviewer", model="n", input_tokens=1, output_tokens=1, cost_usd=0.5
        )
        data = gather(ledger, TaskGraph([]), {}, project="p", spec_path="SPEC.md", spec_text=None)
    assert data.totals.cost_usd is None
    assert data.totals.calls == 2


def test_one_run_only(tmp_path_factory: pytest.TempPathFactory) -> None:
    project = built_project(tmp_path_factory)
    graph = TaskGraph(load_tasks(project.root).tasks)
    ledger = Ledger.open_existing(project.root / LEDGER_RELPATH)
    assert ledger is not None
    with ledger:
        data = gather(ledger, graph, {}, project="p", spec_path="S", spec_text=None, run_id=99)
    assert data.only_run
    assert all(not t.attempts for t in data.tasks)
    assert data.decisions == () and data.usage == ()


def test_the_graph_puts_dependencies_left_and_survives_cycles() -> None:
    tasks = [
        Task("0x01", "one"),
        Task("0x02", "two", depends_on=("0x01",)),
        Task("0x03", "three", depends_on=("0x02", "0x09")),
        Task("0x04", "four", depends_on=("0x05",)),
        Task("0x05", "five", depends_on=("0x04",)),
        Task("0x06", "self", depends_on=("0x06",)),
    ]
    layout = layout_graph(TaskGraph(tasks), {"0x01": "merged"})
    x = {n.id: n.x for n in layout.nodes}
    assert x["0x01"] < x["0x02"] < x["0x03"]
    assert {(e.source, e.target) for e in layout.edges} >= {("0x01", "0x02"), ("0x02", "0x03")}
    assert not any(e.source == "0x09" or e.source == e.target for e in layout.edges)
    assert {n.id: n.state for n in layout.nodes}["0x02"] == "pending"
    assert layout.width > 0 and layout.height > 0


def test_report_command_writes_the_default_file_and_prints_its_path(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    project = built_project(tmp_path_factory)
    result = project.report()
    assert result.code == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path == project.root / "specloop-report.html"
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    path.unlink()  # the shared project stays as it was for the other tests


def test_report_command_output_is_relative_to_the_current_directory(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    project = built_project(tmp_path_factory)
    (project.root / "out").mkdir(exist_ok=True)
    result = run_specloop("report", "-o", "page.html", "--run", "1", cwd=project.root / "out")
    assert result.code == 0, result.stderr
    assert (project.root / "out" / "page.html").is_file()
    assert Path(result.stdout.strip()) == project.root / "out" / "page.html"


def test_report_command_rejects_an_unknown_run(tmp_path_factory: pytest.TempPathFactory) -> None:
    result = built_project(tmp_path_factory).report("--run", "42", "-o", "x.html")
    assert result.code == 2
    assert "no run 42" in result.stderr


def test_report_command_works_before_anything_ran(tmp_path: Path) -> None:
    root = tmp_path / "fresh"
    (root / "tasks").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (root / "tasks" / "0x01-a.md").write_text(make_task("0x01", title="First <b>"))
    result = run_specloop("report", "-o", str(tmp_path / "r.html"), cwd=root)
    assert result.code == 0, result.stderr
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "First &lt;b&gt;" in html and "no run recorded yet" in html
    assert not (root / ".specloop" / "state").exists()  # reading never creates the ledger
    assert run_specloop("report", "--run", "1", cwd=root).code == 2


def test_table_rows_reads_any_table_by_name_or_says_none(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "ledger.db") as ledger:
        run = ledger.start_run(base_ref="main")
        rows = ledger.table_rows("runs")
        assert rows is not None and rows[0]["id"] == run.id and rows[0]["base_ref"] == "main"
        assert ledger.table_rows("no_such_table") is None
        assert ledger.table_rows('runs" ; DROP TABLE runs; --') is None
        assert len(ledger.runs()) == 1
