"""Realm and client roles: list them, list a user's, assign them to and revoke them from a user."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import Field

from mcpea_core import ToolContext

from .client import connect, get_json
from .clients import ClientRef, resolve_client
from .common import Arguments, Id, Name, Page, Paging, Result
from .errors import upstream

__all__ = [
    "Role",
    "keycloak_assign_client_roles",
    "keycloak_assign_realm_roles",
    "keycloak_list_client_roles",
    "keycloak_list_realm_roles",
    "keycloak_list_user_roles",
    "keycloak_revoke_client_roles",
    "keycloak_revoke_realm_roles",
]

MAX_ROLES = 20


class Role(Result):
    id: str | None = None
    name: str
    description: str | None = None
    composite: bool | None = Field(default=None, description="Whether the role includes other roles.")
    client_role: bool | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Role:
        return cls(
            id=data.get("id"),
            name=str(data.get("name", "")),
            description=data.get("description"),
            composite=data.get("composite"),
            client_role=data.get("clientRole"),
        )


class UserRoles(Result):
    user_id: str
    realm_roles: list[Role] = Field(description="Realm roles mapped to the user directly.")
    client_roles: dict[str, list[Role]] = Field(description="Client roles mapped directly, by clientId.")


class RoleChange(Result):
    user_id: str
    client_id: str | None = Field(default=None, description="clientId, for client roles.")
    roles: list[str] = Field(description="The roles assigned or revoked.")


class ListRealmRoles(Paging):
    search: str | None = Field(
        default=None, min_length=1, max_length=255, description="Text in the role name."
    )


class ListClientRoles(ClientRef, Paging):
    search: str | None = Field(
        default=None, min_length=1, max_length=255, description="Text in the role name."
    )


class ListUserRoles(Arguments):
    user_id: Id = Field(description="The user's id.")


class RealmRoles(Arguments):
    user_id: Id = Field(description="The user's id.")
    roles: list[Name] = Field(
        min_length=1, max_length=MAX_ROLES, description="Realm role names, e.g. ['editor']."
    )


class ClientRoles(ClientRef):
    user_id: Id = Field(description="The user's id.")
    roles: list[Name] = Field(min_length=1, max_length=MAX_ROLES, description="Role names of that client.")


def keycloak_list_realm_roles(params: ListRealmRoles, ctx: ToolContext) -> Page[Role]:
    """List the realm's roles (one page), optionally only those whose name contains search."""
    admin = connect(ctx)
    query: dict[str, Any] = {**params.query(), "briefRepresentation": "true"}
    if params.search:
        query["search"] = params.search
    with upstream(ctx):
        # get_realm_roles drops search and briefRepresentation unless first and max are in query.
        items = admin.get_realm_roles(query=query)
    return Page[Role].of([Role.from_api(item) for item in items], params)


def keycloak_list_client_roles(params: ListClientRoles, ctx: ToolContext) -> Page[Role]:
    """List the roles a client (application) defines, by its clientId (one page)."""
    from keycloak.urls_patterns import URL_ADMIN_CLIENT_ROLES

    admin = connect(ctx)
    client_uuid = resolve_client(admin, params.client_id, ctx)
    query: dict[str, Any] = {**params.query(), "briefRepresentation": "true"}
    if params.search:
        query["search"] = params.search
    with upstream(ctx, f"client {params.client_id!r}"):
        items = get_json(admin, URL_ADMIN_CLIENT_ROLES, query, id=client_uuid)
    return Page[Role].of([Role.from_api(item) for item in items], params)


def keycloak_list_user_roles(params: ListUserRoles, ctx: ToolContext) -> UserRoles:
    """List the realm and client roles mapped to a user directly (not those from groups or composites)."""
    admin = connect(ctx)
    with upstream(ctx, f"user {params.user_id!r}"):
        data = admin.get_all_roles_of_user(params.user_id)
    clients: dict[str, list[Role]] = {}
    for client_id, mapping in (data.get("clientMappings") or {}).items():
        name = str(mapping.get("client") or client_id) if isinstance(mapping, dict) else str(client_id)
        roles = mapping.get("mappings") if isinstance(mapping, dict) else None
        clients[name] = [Role.from_api(role) for role in roles or []]
    realm = [Role.from_api(role) for role in data.get("realmMappings") or []]
    return UserRoles(user_id=params.user_id, realm_roles=realm, client_roles=clients)


def keycloak_assign_realm_roles(params: RealmRoles, ctx: ToolContext) -> RoleChange:
    """Give a user realm roles. Idempotent: a role the user has already stays."""
    return _map_realm_roles(params, ctx, assign=True)


def keycloak_revoke_realm_roles(params: RealmRoles, ctx: ToolContext) -> RoleChange:
    """Take realm roles away from a user (roles they have through groups stay). Idempotent."""
    return _map_realm_roles(params, ctx, assign=False)


def keycloak_assign_client_roles(params: ClientRoles, ctx: ToolContext) -> RoleChange:
    """Give a user roles of one client (application), by the client's clientId. Idempotent."""
    return _map_client_roles(params, ctx, assign=True)


def keycloak_revoke_client_roles(params: ClientRoles, ctx: ToolContext) -> RoleChange:
    """Take roles of one client (application) away from a user. Idempotent."""
    return _map_client_roles(params, ctx, assign=False)


def _map_realm_roles(params: RealmRoles, ctx: ToolContext, *, assign: bool) -> RoleChange:
    admin = connect(ctx)
    roles = [
        _found(ctx, f"realm role {name!r}", admin.get_realm_role, name)
        for name in dict.fromkeys(params.roles)
    ]
    with upstream(ctx, f"user {params.user_id!r}"):
        if assign:
            admin.assign_realm_roles(params.user_id, roles)
        else:
            admin.delete_realm_roles_of_user(params.user_id, roles)
    return RoleChange(user_id=params.user_id, roles=list(params.roles))


def _map_client_roles(params: ClientRoles, ctx: ToolContext, *, assign: bool) -> RoleChange:
    admin = connect(ctx)
    client = resolve_client(admin, params.client_id, ctx)
    roles = [
        _found(ctx, f"role {name!r} of client {params.client_id!r}", admin.get_client_role, client, name)
        for name in dict.fromkeys(params.roles)
    ]
    with upstream(ctx, f"user {params.user_id!r}"):
        if assign:
            admin.assign_client_role(params.user_id, client, roles)
        else:
            admin.delete_client_roles_of_user(params.user_id, client, roles)
    return RoleChange(user_id=params.user_id, client_id=params.client_id, roles=list(params.roles))


def _found(ctx: ToolContext, subject: str, get: Callable[..., dict[str, Any]], *args: str) -> dict[str, Any]:
    """The ``{id, name}`` of one role, looked up first: role mappings are sent as representations."""
    with upstream(ctx, subject):
        role = get(*args)
    return {key: role[key] for key in ("id", "name") if key in role}
