"""The builtin executor end to end: real config, real HTTP to the scripted model, real ledger."""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from executor_support import SANDBOX, add_worktree, make_request

from helpers import Repo
from specloop.config import load_config
from specloop.executors import (
    PLAN_EVENT,
    TOOL_EVENT,
    BuiltinExecutor,
    ExecutionResult,
    make_executor,
)
from specloop.ledger import Ledger
from specloop.models import AGENT_EVENT
from specloop.sandbox import Sandbox
from specloop.testing import ScriptedModelServer

KEY = "sk-test-BUILTIN-0d5e2a9b7c31"

HELLO_PATCH = """\
*** Begin Patch
*** Add File: src/hello.py
+def hello() -> str:
+    return "hello"
*** Add File: tests/test_hello.py
+import sys
+
+sys.path.insert(0, "src")
+
+from hello import hello
+
+
+def test_hello() -> None:
+    assert hello() == "hello"
*** End Patch
"""

BAD_PATCH = """\
*** Begin Patch
*** Add File: src/hello.py
+x = 1
*** Update File: src/app.py
@@
-def greet(name):
+def greet(name, loud):
*** End Patch
"""


def call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"tool_call": {"name": name, "arguments": arguments}}


@pytest.fixture
def worktree(repo: Repo) -> Path:
    return add_worktree(repo.root)


@pytest.fixture
def ledger(repo: Repo) -> Iterator[Ledger]:
    opened = Ledger.open(repo.root / ".specloop" / "state" / "ledger.db")
    opened.upsert_task("0x01", title="A task")
    yield opened
    opened.close()


def model_env(server: ScriptedModelServer) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(Path.home()),
        "SPECLOOP_ROLES_EXECUTOR": "openai:scripted",
        "SPECLOOP_PROVIDERS_OPENAI_BASE_URL": server.openai_base_url,
        "OPENAI_API_KEY": KEY,
    }


def execute(
    repo: Repo,
    worktree: Path,
    ledger: Ledger,
    script: Sequence[Mapping[str, Any]],
    *,
    timeout: float = 60.0,
    sandbox: Sandbox = SANDBOX,
    max_turns: int | None = None,
) -> tuple[ExecutionResult, list[Any], int]:
    """Run the builtin executor on task 0x01 against ``script``; return the result, the
    requests the model server saw, and the attempt's id."""
    run = ledger.start_run(base_ref="main", autonomy="gated")
    attempt = ledger.start_attempt("0x01", run_id=run.id, executor="builtin")
    with ScriptedModelServer(script) as server:
        env = model_env(server)
        executor = make_executor(
            "builtin", config=load_config(repo.root, env), env=env, ledger=ledger
        )
        assert isinstance(executor, BuiltinExecutor)
        if max_turns is not None:
            executor = BuiltinExecutor(executor.client, ledger=ledger, max_turns=max_turns)
        request = make_request(
            worktree,
            timeout=timeout,
            sandbox=sandbox,
            env=env,
            run_id=run.id,
            attempt_id=attempt.id,
        )
        result = executor.run(request)
        requests = list(server.requests)
    return result, requests, attempt.id


def tool_outputs(request: Any) -> list[str]:
    """The tool results a chat-completions request carried back to the model."""
    return [m["content"] for m in request.body["messages"] if m["role"] == "tool"]


def test_end_to_end_read_patch_test_plan_done(repo: Repo, worktree: Path, ledger: Ledger) -> None:
    test_command = f"{sys.executable} -m pytest -q -p no:cacheprovider tests/test_hello.py"
    plan = [
        {"step": "Add hello and its test", "status": "completed"},
        {"step": "Run the test", "status": "in_progress"},
    ]
    script = [
        call("read_file", path="src/app.py"),
        call("update_plan", explanation="Two steps.", plan=plan),
        call("apply_patch", patch=HELLO_PATCH),
        call("run_command", command=test_command),
        call("update_plan", explanation="Done.", plan=[{**p, "status": "completed"} for p in plan]),
        {
            "reply": "done\n\nAssumptions:\n- none",
            "usage": {"input_tokens": 90, "output_tokens": 9},
        },
    ]
    result, requests, attempt_id = execute(repo, worktree, ledger, script)

    assert result.ok, result.output
    assert (result.exit_code, result.timed_out) == (0, False)
    assert result.summary.startswith("agent finished in ")
    assert result.summary.endswith("(6 turns)")
    assert "done" in result.output and "$ apply_patch" in result.output
    assert (worktree / "src" / "hello.py").read_text().startswith("def hello() -> str:")
    assert (worktree / "tests" / "test_hello.py").exists()

    # What the model was sent: the system prompt, the handover, then each tool's answer.
    first = json.dumps(requests[0].body)
    assert "modify only the files listed" in first.lower()
    assert "Make greet() return 'hello'." in first
    assert tool_outputs(requests[1]) == ["def greet():\n    return 'hi'\n"]
    assert tool_outputs(requests[3])[-1].startswith("Success. Updated the following files:")
    test_output = tool_outputs(requests[4])[-1]
    assert test_output.startswith("exit code 0\n"), test_output
    assert "1 passed" in test_output

    events = ledger.events(task_id="0x01")
    tools = [e.data for e in events if e.kind == TOOL_EVENT]
    assert [t["name"] for t in tools if t] == [
        "read_file",
        "update_plan",
        "apply_patch",
        "run_command",
        "update_plan",
    ]
    assert all(t and t["ok"] for t in tools)
    assert all(e.attempt_id == attempt_id for e in events if e.kind in (TOOL_EVENT, AGENT_EVENT))
    plans = [e.data for e in events if e.kind == PLAN_EVENT]
    assert len(plans) == 2
    (agent,) = [e.data for e in events if e.kind == AGENT_EVENT]
    assert agent is not None
    assert agent == {
        "stage": "execute",
        "model": "openai:scripted",
        "role": "executor",
        "turns": 6,
        "stopped": None,
        "duration_ms": agent["duration_ms"],
    }

    assert result.usage is not None
    assert result.usage.input_tokens == 5 * 11 + 90
    conn = sqlite3.connect(ledger.path)
    try:
        rows = conn.execute(
            "SELECT role, stage, task_id, attempt_id, input_tokens FROM usage"
        ).fetchall()
    finally:
        conn.close()
    assert rows == [("executor", "execute", "0x01", attempt_id, 145)]
    assert KEY not in json.dumps([e.data for e in events])


def test_a_patch_with_bad_context_is_an_answer_and_writes_nothing(
    repo: Repo, worktree: Path, ledger: Ledger
) -> None:
    script = [call("apply_patch", patch=BAD_PATCH), {"reply": "I could not apply it."}]
    result, requests, _ = execute(repo, worktree, ledger, script)
    assert result.ok  # the agent stopped by itself; verification judges the (empty) work
    assert tool_outputs(requests[1]) == [
        "apply_patch: src/app.py: context not found: 'def greet(name):'"
    ]
    assert not (worktree / "src" / "hello.py").exists()
    assert (worktree / "src" / "app.py").read_text() == "def greet():\n    return 'hi'\n"
    (event,) = [e.data for e in ledger.events() if e.kind == TOOL_EVENT]
    assert event is not None and event["ok"] is False


def test_the_turn_limit(repo: Repo, worktree: Path, ledger: Ledger) -> None:
    script = [call("list_files")] * 5
    result, requests, _ = execute(repo, worktree, ledger, script, max_turns=3)
    assert not result.ok
    assert result.summary == "agent stopped: turn limit of 3 reached"
    assert (result.exit_code, result.timed_out) == (None, False)
    assert len(requests) == 3
    assert result.usage is not None and result.usage.input_tokens == 33


def test_the_attempt_timeout_stops_the_agent_and_its_command(
    repo: Repo, worktree: Path, ledger: Ledger
) -> None:
    # The command is cut at the attempt's deadline; whether the run notices while the
    # command runs or while it waits for the (slow) next answer, it stops in time.
    script = [
        call("run_command", command="sleep 60", timeout_s=600),
        {"reply": "never", "delay": 30},
    ]
    started = time.monotonic()
    result, _, _ = execute(repo, worktree, ledger, script, timeout=2.0)
    assert time.monotonic() - started < 15
    assert not result.ok
    assert result.timed_out
    assert result.summary == "agent stopped: timed out after 2s"


def test_agent_commands_are_sandboxed_and_keyless(
    repo: Repo, worktree: Path, ledger: Ledger
) -> None:
    if not SANDBOX.available:
        pytest.skip(f"no working sandbox here: {SANDBOX.reason}")
    script = [
        call("run_command", command="touch /etc/specloop-builtin-test"),
        call("run_command", command="env"),
        {"reply": "done"},
    ]
    result, requests, _ = execute(repo, worktree, ledger, script)
    assert result.ok
    touched = tool_outputs(requests[1])[-1]
    assert touched.startswith("exit code 1\n") and "Read-only file system" in touched
    assert not Path("/etc/specloop-builtin-test").exists()
    env = tool_outputs(requests[2])[-1]
    assert env.startswith("exit code 0\n")
    assert KEY not in env and "OPENAI_API_KEY" not in env


def test_a_failing_model_is_a_failed_run(repo: Repo, worktree: Path, ledger: Ledger) -> None:
    script = [{"error": {"status": 400, "body": {"error": {"message": "bad request"}}}}]
    result, _, _ = execute(repo, worktree, ledger, script)
    assert not result.ok
    assert result.summary.startswith("model call failed: ")
    assert "HTTP 400" in result.summary
    assert KEY not in result.output
