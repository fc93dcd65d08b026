"""`specloop tasks`: decompose SPEC.md into task files that pass `specloop lint`.

The planner's plan is rendered to task files and linted before anything is shown:
lint errors and uncheckable criteria go back to the model as a repair round."""

from __future__ import annotations

from pathlib import Path

from specloop.artifacts import (
    Severity,
    Task,
    lint_graph,
    lint_task,
    load_tasks,
    parse_task,
    render_task,
    resolve_agents_chain,
)
from specloop.planning._files import read_optional
from specloop.planning._prompts import render_prompt, system_prompt
from specloop.planning._render import render_task_draft, slugify
from specloop.planning._runner import PlanningContext, PlanningError, StageReport, run_gated
from specloop.planning._schemas import TaskPlan

#: Lint codes that make a plan unusable even though they are only warnings for humans.
_MUST_FIX = {"T009", "T014"}


def plan_problems(plan: TaskPlan, *, tasks_dir: str, test_command: str | None) -> list[str]:
    """Everything lint would reject in this plan, phrased for the model."""
    tasks: list[Task] = []
    problems: list[str] = []
    for draft in plan.tasks:
        source = f"{tasks_dir}/{draft.id}-{slugify(draft.title)}.md"
        task = parse_task(render_task_draft(draft), source=source)
        tasks.append(task)
        for d in lint_task(task, test_command=test_command):
            if d.severity == Severity.ERROR or d.code in _MUST_FIX:
                problems.append(f"task {task.id}: {d.message}")
    id_by_source = {task.source: task.id for task in tasks}
    for d in lint_graph(tasks):
        if d.severity == Severity.ERROR:
            problems.append(f"task {id_by_source.get(d.path, d.path)}: {d.message}")
    return list(dict.fromkeys(problems))


def run_tasks_stage(ctx: PlanningContext) -> StageReport:
    """Write tasks/0xNN-slug.md files for the spec (revising existing ones by id)."""
    spec = read_optional(ctx.path(ctx.config.spec_path))
    if spec is None:
        raise PlanningError(f'no {ctx.config.spec_path}: run `specloop spec "IDEA"` first')
    agents = resolve_agents_chain(ctx.root).text
    tasks_dir = ctx.config.tasks_dir
    current = load_tasks(ctx.root, tasks_dir)
    broken = [d for d in current.diagnostics if d.severity == Severity.ERROR]
    if broken:
        first = broken[0]
        raise PlanningError(
            f"{first.path}:{first.line}: {first.message} (fix it, or move it out of {tasks_dir}/)"
        )
    by_id = {task.id: task for task in current.tasks}
    existing = "\n\n".join(render_task(task) for task in current.tasks)
    test_command = ctx.config.test_command

    def validate(plan: TaskPlan) -> list[str]:
        return plan_problems(plan, tasks_dir=tasks_dir, test_command=test_command)

    def propose(feedback: str, report: StageReport) -> dict[Path, str]:
        ctx.say(f"tasks: decomposing the spec with {ctx.client.spec.label}")
        prompt = render_prompt(
            "tasks",
            spec=spec,
            agents=agents,
            existing=existing,
            feedback=feedback,
            test_command=test_command or "",
        )
        result = ctx.client.structured(
            stage="tasks",
            system=system_prompt(),
            prompt=prompt,
            output_type=TaskPlan,
            validators=[validate],
        )
        report.add(result)
        files: dict[Path, str] = {}
        for draft in result.output.tasks:
            known = by_id.get(draft.id)
            path = (
                known.path
                if known and known.path
                else ctx.root / tasks_dir / f"{draft.id}-{slugify(draft.title)}.md"
            )
            files[path] = render_task_draft(draft)
        dropped = sorted(set(by_id) - {d.id for d in result.output.tasks})
        if dropped:
            ctx.say(
                f"tasks: the new plan has no {', '.join(dropped)}; those files are left as they are",
                style="yellow",
            )
        return files

    return run_gated(ctx, "tasks", propose)
