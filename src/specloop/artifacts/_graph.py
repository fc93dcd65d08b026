"""The task graph: order, readiness, cycles, and which tasks may run side by side."""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from specloop.artifacts._scope import (
    has_magic,
    literal_prefix,
    normalize_pattern,
    patterns_may_overlap,
)
from specloop.artifacts._tasks import Task, task_sort_key


class CycleError(ValueError):
    """The dependencies loop; `cycle` lists the ids in order, first id repeated at the end."""

    def __init__(self, cycle: list[str]) -> None:
        super().__init__("dependency cycle: " + " -> ".join(cycle))
        self.cycle = cycle


@dataclass(frozen=True)
class Blocked:
    """Why a task can never become ready as the files stand."""

    task_id: str
    reason: str


class TaskGraph:
    """Tasks by id with their dependency edges. Ids must be unique (lint reports duplicates;
    here the first task with an id wins)."""

    def __init__(self, tasks: Iterable[Task]) -> None:
        self.tasks: dict[str, Task] = {}
        for task in sorted(tasks, key=lambda t: task_sort_key(t.id)):
            self.tasks.setdefault(task.id, task)
        self.ids: list[str] = list(self.tasks)
        self._cycles: list[list[str]] | None = None

    def dependencies(self, task_id: str) -> tuple[str, ...]:
        """The ids this task depends on, as written."""
        return self.tasks[task_id].depends_on

    def unknown_dependencies(self, task_id: str) -> list[str]:
        """Dependencies that name no task."""
        return [dep for dep in self.tasks[task_id].depends_on if dep not in self.tasks]

    def cycles(self) -> list[list[str]]:
        """One concrete cycle per strongly connected component (self-loops included),
        each naming every task of that component in dependency order where possible."""
        if self._cycles is None:
            self._cycles = [self._cycle_in(component) for component in self._components()]
        return self._cycles

    def _components(self) -> list[list[str]]:
        # Tarjan's algorithm, iterative so a long chain of tasks cannot hit the recursion limit.
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        result: list[list[str]] = []
        counter = 0
        for start in self.ids:
            if start in index:
                continue
            work: list[tuple[str, int]] = [(start, 0)]
            while work:
                node, child = work.pop()
                if child == 0:
                    index[node] = low[node] = counter
                    counter += 1
                    stack.append(node)
                    on_stack.add(node)
                deps = [d for d in self.tasks[node].depends_on if d in self.tasks]
                if child < len(deps):
                    work.append((node, child + 1))
                    dep = deps[child]
                    if dep not in index:
                        work.append((dep, 0))
                    elif dep in on_stack:
                        low[node] = min(low[node], index[dep])
                    continue
                for dep in deps:
                    if dep in on_stack:
                        low[node] = min(low[node], low[dep])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in self.tasks[node].depends_on:
                        result.append(sorted(component, key=task_sort_key))
        return sorted(result, key=lambda c: task_sort_key(c[0]))

    def _cycle_in(self, component: list[str]) -> list[str]:
        members = set(component)
        start = component[0]
        # Walk dependencies inside the component, preferring unvisited members, until we return.
        path = [start]
        seen = {start}
        node = start
        while True:
            deps = [d for d in self.tasks[node].depends_on if d in members]
            fresh = [d for d in deps if d not in seen]
            if not fresh:
                back = start if start in deps else deps[0]
                return [*path[path.index(back) :], back]
            node = fresh[0]
            path.append(node)
            seen.add(node)

    def blocked(self) -> dict[str, Blocked]:
        """Tasks on a cycle, with an unknown dependency, or behind such a task."""
        out: dict[str, Blocked] = {}
        for cycle in self.cycles():
            for member in cycle[:-1] if len(cycle) > 1 else cycle:
                out[member] = Blocked(member, "dependency cycle: " + " -> ".join(cycle))
        for task_id in self.ids:
            unknown = self.unknown_dependencies(task_id)
            if unknown and task_id not in out:
                out[task_id] = Blocked(task_id, "depends on unknown task " + ", ".join(unknown))
        changed = True
        while changed:
            changed = False
            for task_id in self.ids:
                if task_id in out:
                    continue
                bad = [d for d in self.tasks[task_id].depends_on if d in out]
                if bad:
                    out[task_id] = Blocked(task_id, f"depends on {bad[0]}, which is blocked")
                    changed = True
        return out

    def topological_order(self) -> list[str]:
        """Every id, dependencies first, ties by id. Raises CycleError on a cycle."""
        cycles = self.cycles()
        if cycles:
            raise CycleError(cycles[0])
        order: list[str] = []
        done: set[str] = set()
        remaining = list(self.ids)
        while remaining:
            layer = [
                t
                for t in remaining
                if all(d in done or d not in self.tasks for d in self.dependencies(t))
            ]
            order.extend(layer)
            done.update(layer)
            remaining = [t for t in remaining if t not in done]
        return order

    def ready(self, done: Collection[str], exclude: Collection[str] = ()) -> list[str]:
        """Tasks not done whose dependencies are all done (and that are not blocked)."""
        blocked = self.blocked()
        return [
            t
            for t in self.ids
            if t not in done
            and t not in exclude
            and t not in blocked
            and all(d in done for d in self.dependencies(t))
        ]

    def waves(self) -> list[list[str]]:
        """Tasks by depth: wave k depends only on waves before k (blocked tasks left out)."""
        blocked = self.blocked()
        depth: dict[str, int] = {}
        for task_id in self._order_without_cycles():
            if task_id in blocked:
                continue
            deps = [d for d in self.dependencies(task_id) if d in depth]
            depth[task_id] = 1 + max((depth[d] for d in deps), default=-1)
        waves: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
        for task_id, level in depth.items():
            waves[level].append(task_id)
        return waves

    def _order_without_cycles(self) -> list[str]:
        """Topological order of the tasks not on a cycle (edges into a cycle are ignored)."""
        on_cycle = {member for cycle in self.cycles() for member in cycle}
        return TaskGraph(self.tasks[t] for t in self.ids if t not in on_cycle).topological_order()

    def scopes_overlap(self, a: str, b: str) -> bool:
        """Whether two tasks might change the same file."""
        return any(
            patterns_may_overlap(x, y)
            for x in self.tasks[a].scope_patterns
            for y in self.tasks[b].scope_patterns
        )

    def parallel_groups(self) -> list[list[str]]:
        """Batches that may run at the same time: within each wave, greedily packed so no
        two tasks in a batch share a dependency edge or an overlapping scope."""
        groups: list[list[str]] = []
        for wave in self.waves():
            batches: list[list[str]] = []
            for task_id in wave:
                for batch in batches:
                    if not any(self.scopes_overlap(task_id, other) for other in batch):
                        batch.append(task_id)
                        break
                else:
                    batches.append([task_id])
            groups.extend(batches)
        return groups

    def ancestors(self) -> dict[str, int]:
        """Each task's transitive dependencies as a bit set over positions in `self.ids`
        (a task on a cycle gets only its direct dependencies)."""
        position = {t: i for i, t in enumerate(self.ids)}
        ancestors: dict[str, int] = {}
        acyclic = self._order_without_cycles()
        rest = [t for t in self.ids if t not in set(acyclic)]
        for task_id in acyclic + rest:
            bits = 0
            for dep in self.dependencies(task_id):
                if dep in position:
                    bits |= (1 << position[dep]) | ancestors.get(dep, 0)
            ancestors[task_id] = bits
        return ancestors

    def overlapping_unordered_pairs(self) -> list[tuple[str, str, str, str]]:
        """(a, b, pattern of a, pattern of b) for tasks whose scopes overlap although
        neither depends on the other: they can never run in parallel."""
        position = {t: i for i, t in enumerate(self.ids)}
        ancestors = self.ancestors()
        literals: dict[str, list[tuple[str, str]]] = {}
        globs: list[tuple[str, str, tuple[str, ...]]] = []
        for task_id in self.ids:
            for raw in self.tasks[task_id].scope_patterns:
                pattern = normalize_pattern(raw)
                if has_magic(pattern):
                    globs.append((task_id, raw, literal_prefix(pattern)))
                else:
                    literals.setdefault(pattern, []).append((task_id, raw))
        candidates: set[tuple[str, str, str, str]] = set()
        for owners in literals.values():
            for i, (a, pa) in enumerate(owners):
                for b, pb in owners[i + 1 :]:
                    candidates.add((a, b, pa, pb))
        sorted_literals = sorted((tuple(path.split("/")), path) for path in literals)
        keys = [key for key, _ in sorted_literals]
        for i, (a, pa, prefix) in enumerate(globs):
            start = bisect.bisect_left(keys, prefix)
            for key, path in sorted_literals[start:]:
                if key[: len(prefix)] != prefix:
                    break
                if patterns_may_overlap(pa, path):
                    candidates.update((a, b, pa, pb) for b, pb in literals[path])
            for b, pb, other in globs[i + 1 :]:
                shorter = min(len(prefix), len(other))
                if prefix[:shorter] == other[:shorter] and patterns_may_overlap(pa, pb):
                    candidates.add((a, b, pa, pb))
        pairs = []
        for a, b, pa, pb in sorted(
            candidates, key=lambda c: (task_sort_key(c[0]), task_sort_key(c[1]))
        ):
            if a == b:
                continue
            first, second = sorted((a, b), key=task_sort_key)
            ordered = (ancestors[first] >> position[second]) & 1 or (
                ancestors[second] >> position[first]
            ) & 1
            if not ordered:
                pairs.append((a, b, pa, pb) if first == a else (b, a, pb, pa))
        unique: dict[tuple[str, str], tuple[str, str, str, str]] = {}
        for pair in pairs:
            unique.setdefault((pair[0], pair[1]), pair)
        return list(unique.values())
