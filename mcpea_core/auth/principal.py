"""From verified token claims (or an API key) to the :class:`Principal` the hub, RBAC and audit see.

Keycloak's shapes need no configuration: realm roles from
``realm_access.roles``, client roles from ``resource_access.<client>.roles``
(named ``<client>:<role>``), groups from ``groups``, scopes from ``scope``.
Entra/Okta shapes work too (``roles``, ``scp``).

The principal id is ``sub``. A token is a service's (``kind = "service"``)
when it comes from a client-credentials grant: Keycloak names those users
``service-account-<client>``; other issuers set ``gty`` to
``client-credentials``, make ``sub`` the client id, or leave ``sub`` out
(then the client id is the principal id).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..context import Principal
from .failures import AuthFailure
from .settings import ApiKey, OAuthSection

__all__ = ["AuthPrincipal", "api_key_principal", "token_principal"]


@dataclass(frozen=True)
class AuthPrincipal(Principal):
    """A caller authenticated over HTTP: a ``Principal`` plus its scopes, groups and how it proved itself.

    ``claims`` holds the token's verified claims (never the token itself);
    ``preferred_username`` there is the name to show.
    """

    scopes: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    method: Literal["oauth", "api_key"] = "oauth"

    @property
    def display_name(self) -> str:
        name = self.claims.get("preferred_username")
        return name if isinstance(name, str) and name else self.id


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [item for item in value if isinstance(item, str)]
    return []


def _path(claims: Mapping[str, Any], dotted: str) -> Any:
    value: Any = claims
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def token_scopes(claims: Mapping[str, Any]) -> frozenset[str]:
    """``scope`` (space-separated, RFC 8693/9068) or ``scp`` (a list or a string)."""
    scopes: set[str] = set()
    for name in ("scope", "scp"):
        for item in _strings(claims.get(name)):
            scopes.update(item.split())
    return frozenset(scopes)


def _roles(claims: Mapping[str, Any], settings: OAuthSection) -> frozenset[str]:
    roles: set[str] = set()
    for dotted in settings.role_claims:
        roles.update(_strings(_path(claims, dotted)))
    clients = _path(claims, settings.client_roles_claim) if settings.client_roles_claim else None
    if isinstance(clients, Mapping):
        for client, entry in clients.items():
            if isinstance(entry, Mapping):
                for role in _strings(entry.get("roles")):
                    roles.add(settings.client_role_format.format(client=client, role=role))
    return frozenset(roles)


def _kind(claims: Mapping[str, Any], subject: str | None, client: str | None) -> Literal["user", "service"]:
    username = claims.get("preferred_username")
    if isinstance(username, str) and username.startswith("service-account-"):
        return "service"
    if claims.get("gty") == "client-credentials" or subject is None:
        return "service"
    return "service" if client is not None and subject == client else "user"


def token_principal(claims: Mapping[str, Any], settings: OAuthSection) -> AuthPrincipal:
    """The principal of a verified token; refuses a token that names no subject and no client."""
    subject = claims.get("sub") if isinstance(claims.get("sub"), str) and claims.get("sub") else None
    client = next((c for c in (claims.get("client_id"), claims.get("azp")) if isinstance(c, str) and c), None)
    principal_id = subject or client
    if principal_id is None:
        raise AuthFailure("the token names no subject (sub) and no client (client_id, azp)")
    groups = _strings(_path(claims, settings.groups_claim)) if settings.groups_claim else []
    return AuthPrincipal(
        id=principal_id,
        kind=_kind(claims, subject, client),
        roles=_roles(claims, settings),
        claims=dict(claims),
        scopes=token_scopes(claims),
        groups=frozenset(groups),
        method="oauth",
    )


def api_key_principal(key: ApiKey) -> AuthPrincipal:
    """The principal of a configured API key: ``api-key:<id>`` with the key's roles, scopes and groups."""
    return AuthPrincipal(
        id=f"api-key:{key.id}",
        kind=key.kind,
        roles=frozenset(key.roles),
        claims={"api_key_id": key.id},
        scopes=frozenset(key.scopes),
        groups=frozenset(key.groups),
        method="api_key",
    )


def subjects(principal: Principal) -> Iterable[str]:
    """The RBAC subjects a principal has: ``role:``, ``scope:``, ``group:``, ``principal:`` and ``kind:``."""
    yield f"principal:{principal.id}"
    yield f"kind:{principal.kind}"
    for role in principal.roles:
        yield f"role:{role}"
    if isinstance(principal, AuthPrincipal):
        for scope in principal.scopes:
            yield f"scope:{scope}"
        for group in principal.groups:
            yield f"group:{group}"
