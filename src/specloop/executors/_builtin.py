"""The ``builtin`` executor: specloop's own agent loop over the executor role's model.

The model gets the handover as its prompt, a short Codex-style system prompt and the
tools of ``_tools``; it works until it answers in text, runs out of turns, or the
attempt's time is up. What it changed is in the worktree either way; the engine
commits and verifies it.
"""

from __future__ import annotations

import time

from specloop.executors._base import (
    OUTPUT_LIMIT_BYTES,
    ExecutionRequest,
    ExecutionResult,
    seconds,
)
from specloop.executors._tools import AgentIds, Toolbox
from specloop.ledger import Ledger
from specloop.models import ModelClient, ModelError
from specloop.sandbox import scrubbed_env, truncate_middle

STAGE = "execute"
DEFAULT_MAX_TURNS = 50

# Codex-style harness prompt (workflow rules §9.1): what the job is and how to end it.
# Deliberately no request for preambles, upfront plans or status updates: they make
# models stop before the work is done.
SYSTEM_PROMPT = """\
You are a coding agent working on one task in a git worktree of the user's repository.
The task, the project's instructions (AGENTS.md) and the relevant files are in the
user's message. You have tools to read, list and search files, to edit files with
apply_patch, to run commands in the worktree (sandboxed, without network) and to keep
a plan for multi-step work.

- Keep going until the task is completely done before you end your turn: make the
  changes, then run the completion criteria's commands with run_command and fix what
  fails. Stop as soon as the completion criteria are met.
- Modify only the files listed under "Files to Modify"; any other change fails the task.
- Edit files only with apply_patch. Do not commit, switch branches or push: specloop
  commits your changes when you stop.
- Follow the code's existing style; keep changes minimal and focused on the task.
- Never guess file contents: read a file before you patch it.
- When you finish, answer with a short summary of what you changed, then the
  assumptions you made, as a short list.
"""


class BuiltinExecutor:
    """Runs ``client.run_agent`` with the worktree's tools."""

    name = "builtin"

    def __init__(
        self,
        client: ModelClient,
        *,
        ledger: Ledger | None = None,
        max_turns: int = DEFAULT_MAX_TURNS,
    ) -> None:
        if max_turns < 1:
            raise ValueError(f"max_turns must be 1 or more, got {max_turns!r}")
        self.client = client
        self.ledger = ledger
        self.max_turns = max_turns

    def __repr__(self) -> str:
        return f"BuiltinExecutor({self.client.label!r}, max_turns={self.max_turns})"

    def run(self, request: ExecutionRequest) -> ExecutionResult:
        """Let the model work on the task until it stops, its turns run out, or time does."""
        started = time.monotonic()
        toolbox = Toolbox(
            request.worktree,
            sandbox=request.sandbox,
            # The agent's commands get no credentials at all; the model is called from
            # specloop's process, not from inside the sandbox.
            env=scrubbed_env(request.env),
            deadline=started + request.timeout,
            ledger=self.ledger,
            ids=AgentIds(request.run_id, request.task.id, request.attempt_id),
            scrub=self.client.scrub,
        )
        try:
            run = self.client.run_agent(
                stage=STAGE,
                system=SYSTEM_PROMPT,
                prompt=request.handover,
                tools=toolbox.tools(),
                max_turns=self.max_turns,
                task_id=request.task.id,
                timeout=request.timeout,
                run_id=request.run_id,
                attempt_id=request.attempt_id,
            )
        except ModelError as exc:
            # The provider failed (after its retries): the attempt failed, and the
            # engine decides whether to try again. Its usage is already recorded.
            duration_ms = int((time.monotonic() - started) * 1000)
            output = _output(toolbox.log, str(exc))
            return ExecutionResult(
                ok=False,
                exit_code=None,
                timed_out=bool(getattr(exc, "timed_out", False)),
                output=output,
                summary=f"model call failed: {exc}",
                duration_ms=duration_ms,
            )
        if run.stopped is None:
            summary = f"agent finished in {seconds(run.duration_ms)} ({_turns(run.turns)})"
        else:
            summary = f"agent stopped: {run.stopped}"
        return ExecutionResult(
            ok=run.stopped is None,
            exit_code=0 if run.stopped is None else None,
            timed_out=run.stopped is not None and run.stopped.startswith("timed out"),
            output=_output(toolbox.log, run.text),
            summary=summary,
            duration_ms=run.duration_ms,
            usage=run.usage,
        )


def _turns(count: int) -> str:
    return f"{count} turn{'s' if count != 1 else ''}"


def _output(log: list[str], final: str) -> str:
    """The tool calls, one line each, then the agent's last words, cut to the output limit."""
    parts = [*(f"$ {line}" for line in log), "", final] if log else [final]
    return truncate_middle("\n".join(parts).strip("\n"), OUTPUT_LIMIT_BYTES)
