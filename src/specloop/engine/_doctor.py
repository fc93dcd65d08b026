"""`specloop doctor`: what works here, and the exact command that fixes what does not.

Each check reads only what it is given: the environment mapping, a `which` that finds
programs and a `run` that runs one with a timeout. The CLI passes the real ones
(`path_finder`, `process_runner`); tests pass fakes, so no patching is needed.

Keys are only ever tested for presence: no value of any variable reaches a Check.
"""

from __future__ import annotations

import platform
import re
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from specloop.config import CONFIG_RELPATH, Config, ConfigError, load_config
from specloop.engine._project import ProjectError, find_project_root
from specloop.executors._pins import AGENT_PINS, AgentPin
from specloop.gitops import GitError, NotAGitRepository
from specloop.models import KEY_VARS, resolve_model
from specloop.models._errors import NoModelConfigured
from specloop.sandbox import Sandbox, run_process

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, how it went, and the fix when not ok."""

    name: str
    status: Status
    detail: str
    fix: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return {"name": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


@dataclass(frozen=True)
class Ran:
    """How a probe ended: its exit code (None: no answer within the timeout) and output."""

    exit_code: int | None
    output: str


Which = Callable[[str], str | None]
"""A program name -> its absolute path, or None when it is not installed."""
Runner = Callable[[Sequence[str], float], Ran]
"""(argv, timeout in seconds) -> how it ended; raises OSError when it cannot start."""

MIN_GIT = (2, 38)  # `git merge-tree --write-tree`, which merge checks rely on, came in 2.38
PROBE_TIMEOUT = 10.0  # aider's `--version` takes about a second; a hung binary gets no more
_VERSION = re.compile(r"\d+\.\d+(?:\.\d+)?")
_ROLE_SETTINGS = {  # role -> (config key, variable, an example model)
    "planner": ("roles.planner", "SPECLOOP_ROLES_PLANNER", "openai:gpt-5"),
    "executor": ("roles.executor", "SPECLOOP_ROLES_EXECUTOR", "anthropic:claude-sonnet-4-6"),
    "reviewer": ("roles.reviewers", "SPECLOOP_ROLES_REVIEWERS", "openai:gpt-5"),
}
_RELAX_SANDBOX = 'set run.sandbox = "optional" in .specloop/config.toml'


def path_finder(env: Mapping[str, str]) -> Which:
    """Look programs up on the PATH of `env`, as the executors do when they start them."""
    path = env.get("PATH", "")
    return lambda name: shutil.which(name, path=path)


def process_runner(env: Mapping[str, str]) -> Runner:
    """Run probes with `env`, killing the whole process tree at the timeout."""

    def run(argv: Sequence[str], timeout: float) -> Ran:
        done = run_process(
            list(argv), cwd=Path("/"), env=env, timeout=timeout, output_limit_bytes=4_000
        )
        return Ran(None if done.timed_out else done.exit_code, done.output)

    return run


def diagnose(
    directory: Path,
    env: Mapping[str, str],
    *,
    which: Which | None = None,
    run: Runner | None = None,
) -> list[Check]:
    """Every check, in screen order: python, git, project, models, agent CLIs, sandbox."""
    find = which if which is not None else path_finder(env)
    runner = run if run is not None else process_runner(env)
    checks = [
        Check("python", "ok", f"{platform.python_version()} ({sys.executable})"),
        _git_check(find, runner),
    ]
    project, config = _project_check(directory, env)
    checks.append(project)
    if config is None:
        checks.append(Check("models", "warn", "not checked: the configuration did not load"))
    else:
        checks += _model_checks(config, env)
    selected = config.executor if config is not None else None
    checks += [_agent_check(pin, selected == pin.name, find, runner) for pin in AGENT_PINS.values()]
    # Without a config the default applies, and the default is to require the sandbox.
    checks.append(_sandbox_check(config.sandbox if config else "required", find, runner))
    return checks


def doctor_json(checks: Sequence[Check]) -> dict[str, object]:
    """The `--json` object: overall ok (nothing failed), counts per status, every check."""
    counts = {status: sum(c.status == status for c in checks) for status in ("ok", "warn", "fail")}
    return {"ok": counts["fail"] == 0, "counts": counts, "checks": [c.as_json() for c in checks]}


def _probe(run: Runner, argv: Sequence[str]) -> Ran | str:
    """The probe's result, or why it could not run (one line)."""
    try:
        ran = run(argv, PROBE_TIMEOUT)
    except OSError as exc:
        return f"cannot run {argv[0]}: {exc.strerror or exc}"
    if ran.exit_code is None:
        return f"no answer within {PROBE_TIMEOUT:g} s"
    if ran.exit_code != 0:
        said = [line for line in ran.output.strip().splitlines() if line.strip()]
        return said[-1] if said else f"exit code {ran.exit_code}"
    return ran


def _git_check(find: Which, run: Runner) -> Check:
    git = find("git")
    if git is None:
        return Check(
            "git", "fail", "git is not installed (not on PATH)", "sudo apt-get install git"
        )
    ran = _probe(run, [git, "--version"])
    found = _VERSION.search(ran.output) if isinstance(ran, Ran) else None
    if found is None:
        why = ran if isinstance(ran, str) else f"no version in {ran.output.strip()[:60]!r}"
        return Check("git", "fail", f"`git --version` failed: {why}", "sudo apt-get install git")
    version = found.group(0)
    if tuple(int(part) for part in version.split(".")[:2]) < MIN_GIT:
        wanted = ".".join(map(str, MIN_GIT))
        return Check(
            "git",
            "fail",
            f"{version} at {git} is too old: merging needs `git merge-tree --write-tree`"
            f" (git {wanted} or newer)",
            f"install git {wanted} or newer (https://git-scm.com/downloads)",
        )
    return Check("git", "ok", f"{version} ({git})")


def _project_check(directory: Path, env: Mapping[str, str]) -> tuple[Check, Config | None]:
    """The project around `directory` and its configuration (None when it does not load)."""
    problem: Check | None = None
    try:
        root, _ = find_project_root(directory)
    except NotAGitRepository:
        root = directory.resolve()
        problem = Check(
            "project",
            "warn",
            f"{root} is not inside a git repository",
            "cd into your repository, or run `git init` here",
        )
    except (ProjectError, GitError) as exc:  # git missing or failing: the git check has the fix
        root = directory.resolve()
        problem = Check("project", "warn", f"cannot tell: {exc}")
    config_file = root / CONFIG_RELPATH
    # Outside a repository settings still come from the environment (SPECLOOP_*), so
    # the model and sandbox checks below still mean something.
    try:
        config = load_config(root, env)
    except ConfigError as exc:
        if exc.env_var is not None:
            fix = f"correct or unset {exc.env_var}"
        else:
            line = f" at line {exc.line}" if exc.line is not None else ""
            fix = f"edit {config_file}{line}, then run `specloop doctor` again"
        return Check("project", "fail", str(exc), fix), None
    if problem is not None:
        return problem, config
    if not config_file.is_file():
        return Check(
            "project",
            "warn",
            f"git repository at {root}, but no {CONFIG_RELPATH} (defaults apply)",
            "specloop init",
        ), config
    return Check("project", "ok", f"{root} ({CONFIG_RELPATH} is valid)"), config


def _model_checks(config: Config, env: Mapping[str, str]) -> list[Check]:
    builtin = config.executor == "builtin"
    checks = [
        _model_check(config, "planner", config.planner, env, needed=True),
        _model_check(config, "executor", config.executor_model, env, needed=builtin),
    ]
    # Reviewers are optional: none configured is fine, a configured one must work.
    for text in config.reviewers or (None,):
        checks.append(_model_check(config, "reviewer", text, env, needed=bool(text)))
    return checks


def _model_check(
    config: Config,
    role: Literal["planner", "executor", "reviewer"],
    text: str | None,
    env: Mapping[str, str],
    *,
    needed: bool,
) -> Check:
    name = f"{role} model"
    key, var, example = _ROLE_SETTINGS[role]
    if text is None and role == "reviewer":
        return Check(name, "ok", "none configured (optional: diffs are still verified)")
    if text is None and not needed:
        return Check(name, "ok", f"not needed: run.executor = {config.executor!r}")
    if text is None:
        return Check(
            name,
            "warn",
            "not configured; `specloop demo` runs without any model",
            f"export {var}={example}  (or set {key} in {CONFIG_RELPATH})",
        )
    try:
        spec = resolve_model(config, text, role=role, env=env)
    except NoModelConfigured as exc:
        status: Status = "fail" if needed else "warn"
        if exc.env_var in KEY_VARS.values():
            return Check(
                name,
                status,
                f"{text} needs {exc.env_var}, which is not set",
                f"export {exc.env_var}=<your key>  (in the environment, never in {CONFIG_RELPATH})",
            )
        # The only other reason: an openai-compatible model without a base URL.
        fix = f"export {exc.env_var}=<its base URL>" if exc.env_var else None
        return Check(name, status, str(exc), fix)
    source = config.sources.get(key, "default")
    where = f" at {spec.base_url}" if spec.base_url else ""
    key_var = KEY_VARS.get(spec.provider)
    if key_var is None:
        key_note = "no key needed"
    elif env.get(key_var, "").strip():
        key_note = f"{key_var} is set"
    else:  # optional for a compatible server: many local ones take none
        key_note = f"{key_var} is not set"
    return Check(name, "ok", f"{spec.label}{where} (from {source}; {key_note})")


def _agent_check(pin: AgentPin, selected: bool, find: Which, run: Runner) -> Check:
    """An agent CLI against its pin; missing is a failure only when run.executor names it."""
    name = f"{pin.name} CLI"
    path = find(pin.binary)
    if path is None:
        needed = f"; run.executor = {pin.name!r} needs it" if selected else ""
        status: Status = "fail" if selected else "warn"
        return Check(
            name,
            status,
            f"not installed ({pin.binary} is not on PATH){needed}",
            pin.install_command,
        )
    ran = _probe(run, [path, "--version"])
    if isinstance(ran, str):
        return Check(
            name, "warn", f"`{pin.binary} --version` failed: {ran} ({path})", pin.install_command
        )
    # Exact pinned version anywhere in the output wins over the first number-like text:
    # node and Python launchers may print warnings before the version line.
    versions = _VERSION.findall(ran.output)
    if pin.version in versions:
        return Check(name, "ok", f"{pin.version} ({path})")
    seen = versions[0] if versions else "an unknown version"
    return Check(
        name,
        "warn",
        f"{seen} at {path}; specloop is tested with {pin.version}",
        pin.install_command,
    )


def _sandbox_check(mode: str, find: Which, run: Runner) -> Check:
    """bubblewrap on PATH and a trial run with the exact options the sandbox uses."""
    if mode == "off":
        return Check("sandbox", "ok", 'not used (run.sandbox = "off"): commands run unisolated')
    status: Status = "fail" if mode == "required" else "warn"
    why_it_matters = f"run.sandbox = {mode!r}"
    if not sys.platform.startswith("linux"):
        return Check(
            "sandbox", status, f"bubblewrap needs Linux ({why_it_matters})", _RELAX_SANDBOX
        )
    bwrap = find("bwrap")
    if bwrap is None:
        return Check(
            "sandbox",
            status,
            f"bubblewrap is not installed (bwrap is not on PATH; {why_it_matters})",
            f"sudo apt-get install bubblewrap  (or {_RELAX_SANDBOX})",
        )
    # bwrap can be installed and still unusable (no user namespaces in a container), so
    # only a trial run of the same wrapping every sandboxed command gets tells.
    true = find("true") or "/bin/true"
    argv = Sandbox(available=True, executable=bwrap).wrap([true], writable=[], cwd=Path("/"))
    ran = _probe(run, argv)
    if isinstance(ran, str):
        return Check(
            "sandbox",
            status,
            f"{bwrap} is installed but does not work here: {ran} ({why_it_matters})",
            "allow unprivileged user namespaces (sudo sysctl -w"
            f" kernel.unprivileged_userns_clone=1), or {_RELAX_SANDBOX}",
        )
    return Check("sandbox", "ok", f"bubblewrap works ({bwrap})")
