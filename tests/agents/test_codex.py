"""The codex executor: its reading of Codex's JSONL, its command line, and real runs.

The unit tests parse JSONL captured from codex-cli 0.169.0 and need nothing installed.
The integration tests run the real `specloop run --executor codex` on a committed
project, with the real Codex CLI talking to the scripted model server on 127.0.0.1.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sqlite3
import stat
import tempfile
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from codex_support import (
    AGENTS_MARKER,
    HTTP_500_JSONL,
    KEY,
    MODEL,
    PATCH_FAILED_JSONL,
    REFUSED_JSONL,
    SUCCESS_JSONL,
    UNKNOWN_MODEL_JSONL,
    WORKTREE,
    codex_project,
    git,
)

from agents_support import require_agent
from helpers import make_task
from specloop.artifacts import parse_task
from specloop.config import load_config
from specloop.executors import ExecutionRequest, ExecutorUnavailable
from specloop.executors._agentcli import (
    AGENT_FILE_EVENT,
    AGENT_MESSAGE_EVENT,
    AGENT_TOOL_EVENT,
)
from specloop.executors._codex import CodexExecutor, codex_command, parse_events
from specloop.ledger import Ledger
from specloop.models import ModelSpec, NoModelConfigured
from specloop.sandbox import Sandbox
from specloop.testing import ScriptedModelServer

SANDBOX = Sandbox.detect()

# --- parsing captured JSONL ----------------------------------------------------------


def test_a_successful_run_gives_messages_commands_file_changes_and_tokens() -> None:
    trace, finished = parse_events(SUCCESS_JSONL, Path(WORKTREE))
    assert finished and trace.error is None
    assert trace.events == [
        (AGENT_FILE_EVENT, {"path": "src/app.py", "kind": "update"}),
        (AGENT_FILE_EVENT, {"path": "src/new.py", "kind": "add"}),
        (
            AGENT_TOOL_EVENT,
            {
                "tool": "shell",
                "input": "/bin/bash -lc 'echo done > src/done.txt && cat src/new.py'",
                "output": "VALUE = 1\n",
                "exit_code": 0,
                "status": "completed",
            },
        ),
        (AGENT_MESSAGE_EVENT, {"text": "All done."}),
    ]
    assert trace.final_message == "All done."
    assert (trace.input_tokens, trace.cached_tokens, trace.output_tokens) == (122, 40, 24)
    assert trace.cost_usd is None  # Codex reports none; the price table decides


def test_tokens_add_up_over_turns_and_odd_usage_fields_count_as_zero() -> None:
    lines = [
        # the older three-field usage
        {"type": "turn.completed", "usage": {"input_tokens": 10, "cached_input_tokens": 4, "output_tokens": 3}},
        {"type": "turn.completed", "usage": {"input_tokens": 5, "output_tokens": "7", "cached_input_tokens": True}},
        {"type": "turn.completed", "usage": {"input_tokens": -3, "output_tokens": 2}},
        {"type": "turn.completed", "usage": None},
        {"type": "turn.completed"},
    ]  # fmt: skip
    trace, finished = parse_events("\n".join(json.dumps(line) for line in lines))
    assert finished
    assert (trace.input_tokens, trace.cached_tokens, trace.output_tokens) == (15, 4, 5)


def test_http_500_fails_with_the_final_message_not_the_reconnect_notices() -> None:
    trace, finished = parse_events(HTTP_500_JSONL)
    assert not finished
    assert trace.error == (
        "We’re currently experiencing high demand, which may cause temporary errors."
    )
    assert trace.events == []


def test_a_refused_connection_fails() -> None:
    trace, _ = parse_events(REFUSED_JSONL)
    assert trace.error == "Connection failed: error sending request"


def test_an_error_event_fails_the_run_only_when_no_turn_completed() -> None:
    error = '{"type":"error","message":"stream disconnected before completion"}'
    done = '{"type":"turn.completed","usage":{"input_tokens":1,"output_tokens":1}}'
    assert parse_events(error)[0].error == "stream disconnected before completion"
    assert parse_events(f"{error}\n{done}")[0].error is None
    reconnecting = '{"type":"error","message":"Reconnecting... 1/5 (stream error)"}'
    assert parse_events(reconnecting)[0].error is None


def test_a_failed_patch_is_a_failed_tool_call_not_file_changes() -> None:
    trace, finished = parse_events(PATCH_FAILED_JSONL, Path(WORKTREE))
    assert finished and trace.error is None  # the turn itself completed
    assert trace.events[0] == (
        AGENT_TOOL_EVENT,
        {"tool": "apply_patch", "input": ["src/app.py", "src/new.py"], "status": "failed"},
    )
    assert not any(kind == AGENT_FILE_EVENT for kind, _ in trace.events)


def test_a_notice_item_is_a_warning_not_the_final_message() -> None:
    trace, _ = parse_events(UNKNOWN_MODEL_JSONL)
    kind, data = trace.events[0]
    assert kind == AGENT_MESSAGE_EVENT and data["level"] == "warning"
    assert "fake-model" in data["text"]
    assert trace.final_message == "ok"


def test_items_still_running_when_the_output_ends_are_kept() -> None:
    # A timeout: the command started, then the process was killed.
    cut = SUCCESS_JSONL.split('{"type":"item.completed","item":{"id":"item_1"')[0]
    trace, finished = parse_events(cut, Path(WORKTREE))
    assert not finished and trace.error is None
    assert trace.events[-1][0] == AGENT_TOOL_EVENT
    assert trace.events[-1][1]["status"] == "in_progress"
    assert trace.events[-1][1]["exit_code"] is None


def test_mcp_calls_and_web_searches_are_tool_calls() -> None:
    # Shapes as defined in codex-rs/exec/src/exec_events.rs (no MCP server offline).
    lines = [
        {"type": "item.completed", "item": {"id": "item_0", "type": "mcp_tool_call", "server": "docs", "tool": "search", "arguments": {"q": "x"}, "result": None, "error": {"message": "boom"}, "status": "failed"}},
        {"type": "item.completed", "item": {"id": "item_1", "type": "web_search", "query": "bubblewrap"}},
        {"type": "item.completed", "item": {"id": "item_2", "type": "reasoning", "text": "hmm"}},
        {"type": "item.completed", "item": {"id": "item_3", "type": "todo_list", "items": []}},
        {"type": "item.completed", "item": "not an object"},
        {"type": "something.new", "item": {"type": "agent_message", "text": "ignored"}},
    ]  # fmt: skip
    trace, _ = parse_events("\n".join(json.dumps(line) for line in lines) + "\nnot json {")
    assert trace.events == [
        (
            AGENT_TOOL_EVENT,
            {"tool": "mcp:docs/search", "input": {"q": "x"}, "status": "failed", "error": "boom"},
        ),
        (AGENT_TOOL_EVENT, {"tool": "web_search", "input": "bubblewrap", "status": None}),
    ]


# --- the command line ----------------------------------------------------------------


def config_values(argv: list[str]) -> dict[str, Any]:
    """Every `-c key=value` of an argv, the value parsed as TOML the way Codex does."""
    values: dict[str, Any] = {}
    for flag, setting in itertools.pairwise(argv):
        if flag == "-c":
            key, _, value = setting.partition("=")
            values[key] = tomllib.loads(f"v = {value}")["v"]
    return values


def test_the_command_points_codex_at_the_configured_endpoint_and_nothing_else(
    tmp_path: Path,
) -> None:
    (tmp_path / ".specloop").mkdir()
    (tmp_path / ".specloop" / "config.toml").write_text("[models]\nmax_retries = 2\ntimeout = 90\n")
    config = load_config(tmp_path, {})
    spec = ModelSpec("openai", "gpt-5.5", None)
    argv = codex_command(
        "/bin/codex", spec, config, worktree=tmp_path, env_key="OPENAI_API_KEY", own_sandbox=True
    )
    assert argv[:3] == ["/bin/codex", "exec", "--json"]
    assert argv[-1] == "-"  # the handover comes on stdin
    assert argv[argv.index("--cd") + 1] == str(tmp_path)
    assert argv[argv.index("--model") + 1] == "gpt-5.5"
    values = config_values(argv)
    assert values["model_provider"] == "specloop"
    assert values["model_providers.specloop"] == {
        "name": "specloop",
        "base_url": "https://api.openai.com/v1",
        "wire_api": "responses",
        "request_max_retries": 0,
        "stream_max_retries": 2,
        "stream_idle_timeout_ms": 90_000,
        "env_key": "OPENAI_API_KEY",
    }
    assert values["analytics.enabled"] is False
    assert values["web_search"] == "disabled"
    assert values["project_doc_max_bytes"] == 0
    disabled = [argv[i + 1] for i, flag in enumerate(argv) if flag == "--disable"]
    assert disabled == ["plugins", "unbounded_connection_retries"]
    assert "--ephemeral" in argv
    assert argv[argv.index("--sandbox") + 1] == "workspace-write"
    assert "--dangerously-bypass-approvals-and-sandbox" not in argv


def test_without_a_key_codex_sends_none_and_without_its_sandbox_bypasses_it(
    tmp_path: Path,
) -> None:
    config = load_config(tmp_path, {})
    spec = ModelSpec("ollama", "qwen2.5-coder:7b", 'http://127.0.0.1:11434/v1?x="y"')
    argv = codex_command("codex", spec, config, worktree=tmp_path, env_key=None, own_sandbox=False)
    provider = config_values(argv)["model_providers.specloop"]
    assert "env_key" not in provider
    assert provider["base_url"] == 'http://127.0.0.1:11434/v1?x="y"'  # quoted as TOML
    assert "--dangerously-bypass-approvals-and-sandbox" in argv
    assert "--sandbox" not in argv


# --- the constructor -----------------------------------------------------------------


def fake_codex_dir(tmp_path: Path, body: str = "exit 0\n") -> Path:
    """A directory holding an executable `codex` shell script."""
    bin_dir = tmp_path / "fakebin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "codex"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return bin_dir


def executor_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"PATH": f"{fake_codex_dir(tmp_path)}:/usr/bin:/bin", **extra}


def test_a_missing_binary_names_the_install_command(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path), "SPECLOOP_ROLES_EXECUTOR": "openai:gpt-5.5"}
    with pytest.raises(ExecutorUnavailable, match=r"npm install -g @openai/codex@0\.169\.0"):
        CodexExecutor(config=load_config(tmp_path, env), env=env, ledger=None)


def test_an_anthropic_model_is_refused_even_without_its_key(tmp_path: Path) -> None:
    env = executor_env(tmp_path, SPECLOOP_ROLES_EXECUTOR="anthropic:claude-sonnet-4-6")
    with pytest.raises(ExecutorUnavailable, match="OpenAI Responses API"):
        CodexExecutor(config=load_config(tmp_path, env), env=env, ledger=None)


def test_no_model_or_no_key_is_no_model_configured(tmp_path: Path) -> None:
    env = executor_env(tmp_path)
    with pytest.raises(NoModelConfigured):
        CodexExecutor(config=load_config(tmp_path, env), env=env, ledger=None)
    env["SPECLOOP_ROLES_EXECUTOR"] = "openai:gpt-5.5"
    with pytest.raises(NoModelConfigured, match="OPENAI_API_KEY"):
        CodexExecutor(config=load_config(tmp_path, env), env=env, ledger=None)


# --- run() with a stand-in binary: environment, stdin, ledger -------------------------


def test_run_passes_only_the_model_key_feeds_the_handover_and_records_usage(
    tmp_path: Path,
) -> None:
    out = tmp_path / "seen"
    out.mkdir()
    events = tmp_path / "events.jsonl"
    events.write_text(SUCCESS_JSONL)
    bin_dir = fake_codex_dir(
        tmp_path,
        f'env > {out}/env\nprintf "%s\\n" "$@" > {out}/argv\ncat > {out}/stdin\ncat {events}\n',
    )
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SPECLOOP_ROLES_EXECUTOR": "openai:gpt-5.5",
        "OPENAI_API_KEY": KEY,
        "ANTHROPIC_API_KEY": "sk-ant-test-should-not-pass",
        "GITHUB_TOKEN": "ghp-test-should-not-pass",
        "CODEX_HOME": "/somewhere/else",
    }
    state = tmp_path / "repo" / ".specloop" / "state"
    worktree = state / "worktrees" / "w1"
    worktree.mkdir(parents=True)
    task_file = tmp_path / "repo" / "tasks" / "0x01-task.md"
    task_file.parent.mkdir(parents=True)
    task_file.write_text(make_task("0x01"))
    request = ExecutionRequest(
        task=parse_task(task_file.read_text(), path=task_file),
        task_file=task_file,
        worktree=worktree,
        handover="# The task\n\nSay hello. " + "x" * 200_000,  # over one argument's limit
        handover_path=state / "handovers" / "0x01-1.md",
        attempt=1,
        timeout=30,
        env=env,
        sandbox=Sandbox.disabled("the stand-in writes what it saw outside the worktree"),
    )
    with Ledger.open(state / "ledger.db") as ledger:
        ledger.upsert_task("0x01", title="A task")
        executor = CodexExecutor(config=load_config(tmp_path, env), env=env, ledger=ledger)
        result = executor.run(request)
    assert result.ok, result.output
    assert result.summary.startswith("codex finished in")
    assert result.usage is not None
    assert (result.usage.input_tokens, result.usage.output_tokens) == (122, 24)
    assert (out / "stdin").read_text() == request.handover
    seen = dict(
        line.split("=", 1) for line in (out / "env").read_text().splitlines() if "=" in line
    )
    assert seen["OPENAI_API_KEY"] == KEY
    assert "ANTHROPIC_API_KEY" not in seen and "GITHUB_TOKEN" not in seen
    home = Path(seen["CODEX_HOME"])
    assert home.is_dir() and not home.is_relative_to(worktree)
    assert home.parent == state / "agents"
    argv = (out / "argv").read_text().splitlines()
    assert argv[:2] == ["exec", "--json"] and argv[-1] == "-"
    # The home is in the temp directory here, where Codex's sandbox cannot work.
    assert "--dangerously-bypass-approvals-and-sandbox" in argv
    rows = sqlite_rows(state / "ledger.db", "SELECT role, model, input_tokens FROM usage")
    assert rows == [("executor", "openai:gpt-5.5", 122)]
    kinds = [k for (k,) in sqlite_rows(state / "ledger.db", "SELECT kind FROM events")]
    assert kinds.count(AGENT_FILE_EVENT) == 2 and AGENT_MESSAGE_EVENT in kinds


def sqlite_rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute(sql).fetchall()


# --- the real CLI through `specloop run` ----------------------------------------------

PATCH = """\
*** Begin Patch
*** Update File: src/app.py
@@
 def hello():
-    return 'hi'
+    return 'hello'
*** Add File: src/new.py
+VALUE = 1
*** End Patch
"""
TOOLS_SCRIPT: list[dict[str, Any]] = [
    {
        "tool_call": {"name": "apply_patch", "input": PATCH},
        "usage": {"input_tokens": 100, "output_tokens": 10, "cached_tokens": 40},
    },
    {"tool_call": {"name": "exec_command", "arguments": {"cmd": "echo 'DONE = True' >> src/new.py"}}},
    {"reply": "Done. Assumptions: none."},
]  # fmt: skip


@pytest.fixture
def outside_tmp() -> Iterator[Path]:
    """A directory outside the temp directory, where Codex's own sandbox can work."""
    base = Path("/var/tmp")
    if not (base.is_dir() and os.access(base, os.W_OK)):
        pytest.skip("/var/tmp is not writable here")
    path = Path(tempfile.mkdtemp(prefix="specloop-codex-", dir=base))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize(
    "sandbox",
    [
        pytest.param(
            "required",
            marks=pytest.mark.skipif(not SANDBOX.available, reason="no bubblewrap here"),
            id="in-specloops-sandbox",
        ),
        pytest.param("off", id="in-codexs-own-sandbox"),
    ],
)
def test_codex_edits_with_apply_patch_and_a_command_and_the_work_is_merged(
    sandbox: str, tmp_path: Path, outside_tmp: Path, agent_path: str
) -> None:
    require_agent("codex")
    log = tmp_path / "requests.jsonl"
    with ScriptedModelServer(TOOLS_SCRIPT, log_path=log) as server:
        base = tmp_path if sandbox == "required" else outside_tmp
        project = codex_project(base, server.openai_base_url, sandbox=sandbox)
        done = project.run(agent_path)
        remaining = server.remaining()
        port = server.port
    assert done.code == 0, done.stdout + done.stderr
    assert remaining == 0
    task = project.task()
    assert task["state"] == "merged", task
    assert project.show("src/app.py") == "def hello():\n    return 'hello'\n"
    assert project.show("src/new.py") == "VALUE = 1\nDONE = True\n"
    assert git(project.root, "status", "--porcelain") == ""

    # The request log is the evidence of every call Codex made: three POSTs to the
    # scripted server on 127.0.0.1 (the model was never anywhere else).
    requests = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(r["method"], r["path"], r["status"]) for r in requests] == [
        ("POST", "/v1/responses", 200)
    ] * 3
    assert {r["headers"]["host"] for r in requests} == {f"127.0.0.1:{port}"}
    assert {r["headers"]["authorization"] for r in requests} == {"[redacted]"}
    first = requests[0]["body"]
    metadata = json.loads(requests[0]["headers"]["x-codex-turn-metadata"])
    # Codex's own sandbox only where specloop's does not wrap it (it cannot nest).
    expected = "workspace-write" if sandbox == "off" else "danger-full-access"
    assert metadata["sandbox_mode"] == expected
    assert first["model"] == MODEL
    assert {"type": "custom", "name": "apply_patch"}.items() <= next(
        t for t in first["tools"] if t.get("name") == "apply_patch"
    ).items()
    text = json.dumps(first["input"], ensure_ascii=False)
    assert "src/new.py holds VALUE and DONE" in text  # the handover is the prompt
    assert text.count(AGENTS_MARKER) == 1  # once, from the handover; not again by Codex
    last_input = json.dumps(requests[2]["body"]["input"])
    assert "custom_tool_call_output" in last_input and "function_call_output" in last_input

    usage = project.query(
        "SELECT model, input_tokens, cached_tokens, output_tokens, cost_usd FROM usage"
        " WHERE role = 'executor' AND task_id = '0x01'"
    )
    # 100 + 11 + 11 in (40 cached), 10 + 7 + 7 out; priced from [prices], Codex gives none.
    assert usage == [(f"openai:{MODEL}", 122, 40, 24, pytest.approx(150e-6))]
    changes = project.agent_events(AGENT_FILE_EVENT)
    assert changes == [
        {"path": "src/app.py", "kind": "update"},
        {"path": "src/new.py", "kind": "add"},
    ]
    (command,) = project.agent_events(AGENT_TOOL_EVENT)
    assert "DONE = True" in command["input"] and command["exit_code"] == 0
    assert project.agent_events(AGENT_MESSAGE_EVENT)[-1]["text"] == "Done. Assumptions: none."


def test_an_http_500_from_the_model_fails_the_task_and_merges_nothing(
    tmp_path: Path, agent_path: str
) -> None:
    require_agent("codex")
    with ScriptedModelServer([{"error": 500, "repeat": True}]) as server:
        project = codex_project(tmp_path, server.openai_base_url)
        before = project.main_files()
        done = project.run(agent_path)
        calls = [(r.method, r.path, r.status) for r in server.requests]
    assert done.code == 1, done.stdout + done.stderr
    assert calls == [("POST", "/v1/responses", 500)]  # [models] max_retries = 0: no retry
    task = project.task()
    assert task["state"] == "failed"
    assert "codex failed" in str(task["reason"]), task
    assert project.main_files() == before
    assert project.show("src/app.py") == "def hello():\n    return 'hi'\n"


def test_without_the_codex_binary_run_exits_3_naming_the_install_command(
    tmp_path: Path,
) -> None:
    # PATH without .agents/bin and without any other codex (git and the rest stay).
    dirs = [
        d
        for d in os.environ.get("PATH", "").split(os.pathsep)
        if d and shutil.which("codex", path=d) is None
    ]
    project = codex_project(tmp_path, "http://127.0.0.1:9/v1")
    done = project.run(os.pathsep.join(dirs))
    assert done.code == 3, done.stdout + done.stderr
    assert "npm install -g @openai/codex@0.169.0" in done.stderr


def test_a_model_slower_than_the_task_timeout_is_stopped_and_nothing_merged(
    tmp_path: Path, agent_path: str
) -> None:
    require_agent("codex")
    started = time.monotonic()
    with ScriptedModelServer([{"delay": 60, "reply": "too late"}]) as server:
        project = codex_project(tmp_path, server.openai_base_url, extra_front="timeout: 3\n")
        before = project.main_files()
        done = project.run(agent_path)
    elapsed = time.monotonic() - started
    assert done.code == 1, done.stdout + done.stderr
    task = project.task()
    assert task["state"] == "failed"
    assert "codex timed out after 3 s" in str(task["reason"]), task
    assert project.main_files() == before
    assert elapsed < 20
