"""Pieces shared by the three wire renderers: SSE framing, ids, text splitting, errors."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from typing import Any, Literal

Wire = Literal["openai", "anthropic"]

# Anthropic's documented error types by status; OpenAI uses the same words for `type`.
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


@dataclass(frozen=True)
class Context:
    """What a renderer needs to know about the request it answers."""

    n: int  # the request's number in arrival order, used to make unique ids
    model: str  # echoed back: the server accepts any model string
    created: int = field(default_factory=lambda: int(time.time()))

    def id(self, prefix: str, *parts: int) -> str:
        """A readable id unique to this request (and item), e.g. `call_scripted_3_0`."""
        return "_".join([prefix, "scripted", str(self.n), *map(str, parts)])


def json_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON, as the real APIs send it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sse(data: Any, event: str | None = None) -> bytes:
    """One server-sent event: an optional `event:` line, a `data:` line, a blank line.

    JSON never contains a raw newline, so a single `data:` line always suffices.
    """
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


def fragments(text: str) -> list[str]:
    """Split text into a bounded number of pieces, so streaming clients must reassemble.

    Pieces are at least 16 characters and there are at most 64 of them, which keeps a
    long apply_patch body from turning into thousands of events.
    """
    if not text:
        return []
    size = max(16, math.ceil(len(text) / 64))
    return [text[i : i + size] for i in range(0, len(text), size)]


def error_type(status: int) -> str:
    """The conventional error `type` word for an HTTP status."""
    if status in _ERROR_TYPES:
        return _ERROR_TYPES[status]
    return "api_error" if status >= 500 else "invalid_request_error"


def error_body(wire: Wire, status: int, message: str) -> dict[str, Any]:
    """The error JSON each provider sends, so SDKs surface `message` in their exceptions."""
    kind = error_type(status)
    if wire == "anthropic":
        return {"type": "error", "error": {"type": kind, "message": message}}
    return {"error": {"message": message, "type": kind, "param": None, "code": kind}}
