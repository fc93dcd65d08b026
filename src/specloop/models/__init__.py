"""Model access for specloop: role -> ``PROVIDER:MODEL`` -> validated structured output.

A small interface of specloop's own over pydantic-ai::

    client = open_model(config, "planner", os.environ, ledger=ledger, run_id=run.id)
    result = client.structured(stage="tasks", system=SYSTEM, prompt=text, output_type=TaskList)
    result.output, result.usage.cost_usd

``client.run_agent(stage=..., system=..., prompt=..., tools=[read_file, ...])`` runs an
agent loop over plain-function tools and returns an ``AgentRun``.

Providers: ``openai:``, ``anthropic:``, ``ollama:`` (OpenAI-compatible API, default
http://127.0.0.1:11434/v1) and ``openai-compatible:`` (base URL required). Keys come
only from the environment mapping passed in and never reach the ledger or a message.

Importing this package imports neither pydantic-ai nor any provider SDK; they load on
the first model call.
"""

from specloop.models._agent import AGENT_EVENT, AgentRun
from specloop.models._client import (
    CALL_EVENT,
    CALL_FAILED_EVENT,
    INVALID_OUTPUT_EVENT,
    ModelClient,
    StructuredResult,
    Usage,
    Validator,
    open_model,
)
from specloop.models._errors import (
    InvalidModelOutput,
    ModelCallFailed,
    ModelError,
    NoModelConfigured,
)
from specloop.models._prices import PriceTable
from specloop.models._spec import (
    KEY_VARS,
    OLLAMA_DEFAULT_BASE_URL,
    ModelSpec,
    Role,
    api_key,
    endpoint,
    parse_model_string,
    resolve_model,
    resolve_role,
)

__all__ = [
    "AGENT_EVENT",
    "CALL_EVENT",
    "CALL_FAILED_EVENT",
    "INVALID_OUTPUT_EVENT",
    "KEY_VARS",
    "OLLAMA_DEFAULT_BASE_URL",
    "AgentRun",
    "InvalidModelOutput",
    "ModelCallFailed",
    "ModelClient",
    "ModelError",
    "ModelSpec",
    "NoModelConfigured",
    "PriceTable",
    "Role",
    "StructuredResult",
    "Usage",
    "Validator",
    "api_key",
    "endpoint",
    "open_model",
    "parse_model_string",
    "resolve_model",
    "resolve_role",
]
