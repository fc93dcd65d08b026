"""Shared helpers for the specloop benchmarks (standard library only).

Each benchmark script imports this module from its own directory, so run them as
``python bench/<script>.py`` from anywhere.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
GIT_IDENTITY = [
    "-c",
    "user.name=specloop-bench",
    "-c",
    "user.email=bench@example.invalid",
    "-c",
    "commit.gpgsign=false",
]


class BenchError(Exception):
    """A benchmark could not run or specloop misbehaved; the message says why."""


@dataclass(frozen=True)
class Stats:
    """Summary of wall-time samples, all in milliseconds."""

    median: float
    minimum: float
    maximum: float
    spread: float
    p90: float

    @classmethod
    def of(cls, samples_ms: Sequence[float]) -> Stats:
        if not samples_ms:
            raise BenchError("no samples to summarise")
        ordered = sorted(samples_ms)
        # Nearest-rank percentile: the smallest sample with at least 90% of the
        # samples at or below it (with few runs this is the maximum).
        rank = max(1, math.ceil(0.9 * len(ordered)))
        return cls(
            median=statistics.median(ordered),
            minimum=ordered[0],
            maximum=ordered[-1],
            spread=ordered[-1] - ordered[0],
            p90=ordered[rank - 1],
        )

    def as_dict(self) -> dict[str, float]:
        return {
            "median": round(self.median, 2),
            "min": round(self.minimum, 2),
            "max": round(self.maximum, 2),
            "spread": round(self.spread, 2),
            "p90": round(self.p90, 2),
        }


@dataclass(frozen=True)
class Measurement:
    """Timed runs of one command."""

    label: str
    argv: list[str]
    samples_ms: list[float]
    exit_code: int

    @property
    def stats(self) -> Stats:
        return Stats.of(self.samples_ms)

    def as_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "argv": self.argv,
            "exit_code": self.exit_code,
            "samples_ms": [round(s, 2) for s in self.samples_ms],
            "stats_ms": self.stats.as_dict(),
        }


def add_common_arguments(parser: argparse.ArgumentParser, default_runs: int = 10) -> None:
    """Options every benchmark script takes."""
    parser.add_argument(
        "--specloop",
        metavar="PATH",
        help="the specloop executable (default: this repo's .venv/bin/specloop, else PATH)",
    )
    parser.add_argument(
        "--runs",
        type=positive_int,
        default=default_runs,
        help=f"timed runs per command, after one warm-up run (default {default_runs})",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds before one run is killed and the benchmark fails (default 120)",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {value}")
    return value


def find_specloop(explicit: str | None) -> str:
    """The specloop executable: --specloop, else the repo's venv, else PATH."""
    if explicit:
        path = Path(explicit).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise BenchError(f"--specloop {explicit}: not an executable file")
        return str(path.resolve())
    venv_bin = REPO_ROOT / ".venv" / "bin" / "specloop"
    if venv_bin.is_file() and os.access(venv_bin, os.X_OK):
        return str(venv_bin)
    found = shutil.which("specloop")
    if found is None:
        raise BenchError(
            "specloop not found: install it (pip install -e .) or pass --specloop PATH"
        )
    return found


def run_checked(argv: Sequence[str], cwd: Path | None = None, timeout: float = 120.0) -> str:
    """Run a helper command (git, specloop --version); return stdout or raise."""
    try:
        proc = subprocess.run(
            list(argv), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BenchError(f"{' '.join(argv)}: {exc}") from exc
    if proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise BenchError(f"{' '.join(argv)} exited {proc.returncode}: " + " | ".join(detail))
    return proc.stdout


def looks_crashed(proc: subprocess.CompletedProcess[str]) -> bool:
    """A Python traceback or a death by signal, whatever the exit code says."""
    return proc.returncode < 0 or "Traceback (most recent call last)" in proc.stderr


def time_command(
    label: str,
    argv: Sequence[str],
    *,
    cwd: Path,
    runs: int,
    timeout: float,
    accept: Callable[[int], bool],
    env: Mapping[str, str] | None = None,
) -> Measurement:
    """One warm-up run, then ``runs`` timed runs of ``argv``.

    Each sample is the wall time of ``subprocess.run`` (process start to exit,
    output captured). Raises BenchError when a run crashes, times out or exits with
    a code that ``accept`` rejects.
    """
    samples: list[float] = []
    exit_code = 0
    for index in range(runs + 1):
        start = time.perf_counter()
        try:
            proc = subprocess.run(
                list(argv),
                cwd=cwd,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                env=None if env is None else dict(env),
            )
        except subprocess.TimeoutExpired as exc:
            raise BenchError(f"{label}: timed out after {timeout:g} s") from exc
        except OSError as exc:
            raise BenchError(f"{label}: cannot run {argv[0]}: {exc}") from exc
        elapsed_ms = (time.perf_counter() - start) * 1000.0
        if looks_crashed(proc) or not accept(proc.returncode):
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-10:]
            raise BenchError(
                f"{label}: exited {proc.returncode}\n" + "\n".join(f"  {line}" for line in tail)
            )
        exit_code = proc.returncode
        if index > 0:  # run 0 is the warm-up
            samples.append(elapsed_ms)
    return Measurement(label=label, argv=list(argv), samples_ms=samples, exit_code=exit_code)


def git_init(repo: Path) -> None:
    """Make ``repo`` a git repository with one commit holding its files."""
    run_checked(["git", "init", "-q", str(repo)])
    run_checked(["git", "add", "-A"], cwd=repo)
    run_checked(
        [
            "git",
            *GIT_IDENTITY,
            "commit",
            "-q",
            "--allow-empty",
            "--no-verify",
            "-m",
            "benchmark fixture",
        ],
        cwd=repo,
    )


def interpreter_version(executable: str) -> str | None:
    """The Python version behind a console script, read from its shebang."""
    try:
        with Path(executable).open("rb") as handle:
            first = handle.readline(512).decode("utf-8", "replace").strip()
    except OSError:
        return None
    if not first.startswith("#!"):
        return None
    parts = first[2:].split()
    if not parts:
        return None
    cmd = parts[1:] if Path(parts[0]).name == "env" else parts
    if not cmd:
        return None
    try:
        out = run_checked([*cmd, "-c", "import platform; print(platform.python_version())"])
    except BenchError:
        return None
    return out.strip() or None


def machine_info(specloop: str) -> dict[str, object]:
    """Where and with what the numbers were taken."""
    try:
        git_version = run_checked(["git", "--version"]).strip()
    except BenchError:
        git_version = "unknown"
    try:
        version_text = run_checked([specloop, "--version"], timeout=60.0).strip()
    except BenchError as exc:
        raise BenchError(f"specloop --version failed: {exc}") from exc
    return {
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "specloop_python": interpreter_version(specloop),
        "git": git_version,
        "specloop": version_text,
        "specloop_path": specloop,
        # Without a bytecode cache every start recompiles specloop's modules: say so.
        "bytecode_cache": "off (PYTHONDONTWRITEBYTECODE)"
        if os.environ.get("PYTHONDONTWRITEBYTECODE")
        else "on",
    }


def format_table(measurements: Sequence[Measurement]) -> str:
    """A plain-text table of the statistics, one row per command."""
    header = ("command", "median", "min", "max", "spread", "p90")
    rows = [header]
    for m in measurements:
        s = m.stats
        rows.append(
            (
                m.label,
                f"{s.median:.1f}",
                f"{s.minimum:.1f}",
                f"{s.maximum:.1f}",
                f"{s.spread:.1f}",
                f"{s.p90:.1f}",
            )
        )
    width0 = max(len(r[0]) for r in rows)
    widths = [max(len(r[i]) for r in rows) for i in range(1, len(header))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(width0)]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths, strict=True)]
        lines.append("  ".join(cells))
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines) + "\n(all times in ms, wall clock per process)"


def format_machine(info: Mapping[str, object]) -> str:
    specloop_python = info.get("specloop_python")
    python = f"Python {info['python']}"
    if specloop_python and specloop_python != info["python"]:
        python += f" (specloop runs on {specloop_python})"
    return (
        f"machine:  {info['platform']} | {info['cpu_count']} CPUs | {python} | {info['git']}\n"
        f"specloop: {info['specloop']} ({info['specloop_path']}), bytecode cache {info['bytecode_cache']}"
    )


def emit_json(payload: Mapping[str, object]) -> None:
    json.dump(payload, sys.stdout, indent=2)
    sys.stdout.write("\n")


def fail(message: str) -> int:
    print(f"bench: error: {message}", file=sys.stderr)
    return 2


def make_marker_repo(root: Path, files: int, tasks: int, *, packages: int = 50) -> None:
    """A committed repository of `files` small modules and `tasks` independent tasks.

    Task N may write only out/0xNN.txt and is done when that file exists (so its one
    criterion fails before and passes after). The run merges without asking
    (`autonomy = "verified"`), one attempt each, sandbox optional.
    """
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    for name, value in (("user.name", "bench"), ("user.email", "bench@example.invalid")):
        subprocess.run(["git", "-C", str(root), "config", name, value], check=True)
    for index in range(files):
        directory = root / "src" / f"pkg{index % packages:02d}"
        directory.mkdir(parents=True, exist_ok=True)
        (directory / f"module_{index:05d}.py").write_text(f"VALUE_{index} = {index}\n")
    (root / ".gitignore").write_text(".specloop/state/\n")
    (root / ".specloop").mkdir()
    (root / ".specloop" / "config.toml").write_text(
        '[run]\nautonomy = "verified"\nmax_attempts = 1\nsandbox = "optional"\n'
    )
    (root / "tasks").mkdir()
    for number in range(1, tasks + 1):
        task_id = f"0x{number:02x}"
        (root / "tasks" / f"{task_id}-write-marker.md").write_text(
            f"---\nid: {task_id}\ntitle: Write marker {number}\ndepends_on: []\n---\n\n"
            f"## Objective\n\nWrite the marker file.\n\n## Files to Modify\n\n- out/{task_id}.txt\n\n"
            f"## Steps\n\n1. Write it.\n\n## Completion Criteria\n\n- `test -f out/{task_id}.txt` passes\n"
        )
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(root), "commit", "-q", "-m", "initial"], check=True)
