"""Choosing an executor by name: ``builtin``, ``cmd:COMMAND``, and the agent CLIs to come."""

from __future__ import annotations

from collections.abc import Mapping

from specloop.config import Config
from specloop.executors._base import Executor
from specloop.executors._builtin import BuiltinExecutor
from specloop.executors._cmd import CmdExecutor
from specloop.ledger import Ledger
from specloop.models import open_model

EXECUTOR_NAMES = ("builtin", "codex", "claude", "aider", "cmd:COMMAND")


def make_executor(
    name: str, *, config: Config, env: Mapping[str, str], ledger: Ledger | None = None
) -> Executor:
    """The executor called ``name``.

    ``builtin`` uses the executor role's model (NoModelConfigured when there is none);
    ``cmd:COMMAND`` runs COMMAND; ``codex``, ``claude`` and ``aider`` drive those CLIs
    on the executor role's model (ExecutorUnavailable when the CLI is not installed).
    Any other name raises ValueError listing the valid ones.
    """
    if name == "builtin":
        return BuiltinExecutor(open_model(config, "executor", env, ledger=ledger), ledger=ledger)
    if name.startswith("cmd:"):
        command = name[len("cmd:") :]
        if not command.strip():
            raise ValueError("executor cmd: needs a command after the colon, as in cmd:./agent.sh")
        return CmdExecutor(command)
    # Imported here: each adapter is only loaded when it is asked for.
    if name == "codex":
        from specloop.executors._codex import CodexExecutor

        return CodexExecutor(config=config, env=env, ledger=ledger)
    if name == "claude":
        from specloop.executors._claude import ClaudeExecutor

        return ClaudeExecutor(config=config, env=env, ledger=ledger)
    if name == "aider":
        from specloop.executors._aider import AiderExecutor

        return AiderExecutor(config=config, env=env, ledger=ledger)
    raise ValueError(f"unknown executor {name!r}; valid: {', '.join(EXECUTOR_NAMES)}")
