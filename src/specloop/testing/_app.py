"""Routing and answers, free of sockets: a request in, an `Outgoing` answer out.

Routes match on the path suffix (query strings ignored), so a base URL with any prefix,
such as `http://127.0.0.1:PORT/err500/v1`, still reaches the right endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from specloop.testing import _render_chat, _render_messages, _render_responses
from specloop.testing._match import ScriptCursor, Taken, request_text, rough_token_count
from specloop.testing._script import Script, Step
from specloop.testing._wire import Context, Wire, error_body, json_bytes

PREFIX = "specloop scripted model"
_JSON = "application/json"
_SSE = "text/event-stream; charset=utf-8"


@dataclass(frozen=True)
class Outgoing:
    """An answer: JSON/empty `body`, or SSE `events` written and flushed one by one."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    events: tuple[bytes, ...] | None = None
    delay: float = 0.0  # seconds to wait before answering (from the script)
    step: int | None = None  # index of the script step that answered, if any


def parse_body(raw: bytes) -> Any:
    """The request body as JSON if it is JSON, else as text; None when empty."""
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


class App:
    """Answers requests from a script; safe to call from many handler threads at once."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.cursor = ScriptCursor(script)

    def handle(self, method: str, target: str, body: Any, n: int) -> Outgoing:
        """Route one request. `target` is the request path with its query string."""
        path = urlsplit(target).path.rstrip("/") or "/"
        if method == "HEAD":  # Claude Code's preflight; answer any base URL
            return Outgoing(200, (("Content-Type", _JSON),))
        if method == "GET" and path.endswith("/models"):
            return _json(200, _models(), n, "openai")
        if method == "POST":
            if path.endswith("/chat/completions"):
                return self._model(body, n, path, "openai", self._chat)
            if path.endswith("/responses"):
                return self._model(body, n, path, "openai", self._responses)
            if path.endswith("/messages/count_tokens"):
                if not isinstance(body, dict):
                    return _error(
                        400, "anthropic", f"{PREFIX}: the request body is not a JSON object", n
                    )
                count = rough_token_count(request_text(body))
                return _json(200, {"input_tokens": count}, n, "anthropic")
            if path.endswith("/messages"):
                return self._model(body, n, path, "anthropic", self._messages)
        wire: Wire = "anthropic" if "/messages" in path else "openai"
        return _error(404, wire, f"{PREFIX}: no route for {method} {path}", n)

    def _model(
        self,
        body: Any,
        n: int,
        path: str,
        wire: Wire,
        render: Callable[[Step, Context, dict[str, Any]], Outgoing],
    ) -> Outgoing:
        if not isinstance(body, dict):
            return _error(400, wire, f"{PREFIX}: the request body is not a JSON object", n)
        taken = self.cursor.take(request_text(body))
        step = taken.step
        if step is None:
            return _ran_out(taken, wire, path, n)
        if step.error is not None:
            failure = step.error
            headers = (*_request_id(wire, n), *failure.headers)
            if failure.body is None:
                message = f"{PREFIX}: scripted HTTP {failure.status} error"
                payload, kind = json_bytes(error_body(wire, failure.status, message)), _JSON
            elif isinstance(failure.body, str):
                payload = failure.body.encode("utf-8")
                kind = _JSON if _is_json(failure.body) else "text/plain; charset=utf-8"
            else:
                payload, kind = json_bytes(failure.body), _JSON
            return Outgoing(
                failure.status,
                (("Content-Type", kind), *headers),
                payload,
                delay=step.delay,
                step=step.index,
            )
        model = body.get("model")
        ctx = Context(n=n, model=model if isinstance(model, str) and model else "scripted")
        answer = render(step, ctx, body)
        return Outgoing(
            answer.status,
            answer.headers,
            answer.body,
            answer.events,
            delay=step.delay,
            step=step.index,
        )

    @staticmethod
    def _chat(step: Step, ctx: Context, body: dict[str, Any]) -> Outgoing:
        if body.get("stream") is True:
            options = body.get("stream_options")
            include = isinstance(options, dict) and options.get("include_usage") is True
            return _stream(_render_chat.chunks(step, ctx, include_usage=include), ctx.n, "openai")
        return _json(200, _render_chat.completion(step, ctx), ctx.n, "openai")

    @staticmethod
    def _responses(step: Step, ctx: Context, body: dict[str, Any]) -> Outgoing:
        if body.get("stream") is True:
            return _stream(_render_responses.events(step, ctx), ctx.n, "openai")
        return _json(200, _render_responses.response(step, ctx), ctx.n, "openai")

    @staticmethod
    def _messages(step: Step, ctx: Context, body: dict[str, Any]) -> Outgoing:
        if body.get("stream") is True:
            return _stream(_render_messages.events(step, ctx), ctx.n, "anthropic")
        return _json(200, _render_messages.message(step, ctx), ctx.n, "anthropic")


def _request_id(wire: Wire, n: int) -> tuple[tuple[str, str], ...]:
    # The SDKs keep this header on responses and errors (`_request_id`, `request_id`).
    name = "request-id" if wire == "anthropic" else "x-request-id"
    return ((name, f"req_scripted_{n}"),)


def _json(status: int, value: Any, n: int, wire: Wire) -> Outgoing:
    return Outgoing(status, (("Content-Type", _JSON), *_request_id(wire, n)), json_bytes(value))


def _stream(events: list[bytes], n: int, wire: Wire) -> Outgoing:
    headers = (("Content-Type", _SSE), ("Cache-Control", "no-cache"), *_request_id(wire, n))
    return Outgoing(200, headers, events=tuple(events))


def _error(status: int, wire: Wire, message: str, n: int) -> Outgoing:
    return _json(status, error_body(wire, status, message), n, wire)


def _ran_out(taken: Taken, wire: Wire, path: str, n: int) -> Outgoing:
    message = (
        f"{PREFIX}: the script ran out after {taken.served_before} requests (request: POST {path})"
    )
    if taken.waiting:
        wanted = "; ".join(repr(list(step.when)) for step in taken.waiting)
        message += f"; {len(taken.waiting)} step(s) wait for a request containing {wanted}"
    answer = _error(500, wire, message, n)
    # Running out is not transient: tell the SDKs (they honour x-should-retry) not to retry.
    return Outgoing(answer.status, (*answer.headers, ("x-should-retry", "false")), answer.body)


def _models() -> dict[str, Any]:
    # Shaped for both SDKs: OpenAI reads object/owned_by, Anthropic type/display_name.
    model = {
        "id": "scripted",
        "object": "model",
        "created": 0,
        "owned_by": "specloop",
        "type": "model",
        "display_name": "specloop scripted model",
        "created_at": "1970-01-01T00:00:00Z",
    }
    return {
        "object": "list",
        "data": [model],
        "has_more": False,
        "first_id": "scripted",
        "last_id": "scripted",
    }


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
