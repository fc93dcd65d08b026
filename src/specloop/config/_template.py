"""The commented ``config.toml`` that ``specloop init`` writes, generated from SCHEMA."""

from __future__ import annotations

from specloop.config._schema import (
    PROVIDER_NAMES,
    SCHEMA,
    SECTIONS,
    ConfigValue,
    provider_env_var,
)

_HEADER = """\
# specloop configuration, written by `specloop init`; edit freely.
#
# Every setting is shown with its default. A line "# key = ..." is an unset setting
# with an example value: remove the "# " to set it.
# Environment variables override this file: SPECLOOP_<SECTION>_<KEY>, for example
# SPECLOOP_RUN_AUTONOMY=full, or SPECLOOP_ROLES_REVIEWERS=openai:gpt-5,ollama:qwen3
# (lists are comma-separated).
# API keys never go here (this file is committed): set OPENAI_API_KEY,
# ANTHROPIC_API_KEY, ... in the environment."""

# Keyed by section; a section without an entry simply gets no introduction.
_SECTION_HELP = {
    "roles": (
        "Which model plays each role, written PROVIDER:MODEL, where PROVIDER is one of\n"
        "# " + ", ".join(PROVIDER_NAMES) + "."
    ),
    "run": "How tasks are executed.",
    "paths": "Where the artifacts live, relative to the project root.",
    "checks": "The deterministic checks every attempt must pass.",
    "models": "How model calls behave: per-request timeout and bounded retries with backoff.",
}

_PROVIDERS_HELP = f"""\
# Per-provider settings, one table per provider name. base_url points a provider at
# a local server or any OpenAI-compatible endpoint (environment:
# {provider_env_var("ollama")}, ...).
# [providers.ollama]
# base_url = "http://localhost:11434/v1"
# [providers.openai-compatible]
# base_url = "https://llm.example.com/v1\""""


# One inline table per model label; the label is quoted because it holds ':' and '.'.
_PRICES_HELP = """\
# Prices in US dollars per million tokens, for the cost of each model call in the
# ledger. They override specloop's built-in prices; a model priced in neither place
# gets an unknown cost (never zero). cached_input is optional.
# [prices]
# "openai:gpt-5" = { input = 1.25, cached_input = 0.125, output = 10.0 }"""


def _toml_string(text: str) -> str:
    out = ['"']
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _toml_value(value: ConfigValue) -> str:
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_string(item) for item in value) + "]"
    return str(value)


def default_config_toml() -> str:
    """The commented template ``specloop init`` writes; it loads back to the defaults."""
    parts = [_HEADER]
    for section in SECTIONS:
        lines = [f"[{section}]"]
        if section in _SECTION_HELP:
            lines.insert(0, f"# {_SECTION_HELP[section]}")
        for key in SCHEMA:
            if key.section != section:
                continue
            lines.append(f"# {key.help}")
            if key.default is None:
                # Unset keys are shown commented out, so the file still means "unset".
                lines.append(f"# {key.name} = {key.example or _toml_string('')}")
            else:
                lines.append(f"{key.name} = {_toml_value(key.default)}")
        parts.append("\n".join(lines))
    parts.append(_PROVIDERS_HELP)
    parts.append(_PRICES_HELP)
    return "\n\n".join(parts) + "\n"
