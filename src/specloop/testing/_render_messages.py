"""Anthropic Messages: a message object, or named-event SSE.

Claude Code rejects a Messages stream without `event:` lines ("empty or malformed
response"), so every event carries its name twice: on the `event:` line and as `type`.
"""

from __future__ import annotations

from typing import Any

from specloop.testing._script import Step, ToolCall
from specloop.testing._wire import Context, fragments, sse


def _usage(step: Step, *, output_tokens: int | None = None) -> dict[str, Any]:
    usage = step.usage
    return {
        # Anthropic's input_tokens excludes cache reads; the script's count includes them.
        "input_tokens": usage.input_tokens - usage.cached_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": usage.cached_tokens,
        "output_tokens": usage.output_tokens if output_tokens is None else output_tokens,
    }


def _tool_id(call: ToolCall, ctx: Context, i: int) -> str:
    return call.id or ctx.id("toolu", i)


def _stop_reason(step: Step) -> str:
    return "tool_use" if step.tool_calls else "end_turn"


def _content(step: Step, ctx: Context) -> list[dict[str, Any]]:
    if step.tool_calls:
        return [
            {
                "type": "tool_use",
                "id": _tool_id(call, ctx, i),
                "name": call.name,
                "input": call.arguments_object,
            }
            for i, call in enumerate(step.tool_calls)
        ]
    return [{"type": "text", "text": step.text}]


def message(step: Step, ctx: Context) -> dict[str, Any]:
    """The non-streaming answer."""
    return {
        "id": ctx.id("msg"),
        "type": "message",
        "role": "assistant",
        "model": ctx.model,
        "content": _content(step, ctx),
        "stop_reason": _stop_reason(step),
        "stop_sequence": None,
        "usage": _usage(step),
    }


def events(step: Step, ctx: Context) -> list[bytes]:
    """The streaming answer: message_start, blocks (start/delta/stop), delta, stop."""
    out: list[bytes] = []

    def emit(kind: str, **fields: Any) -> None:
        out.append(sse({"type": kind, **fields}, event=kind))

    start = message(step, ctx) | {
        "content": [],
        "stop_reason": None,
        "usage": _usage(step, output_tokens=0),  # the final count comes in message_delta
    }
    emit("message_start", message=start)
    if step.tool_calls:
        for i, call in enumerate(step.tool_calls):
            block = {
                "type": "tool_use",
                "id": _tool_id(call, ctx, i),
                "name": call.name,
                "input": {},
            }
            emit("content_block_start", index=i, content_block=block)
            # Streamed as text, the script's argument string arrives exactly as written.
            for piece in fragments(call.arguments_json):
                emit(
                    "content_block_delta",
                    index=i,
                    delta={"type": "input_json_delta", "partial_json": piece},
                )
            emit("content_block_stop", index=i)
    else:
        emit("content_block_start", index=0, content_block={"type": "text", "text": ""})
        for piece in fragments(step.text):
            emit("content_block_delta", index=0, delta={"type": "text_delta", "text": piece})
        emit("content_block_stop", index=0)
    emit(
        "message_delta",
        delta={"stop_reason": _stop_reason(step), "stop_sequence": None},
        usage={"output_tokens": step.usage.output_tokens},
    )
    emit("message_stop")
    return out
