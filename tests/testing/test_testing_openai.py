"""The official openai SDK accepts the scripted server's Chat Completions and Responses."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest
from pydantic import BaseModel

from specloop.testing import ScriptedModelFactory, ScriptedModelServer

pytest_plugins = ["specloop.testing.pytest_plugin"]

PATCH = "*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n"
LONG = "The quick brown fox jumps over the lazy dog; " * 4
USER: Any = [{"role": "user", "content": "hi"}]

Connect = Callable[..., openai.OpenAI]


class City(BaseModel):
    name: str
    population: int


@pytest.fixture
def connect() -> Iterator[Connect]:
    clients: list[openai.OpenAI] = []

    def make(server: ScriptedModelServer, **options: Any) -> openai.OpenAI:
        options.setdefault("max_retries", 0)
        client = openai.OpenAI(base_url=server.openai_base_url, api_key="sk-test", **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


# --- Chat Completions -------------------------------------------------------------------


def test_chat_completion_text(scripted_model: ScriptedModelFactory, connect: Connect) -> None:
    server = scripted_model([{"reply": "hello there"}])
    client = connect(server)
    done = client.chat.completions.create(model="gpt-anything", messages=USER)
    assert done.choices[0].message.content == "hello there"
    assert done.choices[0].finish_reason == "stop"
    assert done.model == "gpt-anything"
    assert done.usage is not None
    assert (done.usage.prompt_tokens, done.usage.completion_tokens) == (11, 7)
    assert done.usage.total_tokens == 18
    [logged] = server.requests
    assert (logged.method, logged.path, logged.status, logged.step) == (
        "POST",
        "/v1/chat/completions",
        200,
        0,
    )
    assert logged.body["messages"] == USER
    assert logged.headers["authorization"] == "[redacted]"


def test_chat_stream_with_usage_sends_a_usage_chunk(
    scripted_model: ScriptedModelFactory, connect: Connect
) -> None:
    server = scripted_model([{"reply": LONG, "usage": {"input_tokens": 120, "output_tokens": 40}}])
    client = connect(server)
    stream = client.chat.completions.create(
        model="m", messages=USER, stream=True, stream_options={"include_usage": True}
    )
    with stream:
        chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == LONG
    assert sum(1 for c in chunks if c.choices and c.choices[0].delta.content) > 2
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (120, 40)


def test_chat_stream_without_usage_option_has_no_usage_chunk(
    scripted_model: ScriptedModelFactory, connect: Connect
) -> None:
    server = scripted_model([{"reply": "short"}])
    client = connect(server)
    with client.chat.completions.create(model="m", messages=USER, stream=True) as stream:
        chunks = list(stream)
    assert all(c.choices for c in chunks)
    assert all(c.usage is None for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "short"


def test_chat_tool_calls(scripted_model: ScriptedModelFactory, connect: Connect) -> None:
    server = scripted_model(
        [
            {
                "tool_calls": [
                    {"name": "read_file", "arguments": {"path": "src/app.py"}, "id": "call_1"},
                    {"name": "apply_patch", "input": PATCH},
                ]
            }
        ]
    )
    client = connect(server)
    done = client.chat.completions.create(model="m", messages=USER)
    choice = done.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    first, second = choice.message.tool_calls or []
    assert first.type == "function" and second.type == "function"
    assert (first.id, first.function.name) == ("call_1", "read_file")
    assert json.loads(first.function.arguments) == {"path": "src/app.py"}
    assert json.loads(second.function.arguments) == {"input": PATCH}
    assert second.id != first.id


def test_chat_stream_tool_calls_are_reassembled(
    scripted_model: ScriptedModelFactory, connect: Connect
) -> None:
    arguments = {"path": "src/" + "deep/" * 30 + "app.py", "lines": [1, 2, 3]}
    server = scripted_model(
        [{"tool_calls": [{"name": "read_file", "arguments": arguments}, {"name": "noop"}]}]
    )
    client = connect(server)
    with client.chat.completions.stream(model="m", messages=USER) as stream:
        final = stream.get_final_completion()
    calls = final.choices[0].message.tool_calls or []
    assert [c.function.name for c in calls] == ["read_file", "noop"]
    assert json.loads(calls[0].function.arguments) == arguments
    assert json.loads(calls[1].function.arguments) == {}
    assert final.choices[0].finish_reason == "tool_calls"


def test_chat_parse_structured_output(
    scripted_model: ScriptedModelFactory, connect: Connect
) -> None:
    server = scripted_model([{"reply": '{"name": "Paris", "population": 2100000}'}])
    client = connect(server)
    done = client.chat.completions.parse(model="m", messages=USER, response_format=City)
    assert done.choices[0].message.parsed == City(name="Paris", population=2100000)
    assert server.requests[0].body["response_format"]["type"] == "json_schema"


# --- Responses ----------------------------------------------------------------------------


def test_responses_text(scripted_model: ScriptedModelFactory, connect: Connect) -> None:
    server = scripted_model(
        [{"reply": "plain", "usage": {"input_tokens": 50, "cached_tokens": 30}}]
    )
    client = connect(server)
    done = client.responses.create(model="gpt-5.5", input="hi")
    assert done.output_text == "plain"
    assert done.status == "completed"
    assert done.model == "gpt-5.5"
    [item] = done.output
    assert item.type == "message" and item.role == "assistant" and item.status == "completed"
    assert done.usage is not None
    assert (done.usage.input_tokens, done.usage.output_tokens) == (50, 7)
    assert done.usage.input_tokens_details.cached_tokens == 30
    assert done.usage.output_tokens_details.reasoning_tokens == 0
    assert done.usage.total_tokens == 57


def test_responses_tool_calls(scripted_model: ScriptedModelFactory, connect: Connect) -> None:
    server = scripted_model(
        [
            {
                "tool_calls": [
                    {"name": "exec_command", "arguments": {"cmd": "ls"}},
                    {"name": "apply_patch", "input": PATCH, "id": "call_patch"},
                ]
            }
        ]
    )
    client = connect(server)
    done = client.responses.create(model="m", input="hi")
    function, custom = done.output
    assert function.type == "function_call"
    assert function.name == "exec_command"
    assert json.loads(function.arguments) == {"cmd": "ls"}
    assert function.status == "completed"
    assert custom.type == "custom_tool_call"
    assert (custom.name, custom.input, custom.call_id) == ("apply_patch", PATCH, "call_patch")
    assert function.call_id != custom.call_id


def test_responses_stream_helper_assembles_items_and_usage(
    scripted_model: ScriptedModelFactory, connect: Connect
) -> None:
    server = scripted_model(
        [
            {
                "tool_calls": [
                    {"name": "exec_command", "arguments": {"cmd": "pytest -q " + "x" * 200}},
                    {"name": "apply_patch", "input": PATCH * 5},
                ],
                "usage": {"input_tokens": 300, "output_tokens": 20, "cached_tokens": 100},
            }
        ]
    )
    client = connect(server)
    with client.responses.stream(model="m", input="hi") as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert "response.function_call_arguments.delta" in kinds
    assert kinds.count("response.output_item.done") == 2
    function, custom = final.output
    assert function.type == "function_call"
    assert json.loads(function.arguments) == {"cmd": "pytest -q " + "x" * 200}
    assert custom.type == "custom_tool_call"
    assert custom.input == PATCH * 5
    assert final.usage is not None
    assert (final.usage.input_tokens, final.usage.output_tokens) == (300, 20)
    assert final.usage.input_tokens_details.cached_tokens == 100


def test_responses_stream_text_deltas(
    scripted_model: ScriptedModelFactory, connect: Connect
) -> None:
    server = scripted_model([{"reply": LONG}])
    client = connect(server)
    with client.responses.create(model="m", input="hi", stream=True) as stream:
        events = list(stream)
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert len(deltas) > 2 and "".join(deltas) == LONG
    completed = events[-1]
    assert completed.type == "response.completed"
    assert completed.response.output_text == LONG
    assert [e.sequence_number for e in events] == list(range(len(events)))


def test_models_list(scripted_model: ScriptedModelFactory, connect: Connect) -> None:
    server = scripted_model([])
    client = connect(server)
    assert [m.id for m in client.models.list()] == ["scripted"]
    assert server.requests[0].step is None
