"""Helpers for the aider executor's tests: captured output, a committed project, the ledger.

The console texts, LLM history and analytics log below were captured from aider-chat
0.86.2 run by AiderExecutor (the flags of `aider_args`) against the scripted model
server; only the worktree path was replaced by WORKTREE and long prompts were cut.
"""

from __future__ import annotations

from pathlib import Path

from agents_support import AgentProject
from helpers import git, make_task

WORKTREE = "/work/project/.specloop/state/worktrees/0x01-1"
#: A fake key: the scripted server accepts any, and its log redacts it anyway.
KEY = "sk-test-AIDER-7f3c9e21b6d4"
MODEL = "gpt-4.1"

BANNER = f"""\
Analytics have been permanently disabled.

Creating empty file {WORKTREE}/src/hello.py
Aider v0.86.2
Model: openai/gpt-4.1 with diff edit format
Git repo: ../../../../.git/worktrees/w1 with 2 files
Repo-map: disabled
Added src/app.py to the chat.
Added src/hello.py to the chat.

"""

# One reply with one SEARCH/REPLACE block that creates src/hello.py.
SUCCESS_OUTPUT = (
    BANNER
    + """\
I will add hello.

src/hello.py
```python
<<<<<<< SEARCH
=======
def hello() -> str:
    return "hello"
>>>>>>> REPLACE
```

Tokens: 1.9k sent, 33 received. Cost: $0.0041 message, $0.0041 session.
Applied edit to src/hello.py
"""
)

# The prompt is cut to a few lines; it quotes Aider's example exchange as ASSISTANT lines.
SUCCESS_LLM_HISTORY = """\
TO LLM 2026-11-22T07:24:53
-------
SYSTEM Act as an expert software developer.
-------
USER Change get_factorial() to use math.factorial
-------
ASSISTANT To make this change we need to modify `mathweb/flask/app.py` to:
-------
USER # How to work on this task
LLM RESPONSE 2026-11-22T07:24:53
ASSISTANT I will add hello.
ASSISTANT\x20
ASSISTANT src/hello.py
ASSISTANT ```python
ASSISTANT <<<<<<< SEARCH
ASSISTANT =======
ASSISTANT def hello() -> str:
ASSISTANT     return "hello"
ASSISTANT >>>>>>> REPLACE
ASSISTANT ```
"""

SUCCESS_REPLY = """\
I will add hello.

src/hello.py
```python
<<<<<<< SEARCH
=======
def hello() -> str:
    return "hello"
>>>>>>> REPLACE
```"""

_USER = '"user_id": "3efcd66e-024e-434d-bc7c-832c3a26cde1"'
SUCCESS_ANALYTICS = f"""\
{{"event": "launched", "properties": {{}}, {_USER}, "time": 1795332290}}
{{"event": "repo", "properties": {{"num_files": 2}}, {_USER}, "time": 1795332293}}
{{"event": "auto_commits", "properties": {{"enabled": false}}, {_USER}, "time": 1795332293}}
{{"event": "message_send_starting", "properties": {{}}, {_USER}, "time": 1795332293}}
{{"event": "message_send", "properties": {{"main_model": "openai/gpt-4.1", "weak_model": "openai/gpt-4.1", "editor_model": "openai/gpt-4.1", "edit_format": "diff", "prompt_tokens": 1918, "completion_tokens": 33, "total_tokens": 1951, "cost": 0.0041, "total_cost": 0.0041}}, {_USER}, "time": 1795332293}}
{{"event": "exit", "properties": {{"reason": "Completed --message-file"}}, {_USER}, "time": 1795332293}}
"""

_500 = (
    "litellm.InternalServerError: InternalServerError: OpenAIException - specloop scripted"
    " model: scripted HTTP 500 error\nThe API provider's servers are down or overloaded.\n"
)
# HTTP 500 on every call, [models] max_retries = 3: four calls, then Aider gives up, exit 0.
HTTP_500_OUTPUT = (
    BANNER
    + _500
    + "Retrying in 0.2 seconds...\n"
    + _500
    + "Retrying in 0.5 seconds...\n"
    + _500
    + "Retrying in 1.0 seconds...\n"
    + _500
    + "\n"
)

# One HTTP 500, then the reply: the retry succeeded.
RETRIED_OUTPUT = (
    BANNER
    + _500
    + """\
Retrying in 0.2 seconds...
src/hello.py
```python
<<<<<<< SEARCH
=======
VALUE = 1
>>>>>>> REPLACE
```

Tokens: 1.9k sent, 22 received. Cost: $0.0040 message, $0.0040 session.
Applied edit to src/hello.py
"""
)

# HTTP 400 is not retried.
HTTP_400_OUTPUT = (
    BANNER
    + """\
litellm.BadRequestError: OpenAIException - specloop scripted model: scripted HTTP 400 error

"""
)

EMPTY_REPLY_OUTPUT = (
    BANNER
    + """\
Empty response received from LLM. Check your provider account?

Tokens: 1.9k sent, 0 received. Cost: $0.0038 message, $0.0038 session.
"""
)

# The model named src/app.py (not yet in the chat, added by --yes-always), then its
# SEARCH block never matched; Aider stops after 3 reflections. Repeats are cut.
NO_MATCH_OUTPUT = (
    BANNER
    + """\
src/app.py
```python
<<<<<<< SEARCH
def nothing_like_this():
=======
def greet():
>>>>>>> REPLACE
```

Tokens: 1.9k sent, 24 received. Cost: $0.0040 message, $0.0040 session.

src/app.py
The LLM did not conform to the edit format.
https://aider.chat/docs/troubleshooting/edit-errors.html

# 1 SEARCH/REPLACE block failed to match!

## SearchReplaceNoExactMatch: This SEARCH block failed to exactly match lines in src/app.py
<<<<<<< SEARCH
def nothing_like_this():
=======
def greet():
>>>>>>> REPLACE

Tokens: 2.3k sent, 24 received. Cost: $0.0047 message, $0.02 session.
Only 3 reflections allowed, stopping.
"""
)


def aider_project(
    base: Path, *, model: str = f"openai:{MODEL}", providers: str = "", extra_front: str = ""
) -> AgentProject:
    """A project with task 0x01 (hello() in src/app.py says "hello, world"), committed on main.

    ``providers`` is the config's [providers.*] text pointing the model at the server.
    """
    root = base / "project"
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    files = {
        ".specloop/config.toml": (
            '[run]\nautonomy = "verified"\nmax_attempts = 1\ntimeout = 60\n\n'
            f'[roles]\nexecutor = "{model}"\n\n{providers}\n'
            # One retry: a scripted failure ends quickly, and the test can count calls.
            "[models]\nmax_retries = 1\n"
        ),
        ".gitignore": ".specloop/state/\n",
        "src/app.py": "def hello():\n    return 'hi'\n",
        "tasks/0x01-greeting.md": make_task(
            "0x01",
            title="Say hello",
            scope=("src/app.py",),
            criteria=("`grep -q world src/app.py` passes",),
            objective="hello() returns 'hello, world'.",
            extra_front=extra_front,
        ),
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git(root, "add", "-A")
    # No identity in .git/config, as in most repositories (it lives in ~/.gitconfig,
    # which Aider, with a HOME of its own, never sees): Aider must not need one there.
    git(
        root,
        "-c",
        "user.name=Test User",
        "-c",
        "user.email=test@example.invalid",
        "commit",
        "-q",
        "-m",
        "initial",
    )
    return AgentProject(root, "aider", KEY)


def openai_provider(base_url: str) -> str:
    return f'[providers.openai]\nbase_url = "{base_url}"\n'
