"""Groups: list them, list a group's members, add users to and remove them from a group."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from mcpea_core import ToolContext

from .client import connect, get_json
from .common import Arguments, Id, Page, Paging, Result
from .errors import upstream
from .users import User

__all__ = [
    "Group",
    "keycloak_add_group_member",
    "keycloak_list_group_members",
    "keycloak_list_groups",
    "keycloak_remove_group_member",
]


class Group(Result):
    id: str
    name: str | None = None
    path: str | None = Field(default=None, description="Full path, e.g. /staff/engineering.")
    sub_group_count: int | None = Field(default=None, description="Number of direct subgroups.")

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Group:
        count = data.get("subGroupCount")
        return cls(
            id=str(data.get("id", "")),
            name=data.get("name"),
            path=data.get("path"),
            sub_group_count=count if isinstance(count, int) and count >= 0 else None,
        )


class Membership(Result):
    group_id: str
    user_id: str
    member: bool = Field(description="Whether the user is now a direct member of the group.")


class ListGroups(Paging):
    search: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="Text in the group name (subgroups searched too).",
    )
    exact: bool = Field(default=False, description="Match search as the whole name.")


class GroupMembers(Paging):
    group_id: Id = Field(description="The group's id, as keycloak_list_groups returns it.")


class GroupMember(Arguments):
    group_id: Id = Field(description="The group's id.")
    user_id: Id = Field(description="The user's id.")


def keycloak_list_groups(params: ListGroups, ctx: ToolContext) -> Page[Group]:
    """List the realm's top-level groups (one page), or those whose name contains search."""
    from keycloak.urls_patterns import URL_ADMIN_GROUPS

    admin = connect(ctx)
    query: dict[str, Any] = {**params.query(), "briefRepresentation": "true"}
    if params.search:
        query["search"] = params.search
        if params.exact:
            query["exact"] = "true"
    with upstream(ctx):
        # Not KeycloakAdmin.get_groups(): it also fetches the children of every group that has any.
        items = get_json(admin, URL_ADMIN_GROUPS, query)
    return Page[Group].of([Group.from_api(item) for item in items], params)


def keycloak_list_group_members(params: GroupMembers, ctx: ToolContext) -> Page[User]:
    """List the users who are direct members of a group (one page)."""
    admin = connect(ctx)
    query = {**params.query(), "briefRepresentation": "true"}
    with upstream(ctx, f"group {params.group_id!r}"):
        items = admin.get_group_members(params.group_id, query)
    return Page[User].of([User.from_api(item) for item in items], params)


def keycloak_add_group_member(params: GroupMember, ctx: ToolContext) -> Membership:
    """Add a user to a group; they gain the group's roles. Idempotent."""
    admin = connect(ctx)
    with upstream(ctx, f"user {params.user_id!r} or group {params.group_id!r}"):
        admin.group_user_add(params.user_id, params.group_id)
    return Membership(group_id=params.group_id, user_id=params.user_id, member=True)


def keycloak_remove_group_member(params: GroupMember, ctx: ToolContext) -> Membership:
    """Remove a user from a group; they lose the roles they had through it. Idempotent."""
    admin = connect(ctx)
    with upstream(ctx, f"user {params.user_id!r} or group {params.group_id!r}"):
        admin.group_user_remove(params.user_id, params.group_id)
    return Membership(group_id=params.group_id, user_id=params.user_id, member=False)
