"""run_process with real processes: exit codes, timeouts that kill the tree, bounded output."""

from __future__ import annotations

import os
import re
import signal
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from specloop.sandbox import ProcessResult, SandboxError, run_process

ENV = {"PATH": os.environ.get("PATH", os.defpath)}


def sh(script: str, cwd: Path, *, timeout: float = 20.0, limit: int = 40_000) -> ProcessResult:
    return run_process(
        script, cwd=cwd, env=ENV, timeout=timeout, output_limit_bytes=limit, shell=True
    )


def alive(pid: int) -> bool:
    """Whether `pid` runs; a zombie (dead, waiting for init to reap it) does not."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_gone(pid: int, within: float = 5.0) -> bool:
    """Whether process `pid` is dead within `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes in process group `pgid`, from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _ppid, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(group) == pgid and state != "Z":
            members.append(int(stat.parent.name))
    return members


def group_gone(pgid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not group_members(pgid):
            return True
        time.sleep(0.05)
    return False


def read_pids(path: Path) -> list[int]:
    return [int(word) for word in path.read_text().split()]


def test_exit_codes_and_interleaved_output(tmp_path: Path) -> None:
    ok = sh("echo out; echo err >&2; exit 0", tmp_path)
    assert ok.exit_code == 0 and ok.ok and not ok.timed_out and not ok.truncated
    assert ok.output == "out\nerr\n"
    assert ok.output_bytes == len(b"out\nerr\n")

    failed = sh("exit 3", tmp_path)
    assert failed.exit_code == 3 and not failed.ok and not failed.timed_out

    killed = sh("kill -9 $$", tmp_path)
    assert killed.exit_code == -signal.SIGKILL and not killed.timed_out


def test_argv_and_string_commands_run_without_a_shell(tmp_path: Path) -> None:
    argv = run_process(
        [sys.executable, "-c", "import sys; print(sys.argv[1])", "a b"],
        cwd=tmp_path,
        env=ENV,
        timeout=20,
    )
    assert argv.output == "a b\n"
    split = run_process("echo 'one  two' $HOME", cwd=tmp_path, env=ENV, timeout=20)
    assert split.output == "one  two $HOME\n"  # shlex-split, no shell expansion


def test_runs_in_cwd_with_only_the_given_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROBE_FROM_PARENT", "leaked")
    result = sh('pwd; echo "[${PROBE_FROM_PARENT-}]" "[${HOME-unset}]"', tmp_path)
    assert result.output.splitlines() == [str(tmp_path), "[] [unset]"]
    with_var = run_process(
        "sh -c 'echo $PROBE'", cwd=tmp_path, env={**ENV, "PROBE": "yes"}, timeout=20
    )
    assert with_var.output == "yes\n"


def test_stdin_is_empty(tmp_path: Path) -> None:
    result = sh("cat; echo done", tmp_path, timeout=5)
    assert result.output == "done\n" and not result.timed_out


def test_a_program_that_cannot_start_raises_sandbox_error(tmp_path: Path) -> None:
    with pytest.raises(SandboxError) as missing:
        run_process(["no-such-program-specloop"], cwd=tmp_path, env=ENV, timeout=5)
    assert isinstance(missing.value, FileNotFoundError)
    assert "no-such-program-specloop" in str(missing.value)
    with pytest.raises(SandboxError):
        run_process(["true"], cwd=tmp_path / "missing-dir", env=ENV, timeout=5)
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)  # not executable
    with pytest.raises(SandboxError):
        run_process([str(script)], cwd=tmp_path, env=ENV, timeout=5)
    with pytest.raises(SandboxError):
        run_process([], cwd=tmp_path, env=ENV, timeout=5)


def test_a_failing_shell_command_is_a_result_not_an_error(tmp_path: Path) -> None:
    result = sh("no-such-program-specloop", tmp_path)
    assert result.exit_code == 127
    assert "not found" in result.output


def test_timeout_kills_the_command_and_its_children(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    started = time.monotonic()
    result = sh(f"sleep 100 & echo $! > {pids}; echo $$ >> {pids}; sleep 100", tmp_path, timeout=1)
    elapsed = time.monotonic() - started
    assert result.timed_out and result.exit_code is None and not result.ok
    assert 1.0 <= elapsed < 10
    assert 900 <= result.duration_ms < 10_000
    child, shell = read_pids(pids)
    assert wait_gone(child), "the background child survived the timeout"
    assert wait_gone(shell)
    assert group_gone(shell)


def test_timeout_escalates_to_sigkill_when_sigterm_is_ignored(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    started = time.monotonic()
    result = sh(f"trap '' TERM; echo $$ > {pids}; sleep 100", tmp_path, timeout=0.5)
    assert result.timed_out and result.exit_code is None
    assert time.monotonic() - started >= 2.0  # the 2 s grace after SIGTERM
    assert wait_gone(read_pids(pids)[0])


def test_a_setsid_grandchild_escapes_but_the_group_is_gone(tmp_path: Path) -> None:
    """Without the sandbox only the process group can be killed; bwrap's pid namespace
    catches the escapee (see test_sandbox_bwrap)."""
    pids = tmp_path / "pids"
    script = f"setsid sleep 100 & echo $! > {pids}; sleep 100 & echo $! >> {pids}; echo $$ >> {pids}; sleep 100"
    result = sh(script, tmp_path, timeout=1)
    escaped, child, shell = read_pids(pids)
    try:
        assert result.timed_out
        assert group_gone(shell)
        assert wait_gone(child)
    finally:
        os.kill(escaped, signal.SIGKILL)


def test_children_that_outlive_the_command_are_killed(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    started = time.monotonic()
    result = sh(f"(sleep 30 & echo $! > {pids}) ; echo bye; exit 0", tmp_path)
    assert result.exit_code == 0 and result.output == "bye\n" and not result.timed_out
    assert time.monotonic() - started < 10  # did not wait for the orphan
    assert wait_gone(read_pids(pids)[0]), "the orphaned child is still running"


def test_fifty_megabytes_of_output_stay_bounded(tmp_path: Path) -> None:
    size = 50_000_000
    tracemalloc.start()
    try:
        result = sh(
            f"yes 0123456789abcdef | head -c {size}; echo; echo THE-END", tmp_path, limit=40_000
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.exit_code == 0 and result.truncated
    assert result.output_bytes == size + len("\nTHE-END\n")
    assert len(result.output.encode()) <= 40_000
    assert result.output.startswith("0123456789abcdef\n")
    assert result.output.endswith("\nTHE-END\n")
    marker = re.search(r"\n…(\d+) tokens truncated…\n", result.output)
    assert marker is not None
    omitted = result.output_bytes - len(result.output.encode()) + len(marker.group(0).encode())
    assert int(marker.group(1)) == (omitted + 3) // 4  # about 12.5 million tokens
    assert peak < 2_000_000, f"reading the output used {peak} bytes"


def test_undecodable_output_is_replaced_not_fatal(tmp_path: Path) -> None:
    result = sh(r"printf 'a\377b\n'", tmp_path)
    assert result.output == "a\ufffdb\n"
