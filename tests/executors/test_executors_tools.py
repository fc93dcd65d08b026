"""The builtin agent's tools called directly: confinement, bounds, errors as answers, events."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from executor_support import BASE_ENV, NO_SANDBOX, SANDBOX, add_worktree, needs_bwrap

from helpers import Repo
from specloop.executors import PLAN_EVENT, TOOL_EVENT, AgentIds, Toolbox
from specloop.ledger import Ledger
from specloop.sandbox import Sandbox


@pytest.fixture
def worktree(repo: Repo) -> Path:
    return add_worktree(repo.root)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    opened = Ledger.open(tmp_path / "ledger.db")
    opened.upsert_task("0x01", title="t")
    yield opened
    opened.close()


def toolbox(
    root: Path,
    *,
    ledger: Ledger | None = None,
    sandbox: Sandbox = NO_SANDBOX,
    seconds: float = 60.0,
) -> Toolbox:
    return Toolbox(
        root,
        sandbox=sandbox,
        env=BASE_ENV,
        deadline=time.monotonic() + seconds,
        ledger=ledger,
        ids=AgentIds(task_id="0x01"),
        scrub=lambda text: text.replace("sk-SECRET", "[redacted]"),
    )


# -- read_file ------------------------------------------------------------------------------


def test_read_file_prints_the_file(worktree: Path) -> None:
    assert toolbox(worktree).read_file("src/app.py") == "def greet():\n    return 'hi'\n"


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("../../../../../etc/passwd", "read_file: ../../../../../etc/passwd: '..' is not allowed"),
        ("/etc/passwd", "read_file: /etc/passwd: use a path relative to the worktree"),
        (".git", "read_file: .git: git's own files are off limits"),
        ("nope.py", "read_file: nope.py: no such file"),
        ("src", "read_file: src: is a directory"),
        ("link/passwd", "read_file: link/passwd: leads outside the worktree"),
    ],
)
def test_read_file_refusals_are_answers(worktree: Path, path: str, error: str) -> None:
    (worktree / "link").symlink_to("/etc")
    assert toolbox(worktree).read_file(path).startswith(error)


def test_read_file_cuts_large_and_refuses_binary_files(worktree: Path) -> None:
    (worktree / "big.txt").write_text("START\n" + "x" * 200_000 + "\nEND\n")
    text = toolbox(worktree).read_file("big.txt")
    assert len(text.encode()) <= 40_000
    assert text.startswith("START") and text.endswith("END\n")
    assert "tokens truncated" in text
    with (worktree / "huge.log").open("wb") as huge:
        huge.truncate(9_000_000)
    assert (
        toolbox(worktree)
        .read_file("huge.log")
        .startswith("read_file: huge.log: 9000000 bytes is too large to read; use search")
    )
    (worktree / "blob.bin").write_bytes(b"\0\1\2" * 10)
    assert (
        toolbox(worktree).read_file("blob.bin")
        == "read_file: blob.bin: binary file (30 bytes), not shown"
    )


# -- list_files and search ---------------------------------------------------------------------


def test_list_files_follows_git(worktree: Path) -> None:
    (worktree / "new.py").write_text("")
    (worktree / "ignored").mkdir()
    (worktree / ".gitignore").write_text("ignored/\n")
    (worktree / "ignored" / "x").write_text("")
    tools = toolbox(worktree)
    assert tools.list_files().splitlines() == [".gitignore", "new.py", "src/app.py"]
    assert tools.list_files("src") == "src/app.py"
    assert tools.list_files("src/app.py") == "src/app.py"
    assert tools.list_files("missing") == "list_files: missing: no such file or directory"
    assert tools.list_files("..").startswith("list_files: ..: '..' is not allowed")


def test_list_files_outside_git_and_bounded(tmp_path: Path) -> None:
    for number in range(2_005):
        (tmp_path / f"f{number:05}.txt").write_text("")
    listed = toolbox(tmp_path).list_files().splitlines()
    assert len(listed) == 2_001
    assert listed[0] == "f00000.txt"
    assert listed[-1] == "... and 5 more files (list a subdirectory)"


def test_search(worktree: Path) -> None:
    (worktree / "src" / "other.py").write_text("x = 1\ndef greet_all():\n    pass\n")
    tools = toolbox(worktree)
    assert tools.search(r"def greet").splitlines() == [
        "src/app.py:1: def greet():",
        "src/other.py:2: def greet_all():",
    ]
    assert tools.search("greet", "src/other.py") == "src/other.py:2: def greet_all():"
    assert tools.search("nothing-like-this") == "(no matches)"
    assert tools.search("(").startswith("search: invalid regular expression '('")


def test_search_is_bounded(tmp_path: Path) -> None:
    (tmp_path / "many.txt").write_text("hit\n" * 500)
    lines = toolbox(tmp_path).search("hit").splitlines()
    assert len(lines) == 201
    assert lines[-1] == "... and 300 more matches (narrow the pattern or the path)"


# -- apply_patch -----------------------------------------------------------------------------


def test_apply_patch_success_and_error_are_answers(worktree: Path) -> None:
    tools = toolbox(worktree)
    ok = tools.apply_patch("*** Begin Patch\n*** Add File: src/hello.py\n+x = 1\n*** End Patch\n")
    assert ok == "Success. Updated the following files:\nA src/hello.py"
    bad = tools.apply_patch(
        "*** Begin Patch\n*** Update File: src/app.py\n@@\n-def gone():\n+def x():\n*** End Patch\n"
    )
    assert bad == "apply_patch: src/app.py: context not found: 'def gone():'"


# -- run_command -----------------------------------------------------------------------------


def test_run_command_reports_the_exit_code_and_output(worktree: Path) -> None:
    tools = toolbox(worktree)
    assert tools.run_command("echo hi; pwd -P") == f"exit code 0\nhi\n{worktree.resolve()}\n"
    assert tools.run_command("echo oops >&2; exit 4") == "exit code 4\noops\n"


def test_run_command_output_is_cut_head_and_tail(worktree: Path) -> None:
    out = toolbox(worktree).run_command(
        "echo FIRST; head -c 3000000 /dev/zero | tr '\\0' y; echo; echo LAST"
    )
    assert out.startswith("exit code 0\nFIRST")
    assert out.rstrip().endswith("LAST")
    assert "tokens truncated" in out
    assert len(out.encode()) < 40_100


def test_run_command_timeout_and_the_attempt_deadline(worktree: Path) -> None:
    started = time.monotonic()
    assert toolbox(worktree).run_command("sleep 30", timeout_s=1).startswith("timed out after 1s")
    # The attempt has 2 s left: a command asking for 120 s gets those 2 s.
    assert toolbox(worktree, seconds=2.0).run_command("sleep 30").startswith("timed out after")
    assert time.monotonic() - started < 15
    late = toolbox(worktree, seconds=0.0).run_command("echo never")
    assert late == "run_command: the attempt's time is up; no command was run"


def test_run_command_gets_no_secrets(worktree: Path) -> None:
    tools = Toolbox(
        worktree,
        sandbox=NO_SANDBOX,
        env={"PATH": BASE_ENV["PATH"]},
        deadline=time.monotonic() + 30,
    )
    assert "OPENAI" not in tools.run_command("env")


@needs_bwrap
def test_run_command_is_contained_by_the_sandbox(worktree: Path) -> None:
    tools = toolbox(worktree, sandbox=SANDBOX)
    out = tools.run_command("touch /etc/specloop-agent-test")
    assert out.startswith("exit code 1\n")
    assert "Read-only file system" in out
    assert not Path("/etc/specloop-agent-test").exists()
    assert tools.run_command("echo made > made.txt && cat made.txt") == "exit code 0\nmade\n"
    assert (worktree / "made.txt").read_text() == "made\n"
    # No network inside: only the loopback interface exists.
    interfaces = tools.run_command("cat /proc/net/dev")
    assert "lo:" in interfaces
    assert all(":" not in line or "lo:" in line for line in interfaces.splitlines()[3:])


# -- update_plan ---------------------------------------------------------------------------------


def test_update_plan_validates_and_keeps_the_plan(worktree: Path, ledger: Ledger) -> None:
    tools = toolbox(worktree, ledger=ledger)
    plan = [
        {"step": "Write hello", "status": "in_progress"},
        {"step": "Test it", "status": "pending"},
    ]
    assert tools.update_plan("Starting.", plan) == "Plan updated"
    assert tools.plan == plan
    two_active = [{"step": "a", "status": "in_progress"}, {"step": "b", "status": "in_progress"}]
    assert tools.update_plan("x", two_active) == (
        "update_plan: 2 steps are in_progress; at most one may be"
    )
    assert tools.update_plan("x", [{"step": "", "status": "done"}]) == (
        "update_plan: item 1 has no step; item 1 has status 'done';"
        " use one of pending, in_progress, completed"
    )
    assert tools.plan == plan  # a rejected plan changes nothing
    (event,) = [e for e in ledger.events() if e.kind == PLAN_EVENT]
    assert event.task_id == "0x01"
    assert event.data == {"explanation": "Starting.", "plan": plan}


# -- events ------------------------------------------------------------------------------------


def test_every_call_is_an_event_with_cut_and_scrubbed_arguments(
    worktree: Path, ledger: Ledger
) -> None:
    tools = toolbox(worktree, ledger=ledger)
    tools.read_file("src/app.py")
    tools.read_file("nope")
    tools.run_command("echo sk-SECRET " + "y" * 5_000)
    events = [e.data for e in ledger.events() if e.kind == TOOL_EVENT]
    assert events[0] == {
        "name": "read_file",
        "arguments": {"path": "src/app.py"},
        "ok": True,
        "output_bytes": len("def greet():\n    return 'hi'\n"),
    }
    assert events[1] is not None and events[1]["ok"] is False
    assert events[2] is not None
    command = events[2]["arguments"]["command"]
    assert command.startswith("echo [redacted] yyy")
    assert command.endswith("... (5016 characters)")
    assert len(command) < 2_100
    assert events[2]["arguments"]["timeout_s"] == 120
    assert len(tools.log) == 3
    assert tools.log[0] == "read_file src/app.py -> ok, 29 bytes"
