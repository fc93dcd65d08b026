"""Which step answers a request: the request's text and the thread-safe script cursor."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from specloop.testing._script import Script, Step

# Keys whose values carry what the model reads, across the three wire formats:
# Chat `messages[].content` / tool `content`, Responses `instructions` / `input[]` /
# `output` of tool results, Anthropic `system` / `messages[].content[].text` /
# `tool_result.content`, and the arguments of earlier tool calls in the history.
_TEXT_KEYS = (
    "system",
    "instructions",
    "messages",
    "input",
    "content",
    "text",
    "output",
    "tool_calls",
    "function",
    "arguments",
)


def request_text(body: Any) -> str:
    """All the text a request shows the model, joined by newlines (for `when: contains`)."""
    if isinstance(body, str):
        return body
    return "\n".join(_strings(body))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key in _TEXT_KEYS:
            if key not in value:
                continue
            inner = value[key]
            if key in ("input", "arguments") and isinstance(inner, dict):
                # An Anthropic tool_use `input` is an object of arbitrary keys: keep it whole.
                yield json.dumps(inner, ensure_ascii=False)
            else:
                yield from _strings(inner)


def rough_token_count(text: str) -> int:
    """About four characters a token, at least one: enough for a count_tokens answer."""
    return max(1, (len(text) + 3) // 4)


@dataclass(frozen=True)
class Taken:
    """The outcome of asking the cursor for a step."""

    step: Step | None
    served_before: int  # requests answered from the script before this one
    waiting: tuple[Step, ...]  # unconsumed `when` steps that did not match (for messages)


class ScriptCursor:
    """Consumes steps under a lock, so concurrent requests never share or skip one."""

    def __init__(self, script: Script) -> None:
        self._script = script
        self._consumed: set[int] = set()
        self._served = 0
        self._lock = threading.Lock()

    def take(self, text: str) -> Taken:
        """The first unconsumed step whose `when` matches, else the first without `when`."""
        with self._lock:
            open_steps = [s for s in self._script.steps if s.index not in self._consumed]
            chosen = next((s for s in open_steps if s.when and s.matches(text)), None)
            if chosen is None:
                chosen = next((s for s in open_steps if not s.when), None)
            served = self._served
            if chosen is None:
                return Taken(None, served, tuple(open_steps))
            if not chosen.repeat:
                self._consumed.add(chosen.index)
            self._served += 1
            return Taken(chosen, served, ())

    def remaining(self) -> int:
        """Unconsumed steps, not counting `repeat` steps (they are never used up)."""
        with self._lock:
            return sum(
                1 for s in self._script.steps if not s.repeat and s.index not in self._consumed
            )
