"""What a notification says: one JSON object per call and channel.

::

    {
      "type": "mcpea.tool_call", "version": 1,
      "id": "mcpea-<call id>-<hash>",          # = the Idempotency-Key
      "channel": "webhook:ops", "requested": true,   # true: the model asked through `notify`
      "tool": "stripe_create_refund", "plugin": "stripe",
      "outcome": "success",                    # or tool_error, invalid_input, denied, crash, cancelled
      "call_id": "...", "principal": "user:alice", "transport": "http",
      "time": "2025-01-31T12:00:00.123456Z",   # when the call ended (UTC)
      "summary": "stripe_create_refund succeeded (called by user:alice)",
      "arguments": {...},                      # redacted like the audit trail's
      "error": {"class": "UpstreamError", "message": "..."}   # or null
    }

The result of the call is not included: it may carry data the channel's
readers should not see. Arguments are redacted by the audit trail's
:class:`~mcpea_core.audit.redact.Redactor` (declared secrets and
credential-shaped strings); an error's message only for tool errors (meant
for the model's eyes anyway), redacted and cut to one short line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from .._ids import new_id
from ..audit.redact import Redactor
from ..context import Outcome, ToolCall
from ..errors import ToolError
from .outbox import OutboxEntry, idempotency_key

__all__ = ["PAYLOAD_TYPE", "build_entries", "summary"]

PAYLOAD_TYPE = "mcpea.tool_call"
_MAX_ERROR = 200
_VERBS: dict[Outcome, str] = {
    "success": "succeeded",
    "tool_error": "failed",
    "invalid_input": "was called with invalid arguments",
    "denied": "was refused",
    "crash": "crashed",
    "cancelled": "was cancelled",
}


def summary(tool: str, outcome: Outcome, principal: str, error_message: str | None) -> str:
    """One line for people: ``<tool> <what happened> (called by <principal>)[: <error>]``."""
    line = f"{tool} {_VERBS[outcome]} (called by {principal})"
    return f"{line}: {error_message}" if error_message else line


def _error(error: BaseException | None, redactor: Redactor) -> dict[str, str] | None:
    if error is None:
        return None
    message = ""
    if isinstance(error, ToolError):
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        message = redactor.text(first)
        if len(message) > _MAX_ERROR:
            message = message[: _MAX_ERROR - 1] + "…"
    return {"class": type(error).__name__, "message": message}


def _arguments(call: ToolCall, redactor: Redactor) -> dict[str, Any]:
    try:
        return redactor.arguments(call.arguments, call.tool.input_schema)
    except Exception:  # never send what could not be redacted
        return {"[unredactable]": True}


def build_entries(
    call: ToolCall,
    outcome: Outcome,
    error: BaseException | None,
    channels: Sequence[str],
    *,
    requested: Sequence[str],
    redactor: Redactor,
    now: float,
) -> list[OutboxEntry]:
    """One pending outbox entry per channel for this finished call."""
    err = _error(error, redactor)
    base: dict[str, Any] = {
        "type": PAYLOAD_TYPE,
        "version": 1,
        "tool": call.name,
        "plugin": call.tool.plugin,
        "outcome": outcome,
        "call_id": call.call_id,
        "principal": call.principal.id,
        "transport": call.transport,
        "time": datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z"),
        "summary": summary(call.name, outcome, call.principal.id, err["message"] if err else None),
        "arguments": _arguments(call, redactor),
        "error": err,
    }
    entries = []
    for channel in channels:
        key = idempotency_key(call.call_id, channel)
        payload = {**base, "id": key, "channel": channel, "requested": channel in requested}
        entries.append(
            OutboxEntry(
                id=new_id(),
                idempotency_key=key,
                channel=channel,
                payload=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
                created_at=now,
                next_attempt_at=now,
            )
        )
    return entries
