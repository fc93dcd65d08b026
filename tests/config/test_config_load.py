"""load_config: defaults, file values with sources, environment overrides, bad input."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest

from specloop.config import CONFIG_RELPATH, Config, ConfigError, ProviderConfig, load_config

SHOWN = ".specloop/config.toml"


def write_config(root: Path, text: str) -> Path:
    path = root / CONFIG_RELPATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load_error(root: Path, env: dict[str, str] | None = None) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(root, env={} if env is None else env)
    return info.value


def test_defaults_without_a_file(tmp_path: Path) -> None:
    config = load_config(tmp_path, env={})
    assert config.planner is None
    assert config.executor_model is None
    assert config.reviewers == ()
    assert config.executor == "builtin"
    assert config.autonomy == "gated"
    assert (config.parallel, config.timeout, config.max_attempts) == (1, 1800, 3)
    assert (config.spec_path, config.tasks_dir, config.plans_dir) == ("SPEC.md", "tasks", "plans")
    assert config.test_command is None
    assert config.diff_budget == 800
    assert dict(config.providers) == {}
    assert set(config.sources.values()) == {"default"}


def test_env_none_reads_os_environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPECLOOP_RUN_PARALLEL", "7")
    assert load_config(tmp_path).parallel == 7


def test_file_values_and_their_lines(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        "# a comment\n"
        "[roles]\n"
        'planner = "openai:gpt-5"\n'
        'executor = "ollama:qwen2.5-coder:7b"\n'
        'reviewers = ["anthropic:claude-sonnet-4-5", "openai-compatible:local"]\n'
        "\n"
        "[run]\n"
        'executor = "cmd:./agent.sh --fast"\n'
        "  autonomy = 'verified'  # indented, literal string\n"
        "parallel = 4\n"
        "\n"
        "[paths]\n"
        'spec = "docs/SPEC.md"\n'
        'tasks = "work/../tasks"\n'
        "\n"
        "[checks]\n"
        'test_command = "pytest -q"\n'
        "\n"
        '[providers."openai-compatible"]\n'
        'base_url = "https://llm.example.com/v1"\n',
    )
    config = load_config(tmp_path, env={})
    assert config.planner == "openai:gpt-5"
    assert config.executor_model == "ollama:qwen2.5-coder:7b"
    assert config.reviewers == ("anthropic:claude-sonnet-4-5", "openai-compatible:local")
    assert config.executor == "cmd:./agent.sh --fast"
    assert config.autonomy == "verified"
    assert config.parallel == 4
    assert config.spec_path == "docs/SPEC.md"
    assert config.tasks_dir == "work/../tasks"
    assert config.test_command == "pytest -q"
    assert config.providers == {"openai-compatible": ProviderConfig("https://llm.example.com/v1")}
    assert config.sources["roles.planner"] == f"{SHOWN}:3"
    assert config.sources["roles.reviewers"] == f"{SHOWN}:5"
    assert config.sources["run.executor"] == f"{SHOWN}:8"
    assert config.sources["run.autonomy"] == f"{SHOWN}:9"
    assert config.sources["checks.test_command"] == f"{SHOWN}:17"
    assert config.sources["providers.openai-compatible.base_url"] == f"{SHOWN}:20"
    # Keys the file does not mention keep their defaults.
    assert config.timeout == 1800
    assert config.sources["run.timeout"] == "default"


def test_dotted_and_inline_keys_get_a_line_or_just_the_file(tmp_path: Path) -> None:
    write_config(tmp_path, "run.parallel = 2\npaths = { tasks = 'todo' }\n")
    config = load_config(tmp_path, env={})
    assert (config.parallel, config.tasks_dir) == (2, "todo")
    assert config.sources["run.parallel"] == f"{SHOWN}:1"
    assert config.sources["paths.tasks"] in (f"{SHOWN}:2", SHOWN)


def test_lines_skip_multiline_strings_and_arrays(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        '[checks]\ntest_command = """\n[roles]\nplanner = 1\n"""\n'
        '[roles]\nreviewers = [\n  "openai:a",  # ]\n  "openai:b",\n]\nplanner = "x"\n',
    )
    error = load_error(tmp_path)
    # Line 4 only looks like the key: it is inside the multi-line string.
    assert error.line == 11
    assert error.key == "roles.planner"


def test_key_lines_scan() -> None:
    from specloop.config._locate import key_lines, line_of

    text = (
        "top = 1\n"  # 1
        "[run]\n"  # 2
        "x = [\n"  # 3
        '  ["not", "a header"],\n'  # 4
        "  { a = 1 },\n"  # 5
        "]\n"  # 6
        "'quoted key' . \"two\" = 2\n"  # 7
        "s = '''\n"  # 8
        "[fake]\n"  # 9
        "'''\n"  # 10
        '[ providers . "openai-compatible" ]  # comment\n'  # 11
        'base_url = "http://x"\n'  # 12
        "[[arr]]\n"  # 13
        "k = 1\n"  # 14
        "inline = { deep = { er = 1 } }\r\n"  # 15
    )
    lines = key_lines(text)
    assert lines[("top",)] == 1
    assert lines[("run",)] == 2
    assert lines[("run", "x")] == 3
    assert lines[("run", "quoted key", "two")] == 7
    assert lines[("run", "s")] == 8
    assert ("fake",) not in lines
    assert ("not",) not in lines
    assert lines[("providers", "openai-compatible")] == 11
    assert lines[("providers", "openai-compatible", "base_url")] == 12
    assert lines[("arr", "k")] == 14
    assert line_of(lines, ("arr", "inline", "deep", "er")) == 15
    assert line_of(lines, ("nowhere",)) is None


def test_empty_optional_string_in_file_means_unset(tmp_path: Path) -> None:
    write_config(tmp_path, '[roles]\nplanner = ""\n[checks]\ntest_command = ""\n')
    config = load_config(tmp_path, env={})
    assert config.planner is None
    assert config.test_command is None


def test_env_beats_file_and_names_the_variable(tmp_path: Path) -> None:
    write_config(tmp_path, '[run]\nautonomy = "verified"\nparallel = 2\n')
    env = {"SPECLOOP_RUN_AUTONOMY": "full", "SPECLOOP_PATHS_TASKS": "todo"}
    config = load_config(tmp_path, env=env)
    assert config.autonomy == "full"
    assert config.sources["run.autonomy"] == "env SPECLOOP_RUN_AUTONOMY"
    assert config.tasks_dir == "todo"
    assert config.sources["paths.tasks"] == "env SPECLOOP_PATHS_TASKS"
    assert config.parallel == 2
    assert config.sources["run.parallel"] == f"{SHOWN}:3"


def test_env_list_is_comma_separated(tmp_path: Path) -> None:
    env = {"SPECLOOP_ROLES_REVIEWERS": " openai:gpt-5 ,anthropic:claude-sonnet-4-5,, "}
    config = load_config(tmp_path, env=env)
    assert config.reviewers == ("openai:gpt-5", "anthropic:claude-sonnet-4-5")
    assert config.sources["roles.reviewers"] == "env SPECLOOP_ROLES_REVIEWERS"


def test_env_ints_strings_and_provider_urls(tmp_path: Path) -> None:
    env = {
        "SPECLOOP_RUN_PARALLEL": " 8 ",
        "SPECLOOP_CHECKS_TEST_COMMAND": "make test",
        "SPECLOOP_ROLES_PLANNER": "anthropic:claude-opus-4-1",
        "SPECLOOP_PROVIDERS_OLLAMA_BASE_URL": "http://127.0.0.1:11434/v1",
    }
    config = load_config(tmp_path, env=env)
    assert config.parallel == 8
    assert config.test_command == "make test"
    assert config.planner == "anthropic:claude-opus-4-1"
    assert config.providers["ollama"].base_url == "http://127.0.0.1:11434/v1"
    assert config.sources["providers.ollama.base_url"] == ("env SPECLOOP_PROVIDERS_OLLAMA_BASE_URL")


def test_empty_env_value_is_ignored(tmp_path: Path) -> None:
    write_config(tmp_path, "[run]\nparallel = 3\n")
    config = load_config(tmp_path, env={"SPECLOOP_RUN_PARALLEL": "", "SPECLOOP_RUN_AUTONOMY": " "})
    assert config.parallel == 3
    assert config.autonomy == "gated"
    assert config.sources["run.autonomy"] == "default"


@pytest.mark.parametrize(
    ("text", "line", "key", "needle"),
    [
        ('[run]\n\nautonomy = "yolo"\n', 3, "run.autonomy", "must be one of gated, verified, full"),
        ("[run]\nparallel = 0\n", 2, "run.parallel", "from 1 to 64 (got 0)"),
        ("[run]\nparallel = 65\n", 2, "run.parallel", "from 1 to 64 (got 65)"),
        ('[run]\nparallel = "4"\n', 2, "run.parallel", "without quotes"),
        ("[run]\nparallel = true\n", 2, "run.parallel", "(got true)"),
        ("[run]\ntimeout = 0\n", 2, "run.timeout", "at least 1"),
        ("[run]\nmax_attempts = 1.5\n", 2, "run.max_attempts", "(got 1.5)"),
        ("[checks]\ndiff_budget = -1\n", 2, "checks.diff_budget", "at least 1"),
        ('[checks]\ntest_command = "  "\n', 2, "checks.test_command", "non-empty command"),
        ('[roles]\nplanner = "gpt-5"\n', 2, "roles.planner", "PROVIDER:MODEL"),
        ('[roles]\nexecutor = "mistral:large"\n', 2, "roles.executor", "PROVIDER:MODEL"),
        ('[roles]\nplanner = "openai:"\n', 2, "roles.planner", "PROVIDER:MODEL"),
        ('[roles]\nreviewers = ["openai:a", "b"]\n', 2, "roles.reviewers", "reviewers[1]"),
        ('[roles]\nreviewers = "openai:a"\n', 2, "roles.reviewers", "as an array"),
        ('[paths]\nspec = "/etc/SPEC.md"\n', 2, "paths.spec", "relative path inside"),
        ('[paths]\ntasks = "../elsewhere"\n', 2, "paths.tasks", "relative path inside"),
        ('[paths]\nplans = "a/../../b"\n', 2, "paths.plans", "relative path inside"),
        ('[paths]\nplans = "C:\\\\plans"\n', 2, "paths.plans", "relative path inside"),
        ('[paths]\nspec = ""\n', 2, "paths.spec", "relative path inside"),
        ('[run]\nexecutor = "cmd:"\n', 2, "run.executor", "non-empty COMMAND"),
        ('[run]\nexecutor = "cmd:   "\n', 2, "run.executor", "non-empty COMMAND"),
        ('[run]\nexecutor = "cursor"\n', 2, "run.executor", "one of builtin, codex"),
        ('[run]\nautonmy = "full"\n', 2, "run.autonmy", "did you mean autonomy?"),
        ('[run]\nspec = "x"\n', 2, "run.spec", "belongs in [paths]"),
        ("[runs]\nparallel = 2\n", 1, "runs", "unknown section [runs]"),
        ("parallel = 2\n", 1, "parallel", "under [run]"),
        ("run = 3\n", 1, "run", "must be a table"),
        (
            '[providers.ollama]\nbase_url = "localhost:11434"\n',
            2,
            "providers.ollama.base_url",
            "URL",
        ),
        ('[providers.ollama]\nurl = "http://x"\n', 2, "providers.ollama.url", "base_url"),
        ("[providers.ollama]\n", 1, "providers.ollama", "needs base_url"),
        ("[providers]\nollama = 1\n", 2, "providers.ollama", "must be a table"),
    ],
)
def test_file_errors_name_file_line_and_key(
    tmp_path: Path, text: str, line: int, key: str, needle: str
) -> None:
    path = write_config(tmp_path, text)
    error = load_error(tmp_path)
    assert error.path == path
    assert error.line == line
    assert error.key == key
    message = str(error)
    assert message.startswith(f"{SHOWN}:{line}: ")
    assert needle in message
    assert "\n" not in message


def test_unknown_key_lists_the_known_ones(tmp_path: Path) -> None:
    write_config(tmp_path, "[checks]\nbudget = 3\n")
    message = str(load_error(tmp_path))
    assert "unknown key checks.budget" in message
    assert "test_command, diff_budget" in message


def test_unknown_section_lists_the_known_ones(tmp_path: Path) -> None:
    write_config(tmp_path, "[model]\nx = 1\n")
    message = str(load_error(tmp_path))
    assert "[roles], [run], [paths], [checks], [models], [providers.NAME]" in message


def test_documented_message_shape(tmp_path: Path) -> None:
    write_config(tmp_path, "\n" * 6 + '[run]\nautonomy = "yolo"\n')
    assert str(load_error(tmp_path)) == (
        ".specloop/config.toml:8: run.autonomy must be one of gated, verified, full (got 'yolo')"
    )


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"SPECLOOP_RUN_PARALLEL": "abc"}, "expected a whole number from 1 to 64, got 'abc'"),
        ({"SPECLOOP_RUN_PARALLEL": "0"}, "expected a whole number from 1 to 64, got 0"),
        ({"SPECLOOP_RUN_PARALLEL": "4.0"}, "got '4.0'"),
        ({"SPECLOOP_RUN_TIMEOUT": "9" * 40}, "at least 1"),
        ({"SPECLOOP_RUN_AUTONOMY": "yolo"}, "one of gated, verified, full"),
        ({"SPECLOOP_RUN_EXECUTOR": "cmd: "}, "non-empty COMMAND"),
        ({"SPECLOOP_ROLES_PLANNER": "gpt-5"}, "PROVIDER:MODEL"),
        ({"SPECLOOP_ROLES_REVIEWERS": "openai:a,nope"}, "comma-separated items"),
        ({"SPECLOOP_PATHS_SPEC": "/abs/SPEC.md"}, "relative path inside"),
        ({"SPECLOOP_PROVIDERS_OLLAMA_BASE_URL": "ftp://x"}, "http:// or https://"),
    ],
)
def test_env_errors_name_the_variable(tmp_path: Path, env: dict[str, str], needle: str) -> None:
    (var,) = env
    error = load_error(tmp_path, env)
    assert error.env_var == var
    assert error.path is None
    assert error.key is not None
    assert str(error).startswith(f"{var}: ")
    assert needle in str(error)


def test_env_errors_even_when_the_file_is_fine(tmp_path: Path) -> None:
    write_config(tmp_path, "[run]\nparallel = 2\n")
    error = load_error(tmp_path, {"SPECLOOP_RUN_PARALLEL": "abc"})
    assert str(error) == "SPECLOOP_RUN_PARALLEL: expected a whole number from 1 to 64, got 'abc'"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("[run]\nparallel = \n", 2),
        ("[run]\nparallel = 1\n[run]\n", 3),
        ('[run]\nautonomy = "full\n', 2),
        ("[run\n", 1),
        ("[run]\nparallel = [1, 2", 2),
    ],
)
def test_toml_syntax_error_gives_the_line(tmp_path: Path, text: str, line: int) -> None:
    write_config(tmp_path, text)
    error = load_error(tmp_path)
    assert error.line == line
    assert str(error).startswith(f"{SHOWN}:{line}: invalid TOML: ")
    assert "(at line" not in str(error)


@pytest.mark.parametrize("depth", [50, 400, 3000])
def test_deep_nesting_is_a_config_error(tmp_path: Path, depth: int) -> None:
    write_config(tmp_path, "[roles]\nreviewers = " + "[" * depth + "]" * depth + "\n")
    assert str(load_error(tmp_path)).startswith(SHOWN)


def test_non_utf8_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / CONFIG_RELPATH
    path.parent.mkdir()
    path.write_bytes(b'[run]\nautonomy = "gated"\n# caf\xe9\n')
    error = load_error(tmp_path)
    assert error.path == path
    assert error.line == 3
    assert str(error).startswith(f"{SHOWN}:3: ")
    assert "UTF-8" in str(error)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / CONFIG_RELPATH
    path.parent.mkdir()
    path.write_bytes(b"\xef\xbb\xbf[run]\nparallel = 5\n")
    config = load_config(tmp_path, env={})
    assert config.parallel == 5
    assert config.sources["run.parallel"] == f"{SHOWN}:2"


def test_unreadable_file_names_the_path(tmp_path: Path) -> None:
    # A directory in the file's place fails to read even as root (unlike chmod 000).
    path = tmp_path / CONFIG_RELPATH
    path.mkdir(parents=True)
    error = load_error(tmp_path)
    assert error.path == path
    assert str(error).startswith(f"{SHOWN}: cannot read")


def test_config_is_frozen_and_read_only(tmp_path: Path) -> None:
    config = load_config(tmp_path, env={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.parallel = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.sources["run.parallel"] = "x"  # type: ignore[index]
    assert hash(config) == hash(load_config(tmp_path, env={}))


def test_config_fields_match_the_schema() -> None:
    from specloop.config._schema import SCHEMA

    fields = [field.name for field in dataclasses.fields(Config)]
    assert fields == [key.attr for key in SCHEMA] + ["providers", "sources", "prices"]


def test_config_error_pickles_with_its_attributes(tmp_path: Path) -> None:
    write_config(tmp_path, "[run]\nparallel = 0\n")
    error = load_error(tmp_path)
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.path, copy.line, copy.key) == (
        str(error),
        error.path,
        error.line,
        error.key,
    )
