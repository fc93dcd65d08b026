"""specloop.testing: a scripted model server at the network boundary, for tests and demos.

`ScriptedModelServer` is a real HTTP server on 127.0.0.1 that speaks OpenAI Chat
Completions, OpenAI Responses and Anthropic Messages (streaming and not) and answers
each model request with the next step of a script: a reply, tool calls, an HTTP error,
after an optional delay. Every request is logged. It imports nothing else of specloop,
so the real Codex CLI, Claude Code, Aider and any SDK can be pointed at it.

Pytest users: `pytest_plugins = ["specloop.testing.pytest_plugin"]` gives the
`scripted_model` fixture.
"""

from specloop.testing._script import Script, ScriptError, Step, ToolCall, Usage, load_script
from specloop.testing._server import LoggedRequest, ScriptedModelFactory, ScriptedModelServer

__all__ = [
    "LoggedRequest",
    "Script",
    "ScriptError",
    "ScriptedModelFactory",
    "ScriptedModelServer",
    "Step",
    "ToolCall",
    "Usage",
    "load_script",
]
