"""The cmd:COMMAND executor with real processes: env, cwd, exit codes, timeouts, output, sandbox."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from executor_support import (
    BASE_ENV,
    SANDBOX,
    add_worktree,
    git,
    make_request,
    needs_bwrap,
    outside_tmp_worktree,
)

from helpers import Repo
from specloop.executors import CmdExecutor, ExecutionResult, writable_roots


@pytest.fixture
def worktree(repo: Repo) -> Path:
    """A linked worktree of the test repository (under the system temp directory)."""
    return add_worktree(repo.root)


@pytest.fixture
def outside_worktree() -> Iterator[Path]:
    with outside_tmp_worktree() as path:
        yield path


def run(command: str, worktree: Path, **options: object) -> ExecutionResult:
    return CmdExecutor(command).run(make_request(worktree, **options))  # type: ignore[arg-type]


def gone(pid: int, wait: float = 2.0) -> bool:
    """Whether no process has this pid any more (a zombie counts as gone).

    SIGKILL takes effect asynchronously, so a just-killed process may be seen for a
    moment; ``wait`` seconds are allowed for it to die.
    """
    deadline = time.monotonic() + wait
    while True:
        try:
            with Path(f"/proc/{pid}/stat").open() as stat:
                if stat.read().split(") ")[-1].startswith("Z"):
                    return True
        except FileNotFoundError:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def test_env_and_cwd(worktree: Path) -> None:
    request = make_request(worktree)
    assert not request.handover_path.exists()
    result = CmdExecutor("env | grep ^SPECLOOP_ | sort > seen.txt; pwd -P >> seen.txt").run(request)
    assert result.ok, result.output
    lines = (worktree / "seen.txt").read_text().splitlines()
    env = dict(line.split("=", 1) for line in lines[:-1])
    handover = request.handover_path.absolute()
    assert env == {
        "SPECLOOP_ATTEMPT": "1",
        "SPECLOOP_HANDOVER": str(handover),
        "SPECLOOP_TASK_FILE": str(request.task_file.absolute()),
        "SPECLOOP_TASK_ID": "0x01",
        "SPECLOOP_WORKTREE": str(worktree.absolute()),
    }
    assert lines[-1] == str(worktree.resolve())
    # The handover file did not exist: the executor wrote it.
    assert handover.read_text() == request.handover


def test_an_existing_handover_file_is_left_alone(worktree: Path) -> None:
    request = make_request(worktree)
    request.handover_path.parent.mkdir(parents=True)
    request.handover_path.write_text("written by the engine")
    assert CmdExecutor('cat "$SPECLOOP_HANDOVER" > h.txt').run(request).ok
    assert (worktree / "h.txt").read_text() == "written by the engine"


def test_secrets_are_scrubbed_unless_kept(worktree: Path) -> None:
    env = {**BASE_ENV, "OPENAI_API_KEY": "sk-secret-1", "GITHUB_TOKEN": "ghp_2", "COLOR": "blue"}
    request = make_request(worktree, env=env)
    assert CmdExecutor("env > env.txt").run(request).ok
    seen = (worktree / "env.txt").read_text()
    assert "COLOR=blue" in seen
    assert "sk-secret-1" not in seen and "ghp_2" not in seen
    assert CmdExecutor("env > env.txt", keep_env=["OPENAI_API_KEY"]).run(request).ok
    assert "OPENAI_API_KEY=sk-secret-1" in (worktree / "env.txt").read_text()


@pytest.mark.parametrize(("code", "ok"), [(0, True), (1, False), (3, False)])
def test_exit_codes(worktree: Path, code: int, ok: bool) -> None:
    result = run(f"echo out; echo err >&2; exit {code}", worktree)
    assert (result.ok, result.exit_code, result.timed_out) == (ok, code, False)
    assert "out" in result.output and "err" in result.output
    assert result.summary.startswith(f"exit {code} in ")
    assert result.summary.endswith(" s")
    assert result.usage is None


def test_timeout_kills_the_whole_process_group(worktree: Path) -> None:
    started = time.monotonic()
    result = run("sleep 60 & echo $! > child.pid; sleep 60", worktree, timeout=1.0)
    assert time.monotonic() - started < 10
    assert (result.ok, result.exit_code, result.timed_out) == (False, None, True)
    assert result.summary == "timed out after 1 s"
    assert gone(int((worktree / "child.pid").read_text()))


def test_children_that_outlive_the_command_are_killed(worktree: Path) -> None:
    started = time.monotonic()
    result = run(
        "(sleep 3; echo late > late.txt) & echo $! > child.pid; exit 0", worktree, timeout=30.0
    )
    assert result.ok
    assert time.monotonic() - started < 3
    assert gone(int((worktree / "child.pid").read_text()))
    time.sleep(3.5)
    assert not (worktree / "late.txt").exists()


def test_megabytes_of_output_are_truncated_head_and_tail(worktree: Path) -> None:
    result = run("echo FIRST; head -c 5000000 /dev/zero | tr '\\0' x; echo; echo LAST", worktree)
    assert result.ok
    assert len(result.output.encode()) <= 40_000
    assert result.output.startswith("FIRST")
    assert result.output.rstrip().endswith("LAST")
    assert "tokens truncated" in result.output


def test_a_missing_worktree_is_a_failed_run_not_a_crash(tmp_path: Path) -> None:
    missing = tmp_path / "state" / "worktrees" / "gone"
    result = CmdExecutor("true").run(make_request(missing))
    assert not result.ok
    assert result.summary.startswith("could not start")


def test_an_empty_command_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a command"):
        CmdExecutor("  ")


# -- the sandbox ----------------------------------------------------------------------------


def test_writable_roots_of_a_linked_worktree(worktree: Path) -> None:
    common = worktree.parent.parent.parent.parent / ".git"
    roots = [root.resolve() for root in writable_roots(worktree)]
    assert roots == [
        worktree.resolve(),
        (common / "worktrees" / "w1").resolve(),
        (common / "objects").resolve(),
        (common / "refs").resolve(),
        (common / "logs").resolve(),
    ]


def test_writable_roots_of_a_plain_directory(tmp_path: Path) -> None:
    assert writable_roots(tmp_path) == [tmp_path]


@needs_bwrap
def test_sandbox_allows_the_worktree_and_commits(outside_worktree: Path) -> None:
    worktree = outside_worktree
    script = (
        "echo new > inside.txt && git add inside.txt && "
        "git -c user.name=a -c user.email=a@b commit -q -m agent && git status --short"
    )
    result = CmdExecutor(script).run(make_request(worktree, sandbox=SANDBOX))
    assert result.ok, result.output
    assert (worktree / "inside.txt").read_text() == "new\n"
    assert git(worktree, "log", "-1", "--format=%s").strip() == "agent"


@needs_bwrap
@pytest.mark.parametrize(
    "target",
    [
        "/etc/specloop-test",
        "$MAIN/src/app.py",
        "$MAIN/new-file.txt",
        "$MAIN/.git/config",
        "$MAIN/.git/hooks/pre-commit",
        "$HOME/specloop-test",
    ],
)
def test_sandbox_refuses_writes_outside(outside_worktree: Path, target: str) -> None:
    worktree = outside_worktree
    main = worktree.parent.parent.parent.parent
    before = (main / "src" / "app.py").read_text()
    env = {**BASE_ENV, "MAIN": str(main)}
    result = CmdExecutor(f'echo pwned > "{target}"').run(
        make_request(worktree, sandbox=SANDBOX, env=env)
    )
    assert not result.ok
    assert "Read-only file system" in result.output or "Permission denied" in result.output
    assert (main / "src" / "app.py").read_text() == before
    assert not (main / "new-file.txt").exists()
    assert not Path("/etc/specloop-test").exists()
    assert "pwned" not in (main / ".git" / "config").read_text()


@needs_bwrap
def test_sandbox_refuses_git_config_changes(outside_worktree: Path) -> None:
    worktree = outside_worktree
    main = worktree.parent.parent.parent.parent
    result = CmdExecutor("git config core.fsmonitor 'touch /tmp/owned'").run(
        make_request(worktree, sandbox=SANDBOX)
    )
    assert not result.ok
    assert "fsmonitor" not in (main / ".git" / "config").read_text()


@needs_bwrap
def test_sandbox_under_tmp_leaves_the_main_repository_untouched(worktree: Path) -> None:
    main = worktree.parent.parent.parent.parent
    result = CmdExecutor(f"echo pwned > {main}/src/app.py; echo ok > inside.txt").run(
        make_request(worktree, sandbox=SANDBOX)
    )
    assert result.ok, result.output
    assert (main / "src" / "app.py").read_text() == "def greet():\n    return 'hi'\n"
    assert (worktree / "inside.txt").read_text() == "ok\n"


@needs_bwrap
def test_sandboxed_command_still_reaches_the_network_of_the_host(worktree: Path) -> None:
    # cmd: agents talk to their model endpoint; the sandbox shares the host's network.
    result = CmdExecutor("cat /proc/net/dev > dev.txt").run(make_request(worktree, sandbox=SANDBOX))
    assert result.ok
    with Path("/proc/net/dev").open() as host:
        host_interfaces = {line.split(":")[0].strip() for line in host if ":" in line}
    seen = (worktree / "dev.txt").read_text()
    assert all(name in seen for name in host_interfaces)
