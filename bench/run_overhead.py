#!/usr/bin/env python3
"""Benchmark: specloop's orchestration overhead per task against the bare git floor.

Generates a repository of --files files (default 5,000) and --tasks independent tasks
(default 10), each with a trivial `cmd:` executor that writes one file and one
criterion (`test -f ...`, which fails before and passes after). Then, in the same run:

1. the git floor: bench/git_floor.sh (which generates a repository of the same size),
   the bare git work of one task (reset a reused worktree to a new branch, change, commit, diff,
   conflict check, merge), per cycle;
2. specloop (same file count, its own generated repository): `specloop run --autonomy verified` over all tasks in a fresh copy; the
   wall time divided by the number of tasks (one process for the whole run, so the
   interpreter start-up is spread over the tasks as a user would see it).

Reports median and spread over --runs repetitions, and the ratio of the medians.
Target: specloop per task at most 1.5x the git floor.

    python bench/run_overhead.py                    # 3 runs
    python bench/run_overhead.py --files 1000 --tasks 5 --runs 5 --json
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib

TARGET_RATIO = 1.5


def make_repo(root: Path, files: int, tasks: int) -> None:
    root.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    for name, value in (("user.name", "bench"), ("user.email", "bench@example.invalid")):
        subprocess.run(["git", "-C", str(root), "config", name, value], check=True)
    for index in range(files):
        directory = root / "src" / f"pkg{index % 50:02d}"
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


def git_floor(files: int, cycles: int) -> list[float]:
    """Per-cycle milliseconds of bench/git_floor.sh on a generated repo of `files` files."""
    script = Path(__file__).with_name("git_floor.sh")
    env = {**os.environ, "N": str(files)}
    out = subprocess.run(
        ["sh", str(script), "--cycles", str(cycles)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = [line.split() for line in out.splitlines()]
    return [float(row[1]) for row in rows if len(row) >= 2 and row[0].isdigit()]


def specloop_per_task(specloop: str, repo: Path, tasks: int) -> float:
    executor = "cmd:mkdir -p out && echo done > out/$SPECLOOP_TASK_ID.txt"
    start = time.perf_counter()
    proc = subprocess.run(
        [specloop, "run", "--executor", executor, "--autonomy", "verified"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = (time.perf_counter() - start) * 1000.0
    if proc.returncode != 0:
        raise benchlib.BenchError(
            f"specloop run exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        )
    return elapsed / tasks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=benchlib.positive_int, default=5000)
    parser.add_argument("--tasks", type=benchlib.positive_int, default=10)
    benchlib.add_common_arguments(parser, default_runs=3)
    args = parser.parse_args(argv)
    specloop = benchlib.find_specloop(args.specloop)
    machine = benchlib.machine_info(specloop)
    parent = Path(tempfile.mkdtemp(prefix="specloop-bench-overhead-"))
    try:
        template = parent / "template"
        make_repo(template, args.files, args.tasks)
        floors: list[float] = []
        ours: list[float] = []
        for run in range(args.runs):
            floors.append(statistics.median(git_floor(args.files, args.tasks)))
            run_repo = parent / f"specloop-{run}"
            shutil.copytree(template, run_repo, symlinks=True)
            ours.append(specloop_per_task(specloop, run_repo, args.tasks))
    except (benchlib.BenchError, subprocess.CalledProcessError) as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(parent, ignore_errors=True)
    floor, mine = statistics.median(floors), statistics.median(ours)
    ratio = mine / floor if floor else float("inf")
    if args.json:
        benchlib.emit_json(
            {
                "benchmark": "run_overhead",
                "files": args.files,
                "tasks": args.tasks,
                "runs": args.runs,
                "git_floor_ms_per_task": floors,
                "specloop_ms_per_task": ours,
                "ratio": ratio,
                "target_ratio": TARGET_RATIO,
                "machine": machine,
            }
        )
        return 0
    print(
        f"orchestration overhead per task: {args.files} files, {args.tasks} tasks, {args.runs} runs"
    )
    print(f"  git floor  median {floor:8.1f} ms  (min {min(floors):.1f}, max {max(floors):.1f})")
    print(f"  specloop   median {mine:8.1f} ms  (min {min(ours):.1f}, max {max(ours):.1f})")
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(f"  ratio      {ratio:.2f}x  (target <= {TARGET_RATIO}x: {verdict})")
    print(benchlib.format_machine(machine))
    return 0


if __name__ == "__main__":
    sys.exit(main())
