#!/usr/bin/env python3
"""Benchmark: parallel efficiency of `specloop run --parallel 4`.

A generated repository (--files files, default 500) with --tasks independent tasks
(default 8), each with a `cmd:` executor that sleeps --sleep seconds (default 2) and
then writes its own marker file, and one criterion (`test -f` of that file). In each run:

1. one task's overhead: `specloop run 0x01` with the same executor minus the sleep,
   in its own copy of the repository (the whole process: start-up, first worktree,
   checks, merge);
2. the parallel run: `specloop run --parallel N` over all tasks, in a fresh copy.

The ideal is ceil(tasks / N) waves of --sleep seconds plus one task's overhead; the
target (issue 5) is a parallel wall time of at most 1.15x the ideal.

    python bench/parallel.py                 # 3 runs
    python bench/parallel.py --runs 5 --json
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib

TARGET_RATIO = 1.15


def timed_run(specloop: str, repo: Path, args: list[str]) -> float:
    """Seconds of one `specloop run ...` in `repo`; BenchError unless every task merged."""
    os.sync()  # the copy's writes do not land in the timing
    start = time.perf_counter()
    proc = subprocess.run(
        [specloop, "run", "--autonomy", "verified", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0 or "merged" not in proc.stdout:
        raise benchlib.BenchError(
            f"specloop run exited {proc.returncode}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        )
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--files", type=benchlib.positive_int, default=500)
    parser.add_argument("--tasks", type=benchlib.positive_int, default=8)
    parser.add_argument("--parallel", type=benchlib.positive_int, default=4)
    parser.add_argument("--sleep", type=float, default=2.0)
    benchlib.add_common_arguments(parser, default_runs=3)
    args = parser.parse_args(argv)
    specloop = benchlib.find_specloop(args.specloop)
    machine = benchlib.machine_info(specloop)
    write = 'mkdir -p out && echo done > "out/$SPECLOOP_TASK_ID.txt"'
    waves = math.ceil(args.tasks / args.parallel)
    parent = Path(tempfile.mkdtemp(prefix="specloop-bench-parallel-"))
    overheads: list[float] = []
    walls: list[float] = []
    ideals: list[float] = []
    try:
        template = parent / "template"
        benchlib.make_marker_repo(template, args.files, args.tasks, packages=20)
        for run in range(args.runs):
            single = parent / f"single-{run}"
            shutil.copytree(template, single, symlinks=True)
            overhead = timed_run(specloop, single, ["0x01", "--executor", f"cmd:{write}"])
            many = parent / f"parallel-{run}"
            shutil.copytree(template, many, symlinks=True)
            wall = timed_run(
                specloop,
                many,
                [
                    "--parallel",
                    str(args.parallel),
                    "--executor",
                    f"cmd:sleep {args.sleep:g} && {write}",
                ],
            )
            overheads.append(overhead)
            walls.append(wall)
            ideals.append(waves * args.sleep + overhead)
    except (benchlib.BenchError, subprocess.CalledProcessError) as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(parent, ignore_errors=True)
    ratios = [wall / ideal for wall, ideal in zip(walls, ideals, strict=True)]
    ratio = statistics.median(ratios)
    if args.json:
        benchlib.emit_json(
            {
                "benchmark": "parallel",
                "files": args.files,
                "tasks": args.tasks,
                "parallel": args.parallel,
                "sleep_s": args.sleep,
                "runs": args.runs,
                "one_task_overhead_s": overheads,
                "parallel_wall_s": walls,
                "ideal_s": ideals,
                "ratios": ratios,
                "ratio": ratio,
                "target_ratio": TARGET_RATIO,
                "machine": machine,
            }
        )
        return 0

    def line(label: str, samples: list[float]) -> str:
        return (
            f"  {label:<28} median {statistics.median(samples):7.2f} s"
            f"  (min {min(samples):.2f}, max {max(samples):.2f})"
        )

    print(
        f"parallel efficiency: {args.tasks} tasks sleeping {args.sleep:g} s, --parallel"
        f" {args.parallel}, {args.files} files, {args.runs} runs"
    )
    print(line("one task's overhead", overheads))
    print(line(f"ideal ({waves} waves + overhead)", ideals))
    print(line("specloop --parallel", walls))
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(
        f"  ratio      {ratio:.2f}x  (min {min(ratios):.2f}, max {max(ratios):.2f};"
        f" target <= {TARGET_RATIO}x: {verdict})"
    )
    print(benchlib.format_machine(machine))
    return 0


if __name__ == "__main__":
    sys.exit(main())
