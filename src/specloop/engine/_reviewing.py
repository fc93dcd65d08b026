"""Reviewing a change with every reviewer model and recording it (DESIGN.md §4 step 7).

Shared by `specloop review` (any range) and `specloop run --review` (each attempt
that passed its checks, before its gate). The review itself is `specloop.review`;
this module opens the reviewer clients, gathers what they read (the AGENTS.md chain
of the changed paths, SPEC.md's threat model in security mode, the task file) and
writes the result to the ledger.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from specloop.artifacts import parse_spec, resolve_agents_chain
from specloop.config import Config
from specloop.engine._project import Project
from specloop.gitops import changed_files
from specloop.ledger import Ledger
from specloop.models import ModelClient, PriceTable, resolve_model, resolve_role
from specloop.review import ReviewResult, review_change


def review_and_record(
    project: Project,
    ledger: Ledger,
    clients: list[ModelClient],
    *,
    base: str,
    head: str,
    shown: str,
    security: bool,
    run_id: int | None = None,
    task_id: str | None = None,
    task_text: str | None = None,
    attempt_id: int | None = None,
) -> tuple[ReviewResult, tuple[int, list[int]] | None]:
    """Review `base..head`; record it unless there was nothing to review.

    Returns the result and (review id, finding ids), or None when nothing was recorded.
    """
    result = review_change(
        repo=project.root,
        base=base,
        head=head,
        reviewers=clients,
        task_text=task_text,
        agents_text=agents_text(project.root, base, head),
        spec_text=threat_model(project.root, project.config) if security else None,
        security=security,
        run_id=run_id,
        task_id=task_id,
        attempt_id=attempt_id,
    )
    result.diff_range = shown
    if result.nothing_to_review:
        return result, None
    ids = ledger.record_review(
        diff_range=shown,
        security=security,
        reviewers=list(result.verdicts) or [c.label for c in clients],
        verdicts=result.verdicts,
        blocking=result.blocking,
        findings=result.findings,
        run_id=run_id,
        task_id=task_id,
        attempt_id=attempt_id,
        dropped_outside_diff=result.dropped_outside_diff,
        failures=result.failures,
        not_reviewed=result.not_reviewed,
    )
    return result, ids


def check_reviewers(config: Config, env: Mapping[str, str]) -> None:
    """Raise NoModelConfigured (exit 3) naming roles.reviewers when a reviewer is unusable."""
    resolve_role(config, "reviewer", env)  # none configured: names SPECLOOP_ROLES_REVIEWERS
    for text in config.reviewers:
        resolve_model(config, text, role="reviewer", env=env)


def reviewer_clients(
    config: Config, env: Mapping[str, str], ledger: Ledger, run_id: int | None
) -> list[ModelClient]:
    prices = PriceTable.default().with_overrides(config.prices)
    return [
        ModelClient(
            resolve_model(config, text, role="reviewer", env=env),
            role="reviewer",
            env=env,
            ledger=ledger,
            run_id=run_id,
            prices=prices,
            timeout=float(config.model_timeout),
            max_retries=config.model_max_retries,
        )
        for text in config.reviewers
    ]


def agents_text(root: Path, base: str, head: str) -> str:
    """The AGENTS.md files that apply to the changed paths, root first, each once.

    Read from the working tree: the rules in force now are the ones to review against.
    """
    directories = {root.resolve()}
    for change in changed_files(root, base, head):
        directory = (root / change.path).parent.resolve()
        while not directory.is_dir() and directory != root.resolve():
            directory = directory.parent  # a deleted directory: its nearest existing parent
        directories.add(directory)
    seen: dict[Path, str] = {}
    for directory in sorted(directories, key=lambda d: (len(d.parts), str(d))):
        if not directory.is_relative_to(root.resolve()):
            continue
        for file in resolve_agents_chain(root, directory).files:
            if file.path not in seen:
                where = file.directory.relative_to(root.resolve()).as_posix()
                seen[file.path] = f"# AGENTS.md instructions for {where}\n\n{file.text.strip()}"
    return "\n\n".join(seen.values())


def threat_model(root: Path, config: Config) -> str | None:
    """The Threat model section of SPEC.md, or None when there is none."""
    path = root / config.spec_path
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    section = parse_spec(text, source=config.spec_path).section("Threat model")
    return section.text if section is not None and section.text.strip() else None
