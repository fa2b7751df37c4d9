"""User tools: look a user up by id or by email."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from mcpea_core import ToolContext

from .client import call, settings_of
from .models import Arguments, User

__all__ = ["slack_find_user_by_email", "slack_get_user", "user_of"]


class GetUser(Arguments):
    user: str = Field(pattern=r"^[UW][A-Z0-9]{2,}$", description="User id, such as U0123ABCD.")


class FindUserByEmail(Arguments):
    email: str = Field(
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254, description="The user's email address."
    )


def user_of(raw: dict[str, Any]) -> User:
    """The readable view of one of Slack's user objects."""
    found = raw.get("profile")
    profile: dict[str, Any] = found if isinstance(found, dict) else {}
    return User(
        id=str(raw.get("id")),
        name=raw.get("name"),
        real_name=raw.get("real_name") or profile.get("real_name"),
        display_name=profile.get("display_name") or None,
        email=profile.get("email"),
        title=profile.get("title") or None,
        tz=raw.get("tz"),
        is_bot=bool(raw.get("is_bot")),
        is_admin=bool(raw.get("is_admin")),
        deleted=bool(raw.get("deleted")),
    )


async def slack_get_user(params: GetUser, ctx: ToolContext) -> User:
    """Look up a Slack user by id (U...): name, display name, title, time zone, email if visible."""
    data = await call(settings_of(ctx), "users_info", ctx=ctx, user=params.user)
    return user_of(data.get("user") or {})


async def slack_find_user_by_email(params: FindUserByEmail, ctx: ToolContext) -> User:
    """Find the Slack user with this email address; use its id to mention them (<@U...>)."""
    data = await call(settings_of(ctx), "users_lookupByEmail", ctx=ctx, email=params.email)
    return user_of(data.get("user") or {})
