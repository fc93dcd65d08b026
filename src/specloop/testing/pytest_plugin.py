"""Pytest fixture for the scripted model server.

Enable it with `pytest_plugins = ["specloop.testing.pytest_plugin"]` (in the root
conftest.py or a test module), then::

    def test_reply(scripted_model):
        server = scripted_model([{"reply": "hello"}])
        client = openai.OpenAI(base_url=server.openai_base_url, api_key="x")

Annotate the fixture with `specloop.testing.ScriptedModelFactory` (importing it from
here would import this module before pytest can rewrite its asserts).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from specloop.testing._script import Script
from specloop.testing._server import ScriptedModelFactory, ScriptedModelServer

__all__ = ["ScriptedModelFactory", "scripted_model"]


@pytest.fixture
def scripted_model() -> Iterator[ScriptedModelFactory]:
    """Start scripted model servers on free ports; all are stopped when the test ends."""
    servers: list[ScriptedModelServer] = []

    def start(
        script: Script | Sequence[Mapping[str, Any]], *, log_path: Path | None = None
    ) -> ScriptedModelServer:
        server = ScriptedModelServer(script, log_path=log_path)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()
