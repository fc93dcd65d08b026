"""The bubblewrap sandbox with real processes: what is writable, /tmp, network, the pid namespace."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from specloop.sandbox import ProcessResult, Sandbox, run_sandboxed

ENV = {"PATH": os.environ.get("PATH", os.defpath)}
SANDBOX = Sandbox.detect()
needs_bwrap = pytest.mark.skipif(
    not SANDBOX.available, reason=f"no working sandbox here: {SANDBOX.reason}"
)


def run(script: str, work: Path, *, network: bool = False, timeout: float = 20.0) -> ProcessResult:
    return run_sandboxed(
        SANDBOX, script, cwd=work, env=ENV, timeout=timeout, writable=[work], network=network
    )


@pytest.fixture
def work(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture
def tcp_server() -> Iterator[int]:
    """A TCP server on the host's 127.0.0.1 that answers every connection with `hello`."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.sendall(b"hello")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        server.close()


def test_wrap_when_unavailable_returns_the_command_unchanged(tmp_path: Path) -> None:
    sandbox = Sandbox.disabled("testing")
    assert not sandbox.available and sandbox.reason == "testing"
    command = ["sh", "-c", "echo hi"]
    assert sandbox.wrap(command, writable=[tmp_path], cwd=tmp_path) == command
    result = run_sandboxed(
        sandbox, "echo hi", cwd=tmp_path, env=ENV, timeout=10, writable=[tmp_path]
    )
    assert result.exit_code == 0 and result.output == "hi\n"


def test_wrap_builds_the_bwrap_command(tmp_path: Path) -> None:
    sandbox = Sandbox(available=True, executable="/usr/bin/bwrap")
    argv = sandbox.wrap(["make", "test"], writable=[tmp_path], cwd=tmp_path)
    w = str(tmp_path.resolve())
    assert argv == [
        "/usr/bin/bwrap",
        "--ro-bind", "/", "/",
        "--dev", "/dev",
        "--proc", "/proc",
        "--setenv", "TMPDIR", "/dev/shm",
        "--setenv", "TMP", "/dev/shm",
        "--setenv", "TEMP", "/dev/shm",
        "--bind", w, w,
        "--unshare-pid",
        "--unshare-net",
        "--cap-drop", "ALL",
        "--die-with-parent",
        "--new-session",
        "--chdir", w,
        "--", "make", "test",
    ]  # fmt: skip
    shared = sandbox.wrap(["true"], writable=[], network=True, cwd=tmp_path)
    assert "--unshare-net" not in shared


def test_detect_is_cached() -> None:
    assert Sandbox.detect() is Sandbox.detect()
    if not SANDBOX.available:
        assert SANDBOX.reason


@needs_bwrap
def test_writes_inside_the_writable_dir_work(work: Path) -> None:
    result = run("echo data > inside.txt && mkdir -p sub && echo more > sub/x", work)
    assert result.exit_code == 0, result.output
    assert (work / "inside.txt").read_text() == "data\n"
    assert (work / "sub" / "x").read_text() == "more\n"


@needs_bwrap
def test_writes_outside_the_writable_dirs_fail(work: Path, tmp_path: Path) -> None:
    sibling = tmp_path / "sibling"
    sibling.mkdir()
    outside = Path("/usr/local") / f"specloop-sandbox-{uuid.uuid4().hex}"
    home = Path("/root") / f"specloop-sandbox-{uuid.uuid4().hex}"
    host_tmp = Path("/tmp") / f"specloop-sandbox-{uuid.uuid4().hex}"
    try:
        for target in (sibling / "x", outside, home, host_tmp):
            result = run(f"touch {target}", work)
            assert result.exit_code != 0, f"could write {target}"
            assert not target.exists()
    finally:
        for path in (outside, home, host_tmp):
            path.unlink(missing_ok=True)


@needs_bwrap
def test_no_capabilities_even_as_root(work: Path) -> None:
    """bwrap run by root keeps root's capabilities unless told otherwise, and with
    CAP_SYS_ADMIN a command could remount / read-write and write anywhere."""
    target = Path("/usr/local") / f"specloop-sandbox-{uuid.uuid4().hex}"
    try:
        result = run(
            f"grep CapEff /proc/self/status; mount -o remount,rw / && touch {target}", work
        )
        assert "CapEff:\t0000000000000000" in result.output
        assert result.exit_code != 0
        assert not target.exists()
    finally:
        target.unlink(missing_ok=True)


@needs_bwrap
def test_the_private_tmp_is_private_and_the_hosts_tmp_is_readable(work: Path) -> None:
    name = f"specloop-sandbox-{uuid.uuid4().hex}"
    host_file = Path("/tmp") / f"{name}-host"
    host_file.write_text("host")
    try:
        result = run(
            f'echo private > "$TMPDIR/{name}" && cat "$TMPDIR/{name}" && cat {host_file}', work
        )
        assert result.exit_code == 0, result.output
        assert result.output == "private\nhost"
        assert not (Path("/dev/shm") / name).exists()
    finally:
        host_file.unlink()


@needs_bwrap
def test_no_network_unless_asked(work: Path, tcp_server: int) -> None:
    client = (
        f'{sys.executable} -c "import socket; '
        f"s = socket.create_connection(('127.0.0.1', {tcp_server}), timeout=3); "
        f'print(s.recv(5).decode())"'
    )
    isolated = run(client, work)
    assert isolated.exit_code != 0
    assert "Connection refused" in isolated.output or "unreachable" in isolated.output
    shared = run(client, work, network=True)
    assert shared.exit_code == 0, shared.output
    assert shared.output == "hello\n"


@needs_bwrap
def test_processes_that_leave_the_session_die_with_the_sandbox(work: Path) -> None:
    """The pid namespace ends with the command: even a setsid escapee is killed, which a
    process group alone cannot do."""
    script = "(setsid sh -c 'sleep 1; echo late > late.txt' &) ; echo done"
    result = run(script, work)
    assert result.exit_code == 0 and result.output == "done\n"
    time.sleep(2)
    assert not (work / "late.txt").exists()


@needs_bwrap
def test_timeout_in_the_sandbox_kills_everything(work: Path) -> None:
    script = "setsid sh -c 'sleep 2; echo late > late.txt' & sleep 100"
    started = time.monotonic()
    result = run(script, work, timeout=1)
    assert result.timed_out and result.exit_code is None
    assert time.monotonic() - started < 5
    time.sleep(2)
    assert not (work / "late.txt").exists()


@needs_bwrap
def test_exit_code_and_output_pass_through(work: Path) -> None:
    result = run("echo out; echo err >&2; exit 7", work)
    assert result.exit_code == 7
    assert result.output == "out\nerr\n"
