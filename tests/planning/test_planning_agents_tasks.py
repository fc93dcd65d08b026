"""The agents and tasks stages: user sections kept, lint as the repair validator."""

from __future__ import annotations

import pytest
from planner_double import ScriptedPlanner, agents_output, context, spec_output, task_output

from conftest import Repo
from specloop.artifacts import LintOptions, Severity, lint_project
from specloop.models import InvalidModelOutput
from specloop.planning import PlanningError, run_agents_stage, run_spec_stage, run_tasks_stage


def with_spec(repo: Repo) -> None:
    ctx, ledger, _ = context(repo.root, ScriptedPlanner([spec_output()]))
    run_spec_stage(ctx, "count words")
    ledger.close()


def test_agents_needs_a_spec(repo: Repo) -> None:
    ctx, _, _ = context(repo.root, ScriptedPlanner([]))
    with pytest.raises(PlanningError, match=r"no SPEC\.md"):
        run_agents_stage(ctx)


def test_agents_drafts_all_sections_then_keeps_user_sections_on_rerun(repo: Repo) -> None:
    with_spec(repo)
    ctx, _, _ = context(repo.root, ScriptedPlanner([agents_output()]))
    run_agents_stage(ctx)
    text = (repo.root / "AGENTS.md").read_text()
    for title in (
        "General rules",
        "Code style",
        "Testing",
        "Security",
        "Output rules",
        "Review guidelines",
    ):
        assert f"## {title}\n" in text
    # The user edits one generated section and adds one of their own.
    text = text.replace("- Type hints everywhere.", "- Tabs, never spaces. (mine)")
    text += "\n## Deployment\n\n- Never deploy on Fridays.\n"
    (repo.root / "AGENTS.md").write_text(text)
    planner = ScriptedPlanner(
        [agents_output(code_style=["Black formatting."], testing=["Run `pytest -x`."])]
    )
    ctx, _, out = context(repo.root, planner)
    run_agents_stage(ctx)
    after = (repo.root / "AGENTS.md").read_text()
    assert "- Tabs, never spaces. (mine)" in after and "Black formatting." not in after
    assert "- Never deploy on Fridays." in after
    assert "- Run `pytest -x`." in after  # untouched generated section: redrafted
    assert "Tabs, never spaces" in planner.prompts[0]  # the model sees what it must not contradict
    assert "keeping 2 section(s) you wrote or edited" in out.getvalue()


def test_a_spec_edited_between_stages_is_what_the_next_stage_reads(repo: Repo) -> None:
    with_spec(repo)
    spec = repo.root / "SPEC.md"
    spec.write_text(
        spec.read_text().replace("cap file size at 10 MB", "cap file size at 1 MB (edited)")
    )
    planner = ScriptedPlanner([agents_output()])
    ctx, _, _ = context(repo.root, planner)
    run_agents_stage(ctx)
    assert "cap file size at 1 MB (edited)" in planner.prompts[0]
    assert "cap file size at 1 MB (edited)" in spec.read_text()


def test_tasks_are_written_and_lint_clean(repo: Repo) -> None:
    with_spec(repo)
    plan = {
        "tasks": [
            task_output("0x01"),
            task_output("0x02", depends_on=["0x01"]),
            task_output("0x03", depends_on=["0x01"]),
        ]
    }
    ctx, _, _ = context(repo.root, ScriptedPlanner([plan]))
    report = run_tasks_stage(ctx)
    assert report.written == [
        "tasks/0x01-build-part-0x01.md",
        "tasks/0x02-build-part-0x02.md",
        "tasks/0x03-build-part-0x03.md",
    ]
    lint = lint_project(repo.root, LintOptions())
    assert [
        d.format()
        for d in lint.diagnostics
        if d.severity != Severity.INFO and d.path.startswith("tasks")
    ] == []


def test_a_cycle_goes_back_to_the_model_and_the_fixed_plan_is_written(repo: Repo) -> None:
    with_spec(repo)
    cyclic = {
        "tasks": [
            task_output("0x01", depends_on=["0x02"]),
            task_output("0x02", depends_on=["0x01"]),
        ]
    }
    fixed = {"tasks": [task_output("0x01"), task_output("0x02", depends_on=["0x01"])]}
    planner = ScriptedPlanner([cyclic, fixed])
    ctx, _, _ = context(repo.root, planner)
    run_tasks_stage(ctx)
    assert "dependency cycle: 0x01 -> 0x02 -> 0x01" in planner.prompts[1]
    assert (repo.root / "tasks" / "0x02-build-part-0x02.md").exists()


def test_an_uncheckable_criterion_that_is_never_fixed_fails_the_stage_clearly(repo: Repo) -> None:
    with_spec(repo)
    vague = {"tasks": [task_output("0x01", criteria=["It works well"])]}
    planner = ScriptedPlanner([vague, vague, vague])
    ctx, ledger, _ = context(repo.root, planner)
    with pytest.raises(InvalidModelOutput) as caught:
        run_tasks_stage(ctx)
    assert "tasks" in str(caught.value)
    assert "specloop cannot check 'It works well'" in planner.prompts[1]
    assert not list((repo.root / "tasks").glob("*.md"))
    invalid = [e for e in ledger.events() if e.kind == "model.invalid_output"]
    assert invalid and "It works well" in str(invalid[-1].data)


def test_rerun_keeps_existing_file_names_for_the_same_ids(repo: Repo) -> None:
    with_spec(repo)
    repo.write("tasks/0x01-my-own-name.md", "")
    (repo.root / "tasks" / "0x01-my-own-name.md").unlink()
    plan = {"tasks": [task_output("0x01")]}
    ctx, _, _ = context(repo.root, ScriptedPlanner([plan]))
    run_tasks_stage(ctx)
    original = next((repo.root / "tasks").glob("0x01-*.md"))
    ctx, _, _ = context(
        repo.root, ScriptedPlanner([{"tasks": [task_output("0x01", title="Renamed part")]}])
    )
    report = run_tasks_stage(ctx)
    assert report.written == [f"tasks/{original.name}"]
    assert "title: Renamed part" in original.read_text()
