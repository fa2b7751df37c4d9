"""The ``[policy]`` section of ``mcpea.toml``.

Every default permits everything, so a hub without a ``[policy]`` section
behaves as if the policy plugin were not there::

    [policy]
    read_only = false                 # list and run only tools annotated read-only
    allow = ["stripe_get_*"]          # tool-name globs; empty: every tool
    deny = ["stripe_delete_*"]        # tool-name globs; deny wins over allow
    confirm_destructive = false       # ask the user before a destructive tool runs
    confirm = ["github_merge_*"]      # always ask before these (confirm wins over no_confirm)
    no_confirm = ["github_close_*"]   # exempt from confirm_destructive
    unconfirmed = "deny"              # client without elicitation: "deny" or "allow"

    [[policy.rate_limits]]
    tools = "stripe_create_*"         # a glob or a list of globs
    principal = "*"                   # glob on the principal id
    per = "minute"                    # second, minute, hour or day
    limit = 10                        # calls per principal and tool within any such window

This module imports nothing from the rest of ``mcpea_core`` so that
``mcpea_core.config`` can import it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["PERIODS", "PolicySettings", "RateLimitRule"]

PERIODS: dict[str, float] = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}

Glob = Annotated[str, Field(min_length=1)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RateLimitRule(_Section):
    """At most ``limit`` calls of each matching tool by each matching principal per ``per``."""

    tools: list[Glob] = Field(min_length=1, description="Tool-name globs this rule limits.")
    principal: Glob = Field(default="*", description="Glob on the principal id this rule limits.")
    per: Literal["second", "minute", "hour", "day"] = "minute"
    limit: int = Field(ge=1, description="Calls allowed per principal and tool within any window of `per`.")

    @field_validator("tools", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @property
    def window(self) -> float:
        """The window length in seconds."""
        return PERIODS[self.per]


class PolicySettings(_Section):
    """What the policy plugin enforces; see the module docstring for the TOML layout."""

    read_only: bool = Field(default=False, description="List and run only tools annotated read-only.")
    allow: list[Glob] = Field(default_factory=list, description="Tool-name globs allowed; empty allows all.")
    deny: list[Glob] = Field(default_factory=list, description="Tool-name globs denied; deny wins over allow.")
    rate_limits: list[RateLimitRule] = Field(default_factory=list)
    confirm_destructive: bool = Field(
        default=False, description="Ask the user (MCP elicitation) before a tool annotated destructive runs."
    )
    confirm: list[Glob] = Field(default_factory=list, description="Tool-name globs always confirmed.")
    no_confirm: list[Glob] = Field(
        default_factory=list, description="Tool-name globs exempt from confirm_destructive."
    )
    unconfirmed: Literal["deny", "allow"] = Field(
        default="deny", description="What to do when confirmation is required but the client cannot ask the user."
    )
