"""Proving blocking security findings with a failing test (`specloop review --security --prove`).

For each blocking security finding, the reviewer that raised it (the first of its
reviewers) proposes one new test file and the command that runs it
(``specloop.review.ProofOutput``). specloop writes the file into a pool worktree
checked out at the change's head, never the user's checkout, runs the command in the
sandbox with no network and only that worktree writable, then detaches the slot and
deletes its branch. The finding is:

- ``reproduced`` when the command exits non-zero, as the reviewer predicted;
- ``not reproduced`` when it exits 0;
- ``error`` when no usable test was proposed, or the command timed out, could not
  start (exit 126/127), was killed by a signal, or the worktree or sandbox failed.

A proof is evidence for people, never a gate: whatever its outcome the finding keeps
its blocking flag. In particular ``not reproduced`` and ``error`` never unblock (fail
closed), since a test that passes may just be a weak test.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specloop.config import Config
from specloop.engine._project import Project
from specloop.engine._steps import VERIFY_SLOT
from specloop.gitops import GitError, WorktreePool
from specloop.gitops._lock import exclusive
from specloop.ledger import LEDGER_RELPATH, Ledger
from specloop.models import ModelClient, ModelError
from specloop.review import (
    Finding,
    ProofOutput,
    ReviewResult,
    head_files,
    is_provable,
    proof_validator,
    prove_prompt,
    prove_system_prompt,
    reviewer_labels,
)
from specloop.sandbox import ProcessResult, Sandbox, SandboxError, run_sandboxed, scrubbed_env

#: The pool slot proofs run in: after the attempts' slots, BASE_SLOT and VERIFY_SLOT.
PROOF_SLOT = VERIFY_SLOT + 1
PROOF_BRANCH = "specloop/proof"
#: A proof is one small test: it gets at most this long, even when run.timeout is longer.
MAX_PROOF_SECONDS = 120.0
#: Bytes of the test's output kept (head and tail) for the report and the ledger.
PROOF_OUTPUT_BYTES = 8_000
PROVE_STAGE = "review.prove"

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
ERROR = "error"


@dataclass(frozen=True)
class Proof:
    """How proving one finding went; ``index`` is the finding's place in the result."""

    index: int
    reviewer: str
    outcome: str
    reason: str
    test_path: str | None = None
    command: str | None = None
    exit_code: int | None = None
    output: str = ""
    duration_ms: int | None = None

    @property
    def reproduced(self) -> bool:
        """True when the proposed test failed on the change, as predicted."""
        return self.outcome == REPRODUCED

    def as_json(self) -> dict[str, Any]:
        """JSON-ready fields for `specloop review --json`."""
        return {
            "outcome": self.outcome,
            "reason": self.reason,
            "reviewer": self.reviewer,
            "test_path": self.test_path,
            "command": self.command,
            "exit_code": self.exit_code,
            "duration_ms": self.duration_ms,
            "output": self.output,
        }


@dataclass(frozen=True)
class ProofSandbox:
    """The sandbox proofs run in, or why none may run (``refused``)."""

    sandbox: Sandbox
    refused: str | None = None
    warning: str | None = None


def proof_sandbox(config: Config) -> ProofSandbox:
    """The sandbox ``run.sandbox`` allows for proofs.

    The proposed test is code a model wrote against a change under suspicion: with
    ``required`` (the default) and no working bubblewrap, no proof runs at all.
    """
    mode = config.sandbox
    if mode == "off":
        return ProofSandbox(Sandbox.disabled("run.sandbox = off"))
    sandbox = Sandbox.detect()
    if sandbox.available:
        return ProofSandbox(sandbox)
    if mode == "required":
        return ProofSandbox(
            sandbox,
            refused=f"no sandbox ({sandbox.reason}); run.sandbox = required refuses to run"
            " a proposed test unsandboxed",
        )
    return ProofSandbox(sandbox, warning=f"running proof tests UNSANDBOXED ({sandbox.reason})")


def prove_findings(
    project: Project,
    ledger: Ledger,
    clients: Sequence[ModelClient],
    result: ReviewResult,
    finding_ids: Sequence[int],
    *,
    head: str,
    spec_text: str | None,
    sandbox: ProofSandbox,
    env: Mapping[str, str],
) -> list[Proof]:
    """Prove every blocking security finding of ``result``; record and return each proof.

    ``finding_ids`` are the findings' ledger ids, in order (``record_review``'s); ``head``
    is the full SHA of the reviewed change's head.
    """
    wanted = [(i, f) for i, f in enumerate(result.findings) if is_provable(f)]
    if not wanted:
        return []
    by_label = dict(zip(reviewer_labels(clients), clients, strict=True))
    files = head_files(project.root, head)
    timeout = min(float(project.config.timeout), MAX_PROOF_SECONDS)
    # The engine's pool directory (`.specloop/state/worktrees`), so `specloop clean`
    # removes the proof slot with the others.
    pool = WorktreePool(project.root, project.root / LEDGER_RELPATH.parent / "worktrees")
    proofs: list[Proof] = []
    for index, finding in wanted:
        reviewer = finding.reviewers[0]
        client = by_label.get(reviewer)
        if client is None:
            proof = Proof(index, reviewer, ERROR, f"reviewer {reviewer} is not configured")
        elif sandbox.refused is not None:
            proof = Proof(index, reviewer, ERROR, sandbox.refused)
        else:
            proof = _prove_one(
                project,
                client,
                pool,
                sandbox.sandbox,
                index=index,
                finding=finding,
                reviewer=reviewer,
                head=head,
                diff_range=result.diff_range,
                spec_text=spec_text,
                files=files,
                timeout=timeout,
                env=env,
            )
        ledger.record_finding_proof(
            finding_ids[index],
            reviewer=reviewer,
            outcome=proof.outcome,
            test_path=proof.test_path,
            command=proof.command,
            exit_code=proof.exit_code,
            reason=proof.reason,
            output=proof.output,
            duration_ms=proof.duration_ms,
        )
        proofs.append(proof)
    return proofs


def _prove_one(
    project: Project,
    client: ModelClient,
    pool: WorktreePool,
    sandbox: Sandbox,
    *,
    index: int,
    finding: Finding,
    reviewer: str,
    head: str,
    diff_range: str,
    spec_text: str | None,
    files: frozenset[str],
    timeout: float,
    env: Mapping[str, str],
) -> Proof:
    try:
        answer = client.structured(
            stage=PROVE_STAGE,
            system=prove_system_prompt(timeout=timeout),
            prompt=prove_prompt(
                repo=project.root,
                head=head,
                finding=finding,
                reviewer=reviewer,
                diff_range=diff_range,
                spec_text=spec_text,
                files=files,
            ),
            output_type=ProofOutput,
            validators=[proof_validator(files)],
        )
    except ModelError as exc:
        return Proof(index, reviewer, ERROR, f"no usable test from {reviewer}: {exc}")
    proposal = answer.output
    test_path, command = proposal.test_path.strip(), proposal.command.strip()
    try:
        ran = _run_proof(
            pool,
            sandbox,
            head=head,
            test_path=test_path,
            test_code=proposal.test_code,
            command=command,
            timeout=timeout,
            env=env,
        )
    except (GitError, SandboxError, OSError, ValueError) as exc:
        return Proof(index, reviewer, ERROR, f"could not run the test: {exc}", test_path, command)
    outcome, reason = judge(ran, timeout)
    return Proof(
        index,
        reviewer,
        outcome,
        reason,
        test_path,
        command,
        ran.exit_code,
        ran.output,
        ran.duration_ms,
    )


def judge(ran: ProcessResult, timeout: float) -> tuple[str, str]:
    """The outcome of a proof run and why, from how its command ended."""
    if ran.timed_out:
        return ERROR, f"the test did not finish within {timeout:g} s"
    if ran.exit_code is None or ran.exit_code < 0:
        return ERROR, f"the test was killed by signal {-(ran.exit_code or 0)}"
    if ran.exit_code in (126, 127):
        # What /bin/sh says when the program is missing or not executable: no answer.
        return ERROR, f"the command could not start (exit {ran.exit_code})"
    if ran.exit_code == 0:
        return NOT_REPRODUCED, "the test passed on the change: the finding was not demonstrated"
    return REPRODUCED, f"the test failed on the change as predicted (exit {ran.exit_code})"


def _run_proof(
    pool: WorktreePool,
    sandbox: Sandbox,
    *,
    head: str,
    test_path: str,
    test_code: str,
    command: str,
    timeout: float,
    env: Mapping[str, str],
) -> ProcessResult:
    """Write the test into the proof slot at ``head``, run ``command``, free the slot."""
    # One proof at a time per project: the slot and its branch are shared by every
    # `specloop review --prove`, and checkout/retire lock only their own step.
    with exclusive(pool.directory / "proof.lock"):
        worktree = pool.checkout(PROOF_SLOT, PROOF_BRANCH, head)
        try:
            write_new_file(worktree, test_path, test_code)
            return run_sandboxed(
                sandbox,
                command,
                cwd=worktree,
                # A proposed test is untrusted code: no API keys, no network.
                env=scrubbed_env(env),
                timeout=timeout,
                writable=[worktree],
                output_limit_bytes=PROOF_OUTPUT_BYTES,
            )
        finally:
            # Detach and delete the branch; the files the test left are wiped by the
            # slot's next checkout (`clean -ffdx`), which inspects the slot first.
            pool.retire(PROOF_SLOT, PROOF_BRANCH, head)


def write_new_file(root: Path, relative: str, text: str) -> Path:
    """Create ``root/relative`` with ``text``; never overwrite, never follow a symlink.

    specloop writes the file itself, outside the sandbox, and the repository may hold
    a symlinked directory pointing anywhere: every directory on the way must be a real
    directory inside ``root``, and the file must not exist yet.
    """
    top = root.resolve()
    parts = relative.split("/")
    directory = top
    for part in parts[:-1]:
        directory = directory / part
        if directory.is_symlink():
            raise ValueError(f"{relative}: {directory.relative_to(top)} is a symlink")
        directory.mkdir(exist_ok=True)
        if not directory.is_dir():
            raise ValueError(f"{relative}: {directory.relative_to(top)} is not a directory")
    target = directory / parts[-1]
    if not target.resolve().is_relative_to(top):
        raise ValueError(f"{relative} is outside the worktree")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    fd = os.open(target, flags, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return target
