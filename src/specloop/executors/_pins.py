"""The agent CLIs specloop drives, and the one version of each it is tested with.

Flags and event formats of these CLIs change between minor versions
(executor-clis.md §1), so each adapter is written against one pinned version. This is
the one place the versions live: `specloop doctor`, the install hints of a missing
agent, `scripts/install_agents.py` (which CI runs) and the integration tests read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class AgentPin:
    """One agent CLI: its executor name, command, package, pinned version and installer."""

    name: str
    binary: str
    package: str
    version: str
    installer: Literal["npm", "pip"]

    @property
    def spec(self) -> str:
        """The package at its pinned version, as its installer writes it."""
        return (
            f"{self.package}@{self.version}"
            if self.installer == "npm"
            else f"{self.package}=={self.version}"
        )

    @property
    def install_command(self) -> str:
        """The command a user runs to install it (Aider in its own environment: its
        dependencies are pinned tightly and would fight with other tools')."""
        if self.installer == "npm":
            return f"npm install -g {self.spec}"
        return f"pipx install {self.spec}  (or: python3 -m pip install {self.spec})"


AGENT_PINS: dict[str, AgentPin] = {
    "codex": AgentPin("codex", "codex", "@openai/codex", "0.169.0", "npm"),
    "claude": AgentPin("claude", "claude", "@anthropic-ai/claude-code", "2.1.197", "npm"),
    "aider": AgentPin("aider", "aider", "aider-chat", "0.86.2", "pip"),
}
