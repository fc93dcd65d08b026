#!/usr/bin/env python3
"""Benchmark: specloop's orchestration overhead per task against the bare git floor.

Generates a repository of --files files (default 5,000) and --tasks independent tasks
(default 10), each with a trivial `cmd:` executor that writes one file and one
criterion (`test -f ...`, which fails before and passes after). Then, in each run:

1. the git floors (bench/git_floor.sh on a generated repository of the same size):
   the bare git work of one task (workspace, change, commit, diff, conflict check,
   merge into the checked-out main, clean-up), per cycle, with a reused worktree and
   (--fresh-cycles of them) with a fresh worktree per cycle;
2. specloop (its own copy of the repository, with one extra task): task 1 alone,
   untimed, which makes the pooled worktree; then `specloop run --autonomy verified`
   over the other --tasks tasks, timed: the wall time divided by the number of tasks
   (one process, so the interpreter's start-up is spread over them as a user sees it).

The target (DESIGN.md §4) compares specloop with the reused-worktree floor: both with
their worktree already made (specloop's first task runs untimed and makes it; the floor
adds its worktree before its cycles), specloop's interpreter start-up spread over the
tasks. The floor with its `worktree add` spread over the tasks, and the fresh floor,
are reported next to it. Median and spread over --runs.

    python bench/run_overhead.py                    # 3 runs
    python bench/run_overhead.py --files 1000 --tasks 5 --runs 5 --json
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import benchlib

TARGET_RATIO = 1.5


@dataclass(frozen=True)
class Floor:
    """One git_floor.sh run: the one-time `worktree add` and each cycle, in ms."""

    add_ms: float
    cycles_ms: list[float]

    @property
    def per_task_ms(self) -> float:
        """Cycles plus the one worktree creation, spread over the cycles."""
        return (self.add_ms + sum(self.cycles_ms)) / len(self.cycles_ms)


def git_floor(files: int, cycles: int, *, fresh: bool = False) -> Floor:
    """Run bench/git_floor.sh on a generated repo of `files` files."""
    script = Path(__file__).with_name("git_floor.sh")
    env = {**os.environ, "N": str(files)}
    out = subprocess.run(
        ["sh", str(script), "--cycles", str(cycles), *(["--fresh"] if fresh else [])],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    added = re.search(r"fresh worktree add: (\d+) ms", out)
    rows = [line.split() for line in out.splitlines()]
    samples = [float(row[1]) for row in rows if len(row) >= 2 and row[0].isdigit()]
    if (added is None and not fresh) or len(samples) != cycles:
        raise benchlib.BenchError(f"unexpected git_floor.sh output:\n{out[-2000:]}")
    return Floor(float(added.group(1)) if added else 0.0, samples)


def specloop_per_task(specloop: str, repo: Path, tasks: int) -> float:
    """ms per task of `specloop run` over tasks 2..N+1, after task 1 made the worktree.

    Task 1 runs first, untimed: it creates the pooled worktree, as the first run in a
    repository does once; the timed run then reuses it, like the reused-worktree floor.
    The interpreter's start-up stays in the timing, spread over the N tasks.
    """
    executor = "cmd:mkdir -p out && echo done > out/$SPECLOOP_TASK_ID.txt"
    command = [specloop, "run", "--executor", executor, "--autonomy", "verified"]
    elapsed = 0.0
    for first in (True, False):
        os.sync()  # what was just written does not land in the timing
        start = time.perf_counter()
        proc = subprocess.run(
            [*command, "0x01"] if first else command,
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
    parser.add_argument(
        "--fresh-cycles",
        type=int,
        default=3,
        help="cycles of the fresh-worktree floor per run (0: skip it)",
    )
    benchlib.add_common_arguments(parser, default_runs=3)
    args = parser.parse_args(argv)
    specloop = benchlib.find_specloop(args.specloop)
    machine = benchlib.machine_info(specloop)
    parent = Path(tempfile.mkdtemp(prefix="specloop-bench-overhead-"))
    reused: list[Floor] = []
    fresh: list[float] = []
    ours: list[float] = []
    try:
        template = parent / "template"
        benchlib.make_marker_repo(template, args.files, args.tasks + 1)
        for run in range(args.runs):
            reused.append(git_floor(args.files, args.tasks))
            if args.fresh_cycles > 0:
                cycles = git_floor(args.files, args.fresh_cycles, fresh=True).cycles_ms
                fresh.append(statistics.median(cycles))
            run_repo = parent / f"specloop-{run}"
            shutil.copytree(template, run_repo, symlinks=True)
            ours.append(specloop_per_task(specloop, run_repo, args.tasks))
    except (benchlib.BenchError, subprocess.CalledProcessError) as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(parent, ignore_errors=True)
    per_task = [floor.per_task_ms for floor in reused]
    cycle = [statistics.median(floor.cycles_ms) for floor in reused]
    floor_ms, mine = statistics.median(cycle), statistics.median(ours)
    ratio = mine / floor_ms if floor_ms else float("inf")
    if args.json:
        benchlib.emit_json(
            {
                "benchmark": "run_overhead",
                "files": args.files,
                "tasks": args.tasks,
                "runs": args.runs,
                "git_floor_ms_per_task": per_task,
                "git_floor_cycle_median_ms": cycle,
                "git_floor_worktree_add_ms": [floor.add_ms for floor in reused],
                "git_floor_fresh_cycle_median_ms": fresh,
                "specloop_ms_per_task": ours,
                "ratio": ratio,
                "target_ratio": TARGET_RATIO,
                "machine": machine,
            }
        )
        return 0

    def line(label: str, samples: list[float]) -> str:
        median = statistics.median(samples)
        return f"  {label:<34} median {median:8.1f} ms  (min {min(samples):.1f}, max {max(samples):.1f})"

    print(
        f"orchestration overhead per task: {args.files} files, {args.tasks} tasks, {args.runs} runs"
    )
    print(line("git floor, reused worktree, per cycle", cycle))
    print(line(f"  the same with its worktree add over {args.tasks}", per_task))
    if fresh:
        print(line("git floor, fresh worktree per task", fresh))
    print(line("specloop, reused worktree, per task", ours))
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(
        f"  ratio      {ratio:.2f}x  (specloop / the reused floor's cycle; target <= {TARGET_RATIO}x: {verdict})"
    )
    print(benchlib.format_machine(machine))
    return 0


if __name__ == "__main__":
    sys.exit(main())
