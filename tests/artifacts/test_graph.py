"""The task graph: order, readiness, cycles (named in full), parallel groups."""

from __future__ import annotations

import pytest

from helpers import make_task
from specloop.artifacts import CycleError, Task, TaskGraph, parse_task


def task(task_id: str, deps: tuple[str, ...] = (), scope: tuple[str, ...] | None = None) -> Task:
    files = scope or (f"src/{task_id}.py",)
    return parse_task(make_task(task_id, depends_on="[" + ", ".join(deps) + "]", scope=files))


def test_topological_order_puts_dependencies_first_and_ties_by_id() -> None:
    graph = TaskGraph(
        [task("0x10", ("0x02",)), task("0x03", ("0x01",)), task("0x02"), task("0x01")]
    )
    assert graph.topological_order() == ["0x01", "0x02", "0x03", "0x10"]
    assert graph.waves() == [["0x01", "0x02"], ["0x03", "0x10"]]


def test_ready_needs_every_dependency_done() -> None:
    graph = TaskGraph([task("0x01"), task("0x02", ("0x01",)), task("0x03", ("0x01", "0x02"))])
    assert graph.ready(done=set()) == ["0x01"]
    assert graph.ready(done={"0x01"}) == ["0x02"]
    assert graph.ready(done={"0x01", "0x02"}) == ["0x03"]
    assert graph.ready(done={"0x01"}, exclude={"0x02"}) == []


def test_a_cycle_of_five_names_every_task_in_order() -> None:
    ring = [task(f"0x0{i}", (f"0x0{i % 5 + 1}",)) for i in range(1, 6)]
    graph = TaskGraph([*ring, task("0x06", ("0x05",)), task("0x07")])
    assert graph.cycles() == [["0x01", "0x02", "0x03", "0x04", "0x05", "0x01"]]
    with pytest.raises(CycleError, match="0x01 -> 0x02 -> 0x03 -> 0x04 -> 0x05 -> 0x01"):
        graph.topological_order()
    blocked = graph.blocked()
    assert set(blocked) == {"0x01", "0x02", "0x03", "0x04", "0x05", "0x06"}
    assert "which is blocked" in blocked["0x06"].reason
    assert graph.ready(done=set()) == ["0x07"]


def test_self_dependency_is_a_cycle_of_one() -> None:
    graph = TaskGraph([task("0x01", ("0x01",)), task("0x02")])
    assert graph.cycles() == [["0x01", "0x01"]]
    assert graph.blocked()["0x01"].reason == "dependency cycle: 0x01 -> 0x01"


def test_unknown_dependency_blocks_the_task_and_its_dependents() -> None:
    graph = TaskGraph([task("0x01", ("0x09",)), task("0x02", ("0x01",))])
    assert graph.blocked()["0x01"].reason == "depends on unknown task 0x09"
    assert graph.ready(done=set()) == []


def test_parallel_groups_split_overlapping_scopes() -> None:
    graph = TaskGraph(
        [
            task("0x01", scope=("src/a.py",)),
            task("0x02", scope=("src/*.py",)),
            task("0x03", scope=("docs/x.md",)),
            task("0x04", ("0x01", "0x03"), scope=("src/b.py",)),
        ]
    )
    assert graph.parallel_groups() == [["0x01", "0x03"], ["0x02"], ["0x04"]]
    assert graph.overlapping_unordered_pairs() == [
        ("0x01", "0x02", "src/a.py", "src/*.py"),
        ("0x02", "0x04", "src/*.py", "src/b.py"),
    ]


def test_ordered_tasks_may_share_files() -> None:
    graph = TaskGraph(
        [
            task("0x01", scope=("src/a.py",)),
            task("0x02", ("0x01",), scope=("src/a.py",)),
            task("0x03", ("0x02",), scope=("src/a.py",)),
        ]
    )
    assert graph.overlapping_unordered_pairs() == []


def test_a_long_chain_does_not_hit_the_recursion_limit() -> None:
    chain = [task("0x01")] + [task(f"0x{i:02x}", (f"0x{i - 1:02x}",)) for i in range(2, 3000)]
    graph = TaskGraph(chain)
    assert graph.cycles() == []
    assert graph.topological_order()[-1] == f"0x{2999:02x}"
