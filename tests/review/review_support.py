"""Shared pieces of the review tests: a repository with a change, reviewer replies, clients."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers import Repo, git
from specloop.models import ModelClient, ModelSpec
from specloop.testing import ScriptedModelServer

KEY = "sk-test-review-not-a-real-key-5f3a9c"
ENV = {"OPENAI_API_KEY": KEY, "ANTHROPIC_API_KEY": KEY}
OPENAI = "openai:gpt-4.1"
ANTHROPIC = "anthropic:claude-sonnet-4-6"

BEFORE = "def load(path):\n    with open(path) as handle:\n        return handle.read()\n"
AFTER = (
    "import os\n\n\n"
    "def load(path):\n"
    "    os.system('cat ' + path)\n"
    "    with open(path) as handle:\n"
    "        return handle.read()\n"
)


def commit_all(repo: Repo, message: str) -> str:
    """Commit everything in the work tree; return the new commit's SHA."""
    git(repo.root, "add", "-A")
    git(
        repo.root,
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.com",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        message,
    )
    return git(repo.root, "rev-parse", "HEAD").strip()


def change(
    repo: Repo, before: dict[str, str | bytes], after: dict[str, str | bytes]
) -> tuple[str, str]:
    """Two commits: ``before``'s files, then ``after``'s; return (base SHA, head SHA)."""
    for path, text in before.items():
        repo.write(path, text)
    base = commit_all(repo, "before")
    for path, text in after.items():
        repo.write(path, text)
    return base, commit_all(repo, "after")


def finding(
    title: str = "[P1] Do not pass the path to a shell",
    *,
    priority: int = 1,
    path: str = "src/app.py",
    start: int = 5,
    end: int = 5,
    category: str = "security",
    body: str = "A path with ; runs any command: os.system gets user input unquoted.",
    confidence: float = 0.9,
    **extra: Any,
) -> dict[str, Any]:
    """One finding as a reviewer sends it."""
    return {
        "title": title,
        "body": body,
        "priority": priority,
        "category": category,
        "confidence_score": confidence,
        "code_location": {"file_path": path, "line_range": {"start": start, "end": end}},
        **extra,
    }


def output(*findings: dict[str, Any], correct: bool | None = None) -> dict[str, Any]:
    """A whole reviewer answer; the verdict defaults to incorrect when there are findings."""
    if correct is None:
        correct = not findings
    return {
        "findings": list(findings),
        "overall_correctness": "patch is correct" if correct else "patch is incorrect",
        "overall_explanation": "Checked the change.",
        "overall_confidence_score": 0.8,
    }


def reply(answer: dict[str, Any], *, reviewer: str | None = None, **extra: Any) -> dict[str, Any]:
    """A script step answering with ``answer``; ``reviewer`` routes it with `when:`."""
    step: dict[str, Any] = {"tool_call": {"name": "final_result", "arguments": answer}, **extra}
    if reviewer is not None:
        step["when"] = {"contains": f"You are reviewer {reviewer};"}
    return step


def client(server: ScriptedModelServer, label: str = OPENAI, **options: Any) -> ModelClient:
    """A reviewer client talking to ``server`` over HTTP."""
    provider, _, name = label.partition(":")
    url = server.base_url if provider == "anthropic" else server.openai_base_url
    return ModelClient(
        ModelSpec(provider, name, url),
        role="reviewer",
        env=ENV,
        timeout=10.0,
        max_retries=0,
        **options,
    )


def write_config(
    repo: Repo, server: ScriptedModelServer, reviewers: tuple[str, ...] = (OPENAI, ANTHROPIC)
) -> None:
    """`.specloop/config.toml` with the reviewers pointed at ``server``."""
    names = ", ".join(f'"{r}"' for r in reviewers)
    repo.write(
        ".specloop/config.toml",
        f"[roles]\nreviewers = [{names}]\n\n"
        f'[providers.openai]\nbase_url = "{server.openai_base_url}"\n\n'
        f'[providers.anthropic]\nbase_url = "{server.base_url}"\n\n'
        "[models]\nmax_retries = 0\n",
    )
    repo.write(".gitignore", ".specloop/state/\n")


def request_texts(server: ScriptedModelServer) -> list[str]:
    """What every request showed the model, as text."""
    from specloop.testing._match import request_text

    return [request_text(r.body) for r in server.requests]


def ledger_path(repo: Repo) -> Path:
    return repo.root / ".specloop" / "state" / "ledger.db"
