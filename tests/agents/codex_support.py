"""Helpers for the codex executor's tests: captured JSONL, a committed project, the ledger.

The JSONL below was captured from codex-cli 0.169.0 (`codex exec --json`) driven against
the scripted model server; only the worktree path was replaced by WORKTREE.
"""

from __future__ import annotations

from pathlib import Path

from agents_support import AgentProject
from helpers import git, make_task

WORKTREE = "/work/project/.specloop/state/worktrees/0x01-1"
#: A fake key: the scripted server accepts any, and the log redacts it anyway.
KEY = "sk-test-CODEX-5b1e0c7d93a4"
#: A model slug Codex knows, so it offers the freeform apply_patch tool (§3.7).
MODEL = "gpt-5.5"
#: In the project's AGENTS.md: the handover carries it, Codex must not add it again.
AGENTS_MARKER = "RULE-c0d3x: keep functions small."

# apply_patch (update + add), then exec_command, then a final message; one turn.
SUCCESS_JSONL = f"""\
Reading additional input from stdin...
{{"type":"thread.started","thread_id":"01a20214-55f0-77e2-9d2d-80d538f2cf90"}}
{{"type":"turn.started"}}
{{"type":"item.started","item":{{"id":"item_0","type":"file_change","changes":[{{"path":"{WORKTREE}/src/app.py","kind":"update"}},{{"path":"{WORKTREE}/src/new.py","kind":"add"}}],"status":"in_progress"}}}}
{{"type":"item.completed","item":{{"id":"item_0","type":"file_change","changes":[{{"path":"{WORKTREE}/src/app.py","kind":"update"}},{{"path":"{WORKTREE}/src/new.py","kind":"add"}}],"status":"completed"}}}}
{{"type":"item.started","item":{{"id":"item_1","type":"command_execution","command":"/bin/bash -lc 'echo done > src/done.txt && cat src/new.py'","aggregated_output":"","exit_code":null,"status":"in_progress"}}}}
{{"type":"item.completed","item":{{"id":"item_1","type":"command_execution","command":"/bin/bash -lc 'echo done > src/done.txt && cat src/new.py'","aggregated_output":"VALUE = 1\\n","exit_code":0,"status":"completed"}}}}
{{"type":"item.completed","item":{{"id":"item_2","type":"agent_message","text":"All done."}}}}
{{"type":"turn.completed","usage":{{"input_tokens":122,"cached_input_tokens":40,"cache_write_input_tokens":0,"output_tokens":24,"reasoning_output_tokens":0}}}}
"""

# HTTP 500 with stream_max_retries = 2: two reconnect notices, then the failure.
HTTP_500_JSONL = """\
{"type":"thread.started","thread_id":"01a20214-cedb-7433-bd38-45183ab66916"}
{"type":"turn.started"}
{"type":"error","message":"Reconnecting... 1/2 (We’re currently experiencing high demand, which may cause temporary errors.)"}
{"type":"error","message":"Reconnecting... 2/2 (We’re currently experiencing high demand, which may cause temporary errors.)"}
{"type":"error","message":"We’re currently experiencing high demand, which may cause temporary errors."}
{"type":"turn.failed","error":{"message":"We’re currently experiencing high demand, which may cause temporary errors."}}
"""

# CODEX_HOME in /tmp with Codex's own sandbox on: the patch fails, the turn "completes".
PATCH_FAILED_JSONL = f"""\
WARNING: proceeding, even though we could not create PATH aliases: Refusing to create helper binaries under temporary dir "/tmp" (codex_home: AbsolutePathBuf("/tmp/codexhome-exp"))
{{"type":"thread.started","thread_id":"01a20217-6e0a-7232-9c7b-2f74e132422a"}}
{{"type":"turn.started"}}
{{"type":"item.completed","item":{{"id":"item_0","type":"file_change","changes":[{{"path":"{WORKTREE}/src/app.py","kind":"update"}},{{"path":"{WORKTREE}/src/new.py","kind":"add"}}],"status":"failed"}}}}
{{"type":"item.completed","item":{{"id":"item_1","type":"agent_message","text":"All done."}}}}
{{"type":"turn.completed","usage":{{"input_tokens":122,"cached_input_tokens":40,"cache_write_input_tokens":0,"output_tokens":24,"reasoning_output_tokens":0}}}}
"""

# An unknown model slug: a non-fatal error item before the turn.
UNKNOWN_MODEL_JSONL = """\
{"type":"thread.started","thread_id":"01a20218-5661-7653-808a-e0cbd4b9084e"}
{"type":"item.completed","item":{"id":"item_0","type":"error","message":"Model metadata for `fake-model` not found. Defaulting to fallback metadata; this can degrade performance and cause issues."}}
{"type":"turn.started"}
{"type":"item.completed","item":{"id":"item_1","type":"agent_message","text":"ok"}}
{"type":"turn.completed","usage":{"input_tokens":11,"cached_input_tokens":0,"cache_write_input_tokens":0,"output_tokens":7,"reasoning_output_tokens":0}}
"""

# A refused connection with retries 0 and unbounded_connection_retries disabled.
REFUSED_JSONL = """\
{"type":"thread.started","thread_id":"01a20215-4be5-7cd0-9b44-d35d6a50f588"}
{"type":"turn.started"}
{"type":"error","message":"Connection failed: error sending request"}
{"type":"turn.failed","error":{"message":"Connection failed: error sending request"}}
"""


def codex_project(
    base: Path, base_url: str, *, sandbox: str = "required", extra_front: str = ""
) -> AgentProject:
    """A project with task 0x01 (change src/app.py, add src/new.py), committed on main."""
    root = base / "project"
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test User")
    git(root, "config", "user.email", "test@example.invalid")
    files = {
        ".specloop/config.toml": (
            f'[run]\nautonomy = "verified"\nmax_attempts = 1\ntimeout = 60\nsandbox = "{sandbox}"\n\n'
            f'[roles]\nexecutor = "openai:{MODEL}"\n\n'
            f'[providers.openai]\nbase_url = "{base_url}"\n\n'
            # No retries: a scripted failure fails at once, and every request is scripted.
            "[models]\nmax_retries = 0\n\n"
            # A price, so the ledger's cost is checked too (Codex reports none).
            f'[prices."openai:{MODEL}"]\ninput = 1.0\ncached_input = 0.5\noutput = 2.0\n'
        ),
        ".gitignore": ".specloop/state/\n",
        "AGENTS.md": f"# Rules\n\n{AGENTS_MARKER}\n",
        "src/app.py": "def hello():\n    return 'hi'\n",
        "tasks/0x01-greeting.md": make_task(
            "0x01",
            title="Say hello",
            scope=("src/app.py", "src/new.py"),
            criteria=("`grep -q hello src/app.py` passes", "`test -f src/new.py` passes"),
            objective="hello() returns 'hello'; src/new.py holds VALUE and DONE.",
            extra_front=extra_front,
        ),
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return AgentProject(root, "codex", KEY)
