"""``sendgrid_send_email``: one e-mail, from the configured sender, to validated addresses."""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, Field, model_validator

from mcpea_core import Annotations, ToolContext, ToolError

from .addresses import EmailAddress
from .message import Email, send_mail
from .spec import Input, ToolSpec, settings_of

__all__ = ["TOOLS", "SendEmail", "SentEmail", "sendgrid_send_email"]

MAX_BODY = 1_000_000


class SendEmail(Input):
    """Arguments of sendgrid_send_email."""

    to: list[EmailAddress] = Field(
        min_length=1, max_length=1000, description="Recipients, such as ['ops@example.com']."
    )
    cc: list[EmailAddress] = Field(default_factory=list, max_length=1000, description="Copied recipients.")
    bcc: list[EmailAddress] = Field(
        default_factory=list, max_length=1000, description="Blind-copied recipients (hidden from the others)."
    )
    reply_to: EmailAddress | None = Field(default=None, description="Where replies go; default the sender.")
    subject: str = Field(
        min_length=1, max_length=998, pattern=r"^[^\r\n]+$", description="Subject line (one line)."
    )
    text: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_BODY,
        description="Plain-text body; give text, html or both.",
    )
    html: str | None = Field(
        default=None, min_length=1, max_length=MAX_BODY, description="HTML body; give text, html or both."
    )

    @model_validator(mode="after")
    def _well_formed(self) -> Self:
        if self.text is None and self.html is None:
            raise ValueError("give a body: text, html or both")
        seen: set[str] = set()
        for address in [*self.to, *self.cc, *self.bcc]:
            if address.lower() in seen:
                raise ValueError(f"{address} appears twice among to, cc and bcc: list each address once")
            seen.add(address.lower())
        return self


class SentEmail(BaseModel):
    """What SendGrid said about the e-mail."""

    accepted: bool = Field(description="SendGrid accepted the e-mail for delivery (HTTP 202).")
    message_id: str | None = Field(
        description="SendGrid's X-Message-Id, to find the e-mail in its activity feed."
    )
    recipients: int = Field(description="Addresses written to: to + cc + bcc.")
    sandbox: bool = Field(description="Sandbox mode: SendGrid validated the e-mail but delivers nothing.")


def sendgrid_send_email(params: SendEmail, ctx: ToolContext) -> SentEmail:
    """Send one e-mail through SendGrid from the hub's configured sender address.

    Give `to` (and optionally `cc`, `bcc`, `reply_to`), a one-line `subject`,
    and a body as `text`, `html` or both. Every address is checked first.
    Returns SendGrid's message id once it has accepted the e-mail; delivery
    happens afterwards. Each call sends a new e-mail: do not repeat a call
    that succeeded.
    """
    settings = settings_of(ctx)
    recipients = len(params.to) + len(params.cc) + len(params.bcc)
    if recipients > settings.max_recipients:
        raise ToolError(
            f"{recipients} recipients: this hub allows at most {settings.max_recipients} per e-mail "
            "(to + cc + bcc). Send fewer at once."
        )
    email = Email(
        to=params.to,
        cc=params.cc,
        bcc=params.bcc,
        reply_to=params.reply_to,
        subject=params.subject,
        text=params.text,
        html=params.html,
        custom_args={"mcpea_call_id": ctx.call_id},
    )
    message_id = send_mail(settings, email)
    ctx.report_upstream(request_id=message_id)
    return SentEmail(
        accepted=True, message_id=message_id, recipients=recipients, sandbox=settings.sandbox_mode
    )


TOOLS = (
    ToolSpec(
        sendgrid_send_email,
        Annotations(
            read_only=False, destructive=False, idempotent=False, open_world=True, title="Send an e-mail"
        ),
    ),
)
