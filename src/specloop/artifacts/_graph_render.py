"""The dependency graph as Mermaid or Graphviz DOT text (edges point from a dependency
to the task that needs it)."""

from __future__ import annotations

from collections.abc import Mapping

from specloop.artifacts._graph import TaskGraph

_STATE_COLOURS = {
    "merged": "#c8e6c9",
    "ready": "#bbdefb",
    "running": "#fff9c4",
    "verifying": "#fff9c4",
    "awaiting_approval": "#ffe0b2",
    "failed": "#ffcdd2",
    "blocked": "#e0e0e0",
}


def _node(task_id: str) -> str:
    return "t" + task_id


def _mermaid_label(text: str) -> str:
    # Mermaid reads entity codes inside quoted labels; escape what could end or break one.
    for char, code in (("&", "#amp;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(char, code)
    return text


def render_mermaid(graph: TaskGraph, states: Mapping[str, str] | None = None) -> str:
    """A `graph TD` Mermaid diagram; tasks coloured by state when `states` is given."""
    lines = ["graph TD"]
    for task_id in graph.ids:
        title = _mermaid_label(graph.tasks[task_id].title)
        lines.append(f'  {_node(task_id)}["{task_id} {title}"]')
    for task_id in graph.ids:
        for dep in graph.dependencies(task_id):
            if dep in graph.tasks:
                lines.append(f"  {_node(dep)} --> {_node(task_id)}")
    if states:
        used = sorted({states[t] for t in graph.ids if states.get(t) in _STATE_COLOURS})
        for state in used:
            lines.append(f"  classDef {state} fill:{_STATE_COLOURS[state]}")
        for task_id in graph.ids:
            if states.get(task_id) in _STATE_COLOURS:
                lines.append(f"  class {_node(task_id)} {states[task_id]}")
    return "\n".join(lines) + "\n"


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def render_dot(graph: TaskGraph, states: Mapping[str, str] | None = None) -> str:
    """A Graphviz `digraph`; tasks filled by state when `states` is given."""
    lines = ["digraph tasks {", "  rankdir=LR;", "  node [shape=box, style=rounded];"]
    for task_id in graph.ids:
        label = _dot_string(f"{task_id}\n{graph.tasks[task_id].title}")
        colour = _STATE_COLOURS.get((states or {}).get(task_id, ""))
        style = f', style="rounded,filled", fillcolor="{colour}"' if colour else ""
        lines.append(f"  {_dot_string(task_id)} [label={label}{style}];")
    for task_id in graph.ids:
        for dep in graph.dependencies(task_id):
            if dep in graph.tasks:
                lines.append(f"  {_dot_string(dep)} -> {_dot_string(task_id)};")
    lines.append("}")
    return "\n".join(lines) + "\n"
