"""The builtin agent's tools: read, list, search, apply_patch, run a command, update the plan.

Names, arguments and output follow the commands they stand for (workflow rules §9.2):
``read_file`` prints a file like ``cat``, ``list_files`` like ``git ls-files``,
``search`` like ``grep -n``, ``run_command`` prints the exit code and the output.
Every tool answers with a string, errors included (``"read_file: x.py: no such
file"``): the model reads the error and corrects itself, and the run goes on.

File tools run in specloop's own process and are confined to the worktree by path
checks; ``run_command`` runs in the sandbox. Each call is recorded as an ``agent.tool``
event; calls are serialized, so two patches never interleave.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specloop.executors._base import OUTPUT_LIMIT_BYTES
from specloop.executors._gitdirs import writable_roots
from specloop.executors._patch import PatchError, apply_patch, describe
from specloop.executors._paths import PathRefused, confine, shown
from specloop.gitops import GitError, ls_files
from specloop.ledger import Ledger
from specloop.sandbox import Sandbox, run_sandboxed, truncate_middle

TOOL_EVENT = "agent.tool"
PLAN_EVENT = "agent.plan"

_MAX_LISTED = 2_000
_MAX_MATCHES = 200
_MAX_LINE_CHARS = 300
_MAX_SEARCH_FILE_BYTES = 2_000_000
_MAX_READ_BYTES = 8_000_000
_MAX_ARGUMENT_CHARS = 2_000  # per argument, in the ledger event
_PLAN_STATUSES = ("pending", "in_progress", "completed")


class _ToolError(Exception):
    """A tool's refusal or failure, shown to the model as the tool's answer."""


@dataclass(frozen=True)
class AgentIds:
    """Where the agent's events go in the ledger."""

    run_id: int | None = None
    task_id: str | None = None
    attempt_id: int | None = None


class Toolbox:
    """The tools of one agent run in one worktree. ``tools()`` is what the model gets."""

    def __init__(
        self,
        worktree: Path,
        *,
        sandbox: Sandbox,
        env: Mapping[str, str],
        deadline: float,
        ledger: Ledger | None = None,
        ids: AgentIds = AgentIds(),
        scrub: Callable[[str], str] = lambda text: text,
    ) -> None:
        self.root = worktree.absolute()
        self.sandbox = sandbox
        self.env = dict(env)
        self.deadline = deadline  # time.monotonic() value after which commands stop
        self.ledger = ledger
        self.ids = ids
        self.scrub = scrub
        self.plan: list[dict[str, str]] = []
        self.log: list[str] = []  # one line per call, for the executor's output
        self._lock = threading.Lock()
        self._roots: list[Path] | None = None

    def tools(self) -> list[Callable[..., str]]:
        """The tool functions, in the order the model sees them."""
        return [
            self.read_file,
            self.list_files,
            self.search,
            self.apply_patch,
            self.run_command,
            self.update_plan,
        ]

    # -- the tools (their docstrings are what the model reads) -------------------------

    def read_file(self, path: str) -> str:
        """Print a text file of the worktree, like `cat`. Very long files are cut in the middle.

        Args:
            path: The file's path relative to the worktree root, e.g. `src/app.py`.
        """
        return self._call("read_file", {"path": path}, lambda: self._read(path))

    def list_files(self, path: str = ".") -> str:
        """List the files under a directory, one path per line, like `git ls-files` (ignored files are left out).

        Args:
            path: A directory (or file) relative to the worktree root; `.` is the whole worktree.
        """
        return self._call("list_files", {"path": path}, lambda: self._list(path))

    def search(self, pattern: str, path: str = ".") -> str:
        """Search text files for a regular expression, like `grep -rn`; prints `file:line: text`.

        Args:
            pattern: A Python regular expression, matched against each line.
            path: A directory or file relative to the worktree root to search in.
        """
        arguments = {"pattern": pattern, "path": path}
        return self._call("search", arguments, lambda: self._search(pattern, path))

    def apply_patch(self, patch: str) -> str:
        """Edit files with a patch. This is the only way to create, change, move or delete files.

        Example:

            *** Begin Patch
            *** Add File: src/new.py
            +first line of the new file
            +second line
            *** Update File: src/old.py
            *** Move to: src/renamed.py
            @@ def some_function():
             unchanged line
            -line to remove
            +line to add
             unchanged line
            *** Delete File: src/obsolete.py
            *** End Patch

        Every line of an added file starts with `+`. In an Update, lines start with
        a space (unchanged context), `-` (remove) or `+` (add); give about 3 unchanged
        lines around each change. `@@ TEXT` (optional) names a line just above the
        change, such as the enclosing `def` or `class`, to find the right place;
        start each further change in the same file with `@@`. `*** Move to:`
        (optional) renames the file. Add `*** End of File` after a change at the very
        end of a file. Paths are relative to the worktree root. The patch applies
        completely or not at all.

        Args:
            patch: The whole patch text, from `*** Begin Patch` to `*** End Patch`.
        """
        return self._call("apply_patch", {"patch": patch}, lambda: self._patch(patch))

    def run_command(self, command: str, timeout_s: int = 120) -> str:
        """Run a shell command (`sh -c`) in the worktree root; prints the exit code and the output.

        The command runs in a sandbox: only the worktree is writable and there is no
        network. Long output is cut in the middle.

        Args:
            command: The command line, e.g. `python -m pytest -q tests/test_app.py`.
            timeout_s: Seconds after which the command is stopped.
        """
        arguments = {"command": command, "timeout_s": timeout_s}
        return self._call("run_command", arguments, lambda: self._run(command, timeout_s))

    def update_plan(self, explanation: str, plan: list[dict[str, str]]) -> str:
        """Record your plan for a multi-step task and each step's status.

        Args:
            explanation: Why the plan changed, in one sentence.
            plan: The steps in order, each `{"step": "...", "status": "pending" | "in_progress" | "completed"}`; at most one step is in_progress.
        """
        arguments = {"explanation": explanation, "plan": plan}
        return self._call("update_plan", arguments, lambda: self._update_plan(explanation, plan))

    # -- what they do ------------------------------------------------------------------

    def _path(self, tool: str, path: str, *, allow_root: bool = False) -> Path:
        try:
            return confine(self.root, path, allow_root=allow_root)
        except PathRefused as exc:
            raise _ToolError(f"{tool}: {exc}") from None

    def _read(self, path: str) -> str:
        full = self._path("read_file", path)
        if full.is_dir():
            raise _ToolError(f"read_file: {path}: is a directory (use list_files)")
        if not full.exists():
            raise _ToolError(f"read_file: {path}: no such file")
        size = full.stat().st_size
        if size > _MAX_READ_BYTES:
            # Only 40 kB of it would be shown anyway; reading it all could exhaust memory.
            raise _ToolError(
                f"read_file: {path}: {size} bytes is too large to read; use search, or"
                " run_command with head, tail or sed -n"
            )
        data = full.read_bytes()
        if b"\0" in data[:8192]:
            raise _ToolError(f"read_file: {path}: binary file ({len(data)} bytes), not shown")
        return truncate_middle(data.decode("utf-8", errors="replace"), OUTPUT_LIMIT_BYTES)

    def _files(self, tool: str, path: str) -> list[str]:
        """The files under ``path`` (worktree-relative), git's view when it is a checkout."""
        full = self._path(tool, path, allow_root=True)
        if not full.exists():
            raise _ToolError(f"{tool}: {path}: no such file or directory")
        if full.is_file():
            return [shown(self.root, full)]
        relative = shown(self.root, full)
        try:
            return ls_files(self.root, [] if relative == "." else [relative])
        except GitError:
            pass  # not a git checkout: walk the directory instead
        found: list[str] = []
        for directory, subdirs, names in os.walk(full):
            subdirs[:] = sorted(d for d in subdirs if d != ".git")
            found.extend(shown(self.root, Path(directory) / name) for name in sorted(names))
        return found

    def _list(self, path: str) -> str:
        files = self._files("list_files", path)
        if not files:
            return "(no files)"
        listed = "\n".join(files[:_MAX_LISTED])
        if len(files) > _MAX_LISTED:
            listed += f"\n... and {len(files) - _MAX_LISTED} more files (list a subdirectory)"
        return listed

    def _search(self, pattern: str, path: str) -> str:
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise _ToolError(f"search: invalid regular expression {pattern!r}: {exc}") from None
        matches: list[str] = []
        more = 0
        for name in self._files("search", path):
            full = self.root / name
            try:
                if full.is_symlink() or full.stat().st_size > _MAX_SEARCH_FILE_BYTES:
                    continue
                data = full.read_bytes()
            except OSError:
                continue  # listed but gone or unreadable: nothing to search
            if b"\0" in data[:8192]:
                continue
            for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
                if regex.search(line):
                    if len(matches) < _MAX_MATCHES:
                        matches.append(f"{name}:{number}: {line[:_MAX_LINE_CHARS]}")
                    else:
                        more += 1
        if not matches:
            return "(no matches)"
        text = "\n".join(matches)
        if more:
            text += f"\n... and {more} more matches (narrow the pattern or the path)"
        return truncate_middle(text, OUTPUT_LIMIT_BYTES)

    def _patch(self, patch: str) -> str:
        try:
            return describe(apply_patch(patch, self.root))
        except PatchError as exc:
            raise _ToolError(str(exc)) from None

    def _run(self, command: str, timeout_s: int) -> str:
        remaining = self.deadline - time.monotonic()
        if remaining < 1:
            raise _ToolError("run_command: the attempt's time is up; no command was run")
        # A command may not outlive the attempt: the agent run stops at the deadline,
        # and a command still running then would hold the attempt open.
        timeout = min(max(float(timeout_s), 1.0), remaining)
        done = run_sandboxed(
            self.sandbox,
            command,
            cwd=self.root,
            env=self.env,
            timeout=timeout,
            writable=self._writable(),
            network=False,
            output_limit_bytes=OUTPUT_LIMIT_BYTES,
        )
        head = f"timed out after {timeout:g}s" if done.timed_out else f"exit code {done.exit_code}"
        result = f"{head}\n{done.output}"
        if not done.ok:
            raise _ToolError(result)
        return result

    def _writable(self) -> list[Path]:
        if self._roots is None:
            self._roots = writable_roots(self.root)
        return self._roots

    def _update_plan(self, explanation: str, plan: list[dict[str, str]]) -> str:
        problems: list[str] = []
        for number, item in enumerate(plan, 1):
            step, status = item.get("step", ""), item.get("status", "")
            if not isinstance(step, str) or not step.strip():
                problems.append(f"item {number} has no step")
            if status not in _PLAN_STATUSES:
                problems.append(
                    f"item {number} has status {status!r}; use one of {', '.join(_PLAN_STATUSES)}"
                )
        active = sum(1 for item in plan if item.get("status") == "in_progress")
        if active > 1:
            problems.append(f"{active} steps are in_progress; at most one may be")
        if problems:
            raise _ToolError("update_plan: " + "; ".join(problems))
        self.plan = [{"step": item["step"], "status": item["status"]} for item in plan]
        self._record(PLAN_EVENT, {"explanation": self.scrub(explanation), "plan": self.plan})
        return "Plan updated"

    # -- recording ---------------------------------------------------------------------

    def _call(self, name: str, arguments: dict[str, Any], work: Callable[[], str]) -> str:
        with self._lock:
            try:
                output, ok = work(), True
            except _ToolError as exc:
                output, ok = str(exc), False
            except OSError as exc:
                # The disk, not the model, failed; the model still gets to hear about it.
                output, ok = f"{name}: {exc.strerror or exc}", False
            size = len(output.encode("utf-8", "replace"))
            brief = self.scrub(_brief(arguments))
            self.log.append(f"{name} {brief} -> {'ok' if ok else 'error'}, {size} bytes")
            data = {
                "name": name,
                "arguments": {k: self._cut(v) for k, v in arguments.items()},
                "ok": ok,
                "output_bytes": size,
            }
            self._record(TOOL_EVENT, data)
            return output

    def _cut(self, value: Any) -> Any:
        if isinstance(value, int | float | bool):
            return value
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        text = self.scrub(text)
        if len(text) > _MAX_ARGUMENT_CHARS:
            text = text[:_MAX_ARGUMENT_CHARS] + f"... ({len(text)} characters)"
        return text

    def _record(self, kind: str, data: dict[str, Any]) -> None:
        if self.ledger is None:
            return
        self.ledger.append_event(
            kind,
            run_id=self.ids.run_id,
            task_id=self.ids.task_id,
            attempt_id=self.ids.attempt_id,
            data=data,
        )


def _brief(arguments: Mapping[str, Any]) -> str:
    """The first argument, on one short line, for the executor's log."""
    if not arguments:
        return ""
    first = str(next(iter(arguments.values())))
    line = first.splitlines()[0] if first else ""
    return line[:80] + ("..." if len(first) > len(line[:80]) else "")
