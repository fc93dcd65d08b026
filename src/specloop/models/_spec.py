"""Which model plays a role: ``PROVIDER:MODEL`` strings, base URLs and API keys.

Everything here is cheap and imports no provider code: a command that needs a model
can fail fast, with a message naming the setting or variable, before anything loads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from specloop.config import PROVIDER_NAMES
from specloop.models._errors import NoModelConfigured

if TYPE_CHECKING:
    from specloop.config import Config

Role = Literal["planner", "executor", "reviewer"]

OLLAMA_DEFAULT_BASE_URL = "http://127.0.0.1:11434/v1"
OPENAI_BASE_URL = "https://api.openai.com/v1"
ANTHROPIC_BASE_URL = "https://api.anthropic.com"

# The variable that holds each provider's key. Only these are read, and only from the
# mapping the caller passes (never os.environ directly, never a file).
KEY_VARS: Mapping[str, str] = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "openai-compatible": "OPENAI_COMPATIBLE_API_KEY",
}
# Providers that cannot work without their key (a local or compatible server may not need one).
KEY_REQUIRED: frozenset[str] = frozenset({"openai", "anthropic"})

_DEMO = "`specloop demo` runs without any model."
_CONFIG_FILE = ".specloop/config.toml"

# role -> (config key, environment variable, example value as written in TOML)
_ROLE_SETTINGS: Mapping[str, tuple[str, str, str]] = {
    "planner": ("roles.planner", "SPECLOOP_ROLES_PLANNER", '"openai:gpt-5"'),
    "executor": ("roles.executor", "SPECLOOP_ROLES_EXECUTOR", '"anthropic:claude-sonnet-4-6"'),
    "reviewer": ("roles.reviewers", "SPECLOOP_ROLES_REVIEWERS", '["openai:gpt-5"]'),
}


@dataclass(frozen=True)
class ModelSpec:
    """A model: its provider, its name at that provider, and the endpoint when not the default.

    ``base_url`` is None for OpenAI and Anthropic's own endpoints; ``ollama`` and
    ``openai-compatible`` models always have one once resolved.
    """

    provider: str
    name: str
    base_url: str | None = None

    @property
    def label(self) -> str:
        """``PROVIDER:MODEL``, as in the config, the ledger and the price table."""
        return f"{self.provider}:{self.name}"


def endpoint(spec: ModelSpec) -> str:
    """The base URL requests for ``spec`` go to (the provider's own when none is set).

    Anthropic's has no ``/v1`` (clients append ``/v1/messages``); OpenAI's ends in ``/v1``.
    """
    if spec.base_url is not None:
        return spec.base_url
    return ANTHROPIC_BASE_URL if spec.provider == "anthropic" else OPENAI_BASE_URL


def parse_model_string(text: str) -> ModelSpec:
    """``"openai:gpt-5"`` -> ``ModelSpec("openai", "gpt-5", None)``; ValueError on a bad shape.

    The model part may itself contain ``:`` (``ollama:qwen2.5-coder:7b``).
    """
    if not isinstance(text, str):
        raise ValueError(f"a model must be a string PROVIDER:MODEL, got {type(text).__name__}")
    known = ", ".join(PROVIDER_NAMES)
    provider, sep, name = text.partition(":")
    shown = _shown(text)
    if not sep:
        raise ValueError(
            f'model {shown} must be written PROVIDER:MODEL (e.g. "openai:gpt-5"),'
            f" with PROVIDER one of {known}"
        )
    if provider not in PROVIDER_NAMES:
        raise ValueError(f"unknown provider {_shown(provider)} in model {shown}; known: {known}")
    if not name.strip():
        raise ValueError(f"model {shown} has no model name after {provider}:")
    if name != name.strip() or any(ch in name for ch in "\r\n\t"):
        raise ValueError(f"model {shown} has whitespace around or inside the model name")
    return ModelSpec(provider, name)


def resolve_role(config: Config, role: Role, env: Mapping[str, str]) -> ModelSpec:
    """The model that plays ``role``, with its endpoint, after checking its key is set.

    The reviewer is the first of ``config.reviewers``. Raises NoModelConfigured when the
    role has no model, its key is missing from ``env``, or an ``openai-compatible``
    model has no base URL.
    """
    if role == "planner":
        text = config.planner
    elif role == "executor":
        text = config.executor_model
    elif role == "reviewer":
        text = config.reviewers[0] if config.reviewers else None
    else:
        raise ValueError(f"unknown role {role!r}; roles: planner, executor, reviewer")
    if text is None:
        raise NoModelConfigured(_unset_message(role), role=role)
    return resolve_model(config, text, role=role, env=env)


def resolve_model(config: Config, text: str, *, role: Role, env: Mapping[str, str]) -> ModelSpec:
    """Like ``resolve_role`` for a model string given directly (e.g. the second reviewer)."""
    try:
        spec = parse_model_string(text)
    except ValueError as exc:  # config validates model strings, so only a caller's own text
        raise NoModelConfigured(f"the {role} model is not usable: {exc}", role=role) from None
    provider_config = config.providers.get(spec.provider)
    base_url = provider_config.base_url if provider_config is not None else None
    if spec.provider == "ollama" and base_url is None:
        base_url = OLLAMA_DEFAULT_BASE_URL
    if spec.provider == "openai-compatible" and base_url is None:
        raise NoModelConfigured(
            f"the {role} model {spec.label} needs a base URL: set base_url in"
            f' [providers.openai-compatible] of {_CONFIG_FILE} (e.g. "https://llm.example.com/v1")'
            " or SPECLOOP_PROVIDERS_OPENAI_COMPATIBLE_BASE_URL",
            role=role,
            env_var="SPECLOOP_PROVIDERS_OPENAI_COMPATIBLE_BASE_URL",
        )
    spec = ModelSpec(spec.provider, spec.name, base_url)
    require_key(spec, role=role, env=env)
    return spec


def require_key(spec: ModelSpec, *, role: str, env: Mapping[str, str]) -> None:
    """Raise NoModelConfigured naming the variable when ``spec`` needs a key ``env`` lacks."""
    var = KEY_VARS.get(spec.provider)
    if spec.provider in KEY_REQUIRED and var is not None and not env.get(var, "").strip():
        raise NoModelConfigured(
            f"the {role} model {spec.label} needs an API key: set {var} in the environment"
            f" (specloop never reads keys from files). {_DEMO}",
            role=role,
            env_var=var,
        )


def api_key(spec: ModelSpec, env: Mapping[str, str]) -> str | None:
    """The key for ``spec`` from ``env``, stripped; None when its provider has none set."""
    var = KEY_VARS.get(spec.provider)
    value = env.get(var, "").strip() if var is not None else ""
    return value or None


def known_secrets(env: Mapping[str, str]) -> tuple[str, ...]:
    """Every key value in ``env`` that must never be shown, longest first.

    Values shorter than 6 characters are left out: replacing them would garble every
    message, and no real key is that short.
    """
    values = {env.get(var, "").strip() for var in KEY_VARS.values()}
    return tuple(sorted((v for v in values if len(v) >= 6), key=len, reverse=True))


def _unset_message(role: str) -> str:
    key, var, example = _ROLE_SETTINGS[role]
    return (
        f"no model configured for the {role}: set {key} in {_CONFIG_FILE} (e.g. {example})"
        f" or {var}, and put its key in the environment (OPENAI_API_KEY or"
        ' ANTHROPIC_API_KEY); for a local model use "ollama:llama3.1". ' + _DEMO
    )


def _shown(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:60] + "...")
