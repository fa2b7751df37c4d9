"""Ask the user before a destructive tool runs, through MCP elicitation.

A tool needs confirmation when it matches ``policy.confirm``, or when
``policy.confirm_destructive`` is on, the tool is annotated destructive (and
not read-only) and it matches no ``policy.no_confirm`` glob. The user must
accept the form with ``confirm`` ticked; declining, cancelling or leaving it
unticked refuses the call. A client that cannot ask (no elicitation
capability, or no MCP session at all, as with ``Hub.call_tool``) is refused
unless ``policy.unconfirmed = "allow"``. So is one whose connection cannot
carry server-initiated requests although it declares elicitation (a
2026-07-28 connection without a back-channel).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from mcp.shared.exceptions import MCPError, NoBackChannelError
from pydantic import ValidationError

from ..context import ToolCall
from ..errors import PolicyDenied
from ..tools import Tool
from ._globs import GlobSet
from .settings import PolicySettings

__all__ = ["Confirmation"]

logger = logging.getLogger("mcpea.policy")

_MAX_ARGUMENTS_SHOWN = 1000


class Confirmation:
    """Decides which tools need the user's confirmation, and asks for it."""

    def __init__(self, settings: PolicySettings) -> None:
        self.destructive = settings.confirm_destructive
        self.confirm = GlobSet(settings.confirm)
        self.no_confirm = GlobSet(settings.no_confirm)
        self.allow_unconfirmed = settings.unconfirmed == "allow"

    @property
    def active(self) -> bool:
        return self.destructive or bool(self.confirm)

    def requirement(self, tool: Tool) -> tuple[str, str] | None:
        """``(why, how the operator lifts it)`` when ``tool`` needs confirmation, else ``None``."""
        glob = self.confirm.first_match(tool.name)
        if glob is not None:
            return f"it matches {glob!r} in policy.confirm", f"remove {glob!r} from policy.confirm"
        annotations = tool.annotations
        if self.destructive and annotations.destructive and not annotations.read_only:
            if not self.no_confirm.matches(tool.name):
                return (
                    "it is annotated destructive",
                    "set policy.confirm_destructive = false (or add the tool to policy.no_confirm)",
                )
        return None

    async def ask(self, call: ToolCall, requirement: tuple[str, str]) -> PolicyDenied | None:
        """Ask the user; ``None`` when the call may run, else the refusal."""
        why, lift = requirement
        name = call.name
        refused = f"Tool {name!r} is refused by policy 'confirmation' ({why})"
        cannot = "no elicitation support"
        try:
            result = await call.context.elicit(_question(call), _schema(name)) if call.context else None
        except NoBackChannelError:
            result, cannot = None, "no back-channel for elicitation on this connection"
        except (MCPError, ValidationError) as exc:
            return PolicyDenied(
                f"{refused}: asking the user failed ({exc}). Try again, or {lift} to run it without asking.",
                policy="confirmation",
            )
        if result is None:
            if self.allow_unconfirmed:
                logger.info("tool %s runs unconfirmed (%s; policy.unconfirmed = 'allow')", name, cannot)
                return None
            return PolicyDenied(
                f"{refused}: it requires confirmation but this client cannot ask the user ({cannot}); "
                f"{lift}, or set policy.unconfirmed = 'allow' to permit it.",
                policy="confirmation",
            )
        content: dict[str, Any] = dict(result.content or {})
        if result.action == "accept" and content.get("confirm") is True:
            return None
        answer = {"accept": "did not tick confirm", "decline": "declined", "cancel": "cancelled"}[result.action]
        return PolicyDenied(
            f"{refused}: the user {answer}, so it did not run. Do not retry unless the user asks; "
            f"the operator can {lift} to stop asking.",
            policy="confirmation",
        )


def _question(call: ToolCall) -> str:
    arguments = json.dumps(call.arguments, default=str, ensure_ascii=False, sort_keys=True)
    if len(arguments) > _MAX_ARGUMENTS_SHOWN:
        arguments = arguments[:_MAX_ARGUMENTS_SHOWN] + "…"
    title = call.tool.title or call.tool.annotations.title
    label = f"{call.name} ({title})" if title else call.name
    return f"Allow the tool {label} to run? It may change or delete data. Arguments: {arguments}"


def _schema(name: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "confirm": {"type": "boolean", "title": f"Run {name}", "description": "Tick to let the tool run."}
        },
        "required": ["confirm"],
    }
