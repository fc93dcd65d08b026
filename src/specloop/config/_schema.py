"""The one table of configuration keys, and turning raw values into checked ones.

``SCHEMA`` drives everything else: defaults, reading the file, reading the
environment, the ``specloop init`` template and ``Config.entries()``. Adding a key is
one row here plus the matching field on ``Config``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from specloop.config._errors import shown

CONFIG_RELPATH = Path(".specloop/config.toml")

PROVIDER_NAMES: tuple[str, ...] = ("openai", "anthropic", "ollama", "openai-compatible")
AUTONOMY_LEVELS: tuple[str, ...] = ("gated", "verified", "full")
NAMED_EXECUTORS: tuple[str, ...] = ("builtin", "codex", "claude", "aider")

Kind = Literal["str", "optional_str", "int", "str_list"]
ConfigValue = str | int | float | tuple[str, ...] | None
"""The Python type of any configuration value (after checking)."""


class BadValue(Exception):
    """A raw value that does not fit its key; the loader adds where it came from."""

    def __init__(self, got: str, item: int | None = None) -> None:
        super().__init__(got)
        self.got = got  # already rendered with `shown`, safe to print
        self.item = item  # 0-based index of the offending list item, if any


@dataclass(frozen=True)
class Key:
    """One configuration key: where it lives, its type, default, check and help."""

    section: str
    name: str
    attr: str  # the Config field that holds it
    kind: Kind
    default: ConfigValue
    expect: str  # what a valid value (or list item) is, finishing "must be ..."
    help: str  # one line for the template
    check: Callable[[str], bool] | None = None  # strings and list items
    low: int = 1  # ints only: inclusive bounds
    high: int | None = None
    example: str | None = None  # TOML text shown commented out when the default is unset

    @property
    def dotted(self) -> str:
        """``section.name``, as in sources, entries and error messages."""
        return f"{self.section}.{self.name}"

    @property
    def env_var(self) -> str:
        """``SPECLOOP_<SECTION>_<KEY>``, upper-cased."""
        return f"SPECLOOP_{self.section}_{self.name}".upper()


def is_model_string(text: str) -> bool:
    """``PROVIDER:MODEL`` with a known provider and a non-blank model name."""
    provider, sep, model = text.partition(":")
    # Models may contain ':' themselves (ollama's "qwen2.5-coder:7b"): split once.
    return bool(sep) and provider in PROVIDER_NAMES and bool(model) and model == model.strip()


def _is_executor(text: str) -> bool:
    if text in NAMED_EXECUTORS:
        return True
    return text.startswith("cmd:") and bool(text[4:].strip())


def _is_nonblank(text: str) -> bool:
    return bool(text.strip())


def _is_autonomy(text: str) -> bool:
    return text in AUTONOMY_LEVELS


def is_inside_path(text: str) -> bool:
    """A non-empty relative path that stays inside the project root."""
    if not text or "\0" in text:
        return False
    parts = text.replace("\\", "/").split("/")
    # "/x", "\\x" and Windows "C:..." are all absolute somewhere; refuse them everywhere
    # so a config written on one OS means the same on another.
    if parts[0] == "" or (len(parts[0]) >= 2 and parts[0][1] == ":"):
        return False
    depth = 0
    for part in parts:
        if part == "..":
            depth -= 1
            if depth < 0:
                return False
        elif part not in ("", "."):
            depth += 1
    return True


_MODEL = "PROVIDER:MODEL with PROVIDER one of " + ", ".join(PROVIDER_NAMES)
_PATH = "a relative path inside the project (not absolute, not leaving it with ..)"


def _number(
    section: str,
    name: str,
    default: int,
    help: str,
    *,
    low: int = 1,
    high: int | None = None,
    attr: str | None = None,
) -> Key:
    """An int key from ``low`` (to ``high``); the expectation text follows from the bounds."""
    expect = f"a whole number from {low} to {high}" if high else f"a whole number of at least {low}"
    return Key(section, name, attr or name, "int", default, expect, help, low=low, high=high)


def _text(
    section: str,
    name: str,
    default: str | tuple[str, ...] | None,
    check: Callable[[str], bool],
    expect: str,
    help: str,
    *,
    attr: str | None = None,
    example: str | None = None,
) -> Key:
    """A string key: optional when the default is None, a list when it is a tuple."""
    kind: Kind = "str"
    if default is None:
        kind = "optional_str"
    elif isinstance(default, tuple):
        kind = "str_list"
    return Key(section, name, attr or name, kind, default, expect, help, check, example=example)


_EXECUTOR = "one of " + ", ".join(NAMED_EXECUTORS) + ", or cmd:COMMAND with a non-empty COMMAND"
_AUTONOMY = "one of " + ", ".join(AUTONOMY_LEVELS)
SANDBOX_MODES = ("required", "optional", "off")
_SANDBOX = "one of " + ", ".join(SANDBOX_MODES)


def _is_sandbox_mode(value: str) -> bool:
    return value in SANDBOX_MODES


# One row per key, in the order `config show` and the template list them.
# fmt: off
SCHEMA: tuple[Key, ...] = (
    _text("roles", "planner", None, is_model_string, _MODEL,
          "Model that drafts the spec, AGENTS.md and tasks. Unset by default.",
          example='"openai:gpt-5"'),
    _text("roles", "executor", None, is_model_string, _MODEL,
          "Model the builtin executor runs on. Unset by default.",
          attr="executor_model", example='"anthropic:claude-sonnet-4-6"'),
    _text("roles", "reviewers", (), is_model_string, _MODEL,
          "Models that review each diff; none by default."),
    _text("run", "executor", "builtin", _is_executor, _EXECUTOR,
          "Who types the code: builtin, codex, claude, aider, or cmd:COMMAND."),
    _text("run", "autonomy", "gated", _is_autonomy, _AUTONOMY,
          "gated: a human approves every merge; verified: merge what passes; full: also retry."),
    _number("run", "parallel", 1, "How many tasks run at the same time (1 to 64).", high=64),
    _number("run", "timeout", 1800, "Seconds one attempt may take before it is stopped."),
    _number("run", "max_attempts", 3, "Attempts per task before it waits for a human."),
    _text("run", "sandbox", "required", _is_sandbox_mode, _SANDBOX,
          "required: refuse to run without bubblewrap; optional: warn and run unsandboxed; off."),
    _text("paths", "spec", "SPEC.md", is_inside_path, _PATH,
          "The spec, relative to the project root.", attr="spec_path"),
    _text("paths", "tasks", "tasks", is_inside_path, _PATH,
          "Directory of task files.", attr="tasks_dir"),
    _text("paths", "plans", "plans", is_inside_path, _PATH,
          "Directory of ExecPlans.", attr="plans_dir"),
    _text("checks", "test_command", None, _is_nonblank, "a non-empty command",
          'Command the built-in criterion "All tests pass" runs. Unset by default.',
          example='"pytest -q"'),
    _number("checks", "diff_budget", 800, "Most changed lines one attempt may produce."),
    _number("models", "timeout", 120, "Seconds one model request may take before it is retried.",
            attr="model_timeout"),
    _number("models", "max_retries", 3, "Retries of a model request after HTTP 429, 5xx or a timeout.",
            low=0, high=10, attr="model_max_retries"),
)
# fmt: on

SECTIONS: tuple[str, ...] = tuple(dict.fromkeys(key.section for key in SCHEMA))
KEYS_BY_SECTION: dict[str, dict[str, Key]] = {
    section: {key.name: key for key in SCHEMA if key.section == section} for section in SECTIONS
}

# [providers.NAME] tables hold per-provider settings; NAME is free, the keys are fixed.
PROVIDERS_SECTION = "providers"
PROVIDER_KEYS: tuple[str, ...] = ("base_url",)
URL_EXPECT = "an http:// or https:// URL"


def provider_env_var(provider: str) -> str:
    """``SPECLOOP_PROVIDERS_<NAME>_BASE_URL`` for one of the known provider names."""
    return f"SPECLOOP_PROVIDERS_{provider.upper().replace('-', '_')}_BASE_URL"


def is_url(text: str) -> bool:
    """An http(s) URL with something after the scheme and no whitespace."""
    low = text.lower()
    for scheme in ("http://", "https://"):
        if low.startswith(scheme):
            rest = text[len(scheme) :]
            return bool(rest) and not any(ch.isspace() for ch in rest)
    return False


# [prices."PROVIDER:MODEL"] tables: US dollars per million tokens, overriding the
# built-in price table of specloop.models. The keys are fixed; input and output are required.
PRICES_SECTION = "prices"
PRICE_KEYS: tuple[str, ...] = ("input", "cached_input", "output")
PRICE_REQUIRED: tuple[str, ...] = ("input", "output")
PRICE_EXPECT = "a number of US dollars per million tokens, at least 0"


def price_dotted(label: str, name: str | None = None) -> str:
    """``prices."openai:gpt-5".input``: labels hold ':' and '.', so they are always quoted."""
    quoted = '"' + label.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"prices.{quoted}" if name is None else f"prices.{quoted}.{name}"


KNOWN_ENV_VARS: tuple[str, ...] = tuple(key.env_var for key in SCHEMA) + tuple(
    provider_env_var(name) for name in PROVIDER_NAMES
)


def _checked_str(key: Key, text: str, item: int | None = None) -> str:
    if key.check is not None and not key.check(text):
        raise BadValue(shown(text), item)
    return text


def _checked_int(key: Key, number: int) -> int:
    if number < key.low or (key.high is not None and number > key.high):
        raise BadValue(shown(number))
    return number


def from_toml(key: Key, raw: object) -> ConfigValue:
    """The checked value of ``key`` from what tomllib parsed; raises ``BadValue``."""
    if key.kind == "int":
        # bool is an int subclass in Python, but `parallel = true` is a mistake.
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise BadValue(shown(raw))
        return _checked_int(key, raw)
    if key.kind == "str_list":
        if not isinstance(raw, list):
            raise BadValue(shown(raw))
        items: list[str] = []
        for index, item in enumerate(raw):
            if not isinstance(item, str):
                raise BadValue(shown(item), index)
            items.append(_checked_str(key, item, index))
        return tuple(items)
    if not isinstance(raw, str):
        raise BadValue(shown(raw))
    if key.kind == "optional_str" and raw == "":
        # `planner = ""` reads as "unset", the same as an empty environment variable.
        return None
    return _checked_str(key, raw)


def from_env(key: Key, text: str) -> ConfigValue:
    """The checked value of ``key`` from a non-empty, stripped environment value."""
    if key.kind == "int":
        # isdigit() alone would accept "²" and friends, which int() rejects.
        # The length cap keeps int() away from its 4300-digit ValueError.
        if not (text.isascii() and text.isdigit()) or len(text) > 18:
            raise BadValue(shown(text))
        return _checked_int(key, int(text))
    if key.kind == "str_list":
        items = [item.strip() for item in text.split(",")]
        return tuple(_checked_str(key, item, index) for index, item in enumerate(items) if item)
    return _checked_str(key, text)
