"""The script of the scripted model server: parsing and validation of its steps.

A script is a list of steps; each step answers one model request. Validation happens
once, at load time, so a typo in a test's script fails with the step number instead of
turning into a confusing reply in the middle of a run.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from specloop._yaml import load_strict

_ACTIONS = ("reply", "tool_call", "tool_calls", "error")
_STEP_KEYS = frozenset({*_ACTIONS, "delay", "when", "usage", "repeat"})
_TOOL_KEYS = frozenset({"name", "arguments", "input", "id"})
_ERROR_KEYS = frozenset({"status", "body", "headers"})
_USAGE_KEYS = ("input_tokens", "output_tokens", "cached_tokens")


class ScriptError(ValueError):
    """A script that cannot be used; the message names the file and the step number."""

    def __init__(self, message: str, *, source: str = "<script>", step: int | None = None) -> None:
        where = source if step is None else f"{source}: step {step}"
        super().__init__(f"{where}: {message}")
        self.source = source
        self.step = step  # 1-based, as a person counts the steps of the file


@dataclass(frozen=True)
class Usage:
    """Token counts reported for one reply.

    `input_tokens` is the whole prompt and `cached_tokens` the part of it read from a
    cache (the OpenAI convention). The Anthropic renderer subtracts the cached part,
    because Anthropic's `input_tokens` excludes cache reads; clients then compute the
    same totals whichever wire they speak.
    """

    input_tokens: int = 11
    output_tokens: int = 7
    cached_tokens: int = 0


@dataclass(frozen=True)
class ToolCall:
    """One tool call: JSON `arguments` (function tool) or a freeform `input` (custom tool)."""

    name: str
    arguments: str  # the JSON text sent on the wire (verbatim when the script gave a string)
    input: str | None = None  # set for a freeform/custom tool call such as Codex's apply_patch
    id: str | None = None  # call id; the server invents one per request when absent

    @property
    def arguments_json(self) -> str:
        """Arguments as a JSON string; a custom tool's input becomes `{"input": ...}`."""
        if self.input is not None:
            return json.dumps({"input": self.input}, ensure_ascii=False, separators=(",", ":"))
        return self.arguments

    @property
    def arguments_object(self) -> Any:
        """Arguments as an object, for wires (Anthropic) whose tool input must be one."""
        try:
            value = json.loads(self.arguments_json)
        except ValueError:
            value = None
        # A script may give deliberately broken argument text; keep it visible, wrapped.
        return value if isinstance(value, dict) else {"input": self.arguments_json}


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error answer; `body` None means "the wire's usual error JSON"."""

    status: int
    body: Any = None
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Step:
    """One parsed step. `index` is its 0-based position in the script's list."""

    index: int
    kind: Literal["reply", "tool_calls", "error"]
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    error: ErrorReply | None = None
    when: tuple[str, ...] = ()  # every string must occur in the request's text
    delay: float = 0.0
    usage: Usage = Usage()
    repeat: bool = False

    def matches(self, request_text: str) -> bool:
        """Whether this step's `when` accepts a request with this text."""
        return all(needle in request_text for needle in self.when)


@dataclass(frozen=True)
class Script:
    """Immutable parsed steps. Consumption state lives in the server, so one script can
    drive several servers."""

    steps: tuple[Step, ...]
    source: str = "<script>"

    @classmethod
    def from_steps(cls, steps: Sequence[Mapping[str, Any]], *, source: str = "<script>") -> Script:
        """Validate and parse a list of step mappings; raise `ScriptError` on the first problem."""
        if isinstance(steps, str | bytes | Mapping) or not isinstance(steps, Sequence):
            raise ScriptError(
                f"a script is a list of steps, not {type(steps).__name__}", source=source
            )
        parsed: list[Step] = []
        pending_delay = 0.0
        pending_number: int | None = None
        for index, raw in enumerate(steps):
            number = index + 1
            if not isinstance(raw, Mapping):
                raise ScriptError(
                    f"a step is a mapping, not {type(raw).__name__}", source=source, step=number
                )
            step = _parse_step(raw, index, source)
            if step is None:  # a standalone delay: it waits before answering the next step
                pending_delay += _delay(raw["delay"], source, number)
                pending_number = number
                continue
            if pending_delay:
                step = replace(step, delay=step.delay + pending_delay)
            pending_delay, pending_number = 0.0, None
            parsed.append(step)
        if pending_number is not None:
            raise ScriptError(
                "a delay step must be followed by the step it delays",
                source=source,
                step=pending_number,
            )
        return cls(tuple(parsed), source)

    def __len__(self) -> int:
        return len(self.steps)


def load_script(path: Path) -> Script:
    """Read a YAML (or `.json`) script file; problems raise `ScriptError` naming the file."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScriptError(f"cannot read the script: {exc}", source=source) from None
    try:
        data = json.loads(text) if Path(path).suffix == ".json" else load_strict(text)
    except json.JSONDecodeError as exc:
        raise ScriptError(f"invalid JSON at line {exc.lineno}: {exc.msg}", source=source) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f" at line {mark.line + 1}" if mark else ""
        raise ScriptError(f"invalid YAML{line}: {exc.problem}", source=source) from None
    except yaml.YAMLError as exc:
        raise ScriptError(f"invalid YAML: {exc}", source=source) from None
    if data is None:
        raise ScriptError("the script is empty; it must be a list of steps", source=source)
    return Script.from_steps(data, source=source)


# --- step parsing ---------------------------------------------------------------------

_Fail = Callable[[str], ScriptError]


def _parse_step(raw: Mapping[Any, Any], index: int, source: str) -> Step | None:
    number = index + 1

    def fail(message: str) -> ScriptError:
        return ScriptError(message, source=source, step=number)

    unknown = sorted(str(key) for key in raw if key not in _STEP_KEYS)
    if unknown:
        raise fail(f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(_STEP_KEYS))})")
    actions = [key for key in _ACTIONS if key in raw]
    if len(actions) > 1:
        raise fail(
            f"a step has one of reply/tool_call/tool_calls/error, not {' and '.join(actions)}"
        )
    if not actions:
        if set(raw) == {"delay"}:
            return None
        raise fail("a step needs one of reply, tool_call, tool_calls or error (or only delay)")
    action = actions[0]
    delay = _delay(raw["delay"], source, number) if "delay" in raw else 0.0
    when = _when(raw["when"], fail) if "when" in raw else ()
    repeat = raw.get("repeat", False)
    if not isinstance(repeat, bool):
        raise fail(f"repeat must be true or false, not {repeat!r}")
    if "usage" in raw and action == "error":
        raise fail("usage belongs to a reply or tool step, not an error step")
    usage = _usage(raw["usage"], fail) if "usage" in raw else Usage()
    common: dict[str, Any] = {"index": index, "when": when, "delay": delay, "repeat": repeat}
    value = raw[action]
    if action == "reply":
        if not isinstance(value, str):
            raise fail(f"reply must be a string, not {type(value).__name__} (quote it in YAML)")
        return Step(kind="reply", text=value, usage=usage, **common)
    if action == "error":
        return Step(kind="error", error=_error(value, fail), **common)
    if action == "tool_call":
        calls: tuple[ToolCall, ...] = (_tool_call(value, fail, "tool_call"),)
    else:
        if not isinstance(value, list) or not value:
            raise fail("tool_calls must be a non-empty list of {name, arguments|input}")
        calls = tuple(_tool_call(item, fail, f"tool_calls[{i}]") for i, item in enumerate(value))
    return Step(kind="tool_calls", tool_calls=calls, usage=usage, **common)


def _delay(value: Any, source: str, number: int) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScriptError(
            f"delay must be a number of seconds, not {value!r}", source=source, step=number
        )
    if value < 0:
        raise ScriptError(f"delay must not be negative, got {value!r}", source=source, step=number)
    return float(value)


def _when(value: Any, fail: _Fail) -> tuple[str, ...]:
    if not isinstance(value, Mapping) or set(value) != {"contains"}:
        raise fail("when must be a mapping with one key, contains: TEXT (or a list of texts)")
    needles = value["contains"]
    if isinstance(needles, str):
        needles = [needles]
    if (
        not isinstance(needles, list)
        or not needles
        or not all(isinstance(n, str) and n for n in needles)
    ):
        raise fail(f"when.contains must be a non-empty string or list of strings, not {needles!r}")
    return tuple(needles)


def _usage(value: Any, fail: _Fail) -> Usage:
    if not isinstance(value, Mapping):
        raise fail("usage must be a mapping of input_tokens/output_tokens/cached_tokens")
    unknown = sorted(str(key) for key in value if key not in _USAGE_KEYS)
    if unknown:
        raise fail(f"unknown usage key {unknown[0]!r} (allowed: {', '.join(_USAGE_KEYS)})")
    counts: dict[str, int] = {}
    for key in _USAGE_KEYS:
        if key in value:
            count = value[key]
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise fail(f"usage.{key} must be a whole number >= 0, not {count!r}")
            counts[key] = count
    usage = Usage(**counts)
    if usage.cached_tokens > usage.input_tokens:
        raise fail("usage.cached_tokens is part of input_tokens, so it cannot be larger")
    return usage


def _tool_call(value: Any, fail: _Fail, where: str) -> ToolCall:
    if not isinstance(value, Mapping):
        raise fail(f"{where} must be a mapping with name and arguments or input")
    unknown = sorted(str(key) for key in value if key not in _TOOL_KEYS)
    if unknown:
        raise fail(
            f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(_TOOL_KEYS))})"
        )
    name = value.get("name")
    if not isinstance(name, str) or not name:
        raise fail(f"{where}.name must be a non-empty string")
    if "arguments" in value and "input" in value:
        raise fail(f"{where} has arguments (function tool) or input (custom tool), not both")
    call_id = value.get("id")
    if call_id is not None and (not isinstance(call_id, str) or not call_id):
        raise fail(f"{where}.id must be a non-empty string")
    if "input" in value:
        if not isinstance(value["input"], str):
            raise fail(f"{where}.input must be a string (the custom tool's freeform input)")
        return ToolCall(name=name, arguments="", input=value["input"], id=call_id)
    arguments = value.get("arguments", {})
    if isinstance(arguments, str):
        text = arguments  # sent verbatim: lets a script play a model that writes bad JSON
    elif isinstance(arguments, Mapping):
        try:
            text = json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            raise fail(f"{where}.arguments cannot be written as JSON: {exc}") from None
    else:
        raise fail(f"{where}.arguments must be a mapping (or a JSON string), not {arguments!r}")
    return ToolCall(name=name, arguments=text, id=call_id)


def _error(value: Any, fail: _Fail) -> ErrorReply:
    if isinstance(value, int) and not isinstance(value, bool):
        value = {"status": value}
    if not isinstance(value, Mapping):
        raise fail("error must be a status number or a mapping {status, body, headers}")
    unknown = sorted(str(key) for key in value if key not in _ERROR_KEYS)
    if unknown:
        raise fail(f"error: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(_ERROR_KEYS))})")
    status = value.get("status")
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise fail(f"error.status must be an HTTP error status 400-599, not {status!r}")
    body = value.get("body")
    try:
        json.dumps(body)
    except (TypeError, ValueError) as exc:
        raise fail(f"error.body cannot be written as JSON: {exc}") from None
    headers = value.get("headers", {})
    if not isinstance(headers, Mapping):
        raise fail("error.headers must be a mapping of header name to value")
    pairs: list[tuple[str, str]] = []
    for key, header_value in headers.items():
        if not isinstance(key, str) or not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", key):
            raise fail(f"error.headers: {key!r} is not a header name")
        if isinstance(header_value, bool) or not isinstance(header_value, str | int | float):
            raise fail(f"error.headers.{key} must be a string or number")
        text = str(header_value)
        if "\r" in text or "\n" in text:
            raise fail(f"error.headers.{key} must be one line")
        pairs.append((key, text))
    return ErrorReply(status=status, body=body, headers=tuple(pairs))
