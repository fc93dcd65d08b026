"""The planning commands (`spec`, `agents`, `tasks`), `demo` and `fake-model`."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from specloop.cli._app import _console, _globals, _project, app
from specloop.cli._guard import fail, guarded

if TYPE_CHECKING:
    from specloop.planning import PlanningContext, StageReport

YesOption = Annotated[
    bool, typer.Option("--yes", "-y", help="Approve the stage's gate without asking.")
]


def _run_stage(
    ctx: typer.Context, yes: bool, stage: Callable[[PlanningContext], StageReport]
) -> None:
    from specloop.config import CONFIG_RELPATH
    from specloop.engine import init_project
    from specloop.ledger import LEDGER_RELPATH, Ledger
    from specloop.models import open_model, resolve_role
    from specloop.planning import (
        AutoApprove,
        PlanningContext,
        PlanningError,
        TerminalGate,
        usage_line,
    )

    project = _project(ctx)
    env = dict(os.environ)
    resolve_role(project.config, "planner", env)  # no model: exit 3 before touching anything
    console = _console()
    interactive = sys.stdin.isatty()
    if not yes and not interactive:
        raise PlanningError(
            "this stage ends at a gate: run it on a terminal, or pass --yes to approve"
        )
    if not (project.root / CONFIG_RELPATH).exists():
        init_project(project.root)
        console.print(f"initialized specloop in {project.root}", markup=False, soft_wrap=True)
    gate = AutoApprove(console) if yes else TerminalGate(console, ask=console.input)
    with Ledger.open(project.root / LEDGER_RELPATH) as ledger:
        client = open_model(project.config, "planner", env, ledger=ledger)
        planning = PlanningContext(
            project.root,
            project.config,
            client,
            ledger,
            gate,
            console,
            ask=console.input if interactive else None,
        )
        report = stage(planning)
    if report.written:
        console.print(
            f"{report.stage}: wrote {', '.join(report.written)} ({usage_line(report)})",
            markup=False,
        )


@app.command()
def spec(
    ctx: typer.Context,
    idea: Annotated[str, typer.Argument(help="What to build, in a sentence or a paragraph.")] = "",
    from_file: Annotated[
        Path | None, typer.Option("--from", help="Read the idea from FILE.")
    ] = None,
    answers: Annotated[
        Path | None,
        typer.Option(
            "--answers", help="YAML file of question: answer for the planner's open questions."
        ),
    ] = None,
    yes: YesOption = False,
) -> None:
    """Draft SPEC.md from an idea (or revise it), asking the planner's open questions."""

    def work() -> None:
        from specloop.planning import run_spec_stage

        base = _globals(ctx).directory
        text = idea
        if from_file is not None:
            source = from_file if from_file.is_absolute() else base / from_file
            try:
                text = source.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                fail(
                    f"cannot read the idea from {from_file}: {getattr(exc, 'strerror', None) or exc}"
                )
        answers_path = None
        if answers is not None:
            answers_path = answers if answers.is_absolute() else base / answers
            if not answers_path.is_file():
                fail(f"answers file not found: {answers}")
        _run_stage(
            ctx, yes, lambda planning: run_spec_stage(planning, text, answers_file=answers_path)
        )

    guarded(work)


@app.command()
def agents(ctx: typer.Context, yes: YesOption = False) -> None:
    """Draft or update AGENTS.md from the spec, keeping the sections you wrote."""

    def work() -> None:
        from specloop.planning import run_agents_stage

        _run_stage(ctx, yes, run_agents_stage)

    guarded(work)


@app.command()
def tasks(ctx: typer.Context, yes: YesOption = False) -> None:
    """Decompose SPEC.md into tasks/0xNN-slug.md files that pass `specloop lint`."""

    def work() -> None:
        from specloop.planning import run_tasks_stage

        _run_stage(ctx, yes, run_tasks_stage)

    guarded(work)


@app.command()
def demo(
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir", help="Put the demo repository here (new or empty) instead of a temp dir."
        ),
    ] = None,
) -> None:
    """Run the loop on a bundled idea with a scripted model: no key, no network."""

    def work() -> None:
        from specloop.cli._render import render_demo
        from specloop.engine import run_demo

        console = _console()
        render_demo(console, run_demo(console, directory))

    guarded(work)


@app.command("fake-model")
def fake_model(
    script: Annotated[
        Path, typer.Option("--script", help="YAML or JSON list of steps (DESIGN.md §9).")
    ],
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1 (0: any free port).")] = 0,
    log: Annotated[
        Path | None, typer.Option("--log", help="Append one JSON line per request to FILE.")
    ] = None,
) -> None:
    """Serve a scripted model on 127.0.0.1 (OpenAI Chat/Responses, Anthropic Messages)."""

    def work() -> None:
        from specloop.testing import ScriptedModelServer, load_script

        server = ScriptedModelServer(load_script(script), port=port, log_path=log).start()
        print(server.base_url, flush=True)
        print(
            f"specloop fake-model: OpenAI base URL {server.openai_base_url}, Anthropic base URL {server.base_url}; "
            "Ctrl-C stops it",
            file=sys.stderr,
            flush=True,
        )
        try:
            server.serve_forever()
        finally:
            server.stop()

    guarded(work)
