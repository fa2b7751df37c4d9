"""The ``[notify]`` section of ``mcpea.toml``.

::

    [notify]
    outbox = "/var/lib/mcpea/notify.sqlite3"   # default: in the audit database (SQLite or PostgreSQL),
                                               # else notify.sqlite3 in the user state directory

    [notify.channels."webhook:ops"]              # <kind>:<name>; the kind comes from a plugin
    url = "https://ops.example.com/hooks/mcpea"
    secret = { env = "OPS_WEBHOOK_SECRET" }      # signs each body: X-Mcpea-Signature: sha256=<hex>
    timeout = 5

    [notify.channels."log:audit"]
    level = "info"

    [[notify.routes]]                            # notify without being asked
    tools = ["stripe_*"]                         # tool-name globs (default every tool)
    outcomes = ["success", "tool_error"]         # default every outcome
    channels = ["webhook:ops"]

    [notify.retry]
    max_attempts = 5                             # then the notification is dead-lettered
    base_backoff = 5.0                           # seconds before the 2nd attempt, doubling after
    max_backoff = 300.0                          # cap of one wait (jitter: half to all of it)

Each channel table is validated against its kind's settings model when the
hub starts (secrets as ``{ env = ... }`` / ``{ file = ... }``, like plugin
settings). The configured channel names are also the only values the model
may give in a tool call's ``notify`` argument.

This module imports nothing from the rest of ``mcpea_core`` but the
dependency-free ``context`` module, so that ``mcpea_core.config`` can import it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from ..context import Outcome

__all__ = ["CHANNEL_NAME", "NotifySettings", "RetrySettings", "RouteRule", "check_channel_name"]

CHANNEL_NAME = re.compile(r"^(?P<kind>[a-z][a-z0-9_-]{0,31}):(?P<name>[^\s\x00-\x1f\x7f]{1,100})$")
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)


def check_channel_name(value: str) -> str:
    """``value`` if it is a valid ``<kind>:<name>`` channel name, else ``ValueError``."""
    if not CHANNEL_NAME.match(value):
        raise ValueError(
            f"channel name {value!r} must be <kind>:<name>, such as webhook:ops "
            "(kind: lowercase letters, digits, - and _; name: no spaces)"
        )
    return value


ChannelName = Annotated[str, AfterValidator(check_channel_name)]
Glob = Annotated[str, Field(min_length=1)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RouteRule(_Section):
    """Notify ``channels`` whenever a tool matching ``tools`` ends with one of ``outcomes``."""

    tools: list[Glob] = Field(
        default=["*"], min_length=1, description="Tool-name globs (fnmatch, case-sensitive)."
    )
    outcomes: list[Outcome] = Field(
        default=list(OUTCOMES), min_length=1, description="Outcomes that trigger a notification."
    )
    channels: list[ChannelName] = Field(min_length=1, description="Configured channels to notify.")

    @field_validator("tools", "outcomes", "channels", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


class RetrySettings(_Section):
    """Capped exponential backoff with jitter between delivery attempts."""

    max_attempts: int = Field(default=5, ge=1, le=100, description="Attempts before dead-lettering.")
    base_backoff: float = Field(default=5.0, gt=0, description="Seconds before the second attempt.")
    max_backoff: float = Field(default=300.0, gt=0, description="Longest wait between two attempts.")
    delivery_timeout: float = Field(default=30.0, gt=0, description="Longest one delivery attempt may take.")
    lease: float = Field(
        default=45.0,
        gt=0,
        description="How long a worker holds an entry it is delivering; after a crash, the next worker "
        "resends it once the lease has run out.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> RetrySettings:
        if self.max_backoff < self.base_backoff:
            raise ValueError("max_backoff must not be smaller than base_backoff")
        if self.lease <= self.delivery_timeout:
            raise ValueError("lease must be longer than delivery_timeout, or two workers could send one entry")
        return self


class NotifySettings(_Section):
    """What the notification plugin delivers, where, and how hard it tries."""

    outbox: str | None = Field(
        default=None,
        description="SQLite file of a separate durable outbox. Default: a table in the audit database when "
        "[audit] store is SQLite or PostgreSQL (written with each call's end record, in one transaction), "
        "else notify.sqlite3 in the user state directory.",
    )
    channels: dict[ChannelName, dict[str, Any]] = Field(
        default_factory=dict, description="Channel settings by <kind>:<name>, checked by the kind's model."
    )
    routes: list[RouteRule] = Field(default_factory=list)
    retry: RetrySettings = Field(default_factory=RetrySettings)

    @model_validator(mode="after")
    def _routes_name_channels(self) -> NotifySettings:
        for index, route in enumerate(self.routes):
            unknown = [name for name in route.channels if name not in self.channels]
            if unknown:
                raise ValueError(
                    f"routes[{index}] names channel(s) not configured under [notify.channels]: "
                    f"{', '.join(unknown)}"
                )
        return self

    @property
    def channel_names(self) -> tuple[str, ...]:
        """The configured channel names, sorted: the values ``notify`` accepts."""
        return tuple(sorted(self.channels))
