"""OpenAI Responses: a Response object, or the named-event SSE sequence of the real API.

Codex needs only one `response.output_item.done` per item and a final
`response.completed`; the official SDK's `.stream()` helper additionally needs
`response.created` first and `content_part.added` before text deltas. So the full
sequence is sent, each event with both an `event:` line and a `data:` line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from specloop.testing._script import Step, ToolCall
from specloop.testing._wire import Context, fragments, sse

_Emit = Callable[..., None]


def _usage(step: Step) -> dict[str, Any]:
    usage = step.usage
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_details": {"cached_tokens": usage.cached_tokens},
        "output_tokens": usage.output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": usage.input_tokens + usage.output_tokens,
    }


def _call_item(call: ToolCall, ctx: Context, i: int, *, done: bool) -> dict[str, Any]:
    call_id = call.id or ctx.id("call", i)
    if call.input is not None:  # a freeform custom tool, e.g. Codex's apply_patch
        return {
            "type": "custom_tool_call",
            "id": ctx.id("ctc", i),
            "call_id": call_id,
            "name": call.name,
            "input": call.input if done else "",
        }
    return {
        "type": "function_call",
        "id": ctx.id("fc", i),
        "call_id": call_id,
        "name": call.name,
        "arguments": call.arguments if done else "",
        "status": "completed" if done else "in_progress",
    }


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def _message_item(step: Step, ctx: Context, *, done: bool) -> dict[str, Any]:
    return {
        "type": "message",
        "id": ctx.id("msg"),
        "role": "assistant",
        "status": "completed" if done else "in_progress",
        "content": [_text_part(step.text)] if done else [],
    }


def _output(step: Step, ctx: Context) -> list[dict[str, Any]]:
    if step.tool_calls:
        return [_call_item(call, ctx, i, done=True) for i, call in enumerate(step.tool_calls)]
    return [_message_item(step, ctx, done=True)]


def response(step: Step, ctx: Context, *, done: bool = True) -> dict[str, Any]:
    """The Response object: complete, or the empty in-progress one a stream starts with."""
    return {
        "id": ctx.id("resp"),
        "object": "response",
        "created_at": ctx.created,
        "status": "completed" if done else "in_progress",
        "error": None,
        "incomplete_details": None,
        "instructions": None,
        "max_output_tokens": None,
        "model": ctx.model,
        "output": _output(step, ctx) if done else [],
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "store": False,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": _usage(step) if done else None,
        "metadata": {},
    }


def events(step: Step, ctx: Context) -> list[bytes]:
    """The streaming answer: created, in_progress, per-item events, completed."""
    out: list[bytes] = []

    def emit(kind: str, **fields: Any) -> None:
        out.append(sse({"type": kind, "sequence_number": len(out), **fields}, event=kind))

    emit("response.created", response=response(step, ctx, done=False))
    emit("response.in_progress", response=response(step, ctx, done=False))
    if step.tool_calls:
        for i, call in enumerate(step.tool_calls):
            _call_events(emit, call, ctx, i)
    else:
        _message_events(emit, step, ctx)
    emit("response.completed", response=response(step, ctx))
    return out


def _message_events(emit: _Emit, step: Step, ctx: Context) -> None:
    item_id = ctx.id("msg")
    where = {"item_id": item_id, "output_index": 0, "content_index": 0}
    emit("response.output_item.added", output_index=0, item=_message_item(step, ctx, done=False))
    emit("response.content_part.added", **where, part=_text_part(""))
    for piece in fragments(step.text):
        emit("response.output_text.delta", **where, delta=piece, logprobs=[])
    emit("response.output_text.done", **where, text=step.text, logprobs=[])
    emit("response.content_part.done", **where, part=_text_part(step.text))
    emit("response.output_item.done", output_index=0, item=_message_item(step, ctx, done=True))


def _call_events(emit: _Emit, call: ToolCall, ctx: Context, i: int) -> None:
    started = _call_item(call, ctx, i, done=False)
    where = {"item_id": started["id"], "output_index": i}
    emit("response.output_item.added", output_index=i, item=started)
    if call.input is not None:
        for piece in fragments(call.input):
            emit("response.custom_tool_call_input.delta", **where, delta=piece)
        emit("response.custom_tool_call_input.done", **where, input=call.input)
    else:
        for piece in fragments(call.arguments):
            emit("response.function_call_arguments.delta", **where, delta=piece)
        emit(
            "response.function_call_arguments.done",
            **where,
            name=call.name,
            arguments=call.arguments,
        )
    emit("response.output_item.done", output_index=i, item=_call_item(call, ctx, i, done=True))
