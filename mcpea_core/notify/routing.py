"""Which channels a finished call notifies: the configured routes, plus what the model asked for.

The model asks through the ``notify`` argument the plugin adds to every
tool (``tool_extra_arguments``). Its schema is an array whose items may only
be the configured channel names, so the model can choose among the
operator's destinations but never name one of its own::

    "notify": {"anyOf": [{"type": "array", "items": {"enum": ["log:audit", "webhook:ops"]}, ...},
                         {"type": "null"}], ...}

A single name is accepted too and read as a one-name list.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model

from ..context import Outcome
from ..policy._globs import GlobSet
from .settings import RouteRule

__all__ = ["NOTIFY_ARGUMENT", "Router", "arguments_model", "requested_channels"]

NOTIFY_ARGUMENT = "notify"
_DESCRIPTION = (
    "Optional: also send a notification about this call's result to these channels, "
    "configured by the hub's operator. Leave out for none."
)


class Router:
    """The ``[[notify.routes]]`` rules, compiled: ``channels(tool, outcome)`` in configuration order."""

    def __init__(self, routes: Sequence[RouteRule]) -> None:
        self._rules = [(GlobSet(r.tools), frozenset(r.outcomes), tuple(r.channels)) for r in routes]

    def channels(self, tool: str, outcome: Outcome) -> list[str]:
        found: dict[str, None] = {}
        for tools, outcomes, channels in self._rules:
            if outcome in outcomes and tools.matches(tool):
                found.update(dict.fromkeys(channels))
        return list(found)


def _one_or_many(value: object) -> object:
    return [value] if isinstance(value, str) else value


def arguments_model(channels: Sequence[str]) -> type[BaseModel] | None:
    """The model of the ``notify`` argument for these channel names; ``None`` when there are none."""
    if not channels:
        return None
    name = cast(Any, Literal)[tuple(channels)]
    choice: Any = Annotated[
        Annotated[list[name], Field(min_length=1, max_length=len(channels))] | None,  # type: ignore[valid-type]
        BeforeValidator(_one_or_many),
    ]
    return create_model(
        "NotifyArguments",
        __config__=ConfigDict(extra="forbid", frozen=True),
        notify=(choice, Field(default=None, description=_DESCRIPTION)),
    )


def requested_channels(hub_params: dict[str, BaseModel], model: type[BaseModel] | None) -> list[str]:
    """The channels the call's validated ``notify`` argument names (none when absent or invalid)."""
    if model is None:
        return []
    for params in hub_params.values():
        if isinstance(params, model):
            chosen: list[str] | None = getattr(params, NOTIFY_ARGUMENT)
            return list(dict.fromkeys(chosen or []))
    return []
