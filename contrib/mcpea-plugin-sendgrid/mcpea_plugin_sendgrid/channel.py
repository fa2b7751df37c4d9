"""The ``email`` notification channel: tool-call notifications as e-mails sent through SendGrid.

::

    [notify.channels."email:ops"]
    to = ["ops@example.com", "oncall@example.com"]
    # cc = ["lead@example.com"]
    # subject_prefix = "[mcpea]"
    # audit_url_template = "https://audit.example.com/calls/{call_id}"
    # from_email = "alerts@example.com"    # default: [plugins.sendgrid] from_email

The e-mail's subject is the notification's summary (``stripe_create_refund
succeeded (called by user:alice)``); its plain-text body lists the tool,
outcome, principal, time, call id, error and the (redacted) arguments. The
notification's idempotency key travels as the ``X-Mcpea-Notification``
header and a SendGrid custom argument, so a reader or an event webhook can
tell a redelivery (delivery is at least once) from a new notification.

A refusal that another attempt cannot cure (a bad key, an unverified sender,
a rejected body) dead-letters the notification at once; rate limits, 5xx
answers and network failures are retried by the notification worker.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import anyio.to_thread
from pydantic import BaseModel, ConfigDict, Field, field_validator

from mcpea_core import AuthError, RateLimited, UpstreamError

from .addresses import EmailAddress
from .message import Email, send_mail
from .settings import Settings

__all__ = ["KIND", "ChannelSettings", "EmailChannel", "channel_factory", "render_subject", "render_text"]

KIND = "email"
_CATEGORY = "mcpea-notification"
_TRANSIENT_STATUSES = frozenset({408, 409, 425, 429})


class Delivery(Protocol):
    """What the notification worker hands a channel (``mcpea_core.notify.Delivery``)."""

    @property
    def payload(self) -> dict[str, Any]: ...

    @property
    def idempotency_key(self) -> str: ...


class ChannelSettings(BaseModel):
    """An ``email:<name>`` table in ``[notify.channels]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    to: list[EmailAddress] = Field(min_length=1, max_length=50, description="Who receives the notifications.")
    cc: list[EmailAddress] = Field(default_factory=list, max_length=50, description="Copied recipients.")
    subject_prefix: str = Field(
        default="[mcpea]", max_length=50, pattern=r"^[^\r\n]*$", description="Put before each subject."
    )
    audit_url_template: str | None = Field(
        default=None, description="Link to the call's audit record, with {call_id}; default none."
    )
    from_email: EmailAddress | None = Field(
        default=None, description="Sender; default [plugins.sendgrid] from_email."
    )
    from_name: str | None = Field(default=None, max_length=100, description="Sender name; default from_name.")

    @field_validator("audit_url_template")
    @classmethod
    def _has_call_id(cls, value: str | None) -> str | None:
        if value is not None and "{call_id}" not in value:
            raise ValueError("audit_url_template must contain {call_id}")
        return value


def render_subject(notification: Mapping[str, Any], prefix: str) -> str:
    """One line: the prefix and the notification's summary, at most 200 characters."""
    summary = str(notification.get("summary") or f"{notification.get('tool')} {notification.get('outcome')}")
    line = " ".join(f"{prefix} {summary}".split())
    return line if len(line) <= 200 else line[:199] + "…"


def render_text(notification: Mapping[str, Any], audit_url_template: str | None = None) -> str:
    """The plain-text body: the summary, one line per field, then the redacted arguments."""
    error = notification.get("error")
    error_text = (
        f"{error.get('class')}: {error.get('message') or '(no message)'}"
        if isinstance(error, dict)
        else "none"
    )
    call_id = str(notification.get("call_id") or "")
    rows = [
        ("Tool", notification.get("tool")),
        ("Plugin", notification.get("plugin")),
        ("Outcome", notification.get("outcome")),
        ("Principal", notification.get("principal")),
        ("Transport", notification.get("transport")),
        ("Time", notification.get("time")),
        ("Call id", call_id),
        ("Error", error_text),
        ("Requested by the model", "yes" if notification.get("requested") else "no (a route)"),
    ]
    if audit_url_template and call_id:
        rows.append(("Audit record", audit_url_template.replace("{call_id}", call_id)))
    lines = [str(notification.get("summary") or ""), ""]
    lines += [f"{label}: {value}" for label, value in rows if value is not None]
    arguments = json.dumps(notification.get("arguments") or {}, indent=2, ensure_ascii=False, sort_keys=True)
    lines += ["", "Arguments (redacted):", arguments, "", f"Notification id: {notification.get('id')}"]
    return "\n".join(lines) + "\n"


class EmailChannel:
    """Sends each notification as one e-mail to the configured recipients."""

    def __init__(self, name: str, settings: Settings, channel: ChannelSettings) -> None:
        self.name = name
        self.settings = settings
        self.channel = channel

    def __repr__(self) -> str:
        return f"EmailChannel({self.name!r})"

    def email(self, notification: Mapping[str, Any], idempotency_key: str) -> Email:
        """The e-mail for one notification."""
        return Email(
            to=self.channel.to,
            cc=self.channel.cc,
            subject=render_subject(notification, self.channel.subject_prefix),
            text=render_text(notification, self.channel.audit_url_template),
            headers={"X-Mcpea-Notification": idempotency_key},
            custom_args={
                "mcpea_notification": idempotency_key,
                "mcpea_call_id": str(notification.get("call_id")),
            },
            categories=[_CATEGORY],
            from_email=self.channel.from_email,
            from_name=self.channel.from_name,
        )

    def deliver(self, notification: Mapping[str, Any], idempotency_key: str) -> str | None:
        """Send it (blocking); raises the hub's ``UpstreamError`` family. Returns the message id."""
        return send_mail(self.settings, self.email(notification, idempotency_key))

    async def send(self, delivery: Delivery) -> None:
        """The worker's entry point: :meth:`deliver` in a thread (the SDK blocks); errors as DeliveryError."""
        try:
            await anyio.to_thread.run_sync(self.deliver, delivery.payload, delivery.idempotency_key)
        except UpstreamError as exc:
            raise _delivery_error(f"{self.name}: {exc}", exc) from None

    async def aclose(self) -> None:
        """Nothing to close: the SDK opens a connection per request."""


def permanent(error: UpstreamError) -> bool:
    """Whether another attempt cannot cure ``error``: refused credentials, or a 4xx about the e-mail."""
    if isinstance(error, RateLimited):
        return False
    if isinstance(error, AuthError):
        return True
    status = error.status
    return status is not None and 400 <= status < 500 and status not in _TRANSIENT_STATUSES


def _delivery_error(message: str, error: UpstreamError) -> Exception:
    # The one import outside mcpea_core's top level and mcpea_core.testing: the notification
    # worker tells a permanent failure from a retryable one only by this exception class,
    # which mcpea_core does not export. Imported here, when a delivery has failed.
    from mcpea_core.notify import DeliveryError

    return DeliveryError(message, permanent=permanent(error), retry_after=error.retry_after)


def channel_factory(plugin_settings: Settings) -> Callable[[str, ChannelSettings], EmailChannel]:
    """The ``factory(name, settings)`` of the ``email`` kind, sending with ``plugin_settings``."""

    def factory(name: str, settings: ChannelSettings) -> EmailChannel:
        return EmailChannel(name, plugin_settings, settings)

    return factory
