"""The ``codex`` executor: OpenAI's Codex CLI (pinned 0.169.0) on the executor role's model.

One attempt is one ``codex exec --json`` in the worktree with the handover as its
prompt. The model and endpoint are specloop's (the executor role), given to Codex as
a custom provider; its state lives in a fresh per-attempt CODEX_HOME; the switches
that make it contact anything besides that endpoint are off. Codex never commits
(specloop commits after the run). The JSONL events on stdout become an AgentTrace:
messages, shell commands, file changes, tokens (Codex reports no cost, so the price
table prices them). Flags and event shapes: executor-clis.md §3.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from specloop.config import Config
from specloop.executors._agentcli import (
    AGENT_MESSAGE_EVENT,
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
from specloop.models import (
    KEY_VARS,
    ModelSpec,
    api_key,
    endpoint,
    parse_model_string,
    resolve_role,
)
from specloop.sandbox import scrubbed_env, truncate_middle

#: The id of the provider specloop defines for Codex; the built-in ids (openai,
#: ollama, ...) cannot be redefined (executor-clis.md §3.5).
PROVIDER_ID = "specloop"
#: A tool call's output is kept in the ledger up to this size (head and tail).
TOOL_OUTPUT_BYTES = 2_000


class CodexExecutor:
    """Runs the Codex CLI once per attempt on the executor role's model.

    Raises ExecutorUnavailable when ``codex`` is not on PATH or the model is an
    Anthropic one (Codex speaks only the OpenAI Responses API), and NoModelConfigured
    when the executor role has no usable model; the CLI turns both into exit 3.
    """

    name = "codex"

    def __init__(self, *, config: Config, env: Mapping[str, str], ledger: Ledger | None) -> None:
        self.binary = find_binary("codex", env)
        if config.executor_model is not None:
            provider = parse_model_string(config.executor_model).provider
            if provider == "anthropic":
                # Checked before resolving, so a missing ANTHROPIC_API_KEY does not hide it.
                raise ExecutorUnavailable(
                    f"the codex executor cannot use {config.executor_model}: Codex speaks only"
                    " the OpenAI Responses API. Set roles.executor to an openai:,"
                    " openai-compatible: or ollama: model, or use --executor claude"
                )
        self.model = resolve_role(config, "executor", env)
        self.config = config
        self.ledger = ledger
        self.prices = price_table(config)

    def __repr__(self) -> str:
        return f"CodexExecutor({self.model.label!r})"

    def run(self, request: ExecutionRequest) -> ExecutionResult:
        """Run Codex to its end or to ``request.timeout``; record what it did and used."""
        home = attempt_home(request, self.name)
        handover = ensure_handover(request)
        key_var = KEY_VARS.get(self.model.provider)
        has_key = api_key(self.model, request.env) is not None
        # Only the model's own key passes through; CODEX_HOME is this attempt's.
        keep = [key_var] if key_var is not None and has_key else []
        env = scrubbed_env(request.env, keep=keep, extra={"CODEX_HOME": str(home)})
        # Codex's own sandbox only where specloop's is off: its bubblewrap cannot run
        # inside specloop's, which confines the whole process anyway. Nor can it work
        # with CODEX_HOME in the temp directory (Codex refuses to install its sandbox
        # helper there and every command and patch fails, executor-clis.md §3.13); the
        # run is then unsandboxed, as run.sandbox already allows for everything else.
        argv = codex_command(
            self.binary,
            self.model,
            self.config,
            worktree=request.worktree.absolute(),
            env_key=keep[0] if keep else None,
            own_sandbox=not request.sandbox.available and not _in_temp_dir(home, env),
        )
        # The handover goes in on stdin, from its file: as an argument it could pass
        # Linux's 128 KiB limit on one argument (files in scope alone may be 120 kB).
        script = 'handover=$1; shift; exec "$@" < "$handover"'
        done = run_cli(
            request, ["/bin/sh", "-c", script, "sh", str(handover), *argv], env=env, home=home
        )
        if isinstance(done, str):
            return result(self.name, done, AgentTrace(), None, request)
        trace, finished = parse_events(done.output, request.worktree.absolute())
        if done.ok and trace.error is None and not finished:
            trace.error = "codex exited without finishing its turn"
        return finish(
            self.name, self.ledger, request, done, trace, model=self.model, prices=self.prices
        )


def codex_command(
    binary: str,
    model: ModelSpec,
    config: Config,
    *,
    worktree: Path,
    env_key: str | None,
    own_sandbox: bool,
) -> list[str]:
    """The ``codex exec`` argv for one attempt; the prompt is read from stdin (``-``).

    ``env_key`` names the variable holding the model's key (None: send none, e.g. a
    local ollama). ``own_sandbox``: Codex confines its commands to the worktree itself;
    otherwise its sandbox is off (see ``run`` for when).
    """
    provider: dict[str, str | int] = {
        "name": "specloop",
        "base_url": endpoint(model),
        "wire_api": "responses",  # the only wire Codex 0.169 speaks
        # [models] max_retries, counted the way specloop counts them: max_retries + 1
        # requests at most. Codex's stream retries wrap its request retries (a 500
        # with both at 2 made 9 requests), and the stream retries alone already cover
        # 5xx, refused connections and streams cut off midway, so only they are used.
        "request_max_retries": 0,
        "stream_max_retries": config.model_max_retries,
        # [models] timeout: how long a request may go quiet before it is retried.
        "stream_idle_timeout_ms": config.model_timeout * 1000,
    }
    if env_key is not None:
        provider["env_key"] = env_key
    table = "{" + ", ".join(f"{key} = {_toml(value)}" for key, value in provider.items()) + "}"
    argv = [
        binary,
        "exec",
        "--json",
        "--cd",
        str(worktree),
        # specloop chose the directory (always a git worktree); Codex need not judge it.
        "--skip-git-repo-check",
        "--model",
        model.name,
        "-c",
        f"model_provider={_toml(PROVIDER_ID)}",
        "-c",
        f"model_providers.{PROVIDER_ID}={table}",
        # Offline apart from the model: no analytics (ab.chatgpt.com), no plugin
        # marketplace sync (github.com), no endless reconnecting to a dead endpoint
        # (on by default, it ignores the retry counts), no hosted web search (outside
        # what specloop verifies, and many Responses-compatible servers reject it).
        "-c",
        "analytics.enabled=false",
        "--disable",
        "plugins",
        "--disable",
        "unbounded_connection_retries",
        "-c",
        'web_search="disabled"',
        # The handover already holds the AGENTS.md chain as specloop resolved it (the
        # same rules Codex applies); Codex reading it again would send it twice per
        # request, and Codex's whole history is re-sent every turn.
        "-c",
        "project_doc_max_bytes=0",
        # No session files: the attempt's home is thrown away, and resume is not used.
        "--ephemeral",
        "--color",
        "never",
    ]
    if own_sandbox:
        # Commands may write in the worktree only; exec never asks for approval.
        argv += ["--sandbox", "workspace-write"]
    else:
        argv.append("--dangerously-bypass-approvals-and-sandbox")
    return [*argv, "-"]


def parse_events(output: str, worktree: Path | None = None) -> tuple[AgentTrace, bool]:
    """The trace of Codex's ``--json`` output, and whether a turn completed.

    Tolerant: lines that are not JSON events, unknown event and item types and missing
    fields are skipped. Items still running when the output ends (a timeout) are kept
    with their last status. ``trace.error`` is set by ``turn.failed``, or by an
    ``error`` event when no turn completed (its "Reconnecting..." notices aside).
    """
    trace = AgentTrace()
    running: dict[str, dict[str, Any]] = {}
    finished = False
    last_error: str | None = None
    for event in json_lines(output):
        kind = event.get("type")
        item = event.get("item")
        if kind in ("item.started", "item.updated") and isinstance(item, dict):
            running[str(item.get("id"))] = item
        elif kind == "item.completed" and isinstance(item, dict):
            running.pop(str(item.get("id")), None)
            _add_item(trace, item, worktree)
        elif kind == "turn.completed":
            finished = True
            _add_usage(trace, event.get("usage"))
        elif kind == "turn.failed":
            error = event.get("error")
            message = error.get("message") if isinstance(error, dict) else None
            trace.error = _text(message) or "the turn failed"
        elif kind == "error":
            message = _text(event.get("message"))
            if message and not message.startswith("Reconnecting"):
                last_error = message
    for item in running.values():
        _add_item(trace, item, worktree)
    if trace.error is None and not finished and last_error is not None:
        trace.error = last_error
    return trace, finished


def _add_item(trace: AgentTrace, item: Mapping[str, Any], worktree: Path | None) -> None:
    # reasoning and todo_list items are left out: the model's musings and plan, not
    # actions, and the final message already says what was done.
    kind = item.get("type")
    status = _text(item.get("status")) or None
    if kind == "agent_message":
        trace.message(_text(item.get("text")))
    elif kind == "command_execution":
        exit_code = item.get("exit_code")
        trace.tool(
            "shell",
            _text(item.get("command")),
            output=truncate_middle(_text(item.get("aggregated_output")), TOOL_OUTPUT_BYTES),
            exit_code=exit_code if isinstance(exit_code, int) else None,
            status=status,
        )
    elif kind == "file_change":
        changes = [
            (_relative(_text(change.get("path")), worktree), _text(change.get("kind")))
            for change in item.get("changes") or []
            if isinstance(change, dict)
        ]
        if status == "completed":
            for path, change_kind in changes:
                trace.file_change(path, change_kind)
        else:  # a patch that failed (or was cut off) changed nothing worth listing
            trace.tool("apply_patch", [path for path, _ in changes], status=status)
    elif kind == "mcp_tool_call":
        tool = f"mcp:{_text(item.get('server'))}/{_text(item.get('tool'))}"
        error = item.get("error")
        extra = {"error": _text(error.get("message"))} if isinstance(error, dict) else {}
        trace.tool(tool, item.get("arguments"), status=status, **extra)
    elif kind == "web_search":
        trace.tool("web_search", _text(item.get("query")), status=status)
    elif kind == "error":
        # Non-fatal notices, e.g. "Model metadata for `x` not found": worth seeing, but
        # not the agent's final message.
        text = _text(item.get("message"))
        if text:
            trace.events.append((AGENT_MESSAGE_EVENT, {"text": text[:4000], "level": "warning"}))


def _add_usage(trace: AgentTrace, usage: Any) -> None:
    """Add one turn's tokens. ``input_tokens`` includes the cached ones, as specloop counts."""
    if not isinstance(usage, dict):
        return
    trace.input_tokens += _count(usage.get("input_tokens"))
    trace.cached_tokens += _count(usage.get("cached_input_tokens"))
    trace.output_tokens += _count(usage.get("output_tokens"))


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _relative(path: str, worktree: Path | None) -> str:
    """Codex reports absolute paths; the ledger keeps them relative to the worktree."""
    if worktree is None or not path:
        return path
    for base in (worktree, worktree.resolve()):
        try:
            return Path(path).relative_to(base).as_posix()
        except ValueError:
            continue
    return path


def _in_temp_dir(path: Path, env: Mapping[str, str]) -> bool:
    """Whether ``path`` is in the temp directory as Codex sees it (TMPDIR, else /tmp)."""
    temp = Path(env.get("TMPDIR") or "/tmp").resolve()
    return path.resolve().is_relative_to(temp)


def _toml(value: str | int) -> str:
    # A JSON string is a TOML basic string (same escapes; non-ASCII kept as it is, since
    # TOML has no surrogate-pair escapes); integers are written alike.
    return json.dumps(value, ensure_ascii=False)
