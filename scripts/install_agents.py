#!/usr/bin/env python3
"""Install the pinned agent CLIs (Codex CLI, Claude Code, Aider) into ./.agents/.

    python3 scripts/install_agents.py            # what is missing or at another version
    python3 scripts/install_agents.py --check    # only report; exit 1 if one is missing

The versions come from src/specloop/executors/_pins.py (read as text, so this runs
with any Python 3.11, before specloop is installed). Codex and Claude Code go into
.agents/npm with npm; Aider into its own virtual environment .agents/aider (its
dependencies are pinned tightly). .agents/bin then holds one link per CLI and nothing
else, so putting it on PATH adds the agents without shadowing python3 or node.

An installer that is missing (no npm on the machine) is reported and skipped: the
integration tests of that CLI then skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PINS = ROOT / "src" / "specloop" / "executors" / "_pins.py"
AGENTS = ROOT / ".agents"
BIN = AGENTS / "bin"


def read_pins() -> list[tuple[str, str, str, str, str]]:
    """(name, binary, package, version, installer) for each AgentPin(...) call in _pins.py."""
    pins = []
    for node in ast.walk(ast.parse(PINS.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "AgentPin":
            values = [arg.value for arg in node.args if isinstance(arg, ast.Constant)]
            if len(values) == 5:
                pins.append(tuple(str(v) for v in values))
    if not pins:
        raise SystemExit(f"install_agents: no AgentPin(...) found in {PINS}")
    return pins  # type: ignore[return-value]


def installed_version(binary: Path) -> str | None:
    if not binary.exists():
        return None
    try:
        done = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def target(name: str, binary: str, installer: str) -> Path:
    if installer == "npm":
        return AGENTS / "npm" / "node_modules" / ".bin" / binary
    return AGENTS / name / "bin" / binary


def install(name: str, package: str, version: str, installer: str) -> bool:
    if installer == "npm":
        npm = shutil.which("npm")
        if npm is None:
            print(f"install_agents: {name}: npm not found; skipped (install Node.js 20+ for it)")
            return False
        command = [npm, "install", "--no-audit", "--no-fund", "--loglevel=error",
                   "--prefix", str(AGENTS / "npm"), f"{package}@{version}"]
    else:
        venv = AGENTS / name
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        command = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--quiet",
                   "--disable-pip-version-check", f"{package}=={version}"]
    print(f"install_agents: {name}: {' '.join(command[-1:])}", flush=True)
    return subprocess.run(command, check=False).returncode == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="report only; exit 1 if one is missing")
    args = parser.parse_args(argv)
    BIN.mkdir(parents=True, exist_ok=True)
    missing = 0
    for name, binary, package, version, installer in read_pins():
        path = target(name, binary, installer)
        found = installed_version(path)
        if found is None or version not in found:
            if args.check or not install(name, package, version, installer):
                missing += 1
                print(f"install_agents: {name} {version}: not installed")
                continue
        link = BIN / binary
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(os.path.relpath(path, BIN))
        print(f"install_agents: {name} {version}: {link}")
    return 1 if missing and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
