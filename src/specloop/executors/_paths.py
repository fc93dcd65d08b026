"""Confining an agent's paths to its worktree.

The builtin agent's file tools run inside specloop's own process, not in the sandbox,
so this check is the only thing between a model's path argument and the rest of the
disk. A path must be relative, must not climb with ``..``, must not reach into git's
metadata, and must still lie inside the worktree once every symlink is resolved.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath, PureWindowsPath


class PathRefused(ValueError):
    """A path an agent may not use; the message says why, naming the path."""


def confine(root: Path, relative: str, *, allow_root: bool = False) -> Path:
    """The absolute path of ``relative`` inside ``root``; PathRefused when it escapes.

    ``allow_root`` accepts ``"."`` (and ``""``) as the worktree itself, for listings.
    The returned path is ``root / relative`` as written (symlinks are resolved only to
    check where they lead), so messages can show the path the model used.
    """
    text = relative.strip()
    if text in ("", "."):
        if allow_root:
            return root
        raise PathRefused(f"{relative!r} is not a file path")
    if "\0" in text:
        raise PathRefused(f"{text!r}: a path cannot contain a NUL byte")
    pure = PurePosixPath(text)
    if pure.is_absolute() or PureWindowsPath(text).drive:
        raise PathRefused(f"{text}: use a path relative to the worktree, not an absolute path")
    if ".." in pure.parts:
        raise PathRefused(f"{text}: '..' is not allowed; paths stay inside the worktree")
    if ".git" in pure.parts:
        # The worktree's .git file and the repository's .git directory steer git itself
        # (hooks, config, where the index lives); git commands run outside any sandbox
        # later, so an agent editing them could run code with specloop's rights.
        raise PathRefused(f"{text}: git's own files are off limits")
    full = root / pure
    real_root = os.path.realpath(root)
    real = os.path.realpath(full)
    if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
        raise PathRefused(f"{text}: leads outside the worktree (through a symlink)")
    return full


def shown(root: Path, path: Path) -> str:
    """``path`` relative to ``root`` in POSIX form, for tool output."""
    try:
        return path.relative_to(root).as_posix() or "."
    except ValueError:
        return str(path)
