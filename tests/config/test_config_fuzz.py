"""Whatever is in config.toml or the environment: a Config or a ConfigError, nothing else."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from specloop.config import CONFIG_RELPATH, KNOWN_ENV_VARS, Config, ConfigError, load_config
from specloop.config._schema import SCHEMA

FUZZ = settings(max_examples=300, deadline=None)

_names = st.sampled_from(
    [
        *sorted({key.name for key in SCHEMA} | {key.section for key in SCHEMA}),
        *["base_url", "providers", "api_key", "x", '"quoted key"', "a.b", "'lit'"],
    ]
)
_scalars = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(
        ["true", "1.5", "nan", "1979-05-27", '""', '"gated"', '"cmd:"', '"openai:gpt-5"']
    ),
    st.sampled_from(['"http://x"', '"/abs"', '"../up"', '"sk-abc"', '"AKIAIOSFODNN7EXAMPLE"']),
    st.text(max_size=20).map(lambda text: '"' + text.replace("\\", "").replace('"', "") + '"'),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(st.tuples(_names, inner), max_size=2).map(
            lambda pairs: "{" + ", ".join(f"{k} = {v}" for k, v in pairs) + "}"
        ),
    ),
    max_leaves=6,
)
_lines = st.one_of(
    _names.map(lambda name: f"[{name}]"),
    st.sampled_from(["[providers.ollama]", "[providers.'openai-compatible']", "[[run]]", "#"]),
    st.tuples(_names, _values).map(lambda pair: f"{pair[0]} = {pair[1]}"),
    st.text(max_size=15),
)
_toml_like = st.lists(_lines, max_size=12).map("\n".join)


def _load_text(data: bytes, env: dict[str, str] | None = None) -> Config | ConfigError:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        path = root / CONFIG_RELPATH
        path.parent.mkdir()
        path.write_bytes(data)
        try:
            return load_config(root, env={} if env is None else env)
        except ConfigError as error:
            # The message is one line and says where.
            message = str(error)
            assert "\n" not in message
            assert message.startswith(".specloop/config.toml") or error.env_var is not None
            return error


@FUZZ
@given(st.text())
def test_arbitrary_text_loads_or_raises_config_error(text: str) -> None:
    _load_text(text.encode("utf-8"))


@FUZZ
@given(_toml_like)
def test_toml_like_text_loads_or_raises_config_error(text: str) -> None:
    result = _load_text(text.encode("utf-8"))
    if isinstance(result, ConfigError):
        # A secret-looking value is never echoed, whichever check fired.
        assert "sk-abc" not in str(result)
        assert "AKIAIOSFODNN7EXAMPLE" not in str(result)


@FUZZ
@given(st.binary(max_size=200))
def test_arbitrary_bytes_load_or_raise_config_error(data: bytes) -> None:
    _load_text(data)


@FUZZ
@given(st.dictionaries(st.sampled_from(KNOWN_ENV_VARS), st.text(max_size=30), max_size=4))
def test_arbitrary_env_values_load_or_raise_config_error(env: dict[str, str]) -> None:
    _load_text(b"", env)
