"""One e-mail as SendGrid's v3 ``mail/send`` JSON body, built with the SDK's ``Mail`` helper.

The tool and the notification channel both send through :func:`send_mail`.
All recipients share one personalization, so everyone sees the same ``To``
and ``Cc`` lines, as in an e-mail written by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .client import request
from .settings import Settings

__all__ = ["Email", "mail_body", "send_mail"]


@dataclass(frozen=True)
class Email:
    """What to send; addresses are already validated."""

    to: Sequence[str]
    subject: str
    text: str | None = None
    html: str | None = None
    cc: Sequence[str] = ()
    bcc: Sequence[str] = ()
    reply_to: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    custom_args: Mapping[str, str] = field(default_factory=dict)
    categories: Sequence[str] = ()
    from_email: str | None = None
    from_name: str | None = None


def mail_body(settings: Settings, email: Email) -> dict[str, Any]:
    """The JSON body (``personalizations``, ``from``, ``subject``, ``content``, ...) of ``email``."""
    from sendgrid.helpers.mail import (
        Bcc,
        Category,
        Cc,
        CustomArg,
        From,
        Header,
        Mail,
        MailSettings,
        ReplyTo,
        SandBoxMode,
        To,
    )

    sender = From(email.from_email or settings.from_email, email.from_name or settings.from_name)
    mail = Mail(
        from_email=sender,
        to_emails=[To(address) for address in email.to],
        subject=email.subject,
        plain_text_content=email.text,
        html_content=email.html,
    )
    for address in email.cc:
        mail.add_cc(Cc(address))
    for address in email.bcc:
        mail.add_bcc(Bcc(address))
    if email.reply_to:
        mail.reply_to = ReplyTo(email.reply_to)
    for name, value in email.headers.items():
        mail.add_header(Header(name, value))
    for name, value in email.custom_args.items():
        mail.add_custom_arg(CustomArg(name, value))
    for category in email.categories:
        mail.add_category(Category(category))
    if settings.sandbox_mode:
        mail.mail_settings = MailSettings(sandbox_mode=SandBoxMode(True))
    body: dict[str, Any] = mail.get()
    return body


def send_mail(settings: Settings, email: Email) -> str | None:
    """Send ``email``; returns SendGrid's message id (``X-Message-Id``) when it gives one."""
    reply = request(settings, "post", ("mail", "send"), body=mail_body(settings, email))
    return reply.header("X-Message-Id")
