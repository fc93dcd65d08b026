"""The init template, entries() and the list of environment variables."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from specloop.config import (
    CONFIG_RELPATH,
    KNOWN_ENV_VARS,
    ConfigEntry,
    default_config_toml,
    load_config,
)
from specloop.config._schema import SCHEMA

SHOWN = ".specloop/config.toml"


def write_config(root: Path, text: str) -> None:
    path = root / CONFIG_RELPATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def values(entries: list[ConfigEntry]) -> list[tuple[str, object]]:
    return [(entry.key, entry.value) for entry in entries]


def test_template_loads_back_to_exactly_the_defaults(tmp_path: Path) -> None:
    defaults = load_config(tmp_path, env={})
    write_config(tmp_path, default_config_toml())
    loaded = load_config(tmp_path, env={})
    assert values(loaded.entries()) == values(defaults.entries())
    assert loaded.providers == {}


def test_template_sets_every_default_from_the_file(tmp_path: Path) -> None:
    write_config(tmp_path, default_config_toml())
    config = load_config(tmp_path, env={})
    for key in SCHEMA:
        source = config.sources[key.dotted]
        if key.default is None:
            assert source == "default", key.dotted  # shown commented out
        else:
            assert re.fullmatch(rf"{re.escape(SHOWN)}:\d+", source), key.dotted


def test_template_shows_every_key_with_a_comment() -> None:
    lines = default_config_toml().splitlines()
    section = ""
    seen: list[str] = []
    for number, line in enumerate(lines):
        header = re.fullmatch(r"(?:# )?\[(.+)\]", line)
        if header:
            section = header.group(1)
            continue
        match = re.fullmatch(r"(?:# )?([a-z_]+) = .+", line)
        if match and not section.startswith("providers"):
            seen.append(f"{section}.{match.group(1)}")
            assert lines[number - 1].startswith("# "), line  # its one-line comment
            assert not re.fullmatch(r"# [a-z_]+ = .*", lines[number - 1])
    assert seen == [key.dotted for key in SCHEMA]


def test_template_examples_are_valid_when_uncommented(tmp_path: Path) -> None:
    # Removing "# " from every example line (including the providers tables) must give
    # a file that loads: the examples teach the right syntax.
    text = re.sub(
        r"^# ((?:\[providers\.[^\]]+\])|(?:[a-z_]+ = .+))$",
        r"\1",
        default_config_toml(),
        flags=re.MULTILINE,
    )
    write_config(tmp_path, text)
    config = load_config(tmp_path, env={})
    assert config.planner is not None
    assert config.executor_model is not None
    assert config.test_command is not None
    assert set(config.providers) == {"ollama", "openai-compatible"}


def test_template_is_plain_toml_without_secrets() -> None:
    text = default_config_toml()
    assert text.endswith("\n")
    parsed = tomllib.loads(text)
    assert set(parsed) == {"roles", "run", "paths", "checks", "models"}
    assert "sk-" not in text
    assert max(len(line) for line in text.splitlines()) <= 100


def test_entries_list_every_key_once_in_schema_order(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        '[run]\nparallel = 3\n[providers.zeta]\nbase_url = "http://z"\n'
        '[providers.alpha]\nbase_url = "https://a"\n',
    )
    entries = load_config(tmp_path, env={"SPECLOOP_RUN_AUTONOMY": "full"}).entries()
    keys = [entry.key for entry in entries]
    assert keys == [key.dotted for key in SCHEMA] + [
        "providers.alpha.base_url",
        "providers.zeta.base_url",
    ]
    assert len(set(keys)) == len(keys)
    by_key = {entry.key: entry for entry in entries}
    assert by_key["run.parallel"] == ConfigEntry("run.parallel", 3, f"{SHOWN}:2")
    assert by_key["run.autonomy"] == ConfigEntry(
        "run.autonomy", "full", "env SPECLOOP_RUN_AUTONOMY"
    )
    assert by_key["run.timeout"] == ConfigEntry("run.timeout", 1800, "default")
    assert by_key["roles.reviewers"].value == ()
    assert by_key["providers.alpha.base_url"].source == f"{SHOWN}:6"


def test_known_env_vars_are_exactly_the_ones_read(tmp_path: Path) -> None:
    assert len(set(KNOWN_ENV_VARS)) == len(KNOWN_ENV_VARS)
    assert all(re.fullmatch(r"SPECLOOP_[A-Z0-9_]+", var) for var in KNOWN_ENV_VARS)
    for key in SCHEMA:
        assert key.env_var in KNOWN_ENV_VARS
    assert "SPECLOOP_PROVIDERS_OPENAI_COMPATIBLE_BASE_URL" in KNOWN_ENV_VARS
    # Each listed variable changes some source when set to a valid value.
    valid = {
        "run.executor": "codex",
        "run.autonomy": "full",
        "paths.spec": "docs/SPEC.md",
        "paths.tasks": "todo",
        "paths.plans": "todo/plans",
        "checks.test_command": "make test",
        "run.sandbox": "optional",
    }
    by_kind = {"int": "2", "str_list": "openai:x", "optional_str": "openai:x"}
    for var in KNOWN_ENV_VARS:
        found = [key for key in SCHEMA if key.env_var == var]
        if found:
            value = valid.get(found[0].dotted) or by_kind[found[0].kind]
        else:  # a provider's base URL
            value = "http://localhost:1"
        config = load_config(tmp_path, env={var: value})
        assert f"env {var}" in config.sources.values(), var
