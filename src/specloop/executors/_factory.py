"""Choosing an executor by name: ``builtin``, ``cmd:COMMAND``, and the agent CLIs to come."""

from __future__ import annotations

from collections.abc import Mapping

from specloop.config import Config
from specloop.executors._base import Executor, ExecutorUnavailable
from specloop.executors._builtin import BuiltinExecutor
from specloop.executors._cmd import CmdExecutor
from specloop.ledger import Ledger
from specloop.models import open_model

EXECUTOR_NAMES = ("builtin", "codex", "claude", "aider", "cmd:COMMAND")

# Until their adapters exist, each CLI can still be driven through cmd: (the handover
# is in the file $SPECLOOP_HANDOVER); a starting point for each (executor-clis.md).
_LATER = {
    "codex": 'cmd:codex exec "$(cat "$SPECLOOP_HANDOVER")"',
    "claude": 'cmd:claude -p "$(cat "$SPECLOOP_HANDOVER")" --permission-mode acceptEdits',
    "aider": 'cmd:aider --yes-always --no-auto-commits --message-file "$SPECLOOP_HANDOVER"',
}


def make_executor(
    name: str, *, config: Config, env: Mapping[str, str], ledger: Ledger | None = None
) -> Executor:
    """The executor called ``name``.

    ``builtin`` uses the executor role's model (NoModelConfigured when there is none);
    ``cmd:COMMAND`` runs COMMAND. ``codex``, ``claude`` and ``aider`` raise
    ExecutorUnavailable for now; any other name raises ValueError listing the valid ones.
    """
    if name == "builtin":
        return BuiltinExecutor(open_model(config, "executor", env, ledger=ledger), ledger=ledger)
    if name.startswith("cmd:"):
        command = name[len("cmd:") :]
        if not command.strip():
            raise ValueError("executor cmd: needs a command after the colon, as in cmd:./agent.sh")
        return CmdExecutor(command)
    if name in _LATER:
        raise ExecutorUnavailable(
            f"the {name} executor arrives in a later version of specloop; until then use"
            f" --executor builtin, or drive {name} yourself with --executor '{_LATER[name]}'"
        )
    raise ValueError(f"unknown executor {name!r}; valid: {', '.join(EXECUTOR_NAMES)}")
