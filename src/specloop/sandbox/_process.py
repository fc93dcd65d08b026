"""Running a command that may misbehave: hang, flood its output, or leave children behind.

Every command gets its own process group (session), so the whole tree it starts can be
signalled at once; output is read as it comes and only its head and tail are kept.
"""

from __future__ import annotations

import contextlib
import os
import select
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from specloop.sandbox._truncate import HeadTail

#: Seconds between SIGTERM and SIGKILL when a command runs out of time.
TERM_GRACE_SECONDS = 2.0
#: Seconds to wait for the output pipe to close once the process group is gone; a
#: process that left the group (setsid) may hold it open forever.
_DRAIN_GRACE_SECONDS = 1.0
_CHUNK = 64 * 1024
_MAX_POLL_MS = 2**31 - 1


# Process groups of the commands running now, so that a Ctrl-C in the main thread can
# stop what worker threads started (each group is its own session: the terminal's
# SIGINT never reaches it).
_RUNNING: set[int] = set()
_RUNNING_LOCK = threading.Lock()


def kill_running() -> int:
    """SIGKILL every process group that `run_process` is waiting on now; how many.

    Each `run_process` call then returns (killed, exit -9) as after any other kill.
    """
    with _RUNNING_LOCK:
        groups = list(_RUNNING)
    for pgid in groups:
        _signal_group(pgid, signal.SIGKILL)
    return len(groups)


class SandboxError(FileNotFoundError):
    """The program could not be started at all: missing, not executable, or a bad cwd."""


@dataclass(frozen=True)
class ProcessResult:
    """How a command ended and what it printed (stdout and stderr interleaved)."""

    exit_code: int | None  # None when killed by the timeout; -N when killed by signal N
    output: str  # decoded with errors="replace", head and tail kept when over the limit
    timed_out: bool
    duration_ms: int
    truncated: bool
    output_bytes: int  # everything the process wrote, kept or not

    @property
    def ok(self) -> bool:
        """The command finished in time and exited 0."""
        return self.exit_code == 0 and not self.timed_out


class _Reader(threading.Thread):
    """Drains a pipe into a bounded head+tail buffer until EOF or until told to stop."""

    def __init__(self, fd: int, limit_bytes: int) -> None:
        super().__init__(name="specloop-output-reader", daemon=True)
        self._fd = fd
        self._stop_reading = threading.Event()
        self.buffer = HeadTail(limit_bytes)

    def run(self) -> None:
        poller = select.poll()
        poller.register(self._fd, select.POLLIN)
        # A short poll timeout lets finish() stop a reader whose pipe never reaches EOF.
        while not self._stop_reading.is_set():
            if not poller.poll(100):
                continue
            chunk = os.read(self._fd, _CHUNK)
            if not chunk:
                return
            self.buffer.feed(chunk)

    def finish(self, grace: float) -> None:
        """Wait up to `grace` seconds for EOF, then stop reading."""
        self.join(grace)
        self._stop_reading.set()
        self.join()


def _argv(command: Sequence[str] | str, shell: bool) -> list[str]:
    if shell:
        script = command if isinstance(command, str) else shlex.join(command)
        return ["/bin/sh", "-c", script]
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    if not argv:
        raise SandboxError("cannot start an empty command")
    return argv


def _wait_exit(process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait until `process` has exited, without reaping it; False on timeout.

    Leaving the exited leader unreaped (a zombie) keeps its pid, and so its process-group
    id, from being reused, so signalling the group afterwards cannot hit a stranger.
    """
    if process.returncode is not None:
        return True
    try:
        pidfd = os.pidfd_open(process.pid)
    except (AttributeError, OSError):  # not Linux >= 5.3: reaping now is the best we can do
        try:
            process.wait(max(timeout, 0))
        except subprocess.TimeoutExpired:
            return False
        return True
    try:
        poller = select.poll()
        poller.register(pidfd, select.POLLIN)
        return bool(poller.poll(min(max(int(timeout * 1000), 0), _MAX_POLL_MS)))
    finally:
        os.close(pidfd)


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    # ProcessLookupError: the group is already empty.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def run_process(
    command: Sequence[str] | str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    output_limit_bytes: int = 40_000,
    shell: bool = False,
) -> ProcessResult:
    """Run `command` to completion or to its `timeout` (seconds, wall clock) and report.

    A string command is split like a shell would (`shlex`) unless `shell` is true, in
    which case it runs as `/bin/sh -c command`. stdin is /dev/null. On timeout the whole
    process group gets SIGTERM, then SIGKILL after 2 s; whether or not it timed out, what
    is left of the group is killed once the command itself has exited, so no child
    outlives the call. A failing command is a result, never an exception: only a program
    that cannot be started raises SandboxError.
    """
    argv = _argv(command, shell)
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            bufsize=0,
        )
    except OSError as exc:
        raise SandboxError(f"cannot start {argv[0]!r} in {cwd}: {exc.strerror or exc}") from exc
    with process:
        assert process.stdout is not None
        reader = _Reader(process.stdout.fileno(), output_limit_bytes)
        reader.start()
        timed_out = False
        with _RUNNING_LOCK:
            _RUNNING.add(process.pid)
        try:
            timed_out = not _wait_exit(process, timeout)
            if timed_out:
                _signal_group(process.pid, signal.SIGTERM)
                _wait_exit(process, TERM_GRACE_SECONDS)
        finally:
            # Also on KeyboardInterrupt: nothing of the group may outlive this call.
            _signal_group(process.pid, signal.SIGKILL)
            with _RUNNING_LOCK:
                _RUNNING.discard(process.pid)
            returncode = process.wait()
            duration_ms = int((time.monotonic() - started) * 1000)
            reader.finish(_DRAIN_GRACE_SECONDS)
    output, truncated = reader.buffer.render()
    return ProcessResult(
        exit_code=None if timed_out else returncode,
        output=output,
        timed_out=timed_out,
        duration_ms=duration_ms,
        truncated=truncated,
        output_bytes=reader.buffer.total,
    )
