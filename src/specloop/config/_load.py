"""Reading ``.specloop/config.toml`` and the environment into a ``Config``.

Order of precedence: defaults, then the file, then ``SPECLOOP_*`` variables. Every
problem becomes a ``ConfigError`` that names the file and line or the variable; the
file is checked for secrets before anything else so that no later message can echo one.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from specloop.config._errors import ConfigError, shown
from specloop.config._locate import KeyLines, key_lines, line_of
from specloop.config._model import DEFAULT_SOURCE, Config, Price, ProviderConfig
from specloop.config._schema import (
    CONFIG_RELPATH,
    KEYS_BY_SECTION,
    PRICE_EXPECT,
    PRICE_KEYS,
    PRICE_REQUIRED,
    PRICES_SECTION,
    PROVIDER_KEYS,
    PROVIDER_NAMES,
    PROVIDERS_SECTION,
    SCHEMA,
    SECTIONS,
    URL_EXPECT,
    BadValue,
    Key,
    from_env,
    from_toml,
    is_model_string,
    is_url,
    price_dotted,
    provider_env_var,
)
from specloop.config._secrets import env_hint, find_secret, looks_like_secret_value

_SHOWN_PATH = CONFIG_RELPATH.as_posix()
_AT_LINE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_AT_END = re.compile(r"\s*\(at end of document\)\s*$")
_BARE_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}")
_UTF8_BOM = b"\xef\xbb\xbf"
_NO_SECRETS = "specloop never reads secrets from config.toml"


def load_config(project_root: Path, env: Mapping[str, str] | None = None) -> Config:
    """The effective configuration of the project at ``project_root``.

    Reads ``project_root / CONFIG_RELPATH`` when it exists (a missing file means all
    defaults) and then the ``SPECLOOP_*`` variables of ``env`` (``os.environ`` when
    None; an empty value counts as unset). Raises ``ConfigError`` for any problem.
    """
    environ: Mapping[str, str] = os.environ if env is None else env
    # Any: each value goes to a differently typed Config field; the schema checked it.
    values: dict[str, Any] = {key.attr: key.default for key in SCHEMA}
    sources: dict[str, str] = {key.dotted: DEFAULT_SOURCE for key in SCHEMA}
    providers: dict[str, str] = {}
    prices: dict[str, Price] = {}
    path = project_root / CONFIG_RELPATH
    text = _read(path)
    if text is not None:
        config_file = _File(path, text)
        doc = config_file.parse()
        config_file.refuse_secrets(doc)
        for section, body in doc.items():
            if section == PROVIDERS_SECTION:
                config_file.apply_providers(body, providers, sources)
            elif section == PRICES_SECTION:
                config_file.apply_prices(body, prices, sources)
            else:
                config_file.apply_section(section, body, values, sources)
    _apply_env(environ, values, sources, providers)
    return Config(
        **values,
        providers=MappingProxyType(
            {name: ProviderConfig(url) for name, url in sorted(providers.items())}
        ),
        sources=MappingProxyType(sources),
        prices=MappingProxyType(dict(sorted(prices.items()))),
    )


def _read(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:  # a directory, no permission, ...
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(
            f"cannot read the config file: {reason}", path=path, shown_path=_SHOWN_PATH
        ) from None
    # Some editors start UTF-8 files with a byte order mark; tomllib would reject it.
    data = data.removeprefix(_UTF8_BOM)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            "the config file is not valid UTF-8; save it as UTF-8",
            path=path,
            line=line,
            shown_path=_SHOWN_PATH,
        ) from None


def _display(name: str) -> str:
    """A key or section name from the file, safe and short enough for a message."""
    return name if _BARE_NAME.fullmatch(name) else shown(name)


class _File:
    """The config file being read; turns each problem into a located ``ConfigError``."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self._lines: KeyLines | None = None

    def line(self, where: tuple[str, ...]) -> int | None:
        if self._lines is None:  # only scanned once there is something to place
            self._lines = key_lines(self.text)
        return line_of(self._lines, where)

    def source(self, where: tuple[str, ...]) -> str:
        line = self.line(where)
        return _SHOWN_PATH if line is None else f"{_SHOWN_PATH}:{line}"

    def error(
        self, message: str, where: tuple[str, ...] = (), line: int | None = None
    ) -> ConfigError:
        if line is None and where:
            line = self.line(where)
        return ConfigError(
            message,
            path=self.path,
            line=line,
            key=".".join(where) or None,
            shown_path=_SHOWN_PATH,
        )

    def parse(self) -> dict[str, Any]:
        try:
            return tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            at = _AT_LINE.search(message)
            if at is not None:
                line = int(at.group(1))
                message = f"{message[: at.start()]} (column {at.group(2)})"
            else:
                # "at end of document": the last line is where the user should look.
                line = self.text.count("\n") + (0 if self.text.endswith("\n") else 1)
                message = _AT_END.sub("", message)
            raise self.error(f"invalid TOML: {message}", line=max(line, 1)) from None
        except RecursionError:
            raise self.error("invalid TOML: arrays or tables nested too deeply") from None
        except ValueError as exc:  # e.g. an integer longer than Python converts
            raise self.error(f"invalid TOML: {exc}") from None

    def refuse_secrets(self, doc: dict[str, Any]) -> None:
        found = find_secret(doc)
        if found is None:
            return
        where, kind = found
        if kind == "name":
            raise self.error(
                f"`{_display(where[-1])}` looks like a secret; {_NO_SECRETS}"
                f" — set it in the environment (e.g. {env_hint(where)})",
                where,
            )
        # The value (or a key that is a pasted key) must never appear in the message.
        if kind == "value":
            what = f"the value of `{'.'.join(_display(part) for part in where)}`"
            hint = env_hint(where, _value_at(doc, where))
        else:
            parent = ".".join(_display(part) for part in where[:-1])
            what = f"a key name in [{parent}]" if parent else "a top-level key name"
            hint = env_hint(where[:-1], where[-1])
        error = self.error(
            f"{what} looks like an API key; {_NO_SECRETS}"
            f" — remove it and set the key in the environment (e.g. {hint})",
            where,
        )
        if kind == "pasted_name":
            error.key = ".".join(where[:-1]) or None
        raise error

    def apply_section(
        self, section: str, body: object, values: dict[str, Any], sources: dict[str, str]
    ) -> None:
        keys = KEYS_BY_SECTION.get(section)
        if keys is None or not isinstance(body, dict):
            raise self.error(_unknown_section(section, body), (section,))
        for name, raw in body.items():
            key = keys.get(name)
            if key is None:
                raise self.error(_unknown_key(section, name), (section, name))
            try:
                values[key.attr] = from_toml(key, raw)
            except BadValue as bad:
                raise self.error(_bad_value(key, raw, bad), (section, name)) from None
            sources[key.dotted] = self.source((section, name))

    def apply_providers(
        self, body: object, providers: dict[str, str], sources: dict[str, str]
    ) -> None:
        if not isinstance(body, dict):
            raise self.error(
                "providers must be [providers.NAME] tables, each with base_url", ("providers",)
            )
        for name, table in body.items():
            where = (PROVIDERS_SECTION, name)
            dotted = f"providers.{_display(name)}"
            if not name:
                raise self.error("a [providers.NAME] table needs a non-empty NAME", where)
            if not isinstance(table, dict):
                raise self.error(
                    f"{dotted} must be a table ([{dotted}]) with base_url (got {shown(table)})",
                    where,
                )
            for key in table:
                if key not in PROVIDER_KEYS:
                    raise self.error(
                        f"unknown key {dotted}.{_display(key)}; known keys in"
                        f" [providers.NAME]: {', '.join(PROVIDER_KEYS)}",
                        (*where, key),
                    )
            if "base_url" not in table:
                raise self.error(f'[{dotted}] needs base_url = "http://..."', where)
            url = table["base_url"]
            if not isinstance(url, str) or not is_url(url):
                raise self.error(
                    f"{dotted}.base_url must be {URL_EXPECT} (got {shown(url)})",
                    (*where, "base_url"),
                )
            providers[name] = url
            sources[f"providers.{name}.base_url"] = self.source((*where, "base_url"))

    def apply_prices(self, body: object, prices: dict[str, Price], sources: dict[str, str]) -> None:
        if not isinstance(body, dict):
            raise self.error(
                'prices must be [prices."PROVIDER:MODEL"] tables, each with input and output',
                (PRICES_SECTION,),
            )
        for label, table in body.items():
            where = (PRICES_SECTION, label)
            if not is_model_string(label):
                raise self.error(
                    f"prices key {shown(label)} must be a model label PROVIDER:MODEL with"
                    f" PROVIDER one of {', '.join(PROVIDER_NAMES)}, quoted:"
                    ' [prices."openai:gpt-5"]',
                    where,
                )
            dotted = price_dotted(label)
            if not isinstance(table, dict):
                raise self.error(
                    f"{dotted} must be a table ([{dotted}]) with input and output"
                    f" (got {shown(table)})",
                    where,
                )
            for key in table:
                if key not in PRICE_KEYS:
                    raise self.error(
                        f"unknown key {dotted}.{_display(key)}; known keys in a price table:"
                        f" {', '.join(PRICE_KEYS)}",
                        (*where, key),
                    )
            for key in PRICE_REQUIRED:
                if key not in table:
                    raise self.error(f"[{dotted}] needs {key} = <{PRICE_EXPECT}>", where)
            amounts: dict[str, float] = {}
            for key, raw in table.items():
                amount = _price_amount(raw)
                if amount is None:
                    hint = ""
                    if isinstance(raw, str) and _price_amount(_number_or_none(raw)) is not None:
                        hint = "; write the number without quotes"
                    raise self.error(
                        f"{dotted}.{key} must be {PRICE_EXPECT} (got {shown(raw)}){hint}",
                        (*where, key),
                    )
                amounts[key] = amount
                sources[price_dotted(label, key)] = self.source((*where, key))
            prices[label] = Price(**amounts)


def _price_amount(raw: object) -> float | None:
    """A finite, non-negative TOML number as a float; None for anything else."""
    # bool is an int subclass in Python, but `input = true` is a mistake.
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    try:
        amount = float(raw)
    except OverflowError:  # an integer too large for a float
        return None
    return amount if math.isfinite(amount) and amount >= 0 else None


def _number_or_none(text: str) -> float | None:
    try:
        return float(text.strip())
    except ValueError:
        return None


def _value_at(doc: dict[str, Any], where: tuple[str, ...]) -> str:
    # The secret value itself, only to pick the right variable name for the hint.
    node: object = doc
    for part in where:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, list):  # the secret was an item of an array
        node = next((item for item in node if isinstance(item, str)), "")
    return node if isinstance(node, str) else ""


def _close_match(name: str, candidates: list[str]) -> str | None:
    # difflib is only needed on this error path; importing it here keeps startup fast.
    import difflib

    matches = difflib.get_close_matches(name, candidates, n=1)
    return matches[0] if matches else None


def _unknown_section(section: str, body: object) -> str:
    known = ", ".join(
        [*(f"[{name}]" for name in SECTIONS), "[providers.NAME]", '[prices."PROVIDER:MODEL"]']
    )
    if section in KEYS_BY_SECTION:  # e.g. `run = 3` instead of a [run] table
        return f"{section} must be a table ([{section}]) (got {shown(body)})"
    if isinstance(body, dict):
        message = f"unknown section [{_display(section)}]; known sections: {known}"
        match = _close_match(section, [*SECTIONS, PROVIDERS_SECTION, PRICES_SECTION])
        return message + (f" (did you mean [{match}]?)" if match else "")
    # A key outside any section, e.g. `parallel = 4` above the first [run].
    message = f"unknown top-level key {_display(section)}; settings live in sections: {known}"
    owners = [key.section for key in SCHEMA if key.name == section]
    return message + (f" (did you mean {section} under [{owners[0]}]?)" if owners else "")


def _unknown_key(section: str, name: str) -> str:
    keys = list(KEYS_BY_SECTION[section])
    message = (
        f"unknown key {section}.{_display(name)}; known keys in [{section}]: {', '.join(keys)}"
    )
    owners = [key.section for key in SCHEMA if key.name == name and key.section != section]
    if owners:
        return message + f" ({name} belongs in [{owners[0]}])"
    match = _close_match(name, keys)
    return message + (f" (did you mean {match}?)" if match else "")


def _bad_value(key: Key, raw: object, bad: BadValue) -> str:
    if bad.item is not None:
        return f"{key.dotted}[{bad.item}] must be {key.expect} (got {bad.got})"
    if key.kind == "str_list":
        hint = '; write it as an array: ["..."]' if isinstance(raw, str) else ""
        return f"{key.dotted} must be an array of strings, each {key.expect} (got {bad.got}){hint}"
    hint = ""
    if key.kind == "int" and isinstance(raw, str) and raw.strip().isdigit():
        hint = "; write the number without quotes"
    return f"{key.dotted} must be {key.expect} (got {bad.got}){hint}"


def _env_text(environ: Mapping[str, str], var: str, dotted: str) -> str | None:
    text = environ.get(var, "").strip()
    if not text:
        return None
    if looks_like_secret_value(text):
        # Settings are printed by `specloop config show` and logged; a key must not be.
        raise ConfigError(
            "the value looks like an API key; specloop settings are shown in output and"
            f" logs, so set the key in its own variable (e.g. {env_hint((), text)})",
            key=dotted,
            env_var=var,
        )
    return text


def _apply_env(
    environ: Mapping[str, str],
    values: dict[str, Any],
    sources: dict[str, str],
    providers: dict[str, str],
) -> None:
    for key in SCHEMA:
        text = _env_text(environ, key.env_var, key.dotted)
        if text is None:
            continue
        try:
            values[key.attr] = from_env(key, text)
        except BadValue as bad:
            each = "comma-separated items, each " if key.kind == "str_list" else ""
            raise ConfigError(
                f"expected {each}{key.expect}, got {bad.got}",
                key=key.dotted,
                env_var=key.env_var,
            ) from None
        sources[key.dotted] = f"env {key.env_var}"
    for name in PROVIDER_NAMES:
        var = provider_env_var(name)
        dotted = f"providers.{name}.base_url"
        text = _env_text(environ, var, dotted)
        if text is None:
            continue
        if not is_url(text):
            raise ConfigError(f"expected {URL_EXPECT}, got {shown(text)}", key=dotted, env_var=var)
        providers[name] = text
        sources[dotted] = f"env {var}"
