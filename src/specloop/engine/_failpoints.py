"""Fault injection for the crash-recovery tests.

`SPECLOOP_FAILPOINT=<name>` makes specloop stop (sleep) at the named step, after
touching the file named by `SPECLOOP_FAILPOINT_MARKER`, so a test can kill -9 it at
exactly that moment. Steps that take milliseconds (the merge) cannot be hit reliably
by timing a kill from outside. Unset, a failpoint costs one dictionary lookup.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def failpoint(name: str) -> None:
    """Stop here when the environment asks for this failpoint."""
    if os.environ.get("SPECLOOP_FAILPOINT") != name:
        return
    marker = os.environ.get("SPECLOOP_FAILPOINT_MARKER")
    if marker:
        Path(marker).touch()
    time.sleep(3600)
