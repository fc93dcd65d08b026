"""ModelClient.run_agent: tools, bounded turns and time, usage and events, over FunctionModel and HTTP."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.usage import RequestUsage

from specloop.ledger import Ledger
from specloop.models import AGENT_EVENT, AgentRun, ModelCallFailed, ModelClient, ModelSpec
from specloop.testing import ScriptedModelServer

KEY = "sk-test-AGENT-5be1c0d9a7f3"
ENV = {"OPENAI_API_KEY": KEY}


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    opened = Ledger.open(tmp_path / "state" / "ledger.db")
    yield opened
    opened.close()


def usage_rows(ledger: Ledger) -> list[dict[str, Any]]:
    conn = sqlite3.connect(ledger.path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute("SELECT * FROM usage ORDER BY id")]
    finally:
        conn.close()


class Files:
    """Two tools over a dict, recording what they were called with."""

    def __init__(self) -> None:
        self.files = {"src/app.py": "print('hi')\n"}
        self.calls: list[tuple[str, str]] = []

    def read_file(self, path: str) -> str:
        """Print a file.

        Args:
            path: The file's path.
        """
        self.calls.append(("read_file", path))
        return self.files.get(path, f"read_file: {path}: no such file")

    def apply_patch(self, patch: str) -> str:
        """Apply a patch.

        Args:
            patch: The patch text.
        """
        self.calls.append(("apply_patch", patch))
        self.files["src/hello.py"] = "print('hello')\n"
        return "Success. Updated the following files:\nA src/hello.py"


def function_model(*turns: list[Any]) -> tuple[FunctionModel, list[list[ModelMessage]]]:
    """A FunctionModel answering with the given parts, turn by turn; keeps what it saw."""
    seen: list[list[ModelMessage]] = []
    queue = list(turns)

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.append(list(messages))
        parts = queue.pop(0) if queue else [ToolCallPart("read_file", {"path": "src/app.py"})]
        return ModelResponse(parts=parts, usage=RequestUsage(input_tokens=100, output_tokens=10))

    return FunctionModel(respond, model_name="fn"), seen


def client_with(model: FunctionModel, ledger: Ledger | None = None) -> ModelClient:
    return ModelClient(
        ModelSpec("openai", "gpt-5"), role="executor", env=ENV, ledger=ledger, model=model
    )


def test_tools_run_and_the_final_text_comes_back(ledger: Ledger) -> None:
    files = Files()
    model, seen = function_model(
        [ToolCallPart("read_file", {"path": "src/app.py"})],
        [ToolCallPart("apply_patch", {"patch": "*** Begin Patch\n*** End Patch"})],
        [TextPart("done")],
    )
    ledger.upsert_task("0x01", title="t")
    run = client_with(model, ledger).run_agent(
        stage="execute",
        system="You are a coding agent.",
        prompt="Add hello.",
        tools=[files.read_file, files.apply_patch],
        task_id="0x01",
    )
    assert isinstance(run, AgentRun)
    assert run.text == "done"
    assert run.stopped is None
    assert run.turns == 3
    assert run.usage.input_tokens == 300 and run.usage.output_tokens == 30
    assert [name for name, _ in files.calls] == ["read_file", "apply_patch"]
    assert "src/hello.py" in files.files
    # The tool's answer went back to the model.
    returns = [
        part
        for message in seen[1]
        if isinstance(message, ModelRequest)
        for part in message.parts
        if isinstance(part, ToolReturnPart)
    ]
    assert returns[0].content == "print('hi')\n"
    (row,) = usage_rows(ledger)
    assert (row["role"], row["stage"], row["task_id"], row["input_tokens"]) == (
        "executor",
        "execute",
        "0x01",
        300,
    )
    (event,) = [e for e in ledger.events() if e.kind == AGENT_EVENT]
    assert event.data is not None
    assert (event.data["stage"], event.data["turns"], event.data["stopped"]) == ("execute", 3, None)


def test_the_tool_schema_comes_from_hints_and_docstrings() -> None:
    seen_tools: list[Any] = []

    def respond(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen_tools.extend(info.function_tools)
        return ModelResponse(parts=[TextPart("ok")])

    files = Files()
    client_with(FunctionModel(respond)).run_agent(
        stage="execute", system="s", prompt="p", tools=[files.read_file]
    )
    (tool,) = seen_tools
    assert tool.name == "read_file"
    assert tool.description.startswith("Print a file.")
    assert tool.parameters_json_schema["properties"]["path"]["type"] == "string"
    assert tool.parameters_json_schema["properties"]["path"]["description"] == "The file's path."


def test_the_turn_limit_stops_the_run_without_raising(ledger: Ledger) -> None:
    model, _ = function_model()  # reads a file forever
    run = client_with(model, ledger).run_agent(
        stage="execute", system="s", prompt="p", tools=[Files().read_file], max_turns=3
    )
    assert run.stopped == "turn limit of 3 reached"
    assert run.turns == 3
    assert run.usage.input_tokens == 300
    (event,) = [e for e in ledger.events() if e.kind == AGENT_EVENT]
    assert event.data is not None and event.data["stopped"] == "turn limit of 3 reached"
    assert len(usage_rows(ledger)) == 1


def test_the_timeout_stops_the_run_without_raising() -> None:
    def slow_tool(seconds: float) -> str:
        """Wait.

        Args:
            seconds: How long.
        """
        time.sleep(seconds)
        return "waited"

    model, _ = function_model(*[[ToolCallPart("slow_tool", {"seconds": 0.2})]] * 100)
    started = time.monotonic()
    run = client_with(model).run_agent(
        stage="execute", system="s", prompt="p", tools=[slow_tool], timeout=0.5
    )
    assert run.stopped == "timed out after 0.5s"
    assert time.monotonic() - started < 5
    assert run.turns >= 1


def test_bad_arguments_are_fed_back_then_the_run_goes_on() -> None:
    files = Files()
    model, seen = function_model(
        [ToolCallPart("read_file", {"wrong": 1})],
        [ToolCallPart("read_file", {"path": "src/app.py"})],
        [TextPart("done")],
    )
    run = client_with(model).run_agent(
        stage="execute", system="s", prompt="p", tools=[files.read_file]
    )
    assert run.stopped is None
    assert "path" in repr(seen[1][-1])  # the validation error named the missing argument


def test_invalid_arguments_forever_stop_the_run() -> None:
    model, _ = function_model(*[[ToolCallPart("read_file", {"wrong": 1})]] * 10)
    run = client_with(model).run_agent(
        stage="execute", system="s", prompt="p", tools=[Files().read_file]
    )
    assert run.stopped is not None and run.stopped.startswith("model misbehaved:")


def test_a_crashing_tool_is_a_bug_and_raises() -> None:
    def broken(path: str) -> str:
        """Break.

        Args:
            path: Anything.
        """
        raise RuntimeError("bug in the tool")

    model, _ = function_model([ToolCallPart("broken", {"path": "x"})])
    with pytest.raises(RuntimeError, match="bug in the tool"):
        client_with(model).run_agent(stage="execute", system="s", prompt="p", tools=[broken])


def test_arguments_are_checked() -> None:
    model, _ = function_model()
    client = client_with(model)
    with pytest.raises(ValueError, match="max_turns"):
        client.run_agent(stage="s", system="s", prompt="p", tools=[], max_turns=0)
    with pytest.raises(ValueError, match="timeout"):
        client.run_agent(stage="s", system="s", prompt="p", tools=[], timeout=0)


# -- over HTTP ------------------------------------------------------------------------------


def http_client(server: ScriptedModelServer, ledger: Ledger | None = None) -> ModelClient:
    return ModelClient(
        ModelSpec("openai", "gpt-5", server.openai_base_url),
        role="executor",
        env=ENV,
        ledger=ledger,
        timeout=10.0,
        max_retries=0,
    )


def test_over_http_read_patch_reply(ledger: Ledger) -> None:
    files = Files()
    script: list[dict[str, Any]] = [
        {"tool_call": {"name": "read_file", "arguments": {"path": "src/app.py"}}},
        {"tool_call": {"name": "apply_patch", "arguments": {"patch": "*** Begin Patch\n..."}}},
        {"reply": "done", "usage": {"input_tokens": 50, "output_tokens": 5, "cached_tokens": 20}},
    ]
    with ScriptedModelServer(script) as server:
        run = http_client(server, ledger).run_agent(
            stage="execute",
            system="You are a coding agent.",
            prompt="Add hello.",
            tools=[files.read_file, files.apply_patch],
        )
        requests = list(server.requests)
    assert run.text == "done" and run.stopped is None and run.turns == 3
    assert [name for name, _ in files.calls] == ["read_file", "apply_patch"]
    # The second request carries the first tool's output back to the model.
    messages = requests[1].body["messages"]
    tool_messages = [m for m in messages if m["role"] == "tool"]
    assert tool_messages[0]["content"] == "print('hi')\n"
    assert {t["function"]["name"] for t in requests[0].body["tools"]} == {
        "read_file",
        "apply_patch",
    }
    assert run.usage.input_tokens == 11 + 11 + 50
    assert run.usage.cached_tokens == 20
    (row,) = usage_rows(ledger)
    assert row["role"] == "executor" and row["model"] == "openai:gpt-5"


def test_over_http_a_failure_raises_model_call_failed_without_the_key(ledger: Ledger) -> None:
    script = [{"error": {"status": 401, "body": {"error": {"message": f"bad key {KEY}"}}}}]
    with ScriptedModelServer(script) as server, pytest.raises(ModelCallFailed) as caught:
        http_client(server, ledger).run_agent(
            stage="execute", system="s", prompt="p", tools=[Files().read_file]
        )
    assert caught.value.status == 401
    assert KEY not in str(caught.value)
    assert "OPENAI_API_KEY" in str(caught.value)
    dumped = json.dumps([e.data for e in ledger.events()])
    assert "model.call_failed" in [e.kind for e in ledger.events()]
    assert KEY not in dumped


def test_run_and_attempt_ids_go_to_the_usage_rows(ledger: Ledger) -> None:
    ledger.upsert_task("0x01", title="t")
    run_record = ledger.start_run(base_ref="main", base_sha="0" * 40, autonomy="gated")
    attempt = ledger.start_attempt("0x01", run_id=run_record.id)
    with ScriptedModelServer([{"reply": "done"}]) as server:
        http_client(server, ledger).run_agent(
            stage="execute",
            system="s",
            prompt="p",
            tools=[],
            task_id="0x01",
            run_id=run_record.id,
            attempt_id=attempt.id,
        )
    (row,) = usage_rows(ledger)
    assert (row["run_id"], row["task_id"], row["attempt_id"]) == (run_record.id, "0x01", attempt.id)
    (event,) = [e for e in ledger.events() if e.kind == AGENT_EVENT]
    assert (event.run_id, event.attempt_id) == (run_record.id, attempt.id)
