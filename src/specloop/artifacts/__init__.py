"""specloop.artifacts: the Markdown files specloop reads and writes, and the task graph.

Task files (parse, render, classify criteria, scope globs), SPEC.md, the AGENTS.md chain,
ExecPlans, lint with stable codes, and the dependency graph. Imports nothing else of specloop.
"""

from specloop.artifacts._agents import AgentsChain, AgentsFile, resolve_agents_chain
from specloop.artifacts._criteria import (
    BUILTIN_PHRASES,
    CANONICAL_PHRASES,
    BuiltinCheck,
    Criterion,
    CriterionKind,
    classify_criterion,
)
from specloop.artifacts._diagnostics import Diagnostic, ParseError, Severity
from specloop.artifacts._execplan import lint_execplan, looks_like_execplan
from specloop.artifacts._graph import Blocked, CycleError, TaskGraph
from specloop.artifacts._graph_render import render_dot, render_mermaid
from specloop.artifacts._lint import CODES, LintOptions, LintReport, lint_project
from specloop.artifacts._loading import TaskSet, load_task_files, load_tasks
from specloop.artifacts._markdown import normalize_title, split_blocks
from specloop.artifacts._scope import ScopeEntry, literal_prefix, matches, patterns_may_overlap
from specloop.artifacts._spec import REQUIRED_SPEC_SECTIONS, Spec, lint_spec, parse_spec
from specloop.artifacts._task_lint import lint_graph, lint_task
from specloop.artifacts._tasks import (
    REQUIRED_SECTIONS,
    Section,
    Task,
    TaskLayout,
    canonical_task_id,
    load_task,
    parse_task,
    render_task,
    task_sort_key,
)
from specloop.artifacts._text import MAX_TEXT_BYTES, decode_text, read_text

__all__ = [
    "BUILTIN_PHRASES",
    "CANONICAL_PHRASES",
    "CODES",
    "MAX_TEXT_BYTES",
    "REQUIRED_SECTIONS",
    "REQUIRED_SPEC_SECTIONS",
    "AgentsChain",
    "AgentsFile",
    "Blocked",
    "BuiltinCheck",
    "Criterion",
    "CriterionKind",
    "CycleError",
    "Diagnostic",
    "LintOptions",
    "LintReport",
    "ParseError",
    "ScopeEntry",
    "Section",
    "Severity",
    "Spec",
    "Task",
    "TaskGraph",
    "TaskLayout",
    "TaskSet",
    "canonical_task_id",
    "classify_criterion",
    "decode_text",
    "lint_execplan",
    "lint_graph",
    "lint_project",
    "lint_spec",
    "lint_task",
    "literal_prefix",
    "load_task",
    "load_task_files",
    "load_tasks",
    "looks_like_execplan",
    "matches",
    "normalize_title",
    "parse_spec",
    "parse_task",
    "patterns_may_overlap",
    "read_text",
    "render_dot",
    "render_mermaid",
    "render_task",
    "resolve_agents_chain",
    "split_blocks",
    "task_sort_key",
]
