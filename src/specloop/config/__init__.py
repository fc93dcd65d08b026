"""The effective configuration of a project, and where each value came from.

``load_config(root)`` reads ``root/.specloop/config.toml`` (optional), lets
``SPECLOOP_<SECTION>_<KEY>`` environment variables override it, fills the rest with
defaults and records each value's source. Secrets are never read from the file: a
key or value that looks like one is an error. Every problem is a ``ConfigError``
whose one-line message names the file and line, or the variable.

This package is on the startup path of every command, so it uses the standard
library only (no pydantic) and imports nothing else of specloop.
"""

from specloop.config._errors import ConfigError
from specloop.config._load import load_config
from specloop.config._model import Autonomy, Config, ConfigEntry, Price, ProviderConfig
from specloop.config._schema import CONFIG_RELPATH, KNOWN_ENV_VARS, PROVIDER_NAMES, ConfigValue
from specloop.config._template import default_config_toml

__all__ = [
    "CONFIG_RELPATH",
    "KNOWN_ENV_VARS",
    "PROVIDER_NAMES",
    "Autonomy",
    "Config",
    "ConfigEntry",
    "ConfigError",
    "ConfigValue",
    "Price",
    "ProviderConfig",
    "default_config_toml",
    "load_config",
]
