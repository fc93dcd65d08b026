"""The AGENTS.md chain: which instruction files apply in a directory, root to leaf.

Rules (reference/workflow-rules.md §7.3): an optional global file first; then, from the
repository root down to the target directory, at most one file per directory
(`AGENTS.override.md`, else `AGENTS.md`, else the first fallback name); empty files
are skipped; files are concatenated root to leaf until the byte cap (32 KiB).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from specloop.artifacts._diagnostics import Diagnostic, ParseError, Severity
from specloop.artifacts._text import read_text, relative_path

DEFAULT_MAX_BYTES = 32 * 1024
AGENTS_NAMES = ("AGENTS.override.md", "AGENTS.md")
_REVIEW_SECTION = re.compile(
    r"^ {0,3}#{1,6}\s+(review guidelines|code review rules)\b", re.I | re.M
)


@dataclass(frozen=True)
class AgentsFile:
    """One file of the chain, as it is used (possibly cut at the byte cap)."""

    path: Path
    directory: Path
    text: str
    truncated: bool = False


@dataclass(frozen=True)
class AgentsChain:
    """The files that apply, root to leaf, and what was shadowed, empty or cut."""

    files: tuple[AgentsFile, ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def text(self) -> str:
        """The chain concatenated root to leaf, blank-line separated."""
        return "\n\n".join(f.text.strip("\n") for f in self.files)

    @property
    def has_review_section(self) -> bool:
        """Whether any file has `Review guidelines` or `Code Review Rules`."""
        return any(_REVIEW_SECTION.search(f.text) for f in self.files)


def _pick(directory: Path, names: Sequence[str], root: Path, out: list[Diagnostic]) -> Path | None:
    present = [directory / name for name in names if (directory / name).is_file()]
    for shadowed in present[1:]:
        out.append(
            Diagnostic(
                relative_path(shadowed, root),
                1,
                1,
                "A001",
                Severity.WARNING,
                f"shadowed by {present[0].name} in the same directory; this file is ignored",
            )
        )
    return present[0] if present else None


def _cut_utf8(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def resolve_agents_chain(
    root: Path,
    target: Path | None = None,
    *,
    global_file: Path | None = None,
    fallback_names: Sequence[str] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> AgentsChain:
    """Resolve the chain for `target` (a directory inside `root`; default the root)."""
    root = root.resolve()
    target = (target or root).resolve()
    if not target.is_relative_to(root):
        raise ValueError(f"{target} is not inside the repository {root}")
    names = (*AGENTS_NAMES, *fallback_names)
    diagnostics: list[Diagnostic] = []
    candidates: list[Path] = []
    if global_file is not None and global_file.is_file():
        candidates.append(global_file)
    directories = [
        root,
        *(
            root / Path(*target.relative_to(root).parts[:n])
            for n in range(1, len(target.relative_to(root).parts) + 1)
        ),
    ]
    for directory in directories:
        picked = _pick(directory, names, root, diagnostics)
        if picked is not None:
            candidates.append(picked)

    files: list[AgentsFile] = []
    used = 0
    for index, path in enumerate(candidates):
        shown = relative_path(path, root)
        try:
            text = read_text(path, max_bytes=max(max_bytes, 1024 * 1024))
        except ParseError as exc:
            diagnostics.append(exc.to_diagnostic(shown))
            continue
        if not text.strip():
            diagnostics.append(
                Diagnostic(shown, 1, 1, "A002", Severity.WARNING, "empty file; skipped")
            )
            continue
        size = len(text.encode("utf-8"))
        if used + size > max_bytes:
            kept = _cut_utf8(text, max_bytes - used)
            dropped = [relative_path(p, root) for p in candidates[index + 1 :]]
            message = f"the chain passes {max_bytes} bytes: this file is cut after {len(kept.encode())} of {size} bytes"
            if dropped:
                message += "; dropped: " + ", ".join(dropped)
            diagnostics.append(Diagnostic(shown, 1, 1, "A003", Severity.WARNING, message))
            if kept.strip():
                files.append(AgentsFile(path, path.parent, kept, truncated=True))
            break
        files.append(AgentsFile(path, path.parent, text))
        used += size
    return AgentsChain(tuple(files), tuple(diagnostics))
