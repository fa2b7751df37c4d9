"""The ``slack`` notification channel: any tool call's notification as a Block Kit message.

::

    [notify.channels."slack:#payments"]          # posts to #payments with [plugins.slack] bot_token
    [notify.channels."slack:alerts"]
    channel = "C0123ABCD"                         # default: the part after "slack:"
    audit_url_template = "https://audit.example.com/calls/{call_id}"
    # bot_token = { env = "OTHER_SLACK_TOKEN" }   # default: [plugins.slack] bot_token

The message (see :mod:`.blocks`) names the tool, outcome, principal and
summary, and links to the call's audit record (or quotes its call id). It
carries the notification's idempotency key as Slack message metadata
(``mcpea_notification``), so a reader can tell a redelivered message from a
new one: delivery is at least once, and Slack has no idempotency key for
posting.

Sending goes through slack_sdk's AsyncWebClient with the connector's retry
handlers; a failure becomes ``DeliveryError``, permanent (dead-lettered at
once) when retrying cannot help, such as an unknown channel or a refused
token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from mcpea_core import RateLimited, UpstreamError

from .blocks import fallback_text, render
from .client import call
from .errors import slack_code
from .settings import Settings, check_audit_url_template

if TYPE_CHECKING:
    from mcpea_core.notify.channels import Delivery

__all__ = ["METADATA_EVENT", "ChannelSettings", "SlackChannel", "channel_factory"]

METADATA_EVENT = "mcpea_notification"
# Slack errors that another attempt may cure; every other Slack error dead-letters at once.
_TRANSIENT = frozenset(
    {"not_in_channel", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


class ChannelSettings(BaseModel):
    """A ``slack:<name>`` table in ``[notify.channels]``; every field defaults to ``[plugins.slack]``'s."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: str | None = Field(
        default=None, min_length=1, description='Channel id or #name; default the part after "slack:".'
    )
    bot_token: SecretStr | None = Field(
        default=None, description="Bot token; default [plugins.slack] bot_token."
    )
    audit_url_template: str | None = Field(
        default=None,
        description="Audit record link with {call_id}; default [plugins.slack] audit_url_template.",
    )
    base_url: str | None = Field(default=None, pattern=r"^https?://\S+$", description="Web API base URL.")

    _audit_url = field_validator("audit_url_template")(check_audit_url_template)


class SlackChannel:
    """Posts each notification to one Slack channel."""

    def __init__(
        self, name: str, settings: Settings, channel: str, *, audit_url_template: str | None = None
    ) -> None:
        self.name = name
        self.settings = settings
        self.channel = channel
        self.audit_url_template = audit_url_template

    def __repr__(self) -> str:
        return f"SlackChannel({self.name!r})"

    async def deliver(self, notification: dict[str, Any], *, idempotency_key: str | None = None) -> None:
        """Post ``notification`` (the hub's notification JSON as a dict); raises ``UpstreamError``."""
        key = idempotency_key or str(notification.get("id") or "")
        await call(
            self.settings,
            "chat_postMessage",
            channel=self.channel,
            text=fallback_text(notification),
            blocks=render(notification, audit_url_template=self.audit_url_template),
            unfurl_links=False,
            unfurl_media=False,
            metadata={"event_type": METADATA_EVENT, "event_payload": {"id": key}} if key else None,
        )

    async def send(self, delivery: Delivery) -> None:
        """The notification worker's entry point: :meth:`deliver`, failures as ``DeliveryError``."""
        from mcpea_core.notify.channels import DeliveryError

        try:
            await self.deliver(delivery.payload, idempotency_key=delivery.idempotency_key)
        except RateLimited as exc:
            raise DeliveryError(f"{self.name}: {exc}", retry_after=exc.retry_after) from exc
        except UpstreamError as exc:
            code = slack_code(exc)
            transient = code is None or code in _TRANSIENT or (exc.status or 200) >= 500
            raise DeliveryError(
                f"{self.name}: {exc}", permanent=not transient, retry_after=exc.retry_after
            ) from exc

    async def aclose(self) -> None:
        """Nothing to close: slack_sdk opens a session per request."""


def channel_factory(plugin_settings: Settings) -> Callable[[str, ChannelSettings], SlackChannel]:
    """The ``factory(name, settings)`` of the ``slack`` kind, defaulting to ``plugin_settings``."""

    def factory(name: str, settings: ChannelSettings) -> SlackChannel:
        updates: dict[str, Any] = {}
        if settings.bot_token is not None:
            updates["bot_token"] = settings.bot_token
        if settings.base_url is not None:
            updates["base_url"] = settings.base_url
        merged = plugin_settings.model_copy(update=updates)
        return SlackChannel(
            name,
            merged,
            settings.channel or name.split(":", 1)[1],
            audit_url_template=settings.audit_url_template or merged.audit_url_template,
        )

    return factory
