"""Terminal output of each command, written against a Rich Console so tests can render
to memory. User text is always printed as plain Text: a task titled "[bold]" stays literal."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from specloop.artifacts import Diagnostic, LintReport
    from specloop.engine import InitResult, Project, StatusReport
    from specloop.engine._demo import DemoResult

_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}
_STATE_STYLE = {
    "merged": "green",
    "ready": "bold blue",
    "running": "yellow",
    "verifying": "yellow",
    "awaiting_approval": "magenta",
    "failed": "bold red",
    "blocked": "red",
    "pending": "dim",
}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _diagnostic_line(diagnostic: Diagnostic) -> Text:
    line = Text(f"{diagnostic.path}:{diagnostic.line}:{diagnostic.column}: {diagnostic.code} ")
    line.append(str(diagnostic.severity), style=_SEVERITY_STYLE[str(diagnostic.severity)])
    line.append(f": {diagnostic.message}")
    return line


def render_problems(console: Console, problems: Sequence[Diagnostic]) -> None:
    """Task files that could not be read, on stderr before a status-like listing."""
    for diagnostic in problems:
        console.print(_diagnostic_line(diagnostic), soft_wrap=True)
    console.print(
        Text(f"{_plural(len(problems), 'problem')} in the task files; run `specloop lint`")
    )


def render_lint(console: Console, report: LintReport) -> None:
    """One line per diagnostic, then a summary line."""
    for diagnostic in report.diagnostics:
        console.print(_diagnostic_line(diagnostic), soft_wrap=True)
    counts = Counter(str(d.severity) for d in report.diagnostics)
    summary = ", ".join(
        [
            _plural(counts["error"], "error"),
            _plural(counts["warning"], "warning"),
            _plural(counts["info"], "note"),
        ]
    )
    checked = f" ({_plural(len(report.tasks), 'task')} checked)" if report.tasks else ""
    console.print(Text(summary + checked))


def _run_line(report: StatusReport) -> Text:
    run = report.run
    if run is None:
        return Text("No run yet.", style="dim")
    return Text(
        f"Run {run.id}: {run.status}, started {run.started_at}"
        + (f", autonomy {run.autonomy}" if run.autonomy else "")
    )


def render_status(console: Console, report: StatusReport) -> None:
    """The progress table."""
    console.print(_run_line(report))
    if not report.tasks:
        console.print(Text("No tasks yet: write tasks/0x01-slug.md."))
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("ID", no_wrap=True)
    table.add_column("State", no_wrap=True)
    table.add_column("Tries", justify="right")
    table.add_column("Title")
    table.add_column("Why")
    for row in report.tasks:
        state = str(row.state)
        table.add_row(
            Text(row.id),
            Text(state, style=_STATE_STYLE.get(state, "")),
            Text(str(row.attempts)),
            Text(row.title),
            Text(row.reason or "", style="dim"),
        )
    console.print(table)
    counts = Counter(str(row.state) for row in report.tasks)
    parts = [f"{counts[state]} {state}" for state in _STATE_STYLE if counts[state]]
    console.print(Text(f"{_plural(len(report.tasks), 'task')}: " + ", ".join(parts)))


def render_next(console: Console, report: StatusReport) -> None:
    """The ready tasks, or why there are none."""
    ready = [row for row in report.tasks if str(row.state) == "ready"]
    for row in ready:
        line = Text(f"{row.id}  ", style="bold")
        line.append(row.title, style="")
        console.print(line, soft_wrap=True)
    if ready:
        return
    if not report.tasks:
        console.print(Text("No tasks yet."))
    elif all(str(row.state) == "merged" for row in report.tasks):
        console.print(Text("Every task is merged."))
    else:
        console.print(
            Text("No task is ready now; `specloop status` shows what each is waiting for.")
        )


def render_graph(console: Console, report: StatusReport) -> None:
    """Tasks in dependency order with what they wait for, then the parallel batches."""
    graph = report.graph
    if not graph.ids:
        console.print(Text("No tasks yet."))
        return
    states = {row.id: str(row.state) for row in report.tasks}
    blocked = graph.blocked()
    order = [t for w in graph.waves() for t in w] + [t for t in graph.ids if t in blocked]
    for task_id in order:
        line = Text(f"{task_id}  ")
        line.append(
            f"{states.get(task_id, ''):<17}", style=_STATE_STYLE.get(states.get(task_id, ""), "")
        )
        line.append(graph.tasks[task_id].title)
        deps = graph.dependencies(task_id)
        if deps:
            line.append("  <- " + ", ".join(deps), style="dim")
        console.print(line, soft_wrap=True)
    console.print(Text("\nMay run in parallel (same wave, disjoint scopes):", style="bold"))
    for number, group in enumerate(graph.parallel_groups(), start=1):
        console.print(Text(f"  {number}. " + "  ".join(group)))
    for item in blocked.values():
        console.print(Text(f"  blocked: {item.task_id} ({item.reason})", style="red"))


def render_config(console: Console, project: Project) -> None:
    """Each setting, its value, and where the value came from."""
    console.print(Text(f"Project: {project.root}"))
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("Key", no_wrap=True)
    table.add_column("Value")
    table.add_column("Source", style="dim")
    for entry in project.config.entries():
        value = entry.value
        if value is None or value == ():
            shown = "(unset)"
        elif isinstance(value, tuple | list):
            shown = ", ".join(str(v) for v in value)
        else:
            shown = str(value)
        table.add_row(Text(entry.key), Text(shown), Text(entry.source))
    console.print(table)


def render_init(console: Console, result: InitResult, git_root: Path) -> None:
    """What init created and what it left alone."""
    where = result.root if result.root == git_root else f"{result.root} (inside {git_root})"
    console.print(Text(f"specloop project at {where}"))
    for item in result.created:
        console.print(Text(f"  created  {item}", style="green"))
    for item in result.kept:
        console.print(Text(f"  kept     {item} (already there, not changed)", style="dim"))
    if not result.created:
        console.print(Text("Nothing to do: already initialized."))
    else:
        console.print(Text("Next: write SPEC.md and tasks/0x01-slug.md, then run `specloop lint`."))


def render_demo(console: Console, result: DemoResult) -> None:
    """The demo's closing summary: what each stage cost and where everything is."""
    from specloop.planning import usage_line

    console.print(Text("\nDemo finished (scripted planner model).", style="bold"), soft_wrap=True)
    for report in result.reports:
        console.print(Text(f"  {report.stage:<7} {usage_line(report)}"), soft_wrap=True)
    tasks = sorted(p.name for p in (result.root / "tasks").glob("*.md"))
    lint = f"{result.lint_errors} errors, {result.lint_warnings} warnings"
    console.print(Text(f"  lint    {lint} on the generated files"), soft_wrap=True)
    console.print(
        Text(
            f"  run     {result.tasks_merged} of {result.tasks_total} tasks verified and merged, "
            f"{result.run_input_tokens:,} in / {result.run_output_tokens:,} out tokens, {result.run_seconds:.1f} s"
        ),
        soft_wrap=True,
    )
    console.print(
        Text(f"  total   {result.requests} model requests, {result.seconds:.1f} s\n"),
        soft_wrap=True,
    )
    console.print(Text("Where everything is:", style="bold"), soft_wrap=True)
    for label, relative in (
        ("repository", "."),
        ("spec", "SPEC.md"),
        ("agent rules", "AGENTS.md"),
        (f"tasks ({len(tasks)})", "tasks/"),
        ("ledger", ".specloop/state/ledger.db"),
        ("model request log", ".specloop/state/scripted-model-requests.jsonl"),
    ):
        path = result.root if relative == "." else result.root / relative
        console.print(Text(f"  {label:<18} {path}"), soft_wrap=True)
    console.print(Text(f"\nNext: cd {result.root} && specloop status"), soft_wrap=True)
