"""scrubbed_env: secrets out, the basics in, `keep` and `extra` honoured."""

from __future__ import annotations

import pytest

from specloop.sandbox import is_secret_name, scrubbed_env

BASE = {
    "PATH": "/usr/bin:/bin",
    "HOME": "/home/dev",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "TERM": "xterm",
    "USER": "dev",
    "VIRTUAL_ENV": "/repo/.venv",
    "OPENAI_API_KEY": "sk-x",
    "ANTHROPIC_API_KEY": "sk-ant-x",
    "AWS_SECRET_ACCESS_KEY": "x",
    "AWS_PROFILE": "prod",
    "GITHUB_TOKEN": "ghp_x",
    "GH_HOST": "example.com",
    "SSH_AUTH_SOCK": "/tmp/agent",
    "DATABASE_URL": "postgres://u:p@h/db",
    "npm_config__authToken": "x",
    "MY_SERVICE_PASSWORD": "x",
    "GOOGLE_APPLICATION_CREDENTIALS": "/k.json",
    "SENTRY_DSN": "https://x@sentry",
}


def test_drops_secrets_and_keeps_the_basics() -> None:
    env = scrubbed_env(BASE)
    assert env == {
        "PATH": "/usr/bin:/bin",
        "HOME": "/home/dev",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TERM": "xterm",
        "USER": "dev",
        "VIRTUAL_ENV": "/repo/.venv",
    }


def test_keep_puts_back_named_variables_and_extra_wins() -> None:
    env = scrubbed_env(
        BASE,
        keep=["OPENAI_API_KEY", "NOT_SET_ANYWHERE"],
        extra={"SPECLOOP_TASK_ID": "0x01", "PATH": "/opt/bin"},
    )
    assert env["OPENAI_API_KEY"] == "sk-x"
    assert "NOT_SET_ANYWHERE" not in env
    assert "GITHUB_TOKEN" not in env and "AWS_SECRET_ACCESS_KEY" not in env
    assert env["SPECLOOP_TASK_ID"] == "0x01"
    assert env["PATH"] == "/opt/bin"


def test_base_is_not_modified() -> None:
    base = dict(BASE)
    scrubbed_env(base, extra={"X": "1"})
    assert base == BASE


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("OPENAI_API_KEY", True),
        ("openai_api_key", True),
        ("AZURE_OPENAI_ENDPOINT", True),
        ("GCP_PROJECT", True),
        ("SLACK_BOT_TOKEN", True),
        ("SESSION_COOKIE", True),
        ("HTTP_PROXY", False),
        ("CARGO_HOME", False),
        ("PWD", False),
        ("LC_CTYPE", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret
