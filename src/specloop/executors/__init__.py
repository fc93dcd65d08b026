"""specloop.executors: who types the code (DESIGN.md §5).

One interface, ``Executor.run(ExecutionRequest) -> ExecutionResult``, and one module per
executor:

- ``builtin`` — specloop's own agent loop over the executor role's model, with tools to
  read, list and search files, ``apply_patch`` (the Codex patch format, parsed and
  applied here), ``run_command`` in the sandbox, and ``update_plan``;
- ``cmd:COMMAND`` — any program, run through ``sh -c`` in the worktree with
  ``SPECLOOP_*`` variables describing the task;
- ``codex``, ``claude``, ``aider`` — the agent CLIs at their pinned versions (``_pins.py``),
  driven non-interactively in the sandbox on the executor role's model (``_agentcli.py``
  holds what the three share).

``make_executor(name, config=..., env=..., ledger=...)`` picks one by name.
"""

from specloop.executors._base import (
    OUTPUT_LIMIT_BYTES,
    ExecutionRequest,
    ExecutionResult,
    Executor,
    ExecutorUnavailable,
)
from specloop.executors._builtin import DEFAULT_MAX_TURNS, SYSTEM_PROMPT, BuiltinExecutor
from specloop.executors._cmd import CmdExecutor
from specloop.executors._factory import EXECUTOR_NAMES, make_executor
from specloop.executors._gitdirs import writable_roots
from specloop.executors._patch import PatchError, apply_patch, parse_patch
from specloop.executors._tools import PLAN_EVENT, TOOL_EVENT, AgentIds, Toolbox

__all__ = [
    "DEFAULT_MAX_TURNS",
    "EXECUTOR_NAMES",
    "OUTPUT_LIMIT_BYTES",
    "PLAN_EVENT",
    "SYSTEM_PROMPT",
    "TOOL_EVENT",
    "AgentIds",
    "BuiltinExecutor",
    "CmdExecutor",
    "ExecutionRequest",
    "ExecutionResult",
    "Executor",
    "ExecutorUnavailable",
    "PatchError",
    "Toolbox",
    "apply_patch",
    "make_executor",
    "parse_patch",
    "writable_roots",
]
