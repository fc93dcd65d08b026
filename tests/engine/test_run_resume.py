"""Gates, merge conflicts, and recovery: kill -9 during execute, verify and merge; Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from run_project import RunProject, git, new_project

NEW = ("src/new.py",)
MAKES_NEW = ("`test -f src/new.py` passes",)


def test_gated_waits_for_approve_and_reject_retries_with_feedback(tmp_path: Path) -> None:
    p = new_project(tmp_path, autonomy="gated")
    p.task("0x01", files=NEW, criteria=MAKES_NEW)
    p.commit()
    body = 'echo "VALUE = $SPECLOOP_ATTEMPT" > src/new.py\ncp "$SPECLOOP_HANDOVER" /dev/null\n'
    agent = p.agent("good", body)
    first = p.specloop("run", "--executor", agent)
    assert first.code == 0 and p.status()["0x01"]["state"] == "awaiting_approval"
    assert "src/new.py" not in p.main_files()
    rejected = p.specloop("reject", "0x01", "--feedback", "call it VALUE_TWO")
    assert rejected.code == 0 and p.status()["0x01"]["state"] == "ready"
    second = p.specloop("run", "--executor", agent)
    assert second.code == 0 and p.status()["0x01"]["state"] == "awaiting_approval"
    handover = (p.root / ".specloop" / "state" / "handovers" / "0x01-attempt-2.md").read_text()
    assert "call it VALUE_TWO" in handover
    approved = p.specloop("approve", "0x01", "--reason", "looks right")
    assert approved.code == 0, approved.stderr
    assert p.show("src/new.py") == "VALUE = 2\n"


def test_approve_refuses_an_attempt_with_a_failed_check(tmp_path: Path) -> None:
    p = new_project(tmp_path, autonomy="gated")
    p.task("0x01", files=NEW, criteria=MAKES_NEW)
    p.commit()
    p.specloop("run", "--executor", p.agent("lazy", "true\n"))
    result = p.specloop("approve", "0x01")
    assert result.code == 2 and "not awaiting approval" in result.stderr


def test_a_merge_conflict_requeues_on_the_new_base(tmp_path: Path) -> None:
    p = new_project(tmp_path, autonomy="gated")
    shared = ("src/app.py",)
    p.task("0x01", files=shared, criteria=("`grep -q one src/app.py` passes",))
    p.task("0x02", files=shared, criteria=("`grep -q two src/app.py` passes",))
    p.commit()
    one = p.agent("one", "echo 'ONE = \"one\"' >> src/app.py\n")
    two = p.agent("two", "echo 'TWO = \"two\"' >> src/app.py\n")
    assert p.specloop("run", "0x01", "--executor", one).code == 0  # awaits approval
    assert (
        p.specloop("run", "0x02", "--executor", two, "--autonomy", "verified").code == 0
    )  # merged meanwhile
    conflict = p.specloop("approve", "0x01")
    assert conflict.code == 0 and "re-queued" in conflict.stdout
    assert p.status()["0x01"]["state"] == "ready"
    again = p.specloop("run", "0x01", "--executor", one, "--autonomy", "verified")
    assert again.code == 0, again.stdout + again.stderr
    app = p.show("src/app.py")
    assert "ONE" in app and "TWO" in app
    assert git(p.root, "status", "--porcelain") == ""


def start(p: RunProject, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "specloop", *args],
        cwd=p.root,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def kill9(proc: subprocess.Popen[str]) -> None:
    os.killpg(proc.pid, signal.SIGKILL)  # specloop and everything it started
    proc.communicate(timeout=10)


def state(p: RunProject) -> str:
    try:
        return str(p.status()["0x01"]["state"])
    except (KeyError, json.JSONDecodeError):
        return ""


def assert_merged_once(p: RunProject) -> None:
    assert p.status()["0x01"]["state"] == "merged"
    merges = [
        s
        for s in git(p.root, "log", "--format=%s", "main").splitlines()
        if s.startswith("specloop: merge 0x01")
    ]
    assert len(merges) == 1
    assert p.show("src/new.py").startswith("VALUE")
    assert git(p.root, "status", "--porcelain") == ""


def test_kill_9_during_execute_then_resume(tmp_path: Path) -> None:
    p = new_project(tmp_path)
    p.task("0x01", files=NEW, criteria=MAKES_NEW)
    p.commit()
    agent = p.agent(
        "slow-first",
        'if [ "$SPECLOOP_ATTEMPT" = 1 ]; then sleep 60; fi\necho "VALUE = $SPECLOOP_ATTEMPT" > src/new.py\n',
    )
    proc = start(p, "run", "--executor", agent)
    wait_for(lambda: state(p) == "running", "the attempt to start")
    time.sleep(0.5)
    kill9(proc)
    resumed = p.specloop("resume")
    assert resumed.code == 0, resumed.stdout + resumed.stderr
    assert "0x01 attempt abandoned" in resumed.stdout
    assert_merged_once(p)
    assert p.status()["0x01"]["attempts"] == 2


def test_kill_9_during_verify_then_resume(tmp_path: Path) -> None:
    p = new_project(tmp_path)
    p.task("0x01", files=NEW, criteria=("`test -f src/new.py && sleep ${SLOW_CHECK:-0}` passes",))
    p.commit()
    agent = p.agent("good", 'echo "VALUE = $SPECLOOP_ATTEMPT" > src/new.py\n')
    proc = start(p, "run", "--executor", agent, env={"SLOW_CHECK": "60"})
    wait_for(lambda: state(p) == "verifying", "verification to start")
    time.sleep(1.0)
    kill9(proc)
    resumed = p.specloop("resume", env={"SLOW_CHECK": "0"})
    assert resumed.code == 0, resumed.stdout + resumed.stderr
    assert_merged_once(p)


@pytest.mark.parametrize("moment", ["before-merge", "after-merge"])
def test_kill_9_during_merge_then_resume_merges_once(tmp_path: Path, moment: str) -> None:
    p = new_project(tmp_path)
    p.task("0x01", files=NEW, criteria=MAKES_NEW)
    p.commit()
    marker = tmp_path / "at-failpoint"
    agent = p.agent("good", 'echo "VALUE = $SPECLOOP_ATTEMPT" > src/new.py\n')
    proc = start(
        p,
        "run",
        "--executor",
        agent,
        env={"SPECLOOP_FAILPOINT": moment, "SPECLOOP_FAILPOINT_MARKER": str(marker)},
    )
    wait_for(marker.exists, f"specloop to reach {moment}")
    kill9(proc)
    moved = "src/new.py" in p.main_files()
    assert moved is (moment == "after-merge")
    resumed = p.specloop("resume")
    assert resumed.code == 0, resumed.stdout + resumed.stderr
    assert_merged_once(p)
    assert p.status()["0x01"]["attempts"] == 1  # the verified attempt was merged, not redone


def test_ctrl_c_exits_130_and_the_run_resumes(tmp_path: Path) -> None:
    p = new_project(tmp_path)
    p.task("0x01", files=NEW, criteria=MAKES_NEW)
    p.commit()
    agent = p.agent(
        "slow-first",
        'if [ "$SPECLOOP_ATTEMPT" = 1 ]; then sleep 60; fi\necho "VALUE = $SPECLOOP_ATTEMPT" > src/new.py\n',
    )
    proc = start(p, "run", "--executor", agent)
    wait_for(lambda: state(p) == "running", "the attempt to start")
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr
    resumed = p.specloop("resume")
    assert resumed.code == 0, resumed.stderr
    assert_merged_once(p)
