"""What the three agent-CLI adapters (codex, claude, aider) share.

Each adapter turns one ExecutionRequest into one command line and reads the CLI's
output back; everything else is the same for all three and lives here:

- finding the binary (ExecutorUnavailable, with the install command, when missing);
- a fresh per-attempt home directory outside the worktree (their config, sessions,
  caches), so nothing of the user's own setup leaks in and nothing lands in scope;
- running the CLI in the sandbox with the worktree (and its git dirs) and that home
  writable, the network shared (the model endpoint), a wall-clock timeout;
- recording what the agent did as ledger events and its tokens and cost as usage;
- turning that into an ExecutionResult.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specloop.config import Config
from specloop.executors._base import (
    OUTPUT_LIMIT_BYTES,
    ExecutionRequest,
    ExecutionResult,
    ExecutorUnavailable,
    seconds,
    timeout_text,
)
from specloop.executors._gitdirs import writable_roots
from specloop.executors._pins import AGENT_PINS
from specloop.ledger import Ledger
from specloop.models import ModelSpec, PriceTable, Usage
from specloop.sandbox import ProcessResult, SandboxError, run_process, truncate_middle

#: The machine-readable output of a CLI is parsed whole, so it is kept up to this size.
PARSE_LIMIT_BYTES = 16_000_000

#: Ledger event kinds an adapter records (data: see `AgentTrace`).
AGENT_MESSAGE_EVENT = "agent.message"
AGENT_TOOL_EVENT = "agent.tool_call"
AGENT_FILE_EVENT = "agent.file_change"


def find_binary(name: str, env: Mapping[str, str]) -> str:
    """The absolute path of agent `name`'s command on the PATH of `env`.

    Raises ExecutorUnavailable (exit 3) naming the pinned version and how to install it.
    """
    pin = AGENT_PINS[name]
    found = shutil.which(pin.binary, path=env.get("PATH", ""))
    if found is None:
        raise ExecutorUnavailable(
            f"the {name} executor needs `{pin.binary}` ({pin.package} {pin.version}) on PATH;"
            f" install it with: {pin.install_command}"
        )
    return str(Path(found).absolute())


def attempt_home(request: ExecutionRequest, name: str) -> Path:
    """A fresh, empty directory for this attempt's CLI state, outside the worktree.

    Under `.specloop/state/agents/` beside the handover (never in the system temp
    directory: Codex refuses to install its sandbox helpers there, executor-clis.md
    §3.13). Removed and made again, so one attempt never sees another's sessions.
    """
    home = (
        request.handover_path.absolute().parent.parent
        / "agents"
        / f"{request.task.id}-attempt-{request.attempt}-{name}"
    )
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    return home


def run_cli(
    request: ExecutionRequest,
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    home: Path,
) -> ProcessResult | str:
    """Run an agent CLI in the worktree, sandboxed, to its exit or the attempt's timeout.

    The worktree, the git dirs its commits write and `home` are writable; the network
    is shared (the model endpoint may be the host's 127.0.0.1). Returns the result, or
    the reason it could not start.
    """
    worktree = request.worktree.absolute()
    wrapped = request.sandbox.wrap(
        list(argv), writable=[*writable_roots(worktree), home], network=True, cwd=worktree
    )
    try:
        return run_process(
            wrapped,
            cwd=worktree,
            env=env,
            timeout=request.timeout,
            output_limit_bytes=PARSE_LIMIT_BYTES,
        )
    except SandboxError as exc:
        return str(exc)


def json_lines(text: str) -> Iterator[dict[str, Any]]:
    """Each line of `text` that is a JSON object; anything else (stderr, banners) is skipped."""
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            yield value


@dataclass
class AgentTrace:
    """What an adapter read from a CLI's output, before it goes to the ledger.

    `events` are (kind, data) pairs with kind one of the AGENT_*_EVENT constants:
    messages `{"text"}`, tool calls `{"tool", "input", "output"?, "status"?}`, file
    changes `{"path", "kind"}`. `cost_usd` is what the agent itself reported, if it
    reports one. `error` is set when the agent failed although it may have exited 0.
    """

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    error: str | None = None
    final_message: str = ""

    def message(self, text: str) -> None:
        if text.strip():
            self.events.append((AGENT_MESSAGE_EVENT, {"text": text[:4000]}))
            self.final_message = text

    def tool(self, tool: str, tool_input: Any, **extra: Any) -> None:
        self.events.append((AGENT_TOOL_EVENT, {"tool": tool, "input": tool_input, **extra}))

    def file_change(self, path: str, kind: str) -> None:
        self.events.append((AGENT_FILE_EVENT, {"path": path, "kind": kind}))


def record(
    ledger: Ledger | None,
    request: ExecutionRequest,
    trace: AgentTrace,
    *,
    model: ModelSpec,
    prices: PriceTable,
    duration_ms: int,
) -> Usage:
    """Write the trace's events and usage to the ledger (when there is one); the usage.

    Cost: what the agent reported, else the price table's, else None (unknown, never 0).
    """
    cost = trace.cost_usd
    if cost is None:
        cost = prices.cost(
            model.label,
            input_tokens=trace.input_tokens,
            output_tokens=trace.output_tokens,
            cached_tokens=trace.cached_tokens,
        )
    usage = Usage(trace.input_tokens, trace.cached_tokens, trace.output_tokens, cost)
    if ledger is None:
        return usage
    task_id = request.task.id
    for kind, data in trace.events:
        ledger.append_event(
            kind,
            run_id=request.run_id,
            task_id=task_id,
            attempt_id=request.attempt_id,
            data=data,
        )
    ledger.record_usage(
        role="executor",
        model=model.label,
        input_tokens=trace.input_tokens,
        output_tokens=trace.output_tokens,
        cached_tokens=trace.cached_tokens,
        cost_usd=cost,
        stage="execute",
        run_id=request.run_id,
        task_id=task_id,
        attempt_id=request.attempt_id,
        duration_ms=duration_ms,
    )
    return usage


def result(
    name: str,
    done: ProcessResult | str,
    trace: AgentTrace,
    usage: Usage | None,
    request: ExecutionRequest,
) -> ExecutionResult:
    """The ExecutionResult of a CLI run: failed on a start error, timeout, non-zero
    exit, or an error the agent reported (even with exit 0)."""
    if isinstance(done, str):
        return ExecutionResult(False, None, False, done, f"{name} could not start: {done}", 0)
    output = truncate_middle(done.output, OUTPUT_LIMIT_BYTES)
    if done.timed_out:
        summary = f"{name} timed out after {timeout_text(request.timeout)}"
    elif trace.error is not None:
        summary = f"{name} failed: {trace.error[:300]}"
    elif done.exit_code != 0:
        summary = f"{name} exited {done.exit_code} in {seconds(done.duration_ms)}"
    else:
        summary = f"{name} finished in {seconds(done.duration_ms)}"
    ok = done.ok and trace.error is None
    return ExecutionResult(
        ok, done.exit_code, done.timed_out, output, summary, done.duration_ms, usage
    )


def finish(
    name: str,
    ledger: Ledger | None,
    request: ExecutionRequest,
    done: ProcessResult,
    trace: AgentTrace,
    *,
    model: ModelSpec,
    prices: PriceTable,
) -> ExecutionResult:
    """`record` the trace, then the ExecutionResult (what every adapter ends with)."""
    usage = record(ledger, request, trace, model=model, prices=prices, duration_ms=done.duration_ms)
    return result(name, done, trace, usage, request)


def price_table(config: Config) -> PriceTable:
    """The built-in prices with the config's [prices] overrides."""
    return PriceTable.default().with_overrides(config.prices)
