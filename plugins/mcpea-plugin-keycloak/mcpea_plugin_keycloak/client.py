"""Building python-keycloak's ``KeycloakAdmin``, and reaching it from a tool.

Nothing here imports python-keycloak at module level: the hub imports
plugins at start-up, and python-keycloak (with requests, httpx and jwcrypto)
is imported on the first call instead.

Retries: python-keycloak's default ``max_retries=1`` mounts a urllib3 retry
that also allows POST, so a create whose connection dropped after the request
was sent is sent again (measured: two POSTs). The connector passes
``max_retries=0``: no layer below it retries. It adds no retry of its own
either (neither tenacity nor stamina is a dependency): a failed call is
reported, and the model or the operator decides whether to call again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mcpea_core import ToolContext, ToolError

from .settings import KeycloakSettings

if TYPE_CHECKING:
    from keycloak import KeycloakAdmin

__all__ = ["build_admin", "close_admin", "connect", "get_json", "settings_of"]


def build_admin(settings: KeycloakSettings) -> KeycloakAdmin:
    """A ``KeycloakAdmin`` signing in with client credentials, retrying nothing."""
    from keycloak import KeycloakAdmin, KeycloakOpenIDConnection

    connection = KeycloakOpenIDConnection(
        server_url=settings.server_url,
        realm_name=settings.realm,
        user_realm_name=settings.token_realm,
        client_id=settings.client_id,
        client_secret_key=settings.client_secret.get_secret_value(),
        grant_type="client_credentials",
        verify=settings.verify,
        timeout=settings.timeout,
        max_retries=0,
    )
    return KeycloakAdmin(connection=connection)


async def close_admin(admin: Any) -> None:
    """Close the HTTP sessions of ``admin``.

    python-keycloak opens a requests session and an httpx client per
    connection: the admin API's, and the token endpoint's once a token was
    fetched. It closes the requests sessions only when garbage-collected.
    """
    connection = getattr(admin, "connection", None)
    token_client = getattr(connection, "_keycloak_openid", None)
    for each in (connection, getattr(token_client, "connection", None)):
        aclose = getattr(each, "aclose", None)
        if aclose is not None:
            await aclose()
        session = getattr(each, "_s", None)
        if session is not None:
            session.close()


def settings_of(ctx: ToolContext) -> KeycloakSettings:
    """The plugin's settings; a ``ToolError`` naming what to set when they are incomplete."""
    settings = ctx.settings
    if not isinstance(settings, KeycloakSettings):
        raise ToolError("The keycloak plugin has no settings: add a [plugins.keycloak] table.")
    missing = settings.missing()
    if missing:
        raise ToolError(
            f"The keycloak plugin is not configured: set {', '.join(missing)} in [plugins.keycloak]."
        )
    return settings


def connect(ctx: ToolContext) -> KeycloakAdmin:
    """The shared admin client, holding a token that is valid now.

    python-keycloak fetches a token inside whichever request first finds it
    missing or expired; concurrent calls (sync tools run in worker threads)
    would then each fetch one over a connection whose headers they all
    rewrite. Fetching it here, under a lock, makes that one request.
    """
    from .errors import upstream

    settings = settings_of(ctx)
    admin = settings.admin()
    connection = admin.connection
    with settings.token_lock, upstream(ctx):
        expires_at = connection.expires_at
        if connection.token is None or expires_at is None or datetime.now(UTC) >= expires_at:
            connection.get_token()
    return admin


def get_json(admin: KeycloakAdmin, pattern: str, query: Mapping[str, Any], **path: str) -> Any:
    """GET an admin path (a ``keycloak.urls_patterns`` pattern) through python-keycloak's connection.

    For the list endpoints whose ``KeycloakAdmin`` methods cannot page or
    filter, or fetch more than asked (``get_groups`` fetches the children of
    every group that has any, one request each).
    """
    from keycloak.exceptions import KeycloakGetError, raise_error_from_response

    url = pattern.format(**{"realm-name": admin.connection.realm_name, **path})
    return raise_error_from_response(admin.connection.raw_get(url, **query), KeycloakGetError)
