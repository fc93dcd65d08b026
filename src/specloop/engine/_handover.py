"""The handover: everything one attempt's agent session gets, and nothing else.

Stable parts come first so a provider's prompt cache hits across attempts and tasks:
the rules (fixed text), the AGENTS.md chain, the task file, the files in scope; the
part that changes between attempts (the previous verification output or a human's
feedback) comes last. Tokens are estimated as bytes / 4, the rule the harness guide
uses for truncation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from specloop.artifacts import AgentsChain, Task, literal_prefix, matches, render_task
from specloop.gitops import ls_files

RULES = """\
# How to work on this task

You are a coding agent working on one task in a git worktree of this repository.
- Modify only the files listed under "Files to Modify" in the task (new files must be listed there too).
  specloop checks this mechanically; a change to any other file fails the attempt.
- Stop as soon as the completion criteria are met; specloop runs every criterion itself.
- Do not commit, switch branches or push: specloop commits your changes when you stop.
- At the end, state the assumptions you made, in one short list.
"""

#: Files in scope larger than this are shown as a map (their outline), not in full.
MAX_FILE_BYTES = 24_000
#: Past this many bytes of file contents, further files are listed by name only.
MAX_FILES_BYTES = 120_000


@dataclass(frozen=True)
class Handover:
    """The prompt of one attempt and its estimated size."""

    text: str

    @property
    def tokens(self) -> int:
        """Estimated tokens (UTF-8 bytes / 4)."""
        return len(self.text.encode("utf-8")) // 4


def _agents_section(chain: AgentsChain, root: Path) -> str:
    parts = []
    for file in chain.files:
        directory = (
            file.directory.relative_to(root).as_posix()
            if file.directory.is_relative_to(root)
            else str(file.directory)
        )
        parts.append(
            f"# AGENTS.md instructions for {directory or '.'}\n\n<INSTRUCTIONS>\n{file.text.strip()}\n</INSTRUCTIONS>"
        )
    return "\n\n".join(parts)


def _outline(text: str) -> str:
    """A map of a large file: its line count and the lines that define things."""
    keep = [
        f"{number}: {line.rstrip()}"
        for number, line in enumerate(text.splitlines(), start=1)
        if line.lstrip().startswith(("def ", "class ", "async def ", "function ", "export ", "#"))
        and len(line) < 200
    ]
    return f"({len(text.splitlines())} lines; outline)\n" + "\n".join(keep[:200])


def scope_files(worktree: Path, task: Task) -> list[str]:
    """Files of the worktree that fall inside the task's scope (existing ones only)."""
    # Ask git only under each entry's literal leading directories (`src/**/*.py` ->
    # `src`): listing and matching all of a large repository costs tens of ms.
    prefixes = [literal_prefix(pattern) for pattern in task.scope_patterns]
    if not prefixes or not all(prefixes):
        known = ls_files(worktree)
    else:
        known = ls_files(worktree, [":(literal)" + "/".join(prefix) for prefix in prefixes])
    return [
        path for path in known if any(matches(pattern, path) for pattern in task.scope_patterns)
    ]


def _files_section(worktree: Path, task: Task) -> str:
    parts: list[str] = []
    budget = MAX_FILES_BYTES
    existing = scope_files(worktree, task)
    for path in existing:
        try:
            text = (worktree / path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            parts.append(f"## {path}\n\n(binary or unreadable; not shown)")
            continue
        size = len(text.encode("utf-8"))
        if size > MAX_FILE_BYTES or size > budget:
            parts.append(f"## {path}\n\n{_outline(text)}")
            continue
        budget -= size
        parts.append(f"## {path}\n\n````\n{text}\n````")
    missing = [p for p in task.scope_patterns if not any(matches(p, e) for e in existing)]
    if missing:
        parts.append(
            "New files you may create (they do not exist yet):\n"
            + "\n".join(f"- {p}" for p in missing)
        )
    return "\n\n".join(parts) if parts else "(no files in scope exist yet)"


def build_handover(
    root: Path, worktree: Path, task: Task, chain: AgentsChain, *, feedback: str = ""
) -> Handover:
    """The handover for `task` in `worktree` (a checkout of the base)."""
    sections = [
        RULES,
        _agents_section(chain, root) or "(this repository has no AGENTS.md)",
        "# The task\n\n" + render_task(task),
        "# Files in scope, as they are now\n\n" + _files_section(worktree, task),
    ]
    if feedback.strip():
        sections.append("# What happened last time (fix this)\n\n" + feedback.strip())
    return Handover("\n\n".join(s.strip() for s in sections) + "\n")
