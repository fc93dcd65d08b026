#!/usr/bin/env python3
"""Benchmark: `specloop lint` on a repository with many task files.

Generates N task files (default 1,000) with a realistic mix of dependencies, scopes
and completion criteria in a fresh git repository, then times `specloop lint` there:
one warm-up run, then --runs timed runs. Target: median under 1,000 ms for 1,000
task files.

    python bench/lint_many.py                      # 1,000 tasks, 10 runs
    python bench/lint_many.py --tasks 200 --runs 3 --json
    python bench/lint_many.py --keep /tmp/lint-repo --generate-only
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import benchlib

TARGET_MS = 1000.0
AREAS = 25
CHECK_PHRASES = ("No TODOs left in code", "No unused imports")
STEP_TEMPLATES = (
    "Write a failing test for {what} in `{test}`.",
    "Implement {what} in `{src}` until the test passes.",
    "Handle empty input and invalid values in {what}; raise `ValueError` with a clear message.",
    "Document the public functions of `{src}` with one-line docstrings.",
    "Remove dead code and keep every function under 40 lines.",
)
WHATS = (
    "the parser",
    "the cache lookup",
    "the retry policy",
    "the CSV reader",
    "the config loader",
    "the report formatter",
    "the rate limiter",
    "the date helpers",
)


def task_id(n: int) -> str:
    return f"0x{n:03x}"


def render_task(n: int, rng: random.Random) -> tuple[str, str]:
    """File name and text of generated task number ``n`` (1-based)."""
    area = f"pkg{n % AREAS:02d}"
    module_dir = f"src/app/{area}/m{n}"
    what = rng.choice(WHATS)

    # 0-2 dependencies, mostly on recent tasks, as a planner would produce them.
    wanted = rng.choice((0, 1, 1, 1, 2, 2))
    window = range(max(1, n - 40), n)
    deps = sorted(rng.sample(window, min(wanted, len(window))))

    # Scope: 2-3 entries, every task in its own paths so no two tasks overlap.
    variant = rng.randrange(3)
    if variant == 0:
        src, test = f"{module_dir}/core.py", f"tests/{area}/test_m{n}.py"
        scope = [src, test]
        test_target = test
    elif variant == 1:
        src, test = f"{module_dir}/*.py", f"tests/{area}/m{n}/test_*.py"
        scope = [src, test]
        test_target = f"tests/{area}/m{n}"
    else:
        src, test = f"{module_dir}/core.py", f"tests/{area}/test_m{n}.py"
        scope = [src, test, f"docs/{area}/m{n}.md"]
        test_target = test

    criteria = [f"`python -m pytest -q {test_target}` passes"]
    extras = [
        *CHECK_PHRASES,
        f"`python -m compileall -q {module_dir}` exits 0",
    ]
    criteria += rng.sample(extras, rng.randrange(1, 3))

    step_count = rng.randrange(2, len(STEP_TEMPLATES) + 1)
    steps = [
        f"{i}. " + template.format(what=what, src=src, test=test)
        for i, template in enumerate(STEP_TEMPLATES[:step_count], start=1)
    ]

    tid = task_id(n)
    lines = [
        "---",
        f"id: {tid}",
        f"title: Task {n}",
        "depends_on: [" + ", ".join(task_id(d) for d in deps) + "]",
        "---",
        "",
        "## Objective",
        "",
        f"Module m{n} of {area} provides {what}, covered by its own tests.",
        "",
        "## Files to Modify",
        "",
        *(f"- {path}" for path in scope),
        "",
        "## Steps",
        "",
        *steps,
        "",
        "## Completion Criteria",
        "",
        *(f"- {line}" for line in criteria),
        "",
    ]
    return f"{tid}-task-{n}.md", "\n".join(lines)


def generate_repo(repo: Path, count: int, seed: int) -> None:
    """Write SPEC.md, AGENTS.md and ``count`` task files into ``repo``, then commit."""
    repo.mkdir(parents=True, exist_ok=True)
    examples = benchlib.REPO_ROOT / "examples"
    for name in ("SPEC.md", "AGENTS.md"):
        source = examples / name
        if source.is_file():
            shutil.copyfile(source, repo / name)
    tasks = repo / "tasks"
    tasks.mkdir()
    rng = random.Random(seed)
    for n in range(1, count + 1):
        name, text = render_task(n, rng)
        (tasks / name).write_text(text, encoding="utf-8")
    benchlib.git_init(repo)


def lint_diagnostics(specloop: str, repo: Path, timeout: float) -> tuple[int, list[str]]:
    """Run `specloop lint --json` once: its exit code and the diagnostics as lines."""
    try:
        proc = subprocess.run(
            [specloop, "lint", "--json"],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise benchlib.BenchError(f"specloop lint --json: {exc}") from exc
    if benchlib.looks_crashed(proc) or proc.returncode not in (0, 1):
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-10:]
        raise benchlib.BenchError(
            f"specloop lint --json exited {proc.returncode}\n"
            + "\n".join(f"  {line}" for line in tail)
        )
    found: list[str] = []
    try:
        payload = json.loads(proc.stdout)
        for diag in payload.get("diagnostics", []):
            found.append(
                f"{diag.get('path')}:{diag.get('line')}: {diag.get('code')}: "
                f"{diag.get('severity')}: {diag.get('message')}"
            )
    except (json.JSONDecodeError, AttributeError, TypeError):
        found.append("(lint --json output is not the documented JSON object)")
    return proc.returncode, found


def prepare_target(keep: str | None) -> tuple[Path, bool]:
    """The directory to generate into, and whether to delete it at the end."""
    if keep is None:
        return Path(tempfile.mkdtemp(prefix="specloop-bench-lint-")) / "repo", True
    target = Path(keep).expanduser().resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise benchlib.BenchError(f"--keep {keep}: exists and is not an empty directory")
    return target, False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--tasks",
        type=benchlib.positive_int,
        default=1000,
        metavar="N",
        help="how many task files to generate (default 1000)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--keep",
        metavar="DIR",
        help="generate the repository in DIR (new or empty) and keep it; print its path",
    )
    parser.add_argument(
        "--generate-only",
        action="store_true",
        help="only generate the repository (with --keep), do not run specloop",
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
        generate_repo(repo, args.tasks, args.seed)
        if args.keep is not None:
            print(f"generated repository: {repo}", file=sys.stderr if args.json else sys.stdout)
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
    exit_code, diagnostics = lint_diagnostics(specloop, repo, args.timeout)
    measurement = benchlib.time_command(
        "specloop lint",
        [specloop, "lint"],
        cwd=repo,
        runs=args.runs,
        timeout=args.timeout,
        accept=lambda code: code in (0, 1),
    )
    stats = measurement.stats
    meets = stats.median < TARGET_MS
    if args.json:
        benchlib.emit_json(
            {
                "benchmark": "lint_many",
                "tasks": args.tasks,
                "seed": args.seed,
                "runs": args.runs,
                "warmup_runs": 1,
                "lint_exit_code": exit_code,
                "diagnostics": diagnostics,
                "measurements": [measurement.as_dict()],
                "target": {"statistic": "median", "below_ms": TARGET_MS, "met": meets},
                "machine": machine,
            }
        )
    else:
        print(
            f"specloop lint on {args.tasks} task files "
            f"({args.runs} runs + 1 warm-up, seed {args.seed})"
        )
        print()
        print(benchlib.format_table([measurement]))
        print()
        verdict = "met" if meets else "NOT met"
        print(f"target:   median < {TARGET_MS:.0f} ms: {verdict} ({stats.median:.1f} ms)")
        print(f"lint:     exit {exit_code}, {len(diagnostics)} diagnostics")
        print(benchlib.format_machine(machine))
    if exit_code != 0:
        print(
            f"bench: warning: lint exited {exit_code} on the generated tasks "
            "(they are meant to be clean); first diagnostics:",
            file=sys.stderr,
        )
        for line in diagnostics[:10]:
            print(f"  {line}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
