#!/usr/bin/env python3
"""Benchmark: start-up time of `specloop --help` and `specloop status`.

Copies the examples/ project into a fresh git repository in a temporary directory,
then times each command there: one warm-up run, then --runs timed runs. Target:
median under 250 ms for each.

    python bench/startup.py                 # 10 runs each
    python bench/startup.py --runs 3 --json
    python bench/startup.py --keep /tmp/startup-repo --generate-only
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import benchlib

TARGET_MS = 250.0
EXAMPLES = benchlib.REPO_ROOT / "examples"


def copy_example(repo: Path) -> None:
    """Copy examples/ (without run state) into ``repo`` and commit it."""
    if not (EXAMPLES / "tasks").is_dir():
        raise benchlib.BenchError(f"{EXAMPLES}: the example project is missing")
    shutil.copytree(
        EXAMPLES,
        repo,
        ignore=shutil.ignore_patterns("state", "__pycache__", ".git"),
        dirs_exist_ok=True,
    )
    benchlib.git_init(repo)


def prepare_target(keep: str | None) -> tuple[Path, bool]:
    """The directory to copy into, and whether to delete it at the end."""
    if keep is None:
        return Path(tempfile.mkdtemp(prefix="specloop-bench-startup-")) / "repo", True
    target = Path(keep).expanduser().resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise benchlib.BenchError(f"--keep {keep}: exists and is not an empty directory")
    return target, False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--keep",
        metavar="DIR",
        help="build the example repository in DIR (new or empty) and keep it; print its path",
    )
    parser.add_argument(
        "--generate-only",
        action="store_true",
        help="only build the repository (with --keep), do not run specloop",
    )
    benchlib.add_common_arguments(parser)
    args = parser.parse_args(argv)
    if args.generate_only and args.keep is None:
        parser.error("--generate-only needs --keep DIR")

    try:
        repo, cleanup = prepare_target(args.keep)
    except benchlib.BenchError as exc:
        return benchlib.fail(str(exc))
    try:
        copy_example(repo)
        if args.keep is not None:
            print(f"example repository: {repo}", file=sys.stderr if args.json else sys.stdout)
        if args.generate_only:
            return 0
        return run_benchmark(args, repo)
    except benchlib.BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    finally:
        if cleanup:
            shutil.rmtree(repo.parent, ignore_errors=True)


def run_benchmark(args: argparse.Namespace, repo: Path) -> int:
    specloop = benchlib.find_specloop(args.specloop)
    machine = benchlib.machine_info(specloop)
    measurements = [
        benchlib.time_command(
            "specloop --help",
            [specloop, "--help"],
            cwd=repo,
            runs=args.runs,
            timeout=args.timeout,
            accept=lambda code: code == 0,
        ),
        benchlib.time_command(
            "specloop status",
            [specloop, "status"],
            cwd=repo,
            runs=args.runs,
            timeout=args.timeout,
            accept=lambda code: code == 0,
        ),
    ]
    verdicts = {m.label: m.stats.median < TARGET_MS for m in measurements}
    if args.json:
        benchlib.emit_json(
            {
                "benchmark": "startup",
                "runs": args.runs,
                "warmup_runs": 1,
                "measurements": [m.as_dict() for m in measurements],
                "target": {"statistic": "median", "below_ms": TARGET_MS, "met": verdicts},
                "machine": machine,
            }
        )
        return 0
    print(f"specloop start-up in a copy of examples/ ({args.runs} runs + 1 warm-up each)")
    print()
    print(benchlib.format_table(measurements))
    print()
    for m in measurements:
        verdict = "met" if verdicts[m.label] else "NOT met"
        print(
            f"target:   {m.label}: median < {TARGET_MS:.0f} ms: {verdict} ({m.stats.median:.1f} ms)"
        )
    print(benchlib.format_machine(machine))
    return 0


if __name__ == "__main__":
    sys.exit(main())
