"""Building a pydantic-ai model for a ModelSpec. Provider code is imported here, on first use.

Each call gets its own SDK client (``openai.AsyncOpenAI`` or ``anthropic.AsyncAnthropic``)
configured with specloop's timeout and retry bound, handed to the pydantic-ai provider,
and closed when the call ends: a client never outlives the event loop it ran on, so a
ModelClient may be used from any thread.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from specloop.models._spec import ModelSpec, endpoint

if TYPE_CHECKING:
    from pydantic_ai.models import Model

# OpenAI's SDK insists on a key; local and compatible servers that need none get this.
_NO_KEY = "no-key-needed"

OutputMode = Literal["tool", "prompted"]


def output_mode(provider: str) -> OutputMode:
    """How structured output is asked for on ``provider``.

    OpenAI and Anthropic: pydantic-ai's default tool output (a ``final_result`` tool the
    model must call), which both APIs enforce. Ollama and other OpenAI-compatible
    servers: prompted output (the JSON schema in the instructions, the reply parsed as
    JSON), because servers differ in support for ``tool_choice: "required"`` and for
    ``response_format`` JSON schemas, while every one of them can return text. The
    repair rounds catch what a weaker model gets wrong.
    """
    return "tool" if provider in ("openai", "anthropic") else "prompted"


@dataclass(frozen=True)
class BuiltModel:
    """A ready pydantic-ai model and the coroutine that closes its HTTP client."""

    model: Model
    aclose: Callable[[], Awaitable[None]]


def build_model(
    spec: ModelSpec, *, api_key: str | None, timeout: float, max_retries: int
) -> BuiltModel:
    """A pydantic-ai model for ``spec`` whose SDK client retries and times out as asked.

    The SDK retries 408/409/429/5xx answers, refused connections and timeouts up to
    ``max_retries`` times with exponential backoff (honouring ``Retry-After``);
    ``timeout`` bounds each HTTP request. The key is passed explicitly, so the SDKs never
    fall back to ``os.environ``.
    """
    if spec.provider == "anthropic":
        return _anthropic(spec, api_key=api_key, timeout=timeout, max_retries=max_retries)
    return _openai_shaped(spec, api_key=api_key, timeout=timeout, max_retries=max_retries)


def _anthropic(
    spec: ModelSpec, *, api_key: str | None, timeout: float, max_retries: int
) -> BuiltModel:
    from anthropic import AsyncAnthropic
    from pydantic_ai.models.anthropic import AnthropicModel
    from pydantic_ai.providers.anthropic import AnthropicProvider

    client = AsyncAnthropic(
        api_key=api_key or _NO_KEY,
        base_url=endpoint(spec),
        timeout=timeout,
        max_retries=max_retries,
    )
    model = AnthropicModel(spec.name, provider=AnthropicProvider(anthropic_client=client))
    return BuiltModel(model, client.close)


def _openai_shaped(
    spec: ModelSpec, *, api_key: str | None, timeout: float, max_retries: int
) -> BuiltModel:
    if spec.provider not in ("openai", "ollama", "openai-compatible"):
        raise ValueError(f"unknown provider {spec.provider!r}")
    from openai import AsyncOpenAI
    from pydantic_ai.models.openai import OpenAIChatModel

    client = AsyncOpenAI(
        api_key=api_key or _NO_KEY,
        base_url=endpoint(spec),
        timeout=timeout,
        max_retries=max_retries,
    )
    if spec.provider == "openai":
        from pydantic_ai.providers.openai import OpenAIProvider

        model = OpenAIChatModel(spec.name, provider=OpenAIProvider(openai_client=client))
    elif spec.provider == "ollama":
        from pydantic_ai.providers.ollama import OllamaProvider

        model = OpenAIChatModel(spec.name, provider=OllamaProvider(openai_client=client))
    else:
        from pydantic_ai.profiles import ModelProfile
        from pydantic_ai.providers.openai_compatible import OpenAICompatibleProvider

        # No response_format at all: some compatible servers reject "json_object", and the
        # prompt already carries the schema. Ollama keeps pydantic-ai's json_object mode,
        # which it supports and which helps small local models stay on JSON.
        provider = OpenAICompatibleProvider(
            "openai-compatible",
            openai_client=client,
            profile=ModelProfile(supports_json_object_output=False),
        )
        model = OpenAIChatModel(spec.name, provider=provider)
    return BuiltModel(model, client.close)
