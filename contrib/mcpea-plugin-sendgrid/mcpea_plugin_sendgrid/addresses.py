"""E-mail addresses, checked before anything is sent: syntax only, never a DNS lookup.

``EmailAddress`` is a plain address (``ops@example.com``): no display name,
no line breaks, nothing SendGrid would refuse or a mail header could be
smuggled through. The domain is normalised (lowercase, IDNA); the local part
is kept as given. ``email_validator`` is imported on first use.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, WithJsonSchema

__all__ = ["EmailAddress", "check_address"]

MAX_LENGTH = 254


def check_address(value: str) -> str:
    """``value`` as a normalised address, or ``ValueError`` saying what is wrong with it."""
    from email_validator import EmailNotValidError, validate_email

    try:
        checked = validate_email(value, check_deliverability=False, allow_display_name=False)
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid e-mail address: {exc}") from None
    return str(checked.normalized)


EmailAddress = Annotated[
    str,
    Field(min_length=3, max_length=MAX_LENGTH),
    AfterValidator(check_address),
    WithJsonSchema({"type": "string", "format": "email", "minLength": 3, "maxLength": MAX_LENGTH}),
]
"""A single e-mail address such as ``ops@example.com``."""
