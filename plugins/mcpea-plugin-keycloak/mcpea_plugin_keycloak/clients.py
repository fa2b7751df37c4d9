"""Clients (applications): list them, and find one's internal id from its clientId.

A client's secret and registration token are never returned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field

from mcpea_core import ToolContext, UpstreamError

from .client import connect, get_json, settings_of
from .common import Arguments, Page, Paging, Result
from .errors import upstream

if TYPE_CHECKING:
    from keycloak import KeycloakAdmin

__all__ = ["Client", "ClientRef", "keycloak_list_clients", "resolve_client"]


class Client(Result):
    """A client (application) of the realm, without its secret."""

    id: str = Field(description="Internal id (UUID).")
    client_id: str = Field(description="The clientId applications and tools use.")
    name: str | None = None
    description: str | None = None
    enabled: bool | None = None
    protocol: str | None = Field(default=None, description="openid-connect or saml.")
    public_client: bool | None = Field(
        default=None, description="True when the client has no secret (browser apps)."
    )
    service_accounts_enabled: bool | None = None
    root_url: str | None = None
    base_url: str | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Client:
        return cls(
            id=str(data.get("id", "")),
            client_id=str(data.get("clientId", "")),
            name=data.get("name"),
            description=data.get("description"),
            enabled=data.get("enabled"),
            protocol=data.get("protocol"),
            public_client=data.get("publicClient"),
            service_accounts_enabled=data.get("serviceAccountsEnabled"),
            root_url=data.get("rootUrl"),
            base_url=data.get("baseUrl"),
        )


class ClientRef(Arguments):
    client_id: str = Field(
        min_length=1,
        max_length=255,
        description="The client's clientId, e.g. 'account' (not its internal UUID).",
    )


class ListClients(Paging):
    search: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="Only clients whose clientId contains this text.",
    )


def keycloak_list_clients(params: ListClients, ctx: ToolContext) -> Page[Client]:
    """List the realm's clients (applications), or those whose clientId contains search; no secrets."""
    from keycloak.urls_patterns import URL_ADMIN_CLIENTS

    admin = connect(ctx)
    query: dict[str, Any] = params.query()
    if params.search:
        query.update({"clientId": params.search, "search": "true"})
    with upstream(ctx):
        # KeycloakAdmin.get_clients() takes no query: it always fetches every client.
        items = get_json(admin, URL_ADMIN_CLIENTS, query)
    return Page[Client].of([Client.from_api(item) for item in items], params)


def resolve_client(admin: KeycloakAdmin, client_id: str, ctx: ToolContext) -> str:
    """The internal id of the client whose clientId is ``client_id``; a 404 ``UpstreamError`` if none."""
    with upstream(ctx, f"client {client_id!r}"):
        found = admin.get_client_id(client_id)
    if not found:
        realm = settings_of(ctx).realm
        raise UpstreamError(
            f"Keycloak found no client with clientId {client_id!r} in realm {realm!r}.", status=404
        )
    return found
