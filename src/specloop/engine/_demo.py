"""`specloop demo`: the whole planning loop on a bundled idea, with a scripted model.

A fresh git repository in a temporary directory, the scripted model server on
127.0.0.1 replaying `demo/script.yaml`, and the real spec -> agents -> tasks stages
against it over HTTP. Nothing but 127.0.0.1 is contacted and no key is needed."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.text import Text

from specloop.artifacts import LintOptions, Severity, lint_project
from specloop.config import Config, load_config
from specloop.engine._init import init_project
from specloop.engine._project import ProjectError
from specloop.ledger import LEDGER_RELPATH, Ledger
from specloop.models import open_model
from specloop.planning import (
    AutoApprove,
    PlanningContext,
    StageReport,
    run_agents_stage,
    run_spec_stage,
    run_tasks_stage,
)
from specloop.testing import ScriptedModelServer, load_script

#: The scripted model's "key": the demo needs none, the OpenAI client insists on one.
_DEMO_KEY = "scripted-demo-no-real-key"


@dataclass
class DemoResult:
    """Where the demo put everything, and what each stage cost."""

    root: Path
    reports: list[StageReport] = field(default_factory=list)
    lint_errors: int = 0
    lint_warnings: int = 0
    requests: int = 0
    seconds: float = 0.0
    tasks_merged: int = 0
    tasks_total: int = 0
    run_seconds: float = 0.0
    run_input_tokens: int = 0
    run_output_tokens: int = 0


def _bundled(name: str) -> Path:
    return Path(str(resources.files("specloop.engine").joinpath("demo").joinpath(name)))


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def _fresh_repo(directory: Path | None) -> Path:
    if directory is None:
        return Path(tempfile.mkdtemp(prefix="specloop-demo-"))
    if directory.exists() and any(directory.iterdir()):
        raise ProjectError(f"{directory} is not empty: give --dir a new or empty directory")
    directory.mkdir(parents=True, exist_ok=True)
    return directory.resolve()


def _execute(
    root: Path,
    config: Config,
    env: dict[str, str],
    ledger: Ledger,
    console: Console,
    result: DemoResult,
) -> None:
    """Run every task with the builtin executor on the scripted model, merging what passes."""
    from specloop.engine._engine import Engine, RunOptions
    from specloop.engine._progress import Progress
    from specloop.engine._project import Project
    from specloop.sandbox import Sandbox

    sandbox = Sandbox.detect()
    if not sandbox.available:
        console.print(
            Text(f"warning: running the tasks UNSANDBOXED ({sandbox.reason})", style="yellow")
        )
    console.print(
        Text(
            "\nExecuting the tasks with specloop's builtin agent (scripted model), autonomy verified:",
            style="bold",
        )
    )
    started = time.monotonic()
    project = Project(root, root, config)
    engine = Engine(project, ledger, Progress(console), sandbox, env={**os.environ, **env})
    summary = engine.run(RunOptions(executor="builtin", autonomy="verified"))
    result.run_seconds = time.monotonic() - started
    result.tasks_total = len(ledger.task_statuses())
    result.tasks_merged = sum(1 for s in summary.states.values() if s == "merged")
    for totals in ledger.usage_totals(run_id=summary.run_id):
        result.run_input_tokens += totals.input_tokens
        result.run_output_tokens += totals.output_tokens


def run_demo(console: Console, directory: Path | None = None) -> DemoResult:
    """Run the demo; the console gets progress and a final map of the files."""
    started = time.monotonic()
    root = _fresh_repo(directory)
    _git(root, "init", "-q")
    _git(root, "config", "user.name", "specloop demo")
    _git(root, "config", "user.email", "demo@specloop.invalid")
    script = load_script(_bundled("script.yaml"))
    log = root / ".specloop" / "state" / "scripted-model-requests.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    with ScriptedModelServer(script, log_path=log) as server:
        console.print(
            Text(
                "specloop demo: the planner model is SCRIPTED. Its replies come from a script bundled "
                f"with specloop, served by specloop's scripted model server at {server.base_url}; "
                "no real model is contacted and no API key is needed. Everything on specloop's side "
                "of the HTTP connection is the real code path.",
                style="bold",
            )
        )
        init_project(root)
        # The scripted endpoint lives only in this process's settings, not in the demo
        # repository's config: the server is gone when the demo ends.
        env = {
            "SPECLOOP_ROLES_PLANNER": "openai:scripted",
            "SPECLOOP_ROLES_EXECUTOR": "openai:scripted",
            "SPECLOOP_PROVIDERS_OPENAI_BASE_URL": server.openai_base_url,
            "SPECLOOP_CHECKS_TEST_COMMAND": "python3 -m unittest",
            # A machine without bubblewrap still runs the demo, with a warning.
            "SPECLOOP_RUN_SANDBOX": "optional",
            "OPENAI_API_KEY": _DEMO_KEY,
        }
        config = load_config(root, env)
        idea = _bundled("idea.md").read_text(encoding="utf-8")
        console.print(Text(f"repository: {root}\nidea: {' '.join(idea.split())}"))
        result = DemoResult(root)
        with Ledger.open(root / LEDGER_RELPATH) as ledger:
            client = open_model(config, "planner", env, ledger=ledger)
            ctx = PlanningContext(root, config, client, ledger, AutoApprove(), console)
            result.reports.append(run_spec_stage(ctx, idea, answers_file=_bundled("answers.yaml")))
            result.reports.append(run_agents_stage(ctx))
            result.reports.append(run_tasks_stage(ctx))
            _git(root, "add", "-A")
            _git(root, "commit", "-q", "-m", "Plan: SPEC.md, AGENTS.md and tasks (specloop demo)")
            _execute(root, config, env, ledger, console, result)
        result.requests = len(server.requests)
    report = lint_project(
        root,
        LintOptions(
            spec_path=config.spec_path, tasks_dir=config.tasks_dir, test_command=config.test_command
        ),
    )
    result.lint_errors = report.count(Severity.ERROR)
    result.lint_warnings = report.count(Severity.WARNING)
    result.seconds = time.monotonic() - started
    return result
