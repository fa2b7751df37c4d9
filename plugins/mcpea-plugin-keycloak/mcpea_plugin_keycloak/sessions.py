"""Sessions: list a user's active sessions, log a user out of all of them."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from mcpea_core import ToolContext

from .client import connect
from .common import Arguments, Id, Result, iso_time
from .errors import upstream

__all__ = ["Session", "keycloak_list_user_sessions", "keycloak_logout_user"]


class Session(Result):
    id: str
    ip_address: str | None = None
    started_at: str | None = Field(default=None, description="ISO 8601 UTC.")
    last_access_at: str | None = Field(default=None, description="ISO 8601 UTC.")
    remember_me: bool | None = None
    clients: list[str] = Field(
        default_factory=list, description="clientIds of the applications in the session."
    )

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Session:
        clients = data.get("clients")
        return cls(
            id=str(data.get("id", "")),
            ip_address=data.get("ipAddress"),
            started_at=iso_time(data.get("start")),
            last_access_at=iso_time(data.get("lastAccess")),
            remember_me=data.get("rememberMe"),
            clients=sorted({str(name) for name in clients.values()}) if isinstance(clients, dict) else [],
        )


class UserSessions(Result):
    user_id: str
    sessions: list[Session]


class LoggedOut(Result):
    user_id: str
    logged_out: bool = Field(description="True: every session of the user was ended.")


class SessionsOf(Arguments):
    user_id: Id = Field(description="The user's id.")


def keycloak_list_user_sessions(params: SessionsOf, ctx: ToolContext) -> UserSessions:
    """List a user's active (online) sessions: when they started, last activity, IP and applications."""
    admin = connect(ctx)
    with upstream(ctx, f"user {params.user_id!r}"):
        items = admin.get_sessions(params.user_id)
    return UserSessions(user_id=params.user_id, sessions=[Session.from_api(item) for item in items])


def keycloak_logout_user(params: SessionsOf, ctx: ToolContext) -> LoggedOut:
    """End every session of a user (they must log in again everywhere). Idempotent.

    Access tokens already issued stay valid until they expire (minutes).
    """
    admin = connect(ctx)
    with upstream(ctx, f"user {params.user_id!r}"):
        admin.user_logout(params.user_id)
    return LoggedOut(user_id=params.user_id, logged_out=True)
