"""The Typer application: global options and the commands of the foundation."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from specloop import __version__
from specloop.cli._guard import EXIT_BAD_INPUT, EXIT_FAILED, fail, guarded
from specloop.cli._review import review_app

if TYPE_CHECKING:
    from rich.console import Console

    from specloop.engine import Check, Project, StatusReport

app = typer.Typer(
    name="specloop",
    help="Idea -> spec -> tasks -> one scoped agent session per task -> verified by evidence -> merged.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
config_app = typer.Typer(help="Show the effective configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(review_app, name="review")


@dataclass(frozen=True)
class _Globals:
    directory: Path
    explicit: bool


def _version(value: bool) -> None:
    if value:
        print(f"specloop {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Option("-C", help="Run as if specloop was started in DIR.", metavar="DIR"),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Specs are leverage, tasks are contracts, agents write code, people ship systems."""
    ctx.obj = _Globals(directory or Path.cwd(), directory is not None)


def _globals(ctx: typer.Context) -> _Globals:
    obj = ctx.find_root().obj
    assert isinstance(obj, _Globals)
    return obj


def _project(ctx: typer.Context) -> Project:
    from specloop.engine import open_project

    return open_project(_globals(ctx).directory)


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]


@app.command()
def init(ctx: typer.Context) -> None:
    """Create .specloop/config.toml and tasks/, and git-ignore .specloop/state/ (never overwrites)."""

    def work() -> None:
        from specloop.cli._render import render_init
        from specloop.engine import ProjectError, find_project_root, init_project
        from specloop.gitops import repo_root

        options = _globals(ctx)
        if not options.directory.is_dir():
            raise ProjectError(f"no such directory: {options.directory}")
        git_root = repo_root(options.directory)
        if options.explicit:
            root = options.directory.resolve()
        else:
            root, _ = find_project_root(options.directory)
        render_init(_console(), init_project(root), git_root)

    guarded(work)


@app.command()
def lint(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or directories to check (default: SPEC.md, AGENTS.md, tasks/)."),
    ] = None,
    json_output: JsonOption = False,
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors.")] = False,
) -> None:
    """Check SPEC.md, AGENTS.md and the task files: `file:line:col: CODE severity: message`."""

    def work() -> None:
        from specloop.artifacts import LintOptions, Severity, lint_project
        from specloop.cli._render import render_lint
        from specloop.gitops import ls_files

        project = _project(ctx)
        base = _globals(ctx).directory
        targets = None
        if paths:
            targets = [(p if p.is_absolute() else base / p) for p in paths]
            missing = [str(p) for p, t in zip(paths, targets, strict=True) if not t.exists()]
            if missing:
                fail("path not found: " + ", ".join(missing), EXIT_BAD_INPUT)
        config = project.config
        nested = ls_files(project.root, [":(glob)**/AGENTS.md", ":(glob)**/AGENTS.override.md"])
        options = LintOptions(
            spec_path=config.spec_path,
            tasks_dir=config.tasks_dir,
            plans_dir=config.plans_dir,
            test_command=config.test_command,
            agents_dirs=sorted({str(Path(f).parent) for f in nested if "/" in f}),
        )
        report = lint_project(project.root, options, targets)
        if strict:
            report = report.strict()
        if json_output:
            _print_json({"diagnostics": [d.as_json() for d in report.diagnostics]})
        else:
            render_lint(_console(), report)
        if report.count(Severity.ERROR):
            raise typer.Exit(EXIT_FAILED)

    guarded(work)


def _status_report(ctx: typer.Context) -> StatusReport:
    from specloop.cli._render import render_problems
    from specloop.engine import project_status

    report = project_status(_project(ctx))
    if report.problems:
        render_problems(_console(stderr=True), report.problems)
    return report


def _exit_for_problems(report: StatusReport) -> None:
    if report.problems:
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command()
def status(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Every task with its state (from the ledger, else from the dependency graph)."""

    def work() -> None:
        from specloop.cli._render import render_status

        report = _status_report(ctx)
        if json_output:
            _print_json(report.as_json())
        else:
            render_status(_console(), report)
        _exit_for_problems(report)

    guarded(work)


@app.command("next")
def next_(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """The tasks that are ready to run now."""

    def work() -> None:
        from specloop.cli._render import render_next

        report = _status_report(ctx)
        if json_output:
            _print_json({"ready": report.ready()})
        else:
            render_next(_console(), report)
        _exit_for_problems(report)

    guarded(work)


class GraphFormat(StrEnum):
    """Output formats of `specloop graph`."""

    text = "text"
    mermaid = "mermaid"
    dot = "dot"


@app.command()
def graph(
    ctx: typer.Context,
    output_format: Annotated[
        GraphFormat, typer.Option("--format", help="text, mermaid or dot.")
    ] = GraphFormat.text,
) -> None:
    """The dependency graph, and which tasks may run in parallel."""

    def work() -> None:
        from specloop.artifacts import render_dot, render_mermaid
        from specloop.cli._render import render_graph

        report = _status_report(ctx)
        states = {row.id: str(row.state) for row in report.tasks}
        if output_format is GraphFormat.mermaid:
            sys.stdout.write(render_mermaid(report.graph, states))
        elif output_format is GraphFormat.dot:
            sys.stdout.write(render_dot(report.graph, states))
        else:
            render_graph(_console(), report)
        _exit_for_problems(report)

    guarded(work)


@config_app.command("show")
def config_show(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Every setting's effective value and where it came from (default, file, environment)."""

    def work() -> None:
        from specloop.cli._render import render_config

        project = _project(ctx)
        if json_output:
            entries = project.config.entries()
            _print_json(
                {
                    "root": str(project.root),
                    "config": [
                        {
                            "key": e.key,
                            "value": list(e.value) if isinstance(e.value, tuple) else e.value,
                            "source": e.source,
                        }
                        for e in entries
                    ],
                }
            )
        else:
            render_config(_console(), project)

    guarded(work)


@app.command()
def doctor(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """What works here (agent CLIs, models and keys, sandbox, git, project) and how to fix the rest.

    Exit code 1 when a check fails; warnings alone exit 0.
    """

    def work() -> None:
        import os

        from specloop.engine import ProjectError, diagnose, doctor_json

        directory = _globals(ctx).directory
        if not directory.is_dir():
            raise ProjectError(f"no such directory: {directory}")
        checks = diagnose(directory, os.environ)
        if json_output:
            _print_json(doctor_json(checks))
        else:
            render_doctor(_console(), directory, checks)
        if any(check.status == "fail" for check in checks):
            raise typer.Exit(EXIT_FAILED)

    guarded(work)


_DOCTOR_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red"}


def render_doctor(console: Console, directory: Path, checks: Sequence[Check]) -> None:
    """One row per check; under each that is not ok, the command that fixes it."""
    from rich.table import Table
    from rich.text import Text

    console.print(Text(f"specloop doctor in {directory.resolve()}"), soft_wrap=True)
    table = Table(box=None, pad_edge=False, show_header=False)
    for check in checks:
        # Details and fixes hold paths and config text: plain Text, never markup.
        detail = Text(check.detail)
        if check.fix is not None:
            detail.append("\nfix: ", style="bold")
            detail.append(check.fix)
        table.add_row(Text(check.status, style=_DOCTOR_STYLE[check.status]), check.name, detail)
    console.print(table)
    counts = {status: sum(c.status == status for c in checks) for status in _DOCTOR_STYLE}
    console.print(Text(f"{counts['fail']} failed, {counts['warn']} warnings, {counts['ok']} ok"))


def main() -> None:
    """Entry point of the `specloop` console script."""
    app(prog_name="specloop")
