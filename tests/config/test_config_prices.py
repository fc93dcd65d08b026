"""[prices."PROVIDER:MODEL"] tables: loading, sources, entries() and every kind of mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from specloop.config import CONFIG_RELPATH, ConfigEntry, ConfigError, Price, load_config

SHOWN = ".specloop/config.toml"


def write_config(root: Path, text: str) -> None:
    path = root / CONFIG_RELPATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def load_error(root: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(root, env={})
    return info.value


def test_no_prices_by_default(tmp_path: Path) -> None:
    config = load_config(tmp_path, env={})
    assert dict(config.prices) == {}
    assert not any(entry.key.startswith("prices") for entry in config.entries())


def test_price_tables_load_with_their_lines(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        "[run]\n"  # 1
        "parallel = 2\n"  # 2
        '[prices."openai:gpt-4.1"]\n'  # 3
        "input = 2\n"  # 4
        "cached_input = 0.5\n"  # 5
        "output = 8.0\n"  # 6
        "[prices]\n"  # 7
        '"ollama:qwen2.5-coder:7b" = { input = 0, output = 0 }\n',  # 8
    )
    config = load_config(tmp_path, env={})
    assert dict(config.prices) == {
        "ollama:qwen2.5-coder:7b": Price(input=0.0, output=0.0),
        "openai:gpt-4.1": Price(input=2.0, output=8.0, cached_input=0.5),
    }
    assert isinstance(config.prices["openai:gpt-4.1"].input, float)
    assert config.sources['prices."openai:gpt-4.1".input'] == f"{SHOWN}:4"
    assert config.sources['prices."openai:gpt-4.1".cached_input'] == f"{SHOWN}:5"
    assert config.sources['prices."openai:gpt-4.1".output'] == f"{SHOWN}:6"
    assert config.sources['prices."ollama:qwen2.5-coder:7b".input'] == f"{SHOWN}:8"


def test_entries_list_prices_after_providers_by_label(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        '[prices."openai:gpt-5"]\ninput = 1.25\noutput = 10\n'
        '[providers.ollama]\nbase_url = "http://x"\n'
        '[prices."anthropic:claude-haiku-4-5"]\ninput = 1\ncached_input = 0.1\noutput = 5\n',
    )
    entries = load_config(tmp_path, env={}).entries()
    keys = [entry.key for entry in entries]
    tail = keys[keys.index("providers.ollama.base_url") :]
    assert tail == [
        "providers.ollama.base_url",
        'prices."anthropic:claude-haiku-4-5".input',
        'prices."anthropic:claude-haiku-4-5".cached_input',
        'prices."anthropic:claude-haiku-4-5".output',
        'prices."openai:gpt-5".input',
        'prices."openai:gpt-5".output',
    ]
    by_key = {entry.key: entry for entry in entries}
    assert by_key['prices."openai:gpt-5".output'] == ConfigEntry(
        'prices."openai:gpt-5".output', 10.0, f"{SHOWN}:3"
    )


def test_config_with_prices_is_still_hashable_and_read_only(tmp_path: Path) -> None:
    write_config(tmp_path, '[prices."openai:gpt-5"]\ninput = 1\noutput = 2\n')
    config = load_config(tmp_path, env={})
    assert hash(config) == hash(load_config(tmp_path, env={}))
    with pytest.raises(TypeError):
        config.prices["openai:x"] = Price(1.0, 1.0)  # type: ignore[index]


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        (
            '[prices."openai:gpt-5"]\ninput = "1.25"\noutput = 10\n',
            2,
            'prices."openai:gpt-5".input must be a number of US dollars per million tokens,'
            " at least 0 (got '1.25'); write the number without quotes",
        ),
        (
            '[prices."openai:gpt-5"]\ninput = 1\noutput = -3\n',
            3,
            'prices."openai:gpt-5".output must be a number of US dollars per million tokens,'
            " at least 0 (got -3)",
        ),
        ('[prices."openai:gpt-5"]\ninput = nan\noutput = 1\n', 2, "(got nan)"),
        ('[prices."openai:gpt-5"]\ninput = inf\noutput = 1\n', 2, "(got inf)"),
        ('[prices."openai:gpt-5"]\ninput = true\noutput = 1\n', 2, "(got true)"),
        ('[prices."openai:gpt-5"]\ninput = 1\noutput = [1]\n', 3, "(got an array)"),
        (
            '[prices."openai:gpt-5"]\ninput = 1\n',
            1,
            '[prices."openai:gpt-5"] needs output = <a number of US dollars per million tokens',
        ),
        (
            '[prices."openai:gpt-5"]\noutput = 1\n',
            1,
            '[prices."openai:gpt-5"] needs input',
        ),
        (
            '[prices."openai:gpt-5"]\ninput = 1\noutput = 1\ncache = 0.1\n',
            4,
            'unknown key prices."openai:gpt-5".cache; known keys in a price table:'
            " input, cached_input, output",
        ),
        (
            "[prices.gpt-5]\ninput = 1\noutput = 1\n",
            1,
            "prices key 'gpt-5' must be a model label PROVIDER:MODEL",
        ),
        (
            '[prices."azure:gpt-5"]\ninput = 1\noutput = 1\n',
            1,
            "prices key 'azure:gpt-5' must be a model label",
        ),
        (
            '[prices]\n"openai:gpt-5" = 3\n',
            2,
            'prices."openai:gpt-5" must be a table ([prices."openai:gpt-5"]) with input and'
            " output (got 3)",
        ),
        ("prices = 3\n", 1, 'prices must be [prices."PROVIDER:MODEL"] tables'),
    ],
)
def test_bad_prices_name_the_file_line_and_key(
    tmp_path: Path, text: str, line: int, expected: str
) -> None:
    write_config(tmp_path, text)
    error = load_error(tmp_path)
    assert str(error).startswith(f"{SHOWN}:{line}: "), str(error)
    assert expected in str(error)


def test_a_huge_integer_price_is_an_error_not_a_crash(tmp_path: Path) -> None:
    write_config(tmp_path, f'[prices."openai:gpt-5"]\ninput = {10**400}\noutput = 1\n')
    assert "must be a number" in str(load_error(tmp_path))


def test_a_secret_in_a_price_table_is_refused_without_echoing_it(tmp_path: Path) -> None:
    write_config(
        tmp_path, '[prices."openai:gpt-5"]\ninput = 1\noutput = 1\napi_key = "sk-abcdef"\n'
    )
    message = str(load_error(tmp_path))
    assert "looks like a secret" in message
    assert "sk-abcdef" not in message


def test_unknown_sections_mention_prices(tmp_path: Path) -> None:
    write_config(tmp_path, "[price]\nx = 1\n")
    message = str(load_error(tmp_path))
    assert '[prices."PROVIDER:MODEL"]' in message
    assert "did you mean [prices]?" in message
