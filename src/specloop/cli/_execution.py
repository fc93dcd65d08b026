"""The execution commands: run, resume, approve, reject, verify, clean."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

from specloop.cli._app import _console, _project, app
from specloop.cli._guard import EXIT_FAILED, fail, guarded

if TYPE_CHECKING:
    from specloop.engine._engine import Engine

JsonEvents = Annotated[bool, typer.Option("--json", help="One JSON object per event on stdout.")]


@contextmanager
def _engine(ctx: typer.Context, json_events: bool = False) -> Iterator[Engine]:
    from specloop.engine._engine import Engine
    from specloop.engine._progress import Progress
    from specloop.ledger import LEDGER_RELPATH, Ledger
    from specloop.sandbox import Sandbox

    project = _project(ctx)
    console = _console()
    mode = project.config.sandbox
    sandbox = Sandbox.disabled("run.sandbox = off") if mode == "off" else Sandbox.detect()
    if not sandbox.available and mode == "required":
        fail(
            f"no sandbox: {sandbox.reason}. Install bubblewrap (e.g. `apt-get install bubblewrap`), "
            'or set run.sandbox = "optional" in .specloop/config.toml to run unsandboxed',
            3,
        )
    if not sandbox.available and mode == "optional":
        print(f"specloop: warning: running UNSANDBOXED ({sandbox.reason})", file=sys.stderr)
    interactive = sys.stdin.isatty() and not json_events
    with Ledger.open(project.root / LEDGER_RELPATH) as ledger:
        yield Engine(
            project,
            ledger,
            Progress(console, json_lines=json_events, live=console.is_terminal and not json_events),
            sandbox,
            env=dict(os.environ),
            ask=console.input if interactive else None,
        )


@app.command()
def run(
    ctx: typer.Context,
    task_ids: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[TASK]...", help="Run only these tasks (default: every ready task)."
        ),
    ] = None,
    executor: Annotated[
        str | None,
        typer.Option(
            "--executor",
            help="builtin, codex, claude, aider or cmd:COMMAND; several as codex,claude"
            " for --best-of (default: run.executor).",
        ),
    ] = None,
    autonomy: Annotated[
        str | None,
        typer.Option("--autonomy", help="gated, verified or full (default: run.autonomy)."),
    ] = None,
    parallel: Annotated[
        int | None,
        typer.Option(
            "--parallel",
            help="Run up to N ready tasks whose scopes do not overlap at once (default: run.parallel).",
        ),
    ] = None,
    best_of: Annotated[
        int | None,
        typer.Option(
            "--best-of",
            help="N attempts of each task side by side; the best verified one wins"
            " (default: front matter best_of, else 1).",
        ),
    ] = None,
    review: Annotated[
        bool,
        typer.Option(
            "--review",
            help="Review every attempt that passed its checks with the roles.reviewers"
            " models before its gate; blocking findings stop the merge.",
        ),
    ] = False,
    json_events: JsonEvents = False,
) -> None:
    """Execute ready tasks: fresh agent session, verification by specloop, gate, merge."""

    def work() -> None:
        from specloop.artifacts import canonical_task_id
        from specloop.engine._engine import RunOptions

        ids = []
        for raw in task_ids or []:
            canonical = canonical_task_id(raw)
            if canonical is None:
                fail(f"{raw!r} is not a task id (like 0x03)")
            ids.append(canonical)
        with _engine(ctx, json_events) as engine:
            summary = engine.run(RunOptions(ids, executor, autonomy, parallel, best_of, review))
        raise typer.Exit(summary.exit_code)

    guarded(work)


@app.command()
def resume(ctx: typer.Context, json_events: JsonEvents = False) -> None:
    """Finish a run interrupted by a crash, kill -9 or Ctrl-C."""

    def work() -> None:
        from specloop.engine._resume import resume as resume_run

        with _engine(ctx, json_events) as engine:
            _, summary = resume_run(engine)
        raise typer.Exit(summary.exit_code if summary else 0)

    guarded(work)


@app.command()
def approve(
    ctx: typer.Context,
    task_id: Annotated[str, typer.Argument(metavar="TASK")],
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded in the ledger).")] = "",
) -> None:
    """Approve the attempt awaiting approval and merge it."""

    def work() -> None:
        from specloop.engine._decisions import approve as approve_task

        with _engine(ctx) as engine:
            print(approve_task(engine, _task_id(task_id), reason))

    guarded(work)


@app.command()
def reject(
    ctx: typer.Context,
    task_id: Annotated[str, typer.Argument(metavar="TASK")],
    feedback: Annotated[
        str, typer.Option("--feedback", help="What the next attempt must do differently.")
    ] = "",
) -> None:
    """Reject a task's latest attempt; the next run retries it with your feedback."""

    def work() -> None:
        from specloop.engine._decisions import reject as reject_task

        with _engine(ctx) as engine:
            print(reject_task(engine, _task_id(task_id), feedback))

    guarded(work)


@app.command()
def verify(ctx: typer.Context, task_id: Annotated[str, typer.Argument(metavar="TASK")]) -> None:
    """Re-run the deterministic checks on a task's latest attempt."""

    def work() -> None:
        from specloop.engine._decisions import verify_latest

        with _engine(ctx) as engine:
            verification = verify_latest(engine, _task_id(task_id))
            for check in verification.checks:
                print(
                    f"{check.status:<8} {check.kind:<9} {check.name}"
                    + (f" [{check.phase}]" if check.phase != "after" else "")
                )
            if not verification.passed:
                print(verification.report())
                raise typer.Exit(EXIT_FAILED)

    guarded(work)


@app.command()
def clean(ctx: typer.Context) -> None:
    """Remove specloop's worktrees and the branches kept from earlier attempts."""

    def work() -> None:
        from specloop.engine._decisions import clean as clean_project

        with _engine(ctx) as engine:
            removed = clean_project(engine)
        print("\n".join(f"removed {item}" for item in removed) or "nothing to clean")

    guarded(work)


def _task_id(raw: str) -> str:
    from specloop.artifacts import canonical_task_id

    canonical = canonical_task_id(raw)
    if canonical is None:
        fail(f"{raw!r} is not a task id (like 0x03)")
    return canonical
