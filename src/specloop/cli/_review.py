"""`specloop review [REV-RANGE] [--security [--prove]] [--json]`, `review feedback`, `review stats`.

Exit codes: 0 nothing blocks; 1 a blocking finding or an unusable reviewer; 2 a bad
range, finding id or vote, or --prove without --security; 3 no reviewer model
(``roles.reviewers``) or its key. A proof never changes the exit code: a finding
blocks whether or not its test reproduced it.
Everything heavy is imported inside the commands: `specloop status` must stay fast.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from specloop.cli._guard import EXIT_FAILED, fail, guarded

if TYPE_CHECKING:
    # typer ships its own copy of click; its Context is what a group's parse_args gets.
    from typer._click.core import Context as ClickContext

    from specloop.engine._project import Project
    from specloop.engine._proving import Proof
    from specloop.ledger import Ledger
    from specloop.models import ModelClient
    from specloop.review import ReviewResult

# The hidden command a bare `specloop review [REV-RANGE]` runs.
_REVIEW_RANGE = "range"
_FINDING_ID = re.compile(r"^[Ff]?([1-9][0-9]*)$")


class _ReviewGroup(TyperGroup):
    """A group whose first argument may be a range instead of a subcommand name.

    click parses a group's own arguments before the subcommand's name, so an optional
    REV-RANGE on the group would swallow `feedback`; instead anything that is not a
    subcommand (or --help) is handed to the hidden `range` command.
    """

    def parse_args(self, ctx: ClickContext, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = [_REVIEW_RANGE, *args]
        return super().parse_args(ctx, args)


review_app = typer.Typer(
    cls=_ReviewGroup,
    help=(
        "Multi-model code and security review: `specloop review [REV-RANGE] [--security"
        " [--prove]] [--json]` (default: the current run's merged tasks). Exit 1 when a"
        " finding blocks or a reviewer's output is unusable."
    ),
)

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]


@review_app.command(_REVIEW_RANGE, hidden=True)
def review_range(
    ctx: typer.Context,
    rev_range: Annotated[
        str | None,
        typer.Argument(
            metavar="REV-RANGE", help="A..B or A...B (default: the run's base..base branch)."
        ),
    ] = None,
    security: Annotated[
        bool, typer.Option("--security", help="Attack vectors and mitigations vs the threat model.")
    ] = False,
    prove: Annotated[
        bool,
        typer.Option(
            "--prove",
            help=(
                "With --security: for each blocking security finding, run the failing test"
                " its reviewer proposes in the sandbox; a test that fails marks it reproduced."
            ),
        ),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Review a range of commits with every reviewer model; exit 1 when something blocks."""

    def work() -> None:
        import os

        from specloop.cli._app import _print_json, _project
        from specloop.engine._reviewing import check_reviewers, review_and_record, reviewer_clients
        from specloop.ledger import LEDGER_RELPATH, Ledger

        if prove and not security:
            fail(
                "--prove needs --security: it proves blocking security findings with a test"
                " (run `specloop review RANGE --security --prove`)"
            )
        project = _project(ctx)
        env = dict(os.environ)
        check_reviewers(project.config, env)  # exit 3 before anything else
        ledger_path = project.root / LEDGER_RELPATH
        if rev_range is None and not ledger_path.exists():
            fail("no run recorded yet, so there is no default range: give one, e.g. main..HEAD")
        with Ledger.open(ledger_path) as ledger:
            base, head, shown, run_id = _resolve_range(project.root, rev_range, ledger)
            clients = reviewer_clients(project.config, env, ledger, run_id)
            if not json_output:
                names = ", ".join(c.label for c in clients)
                print(f"reviewing {shown} with {names}", file=sys.stderr)
            result, recorded = review_and_record(
                project,
                ledger,
                clients,
                base=base,
                head=head,
                shown=shown,
                security=security,
                run_id=run_id,
            )
            proofs: list[Proof] = []
            if prove and recorded is not None:
                proofs = _prove(
                    project, ledger, clients, result, recorded[1], head, env, json_output
                )
        review_id, ids = recorded if recorded is not None else (None, None)
        if json_output:
            data = result.as_json(ids)
            _add_proofs(data, proofs)
            _print_json({"review_id": review_id, **data})
        else:
            sys.stdout.write(result.report(ids))
            if prove:
                sys.stdout.write(_proofs_report(result, proofs, ids))
        if result.blocking:
            raise typer.Exit(EXIT_FAILED)

    guarded(work)


@review_app.command("feedback")
def feedback(
    ctx: typer.Context,
    finding: Annotated[str, typer.Argument(metavar="FINDING", help="A finding id, e.g. F12.")],
    vote: Annotated[
        str, typer.Argument(metavar="up|down", help="up: a real problem; down: a false positive.")
    ],
    why: Annotated[str | None, typer.Option("--why", help="Why, in a sentence.")] = None,
) -> None:
    """Say whether a review finding was right; `specloop review stats` sums the votes."""

    def work() -> None:
        from specloop.cli._app import _project
        from specloop.ledger import LEDGER_RELPATH, Ledger

        match = _FINDING_ID.match(finding.strip())
        if match is None:
            fail(f"bad finding id {finding!r}: use the F-number specloop review printed, e.g. F12")
        if vote not in ("up", "down"):
            fail(
                f"bad vote {vote!r} for {finding}: use up (a real problem) or down (false positive)"
            )
        finding_id = int(match.group(1))
        ledger_path = _project(ctx).root / LEDGER_RELPATH
        if not ledger_path.exists():
            fail(f"unknown finding F{finding_id}: no review has been recorded yet")
        with Ledger.open(ledger_path) as ledger:
            record = ledger.review_finding(finding_id)
            if record is None:
                fail(f"unknown finding F{finding_id}: `specloop review` prints the ids it records")
            ledger.record_finding_feedback(finding_id, vote=vote, why=why)
        print(f"F{finding_id}: {vote} recorded ({record.title})")

    guarded(work)


@review_app.command("stats")
def stats(ctx: typer.Context, json_output: JsonOption = False) -> None:
    """Per reviewer model: findings, confirmed (up), rejected (down), precision."""

    def work() -> None:
        from specloop.cli._app import _print_json, _project
        from specloop.ledger import LEDGER_RELPATH, Ledger

        ledger_path = _project(ctx).root / LEDGER_RELPATH
        rows: list[dict[str, Any]] = []
        if ledger_path.exists():
            # Open for writing: a ledger from before reviews existed gets its migration.
            with Ledger.open(ledger_path) as ledger:
                rows = [
                    {
                        "reviewer": s.reviewer,
                        "findings": s.findings,
                        "confirmed": s.confirmed,
                        "rejected": s.rejected,
                        "precision": s.precision,
                    }
                    for s in ledger.reviewer_stats()
                ]
        if json_output:
            _print_json({"reviewers": rows})
            return
        if not rows:
            print("no review findings recorded yet")
            return
        width = max(len("reviewer"), *(len(r["reviewer"]) for r in rows))
        print(f"{'reviewer':<{width}}  findings  confirmed  rejected  precision")
        for r in rows:
            shown = "-" if r["precision"] is None else f"{r['precision']:.2f}"
            print(
                f"{r['reviewer']:<{width}}  {r['findings']:>8}  {r['confirmed']:>9}"
                f"  {r['rejected']:>8}  {shown:>9}"
            )

    guarded(work)


# -- helpers ---------------------------------------------------------------------------


def _prove(
    project: Project,
    ledger: Ledger,
    clients: list[ModelClient],
    result: ReviewResult,
    ids: list[int],
    head: str,
    env: dict[str, str],
    quiet: bool,
) -> list[Proof]:
    """Prove the blocking security findings (see specloop.engine._proving)."""
    from specloop.engine._proving import proof_sandbox, prove_findings
    from specloop.engine._reviewing import threat_model
    from specloop.review import is_provable

    wanted = sum(is_provable(f) for f in result.findings)
    if wanted == 0:
        return []
    box = proof_sandbox(project.config)
    if not quiet:
        if box.warning is not None:
            print(f"specloop: warning: {box.warning}", file=sys.stderr)
        noun = "finding" if wanted == 1 else "findings"
        print(f"proving {wanted} blocking security {noun} with a test", file=sys.stderr)
    return prove_findings(
        project,
        ledger,
        clients,
        result,
        ids,
        head=head,
        spec_text=threat_model(project.root, project.config),
        sandbox=box,
        env=env,
    )


def _add_proofs(data: dict[str, Any], proofs: list[Proof]) -> None:
    """Give every finding in `review --json` its `reproduced` flag and `proof` (null if none)."""
    for finding in data["findings"]:
        finding["reproduced"] = None
        finding["proof"] = None
    for proof in proofs:
        finding = data["findings"][proof.index]
        finding["reproduced"] = proof.reproduced
        finding["proof"] = proof.as_json()


def _proofs_report(result: ReviewResult, proofs: list[Proof], ids: list[int] | None) -> str:
    """The proofs section of the text report: one entry per proven finding."""
    if not proofs:
        if not result.findings:
            return ""
        return "Proofs: no blocking security finding to prove.\n"
    lines = ["Proofs (a finding blocks whatever its proof says):"]
    for proof in proofs:
        index = proof.index
        name = (
            f"F{ids[index]}"
            if ids is not None and index < len(ids)
            else result.findings[index].title
        )
        lines.append(f"- {name} {proof.outcome.upper()}: {proof.reason}")
        if proof.test_path is not None:
            lines.append(f"    test {proof.test_path} by {proof.reviewer}, run as: {proof.command}")
        tail = proof.output.strip().splitlines()[-8:]
        lines.extend(f"    | {line}" for line in tail)
    return "\n".join(lines) + "\n"


def _resolve_range(
    root: Path, rev_range: str | None, ledger: Ledger
) -> tuple[str, str, str, int | None]:
    """(base SHA, head SHA, the range as shown, the run's id for the default range)."""
    from specloop.gitops import GitError, resolve, run_git

    if rev_range is None:
        run = ledger.latest_run()
        if run is None or run.base_sha is None or run.base_ref is None:
            fail(
                "no run with a base recorded, so there is no default range: give one, e.g. main..HEAD"
            )
        try:
            head = resolve(root, run.base_ref)
        except GitError:
            fail(f"the run's base branch {run.base_ref!r} no longer exists: give a range A..B")
        return run.base_sha, head, f"{run.base_sha[:12]}..{run.base_ref}", run.id
    symmetric = "..." in rev_range
    left, sep, right = rev_range.partition("..." if symmetric else "..")
    if not sep or rev_range.count("..") > 1:
        fail(f"bad range {rev_range!r}: give A..B (e.g. main..HEAD) or A...B")
    try:
        base = resolve(root, left or "HEAD")
        head = resolve(root, right or "HEAD")
        if symmetric:  # like `git diff A...B`: the change B made since it left A
            base = run_git(["merge-base", base, head], root).strip()
    except GitError as exc:
        fail(f"bad range {rev_range!r}: {exc}")
    return base, head, rev_range, None
