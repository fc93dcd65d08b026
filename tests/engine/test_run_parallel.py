"""`specloop run --parallel N` and `--best-of N`, through the real CLI with cmd: agents.

Whether two attempts ran at the same time is read from the ledger's event log (ids
only grow): attempts overlapped when one started executing before the other finished.
"""

from __future__ import annotations

import signal
import sqlite3
import time
from pathlib import Path

from run_project import RunProject, git, new_project
from test_run_resume import start, wait_for

from specloop.engine._engine import executor_names

WRITE_OWN = 'mkdir -p out && echo "$SPECLOOP_TASK_ID" > "out/$SPECLOOP_TASK_ID.txt"\n'


def _events(p: RunProject) -> list[tuple[int, str, str | None]]:
    path = p.root / ".specloop" / "state" / "ledger.db"
    if not path.exists():
        return []  # specloop has not created it yet (never create it from here)
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT id, kind, task_id FROM events ORDER BY id").fetchall()
    return [(int(i), str(k), t) for i, k, t in rows]


def _interval(p: RunProject, task_id: str) -> tuple[int, int]:
    """Event ids of the task's first execute intent and its last `attempt.executed`."""
    events = [(i, k) for i, k, t in _events(p) if t == task_id]
    begin = min(i for i, k in events if k == "attempt.execute_intent")
    end = max(i for i, k in events if k == "attempt.executed")
    return begin, end


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _marker_tasks(p: RunProject, ids: list[str], *, shared: str | None = None) -> None:
    for task_id in ids:
        files = (f"out/{task_id}.txt",) + ((shared,) if shared else ())
        p.task(task_id, files=files, criteria=(f"`test -f out/{task_id}.txt` passes",))
    p.commit("tasks")


def test_parallel_runs_scope_disjoint_tasks_at_the_same_time(tmp_path: Path) -> None:
    p = new_project(tmp_path)
    ids = ["0x01", "0x02", "0x03"]
    _marker_tasks(p, ids)
    agent = p.agent("slow", "sleep 1\n" + WRITE_OWN)

    result = p.specloop("run", "--executor", agent, "--parallel", "3")

    assert result.code == 0, result.stderr
    assert {t: p.status()[t]["state"] for t in ids} == dict.fromkeys(ids, "merged")
    intervals = [_interval(p, t) for t in ids]
    assert _overlap(intervals[0], intervals[1]) and _overlap(intervals[1], intervals[2])
    assert [p.show(f"out/{t}.txt").strip() for t in ids] == ids
    assert git(p.root, "status", "--porcelain") == ""
    assert git(p.root, "branch", "--list", "specloop/*") == ""  # merged branches retired


def test_tasks_whose_scopes_overlap_never_run_together(tmp_path: Path) -> None:
    p = new_project(tmp_path)
    # 0x01 and 0x02 may both write docs/shared.md; 0x03 shares nothing.
    _marker_tasks(p, ["0x01", "0x02"], shared="docs/shared.md")
    _marker_tasks(p, ["0x03"])
    agent = p.agent("slow", "sleep 1\n" + WRITE_OWN)

    result = p.specloop("run", "--executor", agent, "--parallel", "3")

    assert result.code == 0, result.stderr
    first, second, third = (_interval(p, t) for t in ("0x01", "0x02", "0x03"))
    assert not _overlap(first, second)
    assert _overlap(first, third) or _overlap(second, third)


def test_parallel_respects_dependencies(tmp_path: Path) -> None:
    p = new_project(tmp_path)
    _marker_tasks(p, ["0x01"])
    p.task(
        "0x02",
        files=("out/0x02.txt",),
        criteria=("`test -f out/0x02.txt` passes",),
        depends_on="[0x01]",
    )
    p.commit("dependent task")
    # The dependent task's agent proves it sees the first task's merged file.
    agent = p.agent(
        "needs-first",
        'if [ "$SPECLOOP_TASK_ID" = 0x02 ]; then test -f out/0x01.txt; fi\nsleep 0.3\n' + WRITE_OWN,
    )

    result = p.specloop("run", "--executor", agent, "--parallel", "2")

    assert result.code == 0, result.stderr
    assert not _overlap(_interval(p, "0x01"), _interval(p, "0x02"))
    assert p.status()["0x02"]["state"] == "merged"


def test_best_of_picks_the_passing_attempt_then_the_smaller_diff(tmp_path: Path) -> None:
    p = new_project(tmp_path)
    _marker_tasks(p, ["0x01"])
    # Attempt 1 writes nothing (fails its criterion), 2 writes three lines, 3 writes one.
    agent = p.agent(
        "varied",
        'case "$SPECLOOP_ATTEMPT" in\n'
        "  1) exit 0 ;;\n"
        '  2) mkdir -p out && printf "a\\nb\\nc\\n" > out/0x01.txt ;;\n'
        "  3) mkdir -p out && echo a > out/0x01.txt ;;\n"
        "esac\n",
    )

    result = p.specloop("run", "0x01", "--executor", agent, "--best-of", "3")

    assert result.code == 0, result.stderr
    assert p.show("out/0x01.txt") == "a\n"
    assert "attempt 3" in result.stdout and "won" in result.stdout
    kept = git(p.root, "branch", "--list", "specloop/0x01/*").split()
    assert kept == ["specloop/0x01/attempt-1", "specloop/0x01/attempt-2"]
    with sqlite3.connect(p.root / ".specloop" / "state" / "ledger.db") as conn:
        decisions = conn.execute(
            "SELECT decision, actor, reason FROM decisions WHERE task_id = '0x01' ORDER BY id"
        ).fetchall()
        outcomes = dict(conn.execute("SELECT number, outcome FROM attempts").fetchall())
    assert decisions[0][:2] == ("best-of", "policy:best-of-3")
    assert "smaller diff" in decisions[0][2] and "every check passed" in decisions[0][2]
    assert outcomes == {1: "lost", 2: "lost", 3: "merged"}


def test_front_matter_best_of_runs_that_many_attempts(tmp_path: Path) -> None:
    p = new_project(tmp_path)
    p.task(
        "0x01",
        files=("out/0x01.txt",),
        criteria=("`test -f out/0x01.txt` passes",),
        extra_front="best_of: 2\n",
    )
    p.commit("tasks")
    agent = p.agent("plain", WRITE_OWN)

    result = p.specloop("run", "--executor", agent)

    assert result.code == 0, result.stderr
    assert p.status()["0x01"]["attempts"] == 2
    assert p.status()["0x01"]["state"] == "merged"


def test_best_of_where_every_attempt_fails_fails_the_task(tmp_path: Path) -> None:
    p = new_project(tmp_path)
    _marker_tasks(p, ["0x01"])
    agent = p.agent("idle", "true\n")

    result = p.specloop("run", "--executor", agent, "--best-of", "2")

    assert result.code == 1
    assert p.status()["0x01"]["state"] == "failed"
    assert git(p.root, "ls-tree", "--name-only", "main", "out") == ""


def test_bad_parallel_and_best_of_values_are_refused(tmp_path: Path) -> None:
    p = new_project(tmp_path)
    _marker_tasks(p, ["0x01"])
    agent = p.agent("plain", WRITE_OWN)
    for args, needle in (
        (("--parallel", "0"), "--parallel must be from 1 to 64"),
        (("--best-of", "17"), "--best-of must be from 1 to 16"),
    ):
        result = p.specloop("run", "--executor", agent, *args)
        assert result.code == 2, result.stderr
        assert needle in result.stderr
    assert p.status()["0x01"]["state"] == "ready"


def test_executor_lists_split_on_commas_except_a_command() -> None:
    assert executor_names("codex,claude") == ["codex", "claude"]
    assert executor_names("builtin") == ["builtin"]
    assert executor_names("cmd:echo a,b") == ["cmd:echo a,b"]


def test_ctrl_c_stops_every_parallel_attempt_and_resume_finishes(tmp_path: Path) -> None:
    p = new_project(tmp_path)
    ids = ["0x01", "0x02"]
    _marker_tasks(p, ids)
    agent = p.agent("slow-first", 'if [ "$SPECLOOP_ATTEMPT" = 1 ]; then sleep 60; fi\n' + WRITE_OWN)
    proc = start(p, "run", "--executor", agent, "--parallel", "2")
    wait_for(
        lambda: sum(1 for _, k, _t in _events(p) if k == "attempt.execute_intent") == 2,
        "both attempts to start",
    )
    began = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)

    assert proc.returncode == 130, stderr
    assert time.monotonic() - began < 15  # the 60 s agents were stopped, not waited for
    resumed = p.specloop("resume")
    assert resumed.code == 0, resumed.stderr
    assert {t: p.status()[t]["state"] for t in ids} == dict.fromkeys(ids, "merged")
    assert git(p.root, "status", "--porcelain") == ""
