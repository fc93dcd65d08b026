"""A scripted planner for planning tests: pydantic-ai's FunctionModel behind the real
ModelClient, replying with queued outputs and remembering every prompt it saw."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from rich.console import Console

from specloop.config import load_config
from specloop.ledger import LEDGER_RELPATH, Ledger
from specloop.models import ModelClient, parse_model_string
from specloop.planning import AutoApprove, Gate, PlanningContext


def request_text(messages: Sequence[ModelMessage]) -> str:
    """Everything the model was sent in the latest request (prompts, retry feedback)."""
    last = [m for m in messages if isinstance(m, ModelRequest)][-1]
    return "\n".join(str(getattr(part, "content", "")) for part in last.parts)


@dataclass
class ScriptedPlanner:
    """Replies with `outputs` in order (each a dict for the output tool)."""

    outputs: list[dict[str, Any]]
    prompts: list[str] = field(default_factory=list)

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.prompts.append(request_text(messages))
        if not self.outputs:
            raise AssertionError("the scripted planner ran out of outputs")
        tool = info.output_tools[0].name
        return ModelResponse(parts=[ToolCallPart(tool_name=tool, args=self.outputs.pop(0))])


def context(
    root: Path,
    planner: ScriptedPlanner,
    *,
    gate: Gate | None = None,
    ask: Callable[[str], str] | None = None,
    env: dict[str, str] | None = None,
) -> tuple[PlanningContext, Ledger, io.StringIO]:
    """A PlanningContext over a real ledger and config, with the scripted planner."""
    config = load_config(root, env or {})
    ledger = Ledger.open(root / LEDGER_RELPATH)
    client = ModelClient(
        parse_model_string("openai:test-planner"),
        role="planner",
        env={},
        ledger=ledger,
        model=FunctionModel(planner),
    )
    out = io.StringIO()
    console = Console(file=out, width=120, color_system=None)
    return (
        PlanningContext(root, config, client, ledger, gate or AutoApprove(), console, ask=ask),
        ledger,
        out,
    )


def spec_output(**changes: Any) -> dict[str, Any]:
    """A complete SpecDraft as the model would return it."""
    base: dict[str, Any] = {
        "title": "tally: count words",
        "problem_statement": "Writers want word counts per file.",
        "architecture": "One module `tally.count` and a CLI `tally.cli`.",
        "data_models": "`Count(path: str, words: int)`.",
        "entrypoints": "`tally FILE...` prints one count per file.",
        "threat_model": "Input files are untrusted: never execute them; cap file size at 10 MB.",
        "non_goals": ["No network access."],
        "constraints": ["Python 3.11, standard library only."],
        "open_questions": [],
        "success_criteria": ["`python -m pytest -q` passes."],
    }
    base.update(changes)
    return base


def agents_output(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "general_rules": ["Touch only the files a task lists."],
        "code_style": ["Type hints everywhere."],
        "testing": ["Run `python -m pytest -q`."],
        "security": ["Never execute input files."],
        "output_rules": ["List changed files at the end."],
        "review_guidelines": ["Flag reading files without a size cap as P1."],
    }
    base.update(changes)
    return base


def task_output(
    task_id: str,
    *,
    depends_on: Sequence[str] = (),
    files: Sequence[str] | None = None,
    criteria: Sequence[str] | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    return {
        "id": task_id,
        "title": title or f"Build part {task_id}",
        "depends_on": list(depends_on),
        "objective": f"Deliver part {task_id}.",
        "files": list(files or [f"src/tally/part_{task_id}.py", f"tests/test_part_{task_id}.py"]),
        "steps": ["Write the test.", "Write the code."],
        "completion_criteria": list(
            criteria
            or [
                f"`python -m pytest -q tests/test_part_{task_id}.py` passes",
                "No TODOs left in code",
            ]
        ),
    }
