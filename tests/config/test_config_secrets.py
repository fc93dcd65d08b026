"""Secrets never come from config.toml, and error messages never repeat them."""

from __future__ import annotations

from pathlib import Path

import pytest

from specloop.config import CONFIG_RELPATH, ConfigError, load_config

SHOWN = ".specloop/config.toml"
OPENAI_KEY = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0" * 2
ANTHROPIC_KEY = "sk-ant-api03-" + "Zz9Yy8Xx7Ww6Vv5Uu4Tt" * 2
AWS_ID = "AKIA" + "IOSFODNN7EXAMPLE"


def load_error(root: Path, text: str, env: dict[str, str] | None = None) -> ConfigError:
    path = root / CONFIG_RELPATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(root, env={} if env is None else env)
    return info.value


@pytest.mark.parametrize(
    ("text", "name", "line", "hint"),
    [
        ('[roles]\nplanner = "openai:gpt-5"\nopenai_api_key = "x"\n', "openai_api_key", 3,
         "OPENAI_API_KEY"),
        ('anthropic_api_key = "x"\n', "anthropic_api_key", 1, "ANTHROPIC_API_KEY"),
        ('[providers.anthropic]\nbase_url = "http://x"\nkey = "x"\n', "key", 3,
         "ANTHROPIC_API_KEY"),
        ('[providers.ollama]\nApiKey = "x"\n', "ApiKey", 2, "OLLAMA_API_KEY"),
        ('[run]\ngithub_token = "x"\n', "github_token", 2, "e.g."),
        ('[checks]\nSECRET = 1\n', "SECRET", 2, "e.g."),
        ('[paths]\ndb_password = "x"\n', "db_password", 2, "e.g."),
        ('[unknown_section]\nauth = { token = "x" }\n', "token", 2, "e.g."),
    ],
)  # fmt: skip
def test_secret_looking_key_is_refused(
    tmp_path: Path, text: str, name: str, line: int, hint: str
) -> None:
    error = load_error(tmp_path, text)
    assert error.line == line
    message = str(error)
    assert message.startswith(f"{SHOWN}:{line}: `{name}` looks like a secret; ")
    assert "specloop never reads secrets from config.toml" in message
    assert "set it in the environment" in message
    assert hint in message
    assert '"x"' not in message


def test_the_documented_secret_message(tmp_path: Path) -> None:
    error = load_error(tmp_path, '[roles]\nopenai_api_key = "sk-whatever"\n')
    assert str(error) == (
        ".specloop/config.toml:2: `openai_api_key` looks like a secret; specloop never reads"
        " secrets from config.toml — set it in the environment (e.g. OPENAI_API_KEY)"
    )
    assert error.key == "roles.openai_api_key"


@pytest.mark.parametrize(
    ("text", "secret", "line", "key"),
    [
        (f'[roles]\nplanner = "{OPENAI_KEY}"\n', OPENAI_KEY, 2, "roles.planner"),
        (f'[roles]\nreviewers = ["{ANTHROPIC_KEY}"]\n', ANTHROPIC_KEY, 2, "roles.reviewers"),
        (f'[checks]\n\ntest_command = "{AWS_ID}"\n', AWS_ID, 3, "checks.test_command"),
        (f'[checks]\ntest_command = "K={OPENAI_KEY} pytest"\n', OPENAI_KEY, 2,
         "checks.test_command"),
        (f'[whatever]\nnote = "{OPENAI_KEY}"\n', OPENAI_KEY, 2, "whatever.note"),
        (f'[run]\nparallel = "{OPENAI_KEY}"\n', OPENAI_KEY, 2, "run.parallel"),
        ('[run]\nexecutor = "sk-short"\n', "sk-short", 2, "run.executor"),
        (f'[roles]\n"{OPENAI_KEY}" = 1\n', OPENAI_KEY, 2, "roles"),
    ],
)  # fmt: skip
def test_secret_looking_value_is_refused_without_echoing_it(
    tmp_path: Path, text: str, secret: str, line: int, key: str
) -> None:
    error = load_error(tmp_path, text)
    message = str(error)
    assert secret not in message
    assert secret[:12] not in message
    assert error.line == line
    assert error.key == key
    assert message.startswith(f"{SHOWN}:{line}: ")
    assert "looks like an API key" in message
    assert "specloop never reads secrets from config.toml" in message


def test_anthropic_value_suggests_the_anthropic_variable(tmp_path: Path) -> None:
    error = load_error(tmp_path, f'[roles]\nplanner = "{ANTHROPIC_KEY}"\n')
    assert "ANTHROPIC_API_KEY" in str(error)


def test_secrets_are_checked_before_anything_else(tmp_path: Path) -> None:
    # An unknown section and a bad value come earlier in the file, but the secret wins,
    # so no other message can show it.
    text = f'[bogus]\nx = 1\n[run]\nautonomy = "yolo"\n[roles]\nplanner = "{OPENAI_KEY}"\n'
    error = load_error(tmp_path, text)
    assert error.key == "roles.planner"
    assert OPENAI_KEY not in str(error)


def test_secret_in_a_syntax_error_file_is_not_echoed(tmp_path: Path) -> None:
    error = load_error(tmp_path, f'[roles]\nplanner = "{OPENAI_KEY}\n')
    assert error.line == 2
    assert OPENAI_KEY not in str(error)


@pytest.mark.parametrize("value", [OPENAI_KEY, f"cmd:run --key {ANTHROPIC_KEY}", AWS_ID])
def test_secret_looking_env_value_is_refused_without_echoing_it(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, env={"SPECLOOP_RUN_EXECUTOR": value})
    message = str(info.value)
    assert message.startswith("SPECLOOP_RUN_EXECUTOR: ")
    assert "looks like an API key" in message
    assert value not in message
    assert info.value.key == "run.executor"


def test_ordinary_values_are_not_mistaken_for_secrets(tmp_path: Path) -> None:
    path = tmp_path / CONFIG_RELPATH
    path.parent.mkdir()
    path.write_text(
        '[roles]\nplanner = "openai:gpt-5-task-sk-1"\n'
        "[checks]\ntest_command = \"pytest -q -k 'not sk-short'\"\n"
        '[paths]\nspec = "docs/risk-notes.md"\n',
        encoding="utf-8",
    )
    config = load_config(tmp_path, env={})
    assert config.test_command == "pytest -q -k 'not sk-short'"
