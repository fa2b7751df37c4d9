"""A notification about a tool call, rendered as a Slack Block Kit message.

The notification is the hub's JSON (``mcpea_core.notify.payload``): tool,
plugin, outcome, principal, time, summary, error, call_id. The message
reads at a glance::

    ✅ stripe_create_refund succeeded                         (header)
    Tool  stripe_create_refund   Outcome  success              (fields)
    Principal  user:alice        When  Jan 31st at 12:00
    stripe_create_refund succeeded (called by user:alice)     (summary)
    > UpstreamError: ...                                      (only on failure)
    Audit record: call 3f2a...  (a link with audit_url_template)  (context)

Every value from the notification is escaped for mrkdwn and cut to Slack's
limits, so a tool name or an error message cannot inject mentions or links.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

__all__ = ["OUTCOME_EMOJI", "audit_link", "escape", "fallback_text", "render"]

OUTCOME_EMOJI = {
    "success": ":white_check_mark:",
    "tool_error": ":x:",
    "invalid_input": ":warning:",
    "denied": ":no_entry:",
    "crash": ":boom:",
    "cancelled": ":heavy_minus_sign:",
}
_HEADER_MAX = 150
_FIELD_MAX = 2000
_TEXT_MAX = 3000


def escape(text: object) -> str:
    """``text`` safe inside mrkdwn: Slack's three control characters as entities."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def audit_link(call_id: str, template: str | None) -> str:
    """mrkdwn pointing at the call's audit record: a link when there is a template, else the call id."""
    if not call_id:
        return "Audit record: call id unknown"
    if template:
        url = template.replace("{call_id}", quote(call_id, safe=""))
        return f"Audit record: <{url.replace('|', '%7C').replace('>', '%3E')}|call {escape(call_id)}>"
    return f"Audit record: call id `{escape(call_id)}`"


def _when(value: object) -> str:
    """Slack's date token (shown in each reader's time zone), with the ISO time as its fallback."""
    if not isinstance(value, str) or not value:
        return "unknown"
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return escape(value)
    if moment.tzinfo is None:
        return escape(value)
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time_secs}}|{escape(value)}>"


def fallback_text(notification: dict[str, Any]) -> str:
    """The plain text Slack shows in notifications and where blocks cannot be shown."""
    summary = (
        notification.get("summary") or f"{notification.get('tool')} ended: {notification.get('outcome')}"
    )
    return _cut(escape(summary), _TEXT_MAX)


def render(notification: dict[str, Any], *, audit_url_template: str | None = None) -> list[dict[str, Any]]:
    """The Block Kit blocks of one notification."""
    tool = str(notification.get("tool") or "unknown tool")
    outcome = str(notification.get("outcome") or "unknown")
    emoji = OUTCOME_EMOJI.get(outcome, ":grey_question:")
    verb = "succeeded" if outcome == "success" else f"ended: {outcome.replace('_', ' ')}"

    def field(label: str, value: str) -> dict[str, str]:
        return {"type": "mrkdwn", "text": _cut(f"*{label}*\n{value}", _FIELD_MAX)}

    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": _cut(f"{emoji} {tool} {verb}", _HEADER_MAX),
                "emoji": True,
            },
        },
        {
            "type": "section",
            "fields": [
                field("Tool", f"`{escape(tool)}`"),
                field("Outcome", f"{emoji} {escape(outcome)}"),
                field("Principal", escape(notification.get("principal") or "unknown")),
                field("When", _when(notification.get("time"))),
            ],
        },
    ]
    if notification.get("summary"):
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": fallback_text(notification)}})
    error = notification.get("error")
    if isinstance(error, dict) and (error.get("class") or error.get("message")):
        detail = f"*{escape(error.get('class') or 'Error')}*"
        if error.get("message"):
            detail += f": {escape(error['message'])}"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(f"> {detail}", _TEXT_MAX)}})
    context = [audit_link(str(notification.get("call_id") or ""), audit_url_template)]
    if notification.get("plugin"):
        context.append(f"plugin `{escape(notification['plugin'])}`")
    if notification.get("requested"):
        context.append("requested by the model (notify)")
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(t, _TEXT_MAX)} for t in context]}
    )
    return blocks
