"""The ``aider`` executor: Aider 0.86.2 on the executor role's model (executor-clis.md §5).

One attempt is one ``aider --message-file HANDOVER -- FILES…`` in the worktree: the
files in the task's scope are the editable ones, edits come back as SEARCH/REPLACE
blocks (``--edit-format diff``), and specloop, not Aider, commits. Aider has no
machine-readable output and exits 0 even when every model call failed, so the outcome
is read from its console text, its LLM history file and its analytics log.

Everything Aider keeps (histories, caches, its analytics id, a git identity) lives in
a fresh per-attempt HOME; the only host it contacts is the configured endpoint.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Collection, Mapping
from pathlib import Path

from specloop.artifacts import Task
from specloop.artifacts._scope import has_magic, normalize_pattern
from specloop.config import Config
from specloop.engine._handover import scope_files
from specloop.executors._agentcli import (
    AGENT_FILE_EVENT,
    AgentTrace,
    attempt_home,
    find_binary,
    finish,
    price_table,
    result,
    run_cli,
)
from specloop.executors._base import ExecutionRequest, ExecutionResult, ensure_handover
from specloop.gitops import GitError, ls_files
from specloop.ledger import Ledger
from specloop.models import ModelSpec, PriceTable, endpoint
from specloop.models._spec import api_key, resolve_role
from specloop.sandbox import scrubbed_env

# The user's own Aider, OpenAI, Anthropic and litellm variables would override the
# endpoint, key or behaviour specloop chose (OPENAI_API_BASE, AIDER_AUTO_COMMITS, ...).
_FOREIGN_PREFIXES = ("AIDER_", "OPENAI_", "ANTHROPIC_", "LITELLM_")
# OpenAI's SDK (under litellm) refuses to start without a key; local servers need none.
_NO_KEY = "no-key-needed"

# Aider retries a failed call (5xx, 429, timeouts, refused connections) with delays
# doubling from 0.25 s while the delay stays under aider.models.RETRY_TIMEOUT (60 s):
# over a minute of backoff that no flag shortens. This launcher sets that bound so
# Aider retries exactly [models] max_retries times (0.125 * 2**N allows N), like every
# other model call of specloop; the SDK's own retries are off (the settings file).
_LAUNCHER = """\
import sys
if sys.path and sys.path[0] in ("", "."):
    del sys.path[0]  # -c puts the cwd (the worktree) first; never import from there
import aider.coders.base_coder
import aider.models
limit = float(sys.argv.pop(1))
aider.models.RETRY_TIMEOUT = aider.coders.base_coder.RETRY_TIMEOUT = limit
from aider.main import main
sys.argv[0] = "aider"
sys.exit(main())
"""

# Aider's console lines (aider/coders/base_coder.py); counts read 32, 2.4k or 12k.
_COUNT = r"[\d.]+[kM]?"
_TOKENS = re.compile(
    rf"^Tokens: (?P<sent>{_COUNT}) sent(?:, {_COUNT} cache write)?"
    rf"(?:, (?P<hit>{_COUNT}) cache hit)?, (?P<received>{_COUNT}) received\."
)
_COST = re.compile(r"Cost: \$(?P<message>[\d.]+) message, \$[\d.]+ session\.")
_APPLIED = re.compile(r"^Applied edit to (?P<path>.+?)\s*$")
_API_ERROR = re.compile(r"^litellm\.\w+: ")
_RETRYING = re.compile(r"^Retrying in [\d.]+ seconds")
_TOKEN_LIMIT = re.compile(r"^Model .+ has hit a token limit!")
_EMPTY_REPLY = "Empty response received from LLM"


class AiderExecutor:
    """Runs Aider once per attempt on the executor role's model."""

    name = "aider"

    def __init__(self, *, config: Config, env: Mapping[str, str], ledger: Ledger | None) -> None:
        # The binary first: "install aider" is the more useful message when both are missing.
        self.binary = find_binary("aider", env)
        self.model = resolve_role(config, "executor", env)
        self.config = config
        self.ledger = ledger
        self.prices = price_table(config)

    def run(self, request: ExecutionRequest) -> ExecutionResult:
        """One Aider session on the handover, to its exit or the attempt's timeout."""
        worktree = request.worktree.absolute()
        home = attempt_home(request, self.name)
        _write_home(home, self.model, self.prices)
        try:
            before = set(ls_files(worktree))
        except GitError:
            before = set()
        files = editable_files(worktree, request.task)
        argv = [
            *_launcher(self.binary, self.config.model_max_retries),
            *aider_args(self.model, home, ensure_handover(request), self.config.model_timeout),
            "--",
            *files,
        ]
        env = aider_env(request.env, self.model, home)
        done = run_cli(request, argv, env=env, home=home)
        if isinstance(done, str):
            return result(self.name, done, AgentTrace(), None, request)
        trace = read_trace(
            done.output,
            llm_history=_read(home / "llm-history.txt"),
            usage_log=_read(home / "analytics.jsonl"),
            existing=before,
            expect_reply=done.ok,
        )
        # Aider creates each new file it is given, empty, before the model answers; one
        # the model never wrote is no part of the work (an empty package.json breaks builds).
        written = {data["path"] for kind, data in trace.events if kind == AGENT_FILE_EVENT}
        for name in files:
            if name not in before and name not in written:
                _remove_if_empty(worktree / name)
        return finish(
            self.name, self.ledger, request, done, trace, model=self.model, prices=self.prices
        )


def aider_model(spec: ModelSpec) -> str:
    """litellm's name for the model. Ollama and compatible servers speak OpenAI's API."""
    return f"anthropic/{spec.name}" if spec.provider == "anthropic" else f"openai/{spec.name}"


def aider_args(spec: ModelSpec, home: Path, handover: Path, model_timeout: float) -> list[str]:
    """Aider's options for one non-interactive attempt that reaches only the model."""
    model = aider_model(spec)
    base = [] if spec.provider == "anthropic" else ["--openai-api-base", endpoint(spec)]
    return [
        # One model for every job: Aider would otherwise add a "weak" and an "editor"
        # model of its own choosing (gpt-4.1 -> gpt-4.1-mini), unpriced and unasked for.
        *("--model", model, "--weak-model", model, "--editor-model", model, *base),
        *("--edit-format", "diff", "--timeout", f"{model_timeout:g}"),
        *("--model-metadata-file", str(home / "model-metadata.json")),
        *("--model-settings-file", str(home / "model-settings.yml")),
        *("--message-file", str(handover)),
        *("--yes-always", "--no-pretty", "--no-fancy-input", "--no-notifications"),
        # specloop commits and verifies: Aider must not commit, lint, test or edit .gitignore.
        *("--no-auto-commits", "--no-dirty-commits", "--no-gitignore"),
        *("--no-auto-lint", "--no-auto-test", "--no-suggest-shell-commands"),
        # No repo map (the handover has the context), no URL scraping, no update check,
        # no telemetry, no interactive model warnings: no traffic but the model's.
        *("--map-tokens", "0", "--no-detect-urls", "--no-check-update", "--analytics-disable"),
        *("--no-show-model-warnings", "--no-show-release-notes", "--no-restore-chat-history"),
        # Its logs go to the attempt's home, never into the worktree (out of scope there).
        *("--analytics-log", str(home / "analytics.jsonl")),
        *("--input-history-file", str(home / "input-history.txt")),
        *("--chat-history-file", str(home / "chat-history.md")),
        *("--llm-history-file", str(home / "llm-history.txt")),
    ]


def aider_env(base: Mapping[str, str], spec: ModelSpec, home: Path) -> dict[str, str]:
    """``base`` without secrets or foreign model settings, plus the executor model's one
    key and the switches that keep Aider offline and its output parseable."""
    own = {name: value for name, value in base.items() if not name.startswith(_FOREIGN_PREFIXES)}
    extra = {
        "HOME": str(home),
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",  # litellm's bundled prices, not GitHub's
        "COLUMNS": "10000",  # the console wraps at 80 columns, splitting the parsed lines
        "BROWSER": "true",  # --yes-always also accepts "Open URL for more info?"
    }
    key = api_key(spec, base)
    if spec.provider == "anthropic":
        extra["ANTHROPIC_API_BASE"] = endpoint(spec)  # litellm appends /v1/messages
        if key is not None:
            extra["ANTHROPIC_API_KEY"] = key
    else:
        extra["OPENAI_API_KEY"] = key or _NO_KEY
    return scrubbed_env(own, extra=extra)


def editable_files(worktree: Path, task: Task) -> list[str]:
    """The files Aider may edit: those in scope that exist, then the literal new paths."""
    files = scope_files(worktree, task)
    for pattern in task.scope_patterns:
        path = normalize_pattern(pattern)
        # A glob names no new file; an existing file git ignores is not the task's.
        if not has_magic(path) and path not in files and not (worktree / path).exists():
            files.append(path)
    return files


def read_trace(
    output: str,
    *,
    llm_history: str = "",
    usage_log: str = "",
    existing: Collection[str] = (),
    expect_reply: bool = True,
) -> AgentTrace:
    """What Aider did, from its console ``output``, LLM history and analytics log.

    Replies become messages; "Applied edit to PATH" a file change (``add`` when PATH
    was not among the ``existing`` files); "Tokens:" and "Cost:" lines the usage.
    ``error`` is set for a model call that failed for good, a token limit, an empty
    reply, or, with ``expect_reply`` (Aider exited 0 in time), no reply at all.
    """
    trace = AgentTrace()
    for reply in _replies(llm_history):
        trace.message(reply)
    pending: str | None = None  # the last API error that no retry followed
    replied = bool(trace.final_message)
    costs: list[float] = []
    last = ""
    for raw in output.splitlines():
        line = raw.strip()
        last = line or last
        if tokens := _TOKENS.match(line):
            replied, pending = True, None
            # "sent" already includes cache writes, and the cache hits.
            trace.input_tokens += _count(tokens["sent"])
            trace.cached_tokens += _count(tokens["hit"])
            trace.output_tokens += _count(tokens["received"])
        if cost := _COST.search(line):
            costs.append(float(cost["message"]))
        if applied := _APPLIED.match(line):
            trace.file_change(applied["path"], "update" if applied["path"] in existing else "add")
        elif _API_ERROR.match(line):
            pending = line
        elif _RETRYING.match(line):
            pending = None
        elif trace.error is None and _TOKEN_LIMIT.match(line):
            trace.error = line
        elif trace.error is None and line.startswith(_EMPTY_REPLY):
            trace.error = "the model's reply was empty"
    # Only a "Cost:" line is a price: without one (no price known) the cost is unknown.
    trace.cost_usd = sum(costs) if costs else None
    _exact_usage(trace, usage_log)
    if pending is not None:
        trace.error = f"the model API failed: {pending}"
    elif trace.error is None and expect_reply and not replied:
        trace.error = f"Aider got no reply from the model (its last output: {last[:200]!r})"
    return trace


def _exact_usage(trace: AgentTrace, usage_log: str) -> None:
    """The counts and cost of the analytics log's ``message_send`` events, unrounded
    (the console shows 2.4k for 2406)."""
    events = []
    for line in usage_log.splitlines():
        try:
            event = json.loads(line)
            if event.get("event") == "message_send":
                data = event["properties"]
                counts = int(data["prompt_tokens"]), int(data["completion_tokens"])
                events.append((*counts, float(data.get("cost") or 0.0)))
        except (ValueError, TypeError, KeyError, AttributeError):
            continue
    if events:
        trace.input_tokens = sum(sent for sent, _, _ in events)
        trace.output_tokens = sum(received for _, received, _ in events)
        if trace.cost_usd is not None:
            trace.cost_usd = sum(cost for _, _, cost in events)


def _replies(llm_history: str) -> list[str]:
    """The non-empty replies in Aider's ``--llm-history-file``: the ``ASSISTANT ``
    lines after each ``LLM RESPONSE`` header (a failed call logs an empty one)."""
    replies: list[list[str]] = []
    in_reply = False  # the prompt ("TO LLM") holds ASSISTANT lines too: earlier replies
    for line in llm_history.splitlines():
        if line.startswith(("LLM RESPONSE ", "TO LLM ")):
            in_reply = line.startswith("LLM RESPONSE ")
            replies.append([])
        elif in_reply and line.startswith("ASSISTANT"):
            replies[-1].append(line[len("ASSISTANT ") :])
    return [text for text in ("\n".join(lines) for lines in replies) if text.strip()]


def _count(text: str | None) -> int:
    """``2.4k`` -> 2400, ``1.2M`` -> 1200000, ``32`` -> 32, None -> 0."""
    if not text:
        return 0
    scale = {"k": 1_000, "M": 1_000_000}.get(text[-1], 1)
    try:
        return round(float(text[:-1] if scale > 1 else text) * scale)
    except ValueError:
        return 0


def _write_home(home: Path, spec: ModelSpec, prices: PriceTable) -> None:
    """Aider's files in the attempt's home: model metadata and settings, a git identity."""
    price = prices.price_of(spec.label)
    entry: dict[str, object] = {
        "litellm_provider": "anthropic" if spec.provider == "anthropic" else "openai",
        "mode": "chat",
        # Per token. 0 when specloop knows no price: Aider then prints no "Cost:" line,
        # and the cost is recorded as unknown, not as free.
        "input_cost_per_token": price.input / 1e6 if price else 0.0,
        "output_cost_per_token": price.output / 1e6 if price else 0.0,
    }
    if price is not None and price.cached_input is not None:
        entry["cache_read_input_token_cost"] = price.cached_input / 1e6
    metadata = json.dumps({aider_model(spec): entry}, indent=2)
    (home / "model-metadata.json").write_text(metadata, encoding="utf-8")
    # Aider downloads litellm's price list from GitHub when its cache is empty or stale,
    # even for models it never calls; a fresh, non-empty cache keeps it offline.
    cache = home / ".aider" / "caches" / "model_prices_and_context_window.json"
    cache.parent.mkdir(parents=True)
    cache.write_text(metadata, encoding="utf-8")
    # "aider/extra_params" reaches every model without replacing Aider's settings for
    # it. The SDK's retries are off: the launcher bounds Aider's own.
    settings = "- name: aider/extra_params\n  extra_params:\n    max_retries: 0\n"
    (home / "model-settings.yml").write_text(settings, encoding="utf-8")
    # Aider writes a placeholder identity into .git/config when git has none; that file
    # is read-only in the sandbox, so git finds this one (GIT_CONFIG_GLOBAL) instead.
    identity = "[user]\n\tname = specloop (aider)\n\temail = aider@specloop.invalid\n"
    (home / ".gitconfig").write_text(identity, encoding="utf-8")


def _launcher(binary: str, max_retries: int) -> list[str]:
    """How to start Aider: its own Python with the retry bound when ``binary`` is a
    pip-installed script (``#!/…/python``), else ``binary`` itself (Aider's backoff)."""
    try:
        with Path(binary).open("rb") as handle:
            first = handle.readline(1024)
    except OSError:
        return [binary]
    parts = first[2:].decode("utf-8", errors="replace").split() if first[:2] == b"#!" else []
    # One absolute interpreter only: "/usr/bin/env python3" may be a Python without Aider.
    if len(parts) != 1 or not Path(parts[0]).name.startswith("python"):
        return [binary]
    if not os.access(parts[0], os.X_OK):
        return [binary]
    return [parts[0], "-c", _LAUNCHER, f"{0.125 * 2**max_retries:g}"]


def _remove_if_empty(path: Path) -> None:
    try:
        if path.is_file() and not path.is_symlink() and path.stat().st_size == 0:
            path.unlink()
    except OSError:
        pass


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
