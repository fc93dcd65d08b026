#!/usr/bin/env python3
"""Benchmark: wall time of `specloop demo` (spec -> agents -> tasks over HTTP).

Each run gets a new directory under one temporary parent, so every run starts from
nothing: git init, scripted model server, the three planning stages, lint. One
warm-up run, then --runs timed runs. The token counts are fixed by the bundled script;
the demo prints them per stage.

    python bench/demo.py                 # 10 runs
    python bench/demo.py --runs 3 --json
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchlib


def run_benchmark(args: argparse.Namespace, parent: Path) -> int:
    specloop = benchlib.find_specloop(args.specloop)
    machine = benchlib.machine_info(specloop)
    samples: list[float] = []
    last_stdout = ""
    for index in range(args.runs + 1):
        target = parent / f"run-{index}"
        start = time.perf_counter()
        proc = subprocess.run(
            [specloop, "demo", "--dir", str(target)],
            capture_output=True,
            text=True,
            timeout=args.timeout,
            check=False,
        )
        elapsed_ms = (time.perf_counter() - start) * 1000.0
        if proc.returncode != 0 or benchlib.looks_crashed(proc):
            raise benchlib.BenchError(
                f"specloop demo exited {proc.returncode}:\n{proc.stderr[-2000:]}"
            )
        if index > 0:
            samples.append(elapsed_ms)
        last_stdout = proc.stdout
    measurement = benchlib.Measurement(
        label="specloop demo",
        argv=[specloop, "demo", "--dir", "DIR"],
        samples_ms=samples,
        exit_code=0,
    )
    stages = [line.strip() for line in last_stdout.splitlines() if "model call" in line]
    if args.json:
        benchlib.emit_json(
            {
                "benchmark": "demo",
                "runs": args.runs,
                "warmup_runs": 1,
                "measurements": [measurement.as_dict()],
                "stages": stages,
                "machine": machine,
            }
        )
        return 0
    print(f"specloop demo, each run in a new directory ({args.runs} runs + 1 warm-up)")
    print()
    print(benchlib.format_table([measurement]))
    print()
    print("stages of the last run (tokens are fixed by the bundled script; times vary):")
    for line in stages:
        print(f"  {line}")
    print(benchlib.format_machine(machine))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    benchlib.add_common_arguments(parser)
    args = parser.parse_args(argv)
    parent = Path(tempfile.mkdtemp(prefix="specloop-bench-demo-"))
    try:
        return run_benchmark(args, parent)
    except benchlib.BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(parent, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
