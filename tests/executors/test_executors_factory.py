"""make_executor: names to executors, and clear errors for the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from specloop.config import load_config
from specloop.executors import (
    BuiltinExecutor,
    CmdExecutor,
    Executor,
    ExecutorUnavailable,
    make_executor,
)
from specloop.ledger import Ledger
from specloop.models import NoModelConfigured

MODEL_ENV = {"SPECLOOP_ROLES_EXECUTOR": "openai:gpt-5", "OPENAI_API_KEY": "sk-test-x"}


def make(name: str, tmp_path: Path, env: dict[str, str] | None = None) -> Executor:
    env = MODEL_ENV if env is None else env
    return make_executor(name, config=load_config(tmp_path, env), env=env)


def test_builtin_uses_the_executor_role(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "ledger.db") as ledger:
        executor = make_executor(
            "builtin", config=load_config(tmp_path, MODEL_ENV), env=MODEL_ENV, ledger=ledger
        )
        assert isinstance(executor, BuiltinExecutor)
        assert executor.name == "builtin"
        assert executor.client.label == "openai:gpt-5"
        assert executor.client.role == "executor"
        assert executor.client.ledger is ledger
        assert executor.ledger is ledger


def test_builtin_without_a_model_says_how_to_configure_one(tmp_path: Path) -> None:
    with pytest.raises(NoModelConfigured) as caught:
        make("builtin", tmp_path, env={})
    assert "SPECLOOP_ROLES_EXECUTOR" in str(caught.value) or "roles.executor" in str(caught.value)


def test_cmd(tmp_path: Path) -> None:
    executor = make("cmd:./agent.sh --fast", tmp_path)
    assert isinstance(executor, CmdExecutor)
    assert executor.command == "./agent.sh --fast"
    assert executor.name == "cmd:./agent.sh --fast"
    with pytest.raises(ValueError, match="needs a command"):
        make("cmd:  ", tmp_path)


@pytest.mark.parametrize(
    ("name", "install"),
    [
        ("codex", "npm install -g @openai/codex@"),
        ("claude", "npm install -g @anthropic-ai/claude-code@"),
        ("aider", "pipx install aider-chat=="),
    ],
)
def test_a_missing_agent_cli_names_its_install_command(
    tmp_path: Path, name: str, install: str
) -> None:
    env = {**MODEL_ENV, "PATH": str(tmp_path)}  # nothing installed there
    with pytest.raises(ExecutorUnavailable) as caught:
        make(name, tmp_path, env=env)
    assert install in str(caught.value)


def test_unknown_names_list_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as caught:
        make("gpt", tmp_path)
    assert str(caught.value) == (
        "unknown executor 'gpt'; valid: builtin, codex, claude, aider, cmd:COMMAND"
    )
