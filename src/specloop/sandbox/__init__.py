"""specloop.sandbox: running untrusted commands (agents' tools, completion criteria).

Real processes with a wall-clock timeout that kills the whole process tree, bounded
head+tail output, an environment without secrets, and, where bubblewrap works, a
read-only filesystem with only the worktree writable and no network. Standard library
only; imports nothing else of specloop.
"""

from specloop.sandbox._bwrap import Sandbox, run_sandboxed
from specloop.sandbox._env import is_secret_name, scrubbed_env
from specloop.sandbox._process import (
    TERM_GRACE_SECONDS,
    ProcessResult,
    SandboxError,
    kill_running,
    run_process,
)
from specloop.sandbox._truncate import truncate_middle

__all__ = [
    "TERM_GRACE_SECONDS",
    "ProcessResult",
    "Sandbox",
    "SandboxError",
    "is_secret_name",
    "kill_running",
    "run_process",
    "run_sandboxed",
    "scrubbed_env",
    "truncate_middle",
]
