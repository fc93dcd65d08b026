"""The ``claude`` executor: Claude Code 2.1.197 in print mode on specloop's executor model.

One attempt is one ``claude -p`` run in the attempt's worktree (Claude Code has no
``--cwd``; the process's working directory is the worktree), with the handover as the
prompt and ``--output-format stream-json`` read back into an AgentTrace
(executor-clis.md §4). Claude Code ignores AGENTS.md; the handover already carries the
AGENTS.md chain, so the prompt is the only channel: nothing is added to the worktree,
where any new file would fail the scope check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from specloop.config import Config
from specloop.executors._agentcli import (
    AgentTrace,
    attempt_home,
    find_binary,
    finish,
    json_lines,
    price_table,
    result,
    run_cli,
)
from specloop.executors._base import (
    ExecutionRequest,
    ExecutionResult,
    ExecutorUnavailable,
    ensure_handover,
)
from specloop.ledger import Ledger
from specloop.models import ModelSpec, endpoint, resolve_role
from specloop.sandbox import scrubbed_env, truncate_middle

#: Tools that would reach hosts other than the model endpoint (WebFetch, WebSearch), or
#: move the work out of specloop's worktree. The git rules only tell the model early:
#: a determined `git -c … commit` gets past a prefix rule, and specloop absorbs agent
#: commits anyway (it commits after the run).
DISALLOWED_TOOLS = (
    "WebFetch",
    "WebSearch",
    "EnterWorktree",
    "ExitWorktree",
    "Bash(git commit:*)",
    "Bash(git push:*)",
)
#: Tools whose input names a file they write, and the input key holding it.
_EDIT_TOOLS = {
    "Write": "file_path",
    "Edit": "file_path",
    "MultiEdit": "file_path",
    "NotebookEdit": "notebook_path",
}
# What the ledger keeps of one tool input string or tool output (bytes, head and tail).
_INPUT_LIMIT = 2_000
_OUTPUT_LIMIT = 4_000
# Variables Claude Code reads that must come from specloop's config or not at all: an
# inherited CLAUDE_CODE_USE_BEDROCK, ANTHROPIC_BASE_URL or ANTHROPIC_MODEL would send
# the run somewhere else. The key is put back (it is what the config asked for).
_CLAUDE_PREFIXES = ("ANTHROPIC_", "CLAUDE_")
_KEY_VAR = "ANTHROPIC_API_KEY"
# `claude -p` without a prompt argument reads the prompt from stdin. The handover can be
# larger than the kernel's limit for one argument (MAX_ARG_STRLEN, 128 KiB), and
# run_process gives stdin /dev/null, so a shell opens the handover as stdin and execs.
_STDIN_FROM_FILE = 'f="$1"; shift; exec "$@" <"$f"'


class ClaudeExecutor:
    """Runs Claude Code once per attempt on the executor role's Anthropic model.

    The constructor fails fast: ExecutorUnavailable when ``claude`` is not on PATH or
    the executor model is not an Anthropic one, NoModelConfigured when there is no
    model or no key (both exit 3).
    """

    name = "claude"

    def __init__(self, *, config: Config, env: Mapping[str, str], ledger: Ledger | None) -> None:
        self.binary = find_binary("claude", env)
        configured = config.executor_model
        # Checked before resolve_role, which would otherwise ask for another provider's key.
        if configured is not None and not configured.startswith("anthropic:"):
            raise ExecutorUnavailable(
                "the claude executor speaks only Anthropic's Messages API, but the executor"
                f" model is {configured!r}; set [roles] executor to an Anthropic model"
                ' (e.g. "anthropic:claude-sonnet-4-6") or choose another executor'
                " (--executor builtin)"
            )
        self.model: ModelSpec = resolve_role(config, "executor", env)
        self.config = config
        self.ledger = ledger
        self.prices = price_table(config)

    def __repr__(self) -> str:
        return f"ClaudeExecutor({self.model.label!r})"

    def run(self, request: ExecutionRequest) -> ExecutionResult:
        """Run Claude Code to its end or the attempt's timeout; record what it did."""
        handover = ensure_handover(request)
        home = attempt_home(request, self.name)
        sandboxed = request.sandbox.available
        argv = ["/bin/sh", "-c", _STDIN_FROM_FILE, "claude-handover", str(handover)]
        argv += claude_argv(self.binary, self.model.name, sandboxed=sandboxed)
        env = self.environment(request.env, home, sandboxed=sandboxed)
        done = run_cli(request, argv, env=env, home=home)
        if isinstance(done, str):
            return result(self.name, done, AgentTrace(), None, request)
        trace, denied = parse_stream(done.output, request.worktree)
        outcome = finish(
            self.name, self.ledger, request, done, trace, model=self.model, prices=self.prices
        )
        if denied:
            names = ", ".join(sorted(set(denied)))
            summary = f"{outcome.summary}; {len(denied)} tool call(s) denied permission: {names}"
            outcome = replace(outcome, summary=summary)
        return outcome

    def environment(
        self, base: Mapping[str, str], home: Path, *, sandboxed: bool
    ) -> dict[str, str]:
        """Claude Code's environment: scrubbed of secrets but the Anthropic key, its state
        in ``home``, the endpoint, timeout and retries from specloop's config."""
        own = {
            name: value
            for name, value in base.items()
            if name == _KEY_VAR or not (name.startswith(_CLAUDE_PREFIXES) or name == "IS_SANDBOX")
        }
        extra = {
            # HOME too: Bash commands the model runs get no dotfiles of the user's.
            "HOME": str(home),
            "CLAUDE_CONFIG_DIR": str(home / ".claude"),
            # The client appends /v1/messages, like the anthropic SDK specloop's own
            # roles use, so [providers.anthropic] base_url means the same for both.
            "ANTHROPIC_BASE_URL": endpoint(self.model).rstrip("/"),
            # No telemetry, error reports, update checks or feature flags: only the
            # model endpoint is contacted (executor-clis.md §4.9).
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "CLAUDE_CODE_MAX_RETRIES": str(self.config.model_max_retries),
            "API_TIMEOUT_MS": str(self.config.model_timeout * 1000),
        }
        if sandboxed:
            # --dangerously-skip-permissions refuses to run as root unless told it is
            # contained; bubblewrap is what contains it.
            extra["IS_SANDBOX"] = "1"
        return scrubbed_env(own, keep=[_KEY_VAR], extra=extra)


def claude_argv(binary: str, model: str, *, sandboxed: bool) -> list[str]:
    """The ``claude`` command line; the prompt comes on stdin.

    ``--setting-sources user`` reads settings only from the fresh CLAUDE_CONFIG_DIR, so
    a repository's .claude/settings.json cannot add hooks or permissions (nor its
    CLAUDE.md the same rules twice); ``--strict-mcp-config`` with no ``--mcp-config``
    starts no MCP server (.mcp.json included).
    """
    argv = [binary, "-p", "--output-format", "stream-json", "--verbose", "--model", model]
    argv += ["--setting-sources", "user", "--strict-mcp-config"]
    # One comma-joined value: the option is variadic and would swallow further arguments.
    argv += ["--disallowedTools", ",".join(DISALLOWED_TOOLS)]
    if sandboxed:
        argv += ["--dangerously-skip-permissions"]
    else:
        # Unconfined, Claude Code's own permission check is the only guard: edits are
        # allowed, commands beyond read-only ones are denied (and reported).
        argv += ["--permission-mode", "acceptEdits"]
    return argv


def parse_stream(text: str, worktree: Path) -> tuple[AgentTrace, list[str]]:
    """The trace of a ``stream-json`` output, and the names of the tools that were denied.

    Assistant text becomes messages, tool_use blocks tool calls (completed, failed or
    denied once their tool_result arrives), file-writing tools file changes; the result
    line gives the tokens, the agent's own cost, the final text and the error, if any.
    """
    reader = _StreamReader(worktree)
    for line in json_lines(text):
        kind = line.get("type")
        if kind == "assistant":
            reader.assistant(line.get("message"))
        elif kind == "user":
            reader.user(line.get("message"), line.get("tool_use_result"))
        elif kind == "result":
            reader.result(line)
    reader.finish(text)
    return reader.trace, reader.denied


class _StreamReader:
    """Reads stream-json lines in order, pairing each tool_use with its tool_result."""

    def __init__(self, worktree: Path) -> None:
        self.worktree = worktree
        self.trace = AgentTrace()
        self.denied: list[str] = []
        self.calls: dict[str, dict[str, Any]] = {}  # tool_use id -> its event's data
        self.edits: dict[str, str] = {}  # tool_use id -> the path it writes, until its result
        self.usage: dict[str, Mapping[str, Any]] = {}  # message id -> its usage
        self.finished = False

    def assistant(self, message: Any) -> None:
        if isinstance(message, dict) and isinstance(message.get("usage"), dict):
            self.usage[str(message.get("id", len(self.usage)))] = message["usage"]
        for block in _blocks(message):
            if block.get("type") == "text" and isinstance(block.get("text"), str):
                self.trace.message(block["text"])
            elif block.get("type") == "tool_use":
                name, tool_input = str(block.get("name", "?")), block.get("input")
                self.trace.tool(name, _clipped(tool_input))
                call_id = str(block.get("id", ""))
                self.calls[call_id] = self.trace.events[-1][1]
                key = _EDIT_TOOLS.get(name)
                if key and isinstance(tool_input, dict) and isinstance(tool_input.get(key), str):
                    # Recorded once the result says it worked: a refused edit changed nothing.
                    self.edits[call_id] = _relative(tool_input[key], self.worktree)

    def user(self, message: Any, structured: Any) -> None:
        for block in _blocks(message):
            if block.get("type") != "tool_result":
                continue
            call_id = str(block.get("tool_use_id", ""))
            failed = block.get("is_error") is True
            data = self.calls.get(call_id)
            if data is not None:
                data["output"] = truncate_middle(_result_text(block.get("content")), _OUTPUT_LIMIT)
                data["status"] = "failed" if failed else "completed"
            path = self.edits.pop(call_id, None)
            if path is not None and not failed:
                # Write says whether it created the file (tool_use_result.type).
                created = isinstance(structured, dict) and structured.get("type") == "create"
                self.trace.file_change(path, "add" if created else "update")

    def result(self, line: Mapping[str, Any]) -> None:
        self.finished = True
        trace = self.trace
        final = line.get("result")
        final = final.strip() if isinstance(final, str) else ""
        if final:
            trace.final_message = final
        cost = line.get("total_cost_usd")
        if isinstance(cost, int | float) and not isinstance(cost, bool) and cost >= 0:
            trace.cost_usd = float(cost)
        if isinstance(line.get("usage"), dict):
            _add_usage(trace, line["usage"])
        subtype = str(line.get("subtype", ""))
        # API errors arrive as subtype "success" with is_error true (and exit 1).
        if line.get("is_error") is True or subtype != "success":
            status = line.get("api_error_status")
            detail = final or subtype or "claude reported an error"
            prefix = (
                f"HTTP {status}: " if isinstance(status, int) and str(status) not in detail else ""
            )
            trace.error = prefix + detail
        for denial in line.get("permission_denials") or ():
            if not isinstance(denial, dict):
                continue
            name = str(denial.get("tool_name", "?"))
            self.denied.append(name)
            data = self.calls.get(str(denial.get("tool_use_id", "")))
            if data is not None:
                data["status"] = "denied"
            else:
                self.trace.tool(name, _clipped(denial.get("tool_input")), status="denied")

    def finish(self, text: str) -> None:
        for path in self.edits.values():  # cut off before its result: it may have written
            self.trace.file_change(path, "update")
        if self.finished:
            return
        # Killed (timeout) or refused to start: count what the assistant lines said, each
        # message once (one line per content block repeats the message's usage), and keep
        # its last words, e.g. "--dangerously-skip-permissions cannot be used with root".
        for usage in self.usage.values():
            _add_usage(self.trace, usage)
        last = [row for row in map(str.strip, text.splitlines()) if row and row[0] != "{"]
        self.trace.error = "no result line" + (f": {last[-1][:300]}" if last else "")


def _blocks(message: Any) -> list[dict[str, Any]]:
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, list):
        return []
    return [block for block in content if isinstance(block, dict)]


def _add_usage(trace: AgentTrace, usage: Mapping[str, Any]) -> None:
    # Anthropic's input_tokens leaves out cache reads and writes; specloop's input is the
    # whole prompt, of which cache reads are the cached part.
    cached = _count(usage, "cache_read_input_tokens")
    written = _count(usage, "cache_creation_input_tokens")
    trace.input_tokens += _count(usage, "input_tokens") + cached + written
    trace.cached_tokens += cached
    trace.output_tokens += _count(usage, "output_tokens")


def _count(usage: Mapping[str, Any], key: str) -> int:
    value = usage.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _result_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(part.get("text", "")) for part in content if isinstance(part, dict)
        ).strip()
    return "" if content is None else str(content)


def _clipped(value: Any) -> Any:
    """A tool input for the ledger: long strings (a Write's content) cut head and tail."""
    if isinstance(value, str):
        return truncate_middle(value, _INPUT_LIMIT)
    if isinstance(value, dict):
        return {str(key): _clipped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clipped(item) for item in value]
    return value


def _relative(path: str, worktree: Path) -> str:
    """``path`` relative to the worktree when it is inside it, else as given."""
    candidate = Path(path)
    if not candidate.is_absolute():
        return candidate.as_posix()
    for root in _roots(worktree):
        if candidate.is_relative_to(root):
            return candidate.relative_to(root).as_posix()
    return path


def _roots(worktree: Path) -> Sequence[Path]:
    # Claude Code reports the path it was given, which may go through a symlink.
    absolute = worktree.absolute()
    resolved = absolute.resolve()
    return (absolute,) if resolved == absolute else (absolute, resolved)
