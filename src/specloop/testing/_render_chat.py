"""OpenAI Chat Completions: a `chat.completion` object, or `chat.completion.chunk` SSE.

Streaming follows the real API: `data:` lines only (no `event:` names), a usage chunk
with empty `choices` only when `stream_options.include_usage` is true (Aider never asks
for it), then `data: [DONE]`.
"""

from __future__ import annotations

from typing import Any

from specloop.testing._script import Step, ToolCall
from specloop.testing._wire import Context, fragments, sse


def _usage(step: Step) -> dict[str, Any]:
    usage = step.usage
    return {
        "prompt_tokens": usage.input_tokens,
        "completion_tokens": usage.output_tokens,
        "total_tokens": usage.input_tokens + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }


def _call_id(call: ToolCall, ctx: Context, i: int) -> str:
    return call.id or ctx.id("call", i)


def _finish_reason(step: Step) -> str:
    return "tool_calls" if step.tool_calls else "stop"


def completion(step: Step, ctx: Context) -> dict[str, Any]:
    """The non-streaming answer."""
    message: dict[str, Any] = {
        "role": "assistant",
        "content": None if step.tool_calls else step.text,
        "refusal": None,
        "annotations": [],
    }
    if step.tool_calls:
        message["tool_calls"] = [
            {
                "id": _call_id(call, ctx, i),
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments_json},
            }
            for i, call in enumerate(step.tool_calls)
        ]
    return {
        "id": ctx.id("chatcmpl"),
        "object": "chat.completion",
        "created": ctx.created,
        "model": ctx.model,
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": _finish_reason(step),
            }
        ],
        "usage": _usage(step),
    }


def chunks(step: Step, ctx: Context, *, include_usage: bool) -> list[bytes]:
    """The streaming answer, one SSE event per chunk, ending with `data: [DONE]`."""

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
        body: dict[str, Any] = {
            "id": ctx.id("chatcmpl"),
            "object": "chat.completion.chunk",
            "created": ctx.created,
            "model": ctx.model,
            "system_fingerprint": None,
            "choices": [
                {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            ],
        }
        if include_usage:  # the real API then puts `usage: null` on every ordinary chunk
            body["usage"] = None
        return sse(body)

    events: list[bytes] = []
    if step.tool_calls:
        events.append(chunk({"role": "assistant", "content": None, "refusal": None}))
        for i, call in enumerate(step.tool_calls):
            head = {
                "index": i,
                "id": _call_id(call, ctx, i),
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            events.append(chunk({"tool_calls": [head]}))
            for piece in fragments(call.arguments_json):
                events.append(
                    chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
                )
    else:
        events.append(chunk({"role": "assistant", "content": "", "refusal": None}))
        events.extend(chunk({"content": piece}) for piece in fragments(step.text))
    events.append(chunk({}, _finish_reason(step)))
    if include_usage:
        events.append(
            sse(
                {
                    "id": ctx.id("chatcmpl"),
                    "object": "chat.completion.chunk",
                    "created": ctx.created,
                    "model": ctx.model,
                    "system_fingerprint": None,
                    "choices": [],
                    "usage": _usage(step),
                }
            )
        )
    events.append(sse("[DONE]"))
    return events
