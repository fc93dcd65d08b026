"""`specloop init`: create what a project needs, never overwriting what a user wrote."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from specloop.config import CONFIG_RELPATH, default_config_toml, load_config
from specloop.engine._project import ProjectError

STATE_IGNORE = ".specloop/state/"


@dataclass
class InitResult:
    """What init created, and what it found already there and left alone."""

    root: Path
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def _ignored(gitignore: Path) -> bool:
    lines = {
        line.strip()
        for line in gitignore.read_text(encoding="utf-8", errors="replace").splitlines()
    }
    return bool(
        lines
        & {STATE_IGNORE, STATE_IGNORE.rstrip("/"), "/" + STATE_IGNORE, ".specloop/", ".specloop"}
    )


def init_project(root: Path) -> InitResult:
    """Create `.specloop/config.toml`, the tasks directory and the `.gitignore` line.

    An existing config is kept and its `paths.tasks` honoured (a bad config raises
    ConfigError before anything is written)."""
    result = InitResult(root)
    config = root / CONFIG_RELPATH
    tasks_dir = load_config(root, env={}).tasks_dir if config.exists() else "tasks"
    try:
        if config.exists():
            result.kept.append(CONFIG_RELPATH.as_posix())
        else:
            config.parent.mkdir(parents=True, exist_ok=True)
            # "x" mode: if another process created it meanwhile, we still never overwrite.
            with config.open("x", encoding="utf-8") as handle:
                handle.write(default_config_toml())
            result.created.append(CONFIG_RELPATH.as_posix())
        tasks = root / tasks_dir
        if tasks.is_dir():
            result.kept.append(tasks_dir + "/")
        else:
            tasks.mkdir(parents=True)
            result.created.append(tasks_dir + "/")
        gitignore = root / ".gitignore"
        if gitignore.exists() and _ignored(gitignore):
            result.kept.append(".gitignore")
        else:
            existing = gitignore.read_bytes() if gitignore.exists() else b""
            prefix = b"" if not existing or existing.endswith(b"\n") else b"\n"
            with gitignore.open("ab") as handle:
                handle.write(
                    prefix
                    + b"# specloop's ledger, worktrees and logs\n"
                    + STATE_IGNORE.encode()
                    + b"\n"
                )
            result.created.append(".gitignore (added .specloop/state/)")
    except OSError as exc:
        target = (
            Path(exc.filename).relative_to(root)
            if exc.filename and Path(exc.filename).is_relative_to(root)
            else exc.filename
        )
        raise ProjectError(f"cannot write {target}: {exc.strerror}") from None
    return result
