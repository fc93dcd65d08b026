"""The official anthropic SDK accepts the scripted server's Messages answers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import pytest

from specloop.testing import ScriptedModelFactory, ScriptedModelServer

pytest_plugins = ["specloop.testing.pytest_plugin"]

USER: Any = [{"role": "user", "content": "hi"}]
PATCH = "*** Begin Patch\n*** Add File: a.txt\n+a\n*** End Patch\n"

Connect = Callable[[ScriptedModelServer], anthropic.Anthropic]


@pytest.fixture
def connect() -> Iterator[Connect]:
    clients: list[anthropic.Anthropic] = []

    def make(server: ScriptedModelServer) -> anthropic.Anthropic:
        client = anthropic.Anthropic(base_url=server.base_url, api_key="sk-ant-test", max_retries=0)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_create_text(scripted_model: ScriptedModelFactory, connect: Connect) -> None:
    server = scripted_model([{"reply": "hello"}])
    message = connect(server).messages.create(model="claude-x", max_tokens=100, messages=USER)
    assert [block.type for block in message.content] == ["text"]
    assert message.content[0].text == "hello"  # type: ignore[union-attr]
    assert (message.role, message.model, message.stop_reason) == (
        "assistant",
        "claude-x",
        "end_turn",
    )
    assert message.stop_sequence is None
    assert (message.usage.input_tokens, message.usage.output_tokens) == (11, 7)
    assert message.usage.cache_read_input_tokens == 0
    headers = server.requests[0].headers
    assert "sk-ant-test" not in json.dumps(headers)
    assert "[redacted]" in (headers.get("x-api-key"), headers.get("authorization"))


def test_create_tool_use(scripted_model: ScriptedModelFactory, connect: Connect) -> None:
    server = scripted_model(
        [
            {
                "tool_calls": [
                    {"name": "read_file", "arguments": {"path": "src/app.py"}, "id": "toolu_1"},
                    {"name": "apply_patch", "input": PATCH},
                ]
            }
        ]
    )
    message = connect(server).messages.create(model="m", max_tokens=100, messages=USER)
    assert message.stop_reason == "tool_use"
    first, second = message.content
    assert first.type == "tool_use" and second.type == "tool_use"
    assert (first.id, first.name, first.input) == ("toolu_1", "read_file", {"path": "src/app.py"})
    assert second.input == {"input": PATCH}


def test_stream_text(scripted_model: ScriptedModelFactory, connect: Connect) -> None:
    text = "streamed words, " * 10
    server = scripted_model([{"reply": text}])
    client = connect(server)
    with client.messages.stream(model="m", max_tokens=100, messages=USER) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(pieces) > 2 and "".join(pieces) == text
    assert final.stop_reason == "end_turn"
    assert (final.usage.input_tokens, final.usage.output_tokens) == (11, 7)


def test_stream_tool_use_assembles_partial_json(
    scripted_model: ScriptedModelFactory, connect: Connect
) -> None:
    arguments = {"path": "src/" + "nested/" * 40 + "app.py", "flags": [True, None, 3]}
    server = scripted_model(
        [
            {
                "tool_calls": [{"name": "read_file", "arguments": arguments}, {"name": "noop"}],
                "usage": {"input_tokens": 120, "output_tokens": 40, "cached_tokens": 20},
            }
        ]
    )
    with connect(server).messages.stream(model="m", max_tokens=100, messages=USER) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    first, second = final.content
    assert first.type == "tool_use" and first.input == arguments
    assert second.type == "tool_use" and second.input == {}
    assert first.id != second.id
    # Anthropic's input_tokens excludes cache reads; the script's 120 includes the 20.
    assert final.usage.input_tokens == 100
    assert final.usage.cache_read_input_tokens == 20
    assert final.usage.output_tokens == 40


def test_beta_endpoint_and_system_role_messages(
    scripted_model: ScriptedModelFactory, connect: Connect
) -> None:
    server = scripted_model([{"when": {"contains": "mid-conversation rule"}, "reply": "ok"}])
    client = connect(server)
    messages = [
        {"role": "user", "content": "hi"},
        {"role": "system", "content": "mid-conversation rule"},
    ]
    message = client.beta.messages.create(
        model="m",
        max_tokens=100,
        system=[{"type": "text", "text": "base prompt"}],
        messages=messages,  # type: ignore[arg-type]
        extra_query={"beta": "true"},  # the path Claude Code posts to
    )
    assert message.content[0].text == "ok"  # type: ignore[union-attr]
    assert server.requests[0].path == "/v1/messages?beta=true"


def test_tool_result_history_is_matched(
    scripted_model: ScriptedModelFactory, connect: Connect
) -> None:
    server = scripted_model(
        [
            {"when": {"contains": "RESULT-7"}, "reply": "saw the result"},
            {"tool_call": {"name": "lookup", "arguments": {"q": "x"}, "id": "toolu_9"}},
        ]
    )
    client = connect(server)
    first = client.messages.create(model="m", max_tokens=100, messages=USER)
    follow_up = [
        *USER,
        {"role": "assistant", "content": [block.model_dump() for block in first.content]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "toolu_9", "content": "RESULT-7"}],
        },
    ]
    second = client.messages.create(model="m", max_tokens=100, messages=follow_up)
    assert second.content[0].text == "saw the result"  # type: ignore[union-attr]
    assert [r.step for r in server.requests] == [1, 0]


def test_count_tokens_consumes_no_step(
    scripted_model: ScriptedModelFactory, connect: Connect
) -> None:
    server = scripted_model([{"reply": "unused"}])
    counted = connect(server).messages.count_tokens(
        model="m", messages=[{"role": "user", "content": "x" * 400}]
    )
    assert 90 <= counted.input_tokens <= 110
    assert server.remaining() == 1
    assert server.requests[0].step is None


def test_scripted_error_uses_the_anthropic_error_shape(
    scripted_model: ScriptedModelFactory, connect: Connect
) -> None:
    server = scripted_model([{"error": 429}])
    with pytest.raises(anthropic.RateLimitError) as caught:
        connect(server).messages.create(model="m", max_tokens=100, messages=USER)
    assert caught.value.body == {
        "type": "error",
        "error": {
            "type": "rate_limit_error",
            "message": "specloop scripted model: scripted HTTP 429 error",
        },
    }
    assert caught.value.request_id == "req_scripted_1"
