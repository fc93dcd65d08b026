"""The ``cmd:COMMAND`` executor: any program, run in the worktree (DESIGN.md §5).

``COMMAND`` runs through ``sh -c`` with the worktree as its working directory and the
task's particulars in ``SPECLOOP_*`` variables. Exit 0 means it finished; the work is
then verified like any other executor's.
"""

from __future__ import annotations

from collections.abc import Sequence

from specloop.executors._base import (
    OUTPUT_LIMIT_BYTES,
    ExecutionRequest,
    ExecutionResult,
    ensure_handover,
    seconds,
    timeout_text,
)
from specloop.executors._gitdirs import writable_roots
from specloop.sandbox import SandboxError, run_process, scrubbed_env


class CmdExecutor:
    """Runs one shell command per attempt.

    The command sees the base environment without anything secret-looking; ``keep_env``
    names variables to pass through anyway (the key a user's agent needs for its model).
    """

    def __init__(self, command: str, *, keep_env: Sequence[str] = ()) -> None:
        if not command.strip():
            raise ValueError("cmd: needs a command, as in cmd:./my-agent.sh")
        self.command = command
        self.name = f"cmd:{command}"
        self.keep_env = tuple(keep_env)

    def __repr__(self) -> str:
        return f"CmdExecutor({self.command!r})"

    def run(self, request: ExecutionRequest) -> ExecutionResult:
        """Run the command to its exit or to ``request.timeout``, then kill what is left."""
        worktree = request.worktree.absolute()
        handover = ensure_handover(request)
        env = scrubbed_env(
            request.env,
            keep=self.keep_env,
            extra={
                "SPECLOOP_TASK_ID": request.task.id,
                "SPECLOOP_TASK_FILE": str(request.task_file.absolute()),
                "SPECLOOP_HANDOVER": str(handover),
                "SPECLOOP_ATTEMPT": str(request.attempt),
                "SPECLOOP_WORKTREE": str(worktree),
            },
        )
        argv = request.sandbox.wrap(
            ["/bin/sh", "-c", self.command],
            writable=writable_roots(worktree),
            # A user's agent almost always talks to its model over the network (often a
            # server on the host's 127.0.0.1), so the network stays shared; the sandbox
            # still confines what it can write.
            network=True,
            cwd=worktree,
        )
        try:
            done = run_process(
                argv,
                cwd=worktree,
                env=env,
                timeout=request.timeout,
                output_limit_bytes=OUTPUT_LIMIT_BYTES,
            )
        except SandboxError as exc:
            # /bin/sh or bwrap missing, or the worktree vanished: a failed run, reported.
            return ExecutionResult(
                ok=False,
                exit_code=None,
                timed_out=False,
                output=str(exc),
                summary=f"could not start: {exc}",
                duration_ms=0,
            )
        if done.timed_out:
            summary = f"timed out after {timeout_text(request.timeout)}"
        else:
            summary = f"exit {done.exit_code} in {seconds(done.duration_ms)}"
        return ExecutionResult(
            ok=done.ok,
            exit_code=done.exit_code,
            timed_out=done.timed_out,
            output=done.output,
            summary=summary,
            duration_ms=done.duration_ms,
        )
