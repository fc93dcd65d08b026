"""Bubblewrap: the whole filesystem read-only, the worktree and a private tmp writable,
no network, its own pid namespace, no capabilities.

What stays open: reading every file the user can read (secrets are kept out of the
environment, not out of reach on disk), and HOME is read-only, so tools that write
caches there need a writable path of their own.

Detection runs the exact options `wrap` uses once per process: bwrap can be on PATH and
still be unusable (no user namespaces in a container, a setuid bit missing), and a
check that only ran `bwrap --ro-bind / / true` could pass where `--proc` or
`--unshare-net` then fail on every command.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from specloop.sandbox._process import ProcessResult, SandboxError, run_process

_PROBE_TIMEOUT = 10.0


@dataclass(frozen=True)
class Sandbox:
    """Whether commands can be isolated here, and how to wrap them when they can."""

    available: bool
    reason: str = ""  # why not, when not available
    executable: str = "bwrap"

    @classmethod
    def detect(cls) -> Sandbox:
        """Bubblewrap if it is on PATH and a trial run works; the answer is cached per process."""
        return _detect()

    @classmethod
    def disabled(cls, reason: str) -> Sandbox:
        """A sandbox that wraps nothing (commands run as they are), saying why."""
        return cls(available=False, reason=reason)

    def wrap(
        self, command: Sequence[str], *, writable: Sequence[Path], network: bool = False, cwd: Path
    ) -> list[str]:
        """The argv that runs `command` in the sandbox, or `command` itself when unavailable.

        Inside: `/` read-only (the host's /tmp included), fresh /dev and /proc, a private
        writable tmp at /dev/shm named by TMPDIR (what is written there vanishes), each
        `writable` path bound
        read-write at the same place, a new pid namespace (when the command ends, all it
        started ends with it), no capabilities (even when specloop runs as root), a new
        session (no terminal injection through TIOCSTI), and, unless `network`, a new network namespace holding only its own loopback.
        `network=True` shares the host's network, for executors that must reach a model
        endpoint on the host's 127.0.0.1.
        """
        if not self.available:
            return list(command)
        argv = [self.executable, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        # The private tmp is the fresh /dev's own shm tmpfs, named by TMPDIR/TMP/TEMP: no
        # host directory is covered, so the host's /tmp and /var/tmp stay visible (read-only,
        # like everything else). User scripts, repositories and data often live there, and
        # hiding /tmp behind a tmpfs broke `cmd:sh /tmp/agent.sh`.
        for name in ("TMPDIR", "TMP", "TEMP"):
            argv += ["--setenv", name, PRIVATE_TMP]
        for path in writable:
            resolved = str(Path(path).resolve())
            argv += ["--bind", resolved, resolved]
        argv += ["--unshare-pid"]
        if not network:
            argv += ["--unshare-net"]
        # Run as root, bwrap keeps the caller's capabilities, and CAP_SYS_ADMIN can simply
        # remount / read-write (seen on this project's machines); drop them all.
        argv += ["--cap-drop", "ALL"]
        argv += ["--die-with-parent", "--new-session", "--chdir", str(Path(cwd).resolve())]
        return [*argv, "--", *command]


#: The sandbox's private, writable temporary directory (a tmpfs that vanishes with it).
PRIVATE_TMP = "/dev/shm"


@functools.cache
def _detect() -> Sandbox:
    if os.name != "posix":
        return Sandbox.disabled("bubblewrap needs Linux")
    executable = shutil.which("bwrap")
    if executable is None:
        return Sandbox.disabled("bwrap is not installed (apt-get install bubblewrap)")
    candidate = Sandbox(available=True, executable=executable)
    true = shutil.which("true") or "/bin/true"
    root = Path("/")
    try:
        trial = run_process(
            candidate.wrap([true], writable=[], cwd=root),
            cwd=root,
            env={"PATH": os.environ.get("PATH", os.defpath)},
            timeout=_PROBE_TIMEOUT,
            output_limit_bytes=2_000,
        )
    except SandboxError as exc:
        return Sandbox.disabled(f"bwrap cannot be started: {exc}")
    if not trial.ok:
        said = trial.output.strip().splitlines()
        why = said[-1] if said else f"exit code {trial.exit_code}"
        if trial.timed_out:
            why = f"no answer within {_PROBE_TIMEOUT:g} s"
        return Sandbox.disabled(f"bwrap is installed but does not work here: {why}")
    return candidate


def run_sandboxed(
    sandbox: Sandbox,
    command: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    writable: Sequence[Path],
    network: bool = False,
    output_limit_bytes: int = 40_000,
) -> ProcessResult:
    """Run the shell command `command` (`sh -c`) in `sandbox`, like `run_process` otherwise."""
    argv = sandbox.wrap(["/bin/sh", "-c", command], writable=writable, network=network, cwd=cwd)
    return run_process(
        argv, cwd=cwd, env=env, timeout=timeout, output_limit_bytes=output_limit_bytes
    )
