"""Model strings, resolving a role to a model, open_model, and the import-time promise."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from specloop.config import Config, load_config
from specloop.models import (
    OLLAMA_DEFAULT_BASE_URL,
    ModelClient,
    ModelSpec,
    NoModelConfigured,
    parse_model_string,
    resolve_model,
    resolve_role,
)
from specloop.models import open_model as open_model_

KEYS = {"OPENAI_API_KEY": "sk-test-openai-123456", "ANTHROPIC_API_KEY": "sk-ant-test-654321"}


def config(tmp_path: Path, toml: str = "", env: dict[str, str] | None = None) -> Config:
    if toml:
        path = tmp_path / ".specloop" / "config.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(toml, encoding="utf-8")
    return load_config(tmp_path, env=env or {})


# -- parse_model_string -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "provider", "name"),
    [
        ("openai:gpt-5", "openai", "gpt-5"),
        ("anthropic:claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5"),
        ("ollama:qwen2.5-coder:7b", "ollama", "qwen2.5-coder:7b"),
        ("openai-compatible:meta/llama-3.1-70b", "openai-compatible", "meta/llama-3.1-70b"),
    ],
)
def test_parse_model_string(text: str, provider: str, name: str) -> None:
    spec = parse_model_string(text)
    assert spec == ModelSpec(provider, name, None)
    assert spec.label == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gpt-5", "must be written PROVIDER:MODEL"),
        ("", "must be written PROVIDER:MODEL"),
        ("azure:gpt-5", "unknown provider 'azure'"),
        ("OpenAI:gpt-5", "unknown provider 'OpenAI'"),
        ("openai:", "has no model name"),
        ("openai:   ", "has no model name"),
        ("openai: gpt-5", "whitespace"),
        ("openai:gpt-5\n", "whitespace"),
    ],
)
def test_parse_model_string_rejects_bad_shapes(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_model_string(text)


def test_a_bad_provider_lists_the_known_ones() -> None:
    with pytest.raises(ValueError) as info:
        parse_model_string("azure:gpt-5")
    assert "openai, anthropic, ollama, openai-compatible" in str(info.value)


def test_model_spec_is_frozen_and_hashable() -> None:
    spec = ModelSpec("openai", "gpt-5")
    with pytest.raises(FrozenInstanceError):
        spec.name = "x"  # type: ignore[misc]
    assert {spec: 1}[ModelSpec("openai", "gpt-5", None)] == 1


# -- resolve_role -------------------------------------------------------------------------


def test_unset_role_says_how_to_configure_one(tmp_path: Path) -> None:
    with pytest.raises(NoModelConfigured) as info:
        resolve_role(config(tmp_path), "planner", KEYS)
    assert str(info.value) == (
        "no model configured for the planner: set roles.planner in .specloop/config.toml"
        ' (e.g. "openai:gpt-5") or SPECLOOP_ROLES_PLANNER, and put its key in the environment'
        ' (OPENAI_API_KEY or ANTHROPIC_API_KEY); for a local model use "ollama:llama3.1".'
        " `specloop demo` runs without any model."
    )
    assert info.value.role == "planner"
    assert info.value.stage is None


@pytest.mark.parametrize(
    ("role", "key", "var"),
    [
        ("executor", "roles.executor", "SPECLOOP_ROLES_EXECUTOR"),
        ("reviewer", "roles.reviewers", "SPECLOOP_ROLES_REVIEWERS"),
    ],
)
def test_other_unset_roles_name_their_settings(
    tmp_path: Path, role: str, key: str, var: str
) -> None:
    with pytest.raises(NoModelConfigured) as info:
        resolve_role(config(tmp_path), role, KEYS)  # type: ignore[arg-type]
    assert f"no model configured for the {role}: set {key}" in str(info.value)
    assert var in str(info.value)
    assert "`specloop demo` runs without any model." in str(info.value)


@pytest.mark.parametrize(
    ("model", "var"),
    [("openai:gpt-5", "OPENAI_API_KEY"), ("anthropic:claude-sonnet-4-5", "ANTHROPIC_API_KEY")],
)
def test_missing_key_names_the_variable(tmp_path: Path, model: str, var: str) -> None:
    cfg = config(tmp_path, env={"SPECLOOP_ROLES_PLANNER": model})
    for env in ({}, {var: ""}, {var: "   "}, {"SOME_OTHER_KEY": "x"}):
        with pytest.raises(NoModelConfigured) as info:
            resolve_role(cfg, "planner", env)
        assert f"set {var} in the environment" in str(info.value)
        assert model in str(info.value)
        assert info.value.env_var == var


def test_the_other_providers_key_does_not_count(tmp_path: Path) -> None:
    cfg = config(tmp_path, env={"SPECLOOP_ROLES_PLANNER": "anthropic:claude-sonnet-4-5"})
    with pytest.raises(NoModelConfigured, match="ANTHROPIC_API_KEY"):
        resolve_role(cfg, "planner", {"OPENAI_API_KEY": "sk-test-openai-123456"})


def test_openai_compatible_needs_a_base_url(tmp_path: Path) -> None:
    cfg = config(tmp_path, env={"SPECLOOP_ROLES_EXECUTOR": "openai-compatible:house"})
    with pytest.raises(NoModelConfigured) as info:
        resolve_role(cfg, "executor", {})
    message = str(info.value)
    assert "[providers.openai-compatible]" in message
    assert "base_url" in message
    assert "SPECLOOP_PROVIDERS_OPENAI_COMPATIBLE_BASE_URL" in message


def test_openai_compatible_with_a_base_url_and_no_key(tmp_path: Path) -> None:
    cfg = config(
        tmp_path,
        '[roles]\nexecutor = "openai-compatible:house"\n'
        '[providers.openai-compatible]\nbase_url = "https://llm.example.com/v1"\n',
    )
    spec = resolve_role(cfg, "executor", {})
    assert spec == ModelSpec("openai-compatible", "house", "https://llm.example.com/v1")


def test_ollama_needs_no_key_and_has_a_default_url(tmp_path: Path) -> None:
    cfg = config(tmp_path, env={"SPECLOOP_ROLES_PLANNER": "ollama:llama3.1"})
    assert resolve_role(cfg, "planner", {}) == ModelSpec(
        "ollama", "llama3.1", OLLAMA_DEFAULT_BASE_URL
    )
    assert OLLAMA_DEFAULT_BASE_URL == "http://127.0.0.1:11434/v1"
    moved = config(
        tmp_path,
        env={
            "SPECLOOP_ROLES_PLANNER": "ollama:llama3.1",
            "SPECLOOP_PROVIDERS_OLLAMA_BASE_URL": "http://gpu-box:11434/v1",
        },
    )
    assert resolve_role(moved, "planner", {}).base_url == "http://gpu-box:11434/v1"


def test_provider_base_url_overrides_the_endpoint(tmp_path: Path) -> None:
    cfg = config(
        tmp_path,
        '[roles]\nplanner = "openai:gpt-5"\nreviewers = ["anthropic:claude-haiku-4-5"]\n'
        '[providers.openai]\nbase_url = "http://127.0.0.1:8000/v1"\n'
        '[providers.anthropic]\nbase_url = "http://127.0.0.1:8001"\n',
    )
    assert resolve_role(cfg, "planner", KEYS) == ModelSpec(
        "openai", "gpt-5", "http://127.0.0.1:8000/v1"
    )
    assert resolve_role(cfg, "reviewer", KEYS) == ModelSpec(
        "anthropic", "claude-haiku-4-5", "http://127.0.0.1:8001"
    )
    # A base URL does not make the key optional for openai/anthropic.
    with pytest.raises(NoModelConfigured, match="OPENAI_API_KEY"):
        resolve_role(cfg, "planner", {})


def test_reviewer_is_the_first_of_the_reviewers(tmp_path: Path) -> None:
    cfg = config(tmp_path, env={"SPECLOOP_ROLES_REVIEWERS": "openai:gpt-5,ollama:qwen3"})
    assert resolve_role(cfg, "reviewer", KEYS).label == "openai:gpt-5"
    # The others are resolved one by one with the same rules.
    assert resolve_model(cfg, cfg.reviewers[1], role="reviewer", env={}).base_url == (
        OLLAMA_DEFAULT_BASE_URL
    )


def test_resolve_model_turns_a_bad_string_into_no_model_configured(tmp_path: Path) -> None:
    with pytest.raises(NoModelConfigured, match="unknown provider"):
        resolve_model(config(tmp_path), "azure:gpt-5", role="reviewer", env=KEYS)


def test_no_model_configured_never_shows_a_key(tmp_path: Path) -> None:
    cfg = config(tmp_path, env={"SPECLOOP_ROLES_PLANNER": "anthropic:claude-sonnet-4-5"})
    with pytest.raises(NoModelConfigured) as info:
        resolve_role(cfg, "planner", {"OPENAI_API_KEY": "sk-test-openai-123456"})
    assert "sk-test" not in str(info.value)


# -- open_model ---------------------------------------------------------------------------


def test_open_model_builds_a_client_with_config_prices(tmp_path: Path) -> None:
    cfg = config(
        tmp_path,
        '[roles]\nplanner = "openai:gpt-5"\n'
        '[prices."openai:gpt-5"]\ninput = 1.0\noutput = 2.0\n'
        '[prices."ollama:llama3.1"]\ninput = 0\noutput = 0\n',
    )
    client = open_model_(cfg, "planner", KEYS)
    assert isinstance(client, ModelClient)
    assert client.spec == ModelSpec("openai", "gpt-5")
    assert client.role == "planner"
    assert client.label == "openai:gpt-5"
    # Config prices win over the built-in ones; the others stay.
    assert client.prices.cost("openai:gpt-5", input_tokens=10**6, output_tokens=10**6) == 3.0
    assert client.prices.cost("ollama:llama3.1", input_tokens=5, output_tokens=5) == 0.0
    assert client.prices.cost("anthropic:claude-sonnet-4-5", input_tokens=0, output_tokens=0) == 0
    assert "sk-test" not in repr(client)


def test_open_model_raises_when_unconfigured(tmp_path: Path) -> None:
    with pytest.raises(NoModelConfigured):
        open_model_(config(tmp_path), "executor", KEYS)


def test_model_client_checks_the_key_itself() -> None:
    with pytest.raises(NoModelConfigured, match="ANTHROPIC_API_KEY"):
        ModelClient(ModelSpec("anthropic", "claude-sonnet-4-5"), role="reviewer", env={})


# -- import time --------------------------------------------------------------------------


def test_importing_specloop_models_loads_no_provider_code() -> None:
    code = (
        "import sys, specloop.models\n"
        "heavy = ('openai', 'anthropic', 'pydantic_ai', 'pydantic', 'httpx', 'httpx2',"
        " 'genai_prices')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
