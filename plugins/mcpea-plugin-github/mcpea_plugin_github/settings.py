"""The ``[plugins.github]`` table of ``mcpea.toml``, and the one PyGithub client it configures."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, field_validator

if TYPE_CHECKING:
    from github import Github

__all__ = ["TOOLSET_NAMES", "GitHubSettings", "Toolset"]

Toolset = Literal["repos", "issues", "pull_requests", "actions", "search", "releases"]
TOOLSET_NAMES: tuple[Toolset, ...] = get_args(Toolset)
ToolsetChoice = Literal[Toolset, "all"]


def _all_toolsets() -> list[ToolsetChoice]:
    return ["all"]


class GitHubSettings(BaseModel):
    """Settings of the GitHub connector.

    ``toolsets`` chooses which groups of tools load (the names follow GitHub's
    own MCP server); ``read_only`` loads only the tools that never write. The
    retry and pacing fields tune the one ``github.Github`` client all calls
    share: see :mod:`mcpea_plugin_github.retry` for the policy.
    """

    model_config = ConfigDict(extra="forbid")

    token: SecretStr = Field(
        description="GitHub token (fine-grained or classic PAT, or an app installation token)."
    )
    base_url: str = Field(
        default="https://api.github.com",
        description="REST API root: https://HOST/api/v3 for GitHub Enterprise Server.",
    )
    toolsets: list[ToolsetChoice] = Field(
        default_factory=_all_toolsets,
        description=f"Tool groups to load: {', '.join(TOOLSET_NAMES)}, or all.",
    )
    read_only: bool = Field(default=False, description="Load only the tools that never write to GitHub.")
    page_size: int = Field(
        default=30, ge=1, le=100, description="Items per page of every list and search tool."
    )
    timeout: int = Field(default=15, ge=1, le=300, description="Seconds to wait for GitHub on each request.")
    max_retries: int = Field(
        default=2,
        ge=0,
        le=5,
        description="Retries of a failed GET (never of a write): 5xx, resets, rate limits.",
    )
    retry_backoff: float = Field(
        default=0.5,
        ge=0,
        le=10,
        description="Backoff factor: the n-th GET retry waits factor x 2^(n-1) s plus jitter.",
    )
    max_rate_limit_wait: float = Field(
        default=20.0,
        ge=0,
        le=600,
        description="Longest rate-limit wait (seconds) a GET sits out; longer ones are reported at once.",
    )
    seconds_between_requests: float = Field(
        default=0.25, ge=0, le=60, description="PyGithub's pacing between any two requests (0 in tests)."
    )
    seconds_between_writes: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description="PyGithub's pacing between two writes, as GitHub advises (0 in tests).",
    )

    _client: Github | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must start with https:// (or http:// for a local stand-in)")
        return value.rstrip("/")

    @property
    def enabled_toolsets(self) -> tuple[Toolset, ...]:
        """The chosen toolsets, ``all`` expanded, in the canonical order."""
        if "all" in self.toolsets:
            return TOOLSET_NAMES
        return tuple(name for name in TOOLSET_NAMES if name in self.toolsets)

    def client(self) -> Github:
        """The shared ``github.Github`` client, built on first use (imports PyGithub then)."""
        with self._lock:
            if self._client is None:
                from .client import build_client

                self._client = build_client(self)
            return self._client

    def use_client(self, client: Any) -> None:
        """Use ``client`` instead of building one: for tests and applications that bring their own."""
        with self._lock:
            self._client = client

    def close(self) -> None:
        """Close the client's connections, if one was built."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()
