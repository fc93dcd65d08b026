"""specloop.verify: the deterministic checks of one attempt, specloop's own verdict.

Scope (changed files within the task's Files to Modify), the task's command criteria
after the change and on the base (evidence: they failed before and pass after), and
built-in checks over the diff (no TODO added, diff budget, tests kept, no secrets,
and the criteria's fixed phrases). Reads git through specloop.gitops and runs commands
only through the runner it is given.
"""

from specloop.verify._builtin import is_test_path
from specloop.verify._imports import unused_imports
from specloop.verify._result import (
    CheckResult,
    CheckStatus,
    CommandRunner,
    Verification,
    VerifyOptions,
)
from specloop.verify._secrets import find_secrets, mask_secrets
from specloop.verify._verify import check_before, command_criteria, verify_attempt

__all__ = [
    "CheckResult",
    "CheckStatus",
    "CommandRunner",
    "Verification",
    "VerifyOptions",
    "check_before",
    "command_criteria",
    "find_secrets",
    "is_test_path",
    "mask_secrets",
    "unused_imports",
    "verify_attempt",
]
