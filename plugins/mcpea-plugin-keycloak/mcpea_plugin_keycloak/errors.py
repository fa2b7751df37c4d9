"""python-keycloak's exceptions, translated into MC-PEA's error tree at the connector's edge.

- the token request refused, or any 401 -> ``AuthError`` (check the client's
  id and secret);
- 403 -> ``AuthError`` naming the service account that lacks a role;
- 404 -> ``UpstreamError`` saying which object Keycloak did not find;
- 429 -> ``RateLimited`` (a proxy in front of Keycloak; Keycloak itself has none);
- any other answer -> ``UpstreamError`` with the status and Keycloak's message;
- no answer -> ``UpstreamError`` naming the server, and saying whether a
  change may have been made (the request went out) or not.

Keycloak's messages are shortened, and the client secret is cut out of
anything that reaches the model. Keycloak sends no request id, so there is
none to report for the audit record.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from mcpea_core import AuthError, RateLimited, ToolContext, UpstreamError

from .client import settings_of
from .settings import KeycloakSettings

if TYPE_CHECKING:
    from keycloak.exceptions import KeycloakError

__all__ = ["translate", "upstream"]

MAX_DETAIL = 300
_OAUTH_REFUSALS = {"invalid_client", "unauthorized_client", "invalid_grant", "unauthorized"}


@contextmanager
def upstream(ctx: ToolContext, subject: str | None = None) -> Iterator[None]:
    """Run python-keycloak calls, translating their failures (``raise ... from exc``).

    ``subject`` names what the calls act on, e.g. ``"user 'f3a1...'"``: a 404
    then says that this is what Keycloak did not find.
    """
    from keycloak.exceptions import KeycloakError

    try:
        yield
    except KeycloakError as exc:
        raise translate(exc, settings_of(ctx), subject) from exc


def translate(exc: KeycloakError, settings: KeycloakSettings, subject: str | None = None) -> UpstreamError:
    """The MC-PEA error for one python-keycloak exception."""
    from keycloak.exceptions import KeycloakAuthenticationError, KeycloakConnectionError

    if isinstance(exc, KeycloakConnectionError) or exc.response_code is None:
        where, cause = settings.server_url, type(exc.__cause__ or exc).__name__
        if _nothing_sent(exc):
            return UpstreamError(f"Could not reach Keycloak at {where} ({cause}); try again later.")
        return UpstreamError(
            f"Keycloak at {where} did not answer ({cause}). A change may or may not have been made: "
            "look before repeating it."
        )
    status = exc.response_code
    error, detail = _detail(exc.response_body, settings)
    said = f"{status}: {detail}" if detail else str(status)
    if status == 401 or isinstance(exc, KeycloakAuthenticationError) or error in _OAUTH_REFUSALS:
        return AuthError(
            f"Keycloak refused the hub's credentials ({said}): check client_id and client_secret in "
            f"[plugins.keycloak], and that client {settings.client_id!r} of realm {settings.token_realm!r} "
            "has service accounts enabled.",
            status=status,
        )
    if status == 403:
        return AuthError(
            f"Keycloak denied the hub's service account this operation ({said}): give "
            f"service-account-{settings.client_id} the realm-management role it needs in realm "
            f"{settings.realm!r} (view-users, manage-users, view-clients or view-events).",
            status=status,
        )
    if status == 404:
        if subject is None:
            realms = {settings.realm, settings.token_realm}
            names = " and ".join(repr(realm) for realm in sorted(realms))
            return UpstreamError(
                f"Keycloak answered 404 ({said}): check that realm {names} exists.", status=status
            )
        return UpstreamError(
            f"Keycloak found no {subject} in realm {settings.realm!r} ({said}).", status=status
        )
    if status == 409:
        return UpstreamError(
            f"Keycloak refused: it conflicts with an existing object ({said}).", status=status
        )
    if status == 429:
        return RateLimited(f"Keycloak (or a proxy before it) asked to slow down ({said}).", status=status)
    if status >= 500:
        return UpstreamError(f"Keycloak failed ({said}); try again later.", status=status)
    about = f" about {subject}" if subject else ""
    return UpstreamError(f"Keycloak rejected the request{about} ({said}).", status=status)


def _detail(body: bytes | None, settings: KeycloakSettings) -> tuple[str | None, str]:
    """Keycloak's error code and message from a response body, shortened and without the secret."""
    if not body:
        return None, ""
    text = body.decode("utf-8", "replace")
    error: str | None = None
    try:
        data: Any = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        error = _str(data.get("error"))
        # Keycloak: errorMessage (admin API) or error/error_description (OAuth); Prism: title.
        parts = [_str(data.get(key)) for key in ("errorMessage", "error_description", "error", "title")]
        text = next((part for part in parts if part), "")
        field = _str(data.get("field"))
        if field and text:
            text = f"{field}: {text}"
    secret = settings.client_secret.get_secret_value()
    if secret:
        text = text.replace(secret, "[redacted]")
    text = " ".join(text.split())
    return error, text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


def _nothing_sent(exc: BaseException) -> bool:
    """Whether the connection failed before the request went out (refused, unresolvable, connect timeout)."""
    from requests.exceptions import ConnectTimeout
    from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

    before_sending = (ConnectTimeout, ConnectTimeoutError, NewConnectionError, NameResolutionError)
    seen: set[int] = set()
    pending: list[Any] = [exc.__cause__]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, before_sending):
            return True
        pending += [getattr(current, "reason", None), getattr(current, "__cause__", None)]
        pending += [arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException)]
    return False


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
