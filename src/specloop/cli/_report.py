"""`specloop report`: the single-file HTML page of the project's runs."""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from specloop.cli._app import _globals, _project, app
from specloop.cli._guard import fail, guarded

if TYPE_CHECKING:
    from specloop.engine import Project
    from specloop.ledger import Ledger

#: Where the page goes without -o, relative to the project root.
DEFAULT_REPORT = "specloop-report.html"


def _diffs(project: Project, ledger: Ledger, run_id: int | None) -> dict[int, str]:
    """Each attempt's diff, by attempt id; attempts whose commits are gone are left out.

    Computed here, not in the report package: that package may read only the ledger and
    the files (DESIGN.md §7), and a diff needs git.
    """
    from specloop.gitops import GitError, diff_text

    diffs: dict[int, str] = {}
    for attempt in ledger.attempt_details(run_id=run_id):
        if not attempt.base_sha or not attempt.head_sha:
            continue
        try:
            diffs[attempt.id] = diff_text(project.root, attempt.base_sha, attempt.head_sha)
        except GitError:  # e.g. `specloop clean` deleted the branch and git pruned it
            continue
    return diffs


def _spec_text(project: Project) -> str | None:
    from specloop.artifacts import ParseError, read_text

    path = project.root / project.config.spec_path
    if not path.is_file():
        return None
    try:
        return read_text(path)
    except ParseError as exc:
        # The page is still worth having without the spec; say why it is missing.
        print(f"specloop: warning: {project.config.spec_path}: {exc}", file=sys.stderr)
        return None


def _write(path: Path, text: str) -> None:
    """Write through a temporary file, so a reader never sees half a page."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        fail(f"cannot write the report to {path}: {exc.strerror or exc}")


@app.command()
def report(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help=f"Write the page to FILE (default: {DEFAULT_REPORT} in the project root).",
            metavar="FILE",
        ),
    ] = None,
    run_id: Annotated[
        int | None,
        typer.Option("--run", help="Only this run's attempts (default: every run).", metavar="N"),
    ] = None,
) -> None:
    """Write a single-file HTML page of the run: spec, task graph, checks, diffs, decisions, cost."""

    def work() -> None:
        from specloop.cli._app import _console
        from specloop.cli._render import render_problems
        from specloop.engine import project_status
        from specloop.ledger import LEDGER_RELPATH, Ledger
        from specloop.report import gather, render_html

        project = _project(ctx)
        status = project_status(project)
        if status.problems:  # still worth a page: the problems show as blocked tasks
            render_problems(_console(stderr=True), status.problems)
        states = {row.id: (str(row.state), row.reason) for row in status.tasks}
        spec_text = _spec_text(project)
        ledger = Ledger.open_existing(project.root / LEDGER_RELPATH)
        with ExitStack() as stack:
            diffs: dict[int, str] = {}
            if ledger is not None:
                stack.enter_context(ledger)
                if run_id is not None and run_id not in {r.id for r in ledger.runs()}:
                    fail(
                        f"there is no run {run_id} in the ledger (`specloop status` shows the latest)"
                    )
                diffs = _diffs(project, ledger, run_id)
            elif run_id is not None:
                fail(f"there is no run {run_id}: nothing has run in this project yet")
            data = gather(
                ledger,
                status.graph,
                states,
                project=project.root.name,
                spec_path=project.config.spec_path,
                spec_text=spec_text,
                diffs=diffs,
                run_id=run_id,
            )
        if output is None:
            target = project.root / DEFAULT_REPORT
        else:
            target = output if output.is_absolute() else _globals(ctx).directory / output
        _write(target, render_html(data))
        print(target)

    guarded(work)
