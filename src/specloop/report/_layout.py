"""A layered drawing of the task graph, as coordinates the template turns into inline SVG.

The page may load nothing (no Mermaid, no Graphviz in the browser), so the layout is
computed here: each task sits in the column of its longest chain of dependencies,
dependencies to the left, so every edge points right.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from specloop.artifacts import TaskGraph

NODE_W = 190
NODE_H = 46
GAP_X = 60
GAP_Y = 18
MARGIN = 10
#: Titles longer than this are cut in the drawing (the task table has them whole).
TITLE_CHARS = 24


@dataclass(frozen=True)
class GraphNode:
    """One task's box: top-left corner, its id, a shortened title and its state."""

    id: str
    title: str
    full_title: str
    state: str
    x: int
    y: int


@dataclass(frozen=True)
class GraphEdge:
    """A dependency, drawn from the right edge of ``source`` to the left edge of ``target``."""

    source: str
    target: str
    x1: int
    y1: int
    x2: int
    y2: int


@dataclass(frozen=True)
class GraphLayout:
    """Everything the SVG needs; ``width`` and ``height`` make its viewBox."""

    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    width: int
    height: int
    node_w: int = NODE_W
    node_h: int = NODE_H


def _levels(graph: TaskGraph) -> dict[str, int]:
    """Longest dependency chain below each task; cycles and unknown ids are cut off.

    Relaxed at most once per task, so a cycle cannot loop forever: its members just
    end up in some column, and the page says elsewhere that they are blocked.
    """
    level = dict.fromkeys(graph.ids, 0)
    for _ in range(len(graph.ids)):
        changed = False
        for task_id in graph.ids:
            for dep in graph.dependencies(task_id):
                if dep in level and dep != task_id and level[dep] + 1 > level[task_id]:
                    level[task_id] = level[dep] + 1
                    changed = True
        if not changed:
            break
    return level


def _short(title: str) -> str:
    return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1] + "…"


def layout_graph(graph: TaskGraph, states: Mapping[str, str]) -> GraphLayout:
    """Columns by dependency depth, rows by task id within a column."""
    level = _levels(graph)
    columns: dict[int, list[str]] = {}
    for task_id in graph.ids:  # graph.ids is sorted, so rows come out in id order
        columns.setdefault(level[task_id], []).append(task_id)
    nodes: dict[str, GraphNode] = {}
    for column, ids in columns.items():
        for row, task_id in enumerate(ids):
            title = graph.tasks[task_id].title
            nodes[task_id] = GraphNode(
                task_id,
                _short(title),
                title,
                states.get(task_id, "pending"),
                MARGIN + column * (NODE_W + GAP_X),
                MARGIN + row * (NODE_H + GAP_Y),
            )
    edges = []
    for task_id in graph.ids:
        target = nodes[task_id]
        for dep in graph.dependencies(task_id):
            source = nodes.get(dep)
            if source is None or dep == task_id:
                continue
            edges.append(
                GraphEdge(
                    dep,
                    task_id,
                    source.x + NODE_W,
                    source.y + NODE_H // 2,
                    target.x,
                    target.y + NODE_H // 2,
                )
            )
    width = MARGIN * 2 + max(len(columns), 1) * (NODE_W + GAP_X) - GAP_X
    rows = max((len(ids) for ids in columns.values()), default=1)
    height = MARGIN * 2 + rows * (NODE_H + GAP_Y) - GAP_Y
    return GraphLayout(tuple(nodes.values()), tuple(edges), width, height)
