"""Reading the outcome of a model run: repairs, raw output, error text without secrets."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic_ai.messages import ModelMessage


_MAX_DETAIL = 200
_REDACTED = "[redacted]"
_KEY_LIKE = re.compile(r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_*.\-]{4,}")


def _feedback(problems: Sequence[str]) -> str:
    lines = "\n".join(f"- {problem}" for problem in problems)
    return (
        "The output parsed, but it has these problems:\n"
        f"{lines}\n"
        "Fix every problem and send the whole output again."
    )


_MODEL_STACK = frozenset(
    {"pydantic_ai", "pydantic_graph", "openai", "anthropic", "httpx", "httpx2"}
)


def _from_the_model_stack(exc: BaseException) -> bool:
    """Whether ``exc`` was raised by pydantic-ai, a provider SDK or their HTTP client."""
    return type(exc).__module__.split(".")[0] in _MODEL_STACK


def _answered(messages: Sequence[ModelMessage]) -> bool:
    """Whether the model sent at least one response (so its usage is worth recording)."""
    from pydantic_ai.messages import ModelResponse

    return any(isinstance(message, ModelResponse) for message in messages)


def _repairs(messages: Sequence[ModelMessage]) -> int:
    """How many times feedback was sent back: one per request carrying a retry part."""
    from pydantic_ai.messages import ModelRequest

    count = 0
    for message in messages:
        if isinstance(message, ModelRequest) and any(
            getattr(part, "retry", None) is not None for part in message.parts
        ):
            count += 1
    return count


def _raw_output(messages: Sequence[ModelMessage]) -> str:
    """The last reply as the model sent it: its output-tool arguments and/or its text."""
    from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart

    for message in reversed(messages):
        if isinstance(message, ModelResponse):
            pieces: list[str] = []
            for part in message.parts:
                if isinstance(part, ToolCallPart):
                    args = part.args
                    pieces.append(args if isinstance(args, str) else part.args_as_json_str())
                elif isinstance(part, TextPart):
                    pieces.append(part.content)
            return "\n".join(pieces)
    return ""


def _errors_of(exc: BaseException, problems: list[str] | None) -> list[str]:
    """The problems of the last output, one line each, from the cause pydantic-ai kept."""
    from pydantic import ValidationError
    from pydantic_ai import ModelRetry
    from pydantic_ai.exceptions import ToolRetryError

    seen: set[int] = set()
    current: BaseException | None = exc.__cause__ or exc.__context__
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ModelRetry):
            return list(problems) if problems else [current.message]
        if isinstance(current, ValidationError):
            return [_error_line(error) for error in current.errors(include_url=False)]
        if isinstance(current, ToolRetryError):
            content = current.tool_retry.content
            if isinstance(content, list):
                return [_error_line(error) for error in content]
            return [str(content)]
        current = current.__cause__ or current.__context__
    message = getattr(exc, "message", None) or str(exc)
    return [str(message)]


def _error_line(error: Any) -> str:
    if not isinstance(error, Mapping):
        return str(error)
    loc = ".".join(str(part) for part in error.get("loc", ()) if part != "__root__")
    message = str(error.get("msg", error))
    return f"{loc}: {message}" if loc else message


def _detail(body: object, secrets: Sequence[str]) -> str:
    """The provider's own error message from an HTTP error body, scrubbed and cut."""
    text: object = body
    if isinstance(body, Mapping):
        inner = body.get("error")
        if isinstance(inner, Mapping):
            text = inner.get("message") or inner.get("type") or ""
        elif isinstance(inner, str):
            text = inner
        else:
            text = body.get("message") or ""
    if text is None:
        return ""
    if not isinstance(text, str):
        text = json.dumps(text, default=str)
    cleaned = _KEY_LIKE.sub("sk-" + _REDACTED, _replace_secrets(text, secrets))
    return _cut(" ".join(cleaned.split()), _MAX_DETAIL)


def _replace_secrets(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, _REDACTED)
    return text


def _retryable(status: int) -> bool:
    # The statuses the openai and anthropic SDKs retry.
    return status in (408, 409, 429) or status >= 500


def _attempts(count: int) -> str:
    return f"{count} attempt{'s' if count != 1 else ''}"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
