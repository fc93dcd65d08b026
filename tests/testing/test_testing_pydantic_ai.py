"""pydantic-ai's OpenAI Chat, OpenAI Responses and Anthropic models run against the server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import httpx2
import pytest
from pydantic import BaseModel
from pydantic_ai import Agent
from pydantic_ai.models import Model
from pydantic_ai.models.anthropic import AnthropicModel
from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel
from pydantic_ai.providers.anthropic import AnthropicProvider
from pydantic_ai.providers.openai import OpenAIProvider

from specloop.testing import ScriptedModelFactory, ScriptedModelServer

pytest_plugins = ["specloop.testing.pytest_plugin"]

MakeModel = Callable[[str, ScriptedModelServer], Model]


class City(BaseModel):
    name: str
    population: int


@pytest.fixture
def make_model() -> Iterator[MakeModel]:
    """Models whose HTTP clients are closed on the loop `run_sync` used, so nothing leaks."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # run_sync runs on the thread's current loop
    clients: list[httpx2.AsyncClient] = []

    def make(kind: str, server: ScriptedModelServer) -> Model:
        http = httpx2.AsyncClient()
        clients.append(http)
        if kind.startswith("anthropic"):
            provider = AnthropicProvider(base_url=server.base_url, api_key="x", http_client=http)
            # With a large max_tokens pydantic-ai streams behind the scenes (the SDK insists),
            # as it does by default for real Claude models: both Messages paths get exercised.
            tokens = 64000 if kind == "anthropic-stream" else 1024
            return AnthropicModel("scripted", provider=provider, settings={"max_tokens": tokens})
        openai = OpenAIProvider(base_url=server.openai_base_url, api_key="x", http_client=http)
        if kind == "chat":
            return OpenAIChatModel("scripted", provider=openai)
        return OpenAIResponsesModel("scripted", provider=openai)

    yield make
    for http in clients:
        loop.run_until_complete(http.aclose())
    loop.close()
    asyncio.set_event_loop(None)


KINDS = ["chat", "responses", "anthropic", "anthropic-stream"]


@pytest.mark.parametrize("kind", KINDS)
def test_structured_output_through_the_final_result_tool(
    kind: str, scripted_model: ScriptedModelFactory, make_model: MakeModel
) -> None:
    server = scripted_model(
        [{"tool_call": {"name": "final_result", "arguments": {"name": "Paris", "population": 2}}}]
    )
    agent = Agent(make_model(kind, server), output_type=City)
    result = agent.run_sync("Which city?")
    assert result.output == City(name="Paris", population=2)
    [logged] = server.requests
    assert logged.status == 200
    tools = logged.body["tools"]
    names = [t.get("name") or t.get("function", {}).get("name") for t in tools]
    assert names == ["final_result"]
    assert bool(logged.body.get("stream")) is (kind == "anthropic-stream")


@pytest.mark.parametrize("kind", KINDS)
def test_tool_calling_agent_round_trips_the_history(
    kind: str, scripted_model: ScriptedModelFactory, make_model: MakeModel
) -> None:
    server = scripted_model(
        [
            {"tool_call": {"name": "read_file", "arguments": {"path": "src/app.py"}}},
            # Matches only if the tool's result came back in the next request.
            {"when": {"contains": "CONTENT-OF-src/app.py"}, "reply": "The file says hello."},
        ]
    )
    agent = Agent(make_model(kind, server))
    seen: list[str] = []

    @agent.tool_plain
    def read_file(path: str) -> str:
        """Read a file."""
        seen.append(path)
        return f"CONTENT-OF-{path}"

    result = agent.run_sync("Read src/app.py")
    assert result.output == "The file says hello."
    assert seen == ["src/app.py"]
    assert [r.step for r in server.requests] == [0, 1]
    assert server.remaining() == 0


@pytest.mark.parametrize("kind", KINDS)
def test_usage_means_the_same_on_every_wire(
    kind: str, scripted_model: ScriptedModelFactory, make_model: MakeModel
) -> None:
    server = scripted_model(
        [{"reply": "ok", "usage": {"input_tokens": 120, "output_tokens": 40, "cached_tokens": 20}}]
    )
    result = Agent(make_model(kind, server)).run_sync("hi")
    usage = result.usage
    assert (usage.input_tokens, usage.output_tokens, usage.cache_read_tokens) == (120, 40, 20)


def test_streamed_chat_run_reports_usage(
    scripted_model: ScriptedModelFactory, make_model: MakeModel
) -> None:
    server = scripted_model([{"reply": "streamed answer " * 8}])
    agent = Agent(make_model("chat", server))
    with agent.run_stream_sync("hi") as stream:
        text = stream.get_output()
    assert text == "streamed answer " * 8
    assert server.requests[0].body["stream_options"] == {"include_usage": True}
