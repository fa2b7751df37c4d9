"""Every tool of the connector, grouped as the README lists them.

Tools are listed by reference (the group's module and the function, whose
name is the tool's): loading the plugin imports none of the tool modules
(nor builds their models); the hub imports one when it first needs one of
its tools.
"""

from __future__ import annotations

from typing import NamedTuple

from mcpea_core import Annotations

__all__ = ["GROUPS", "TOOLS", "ToolSpec", "read_tool", "write_tool"]


# A NamedTuple rather than a dataclass: quicker to define, and this module loads at every start.
class ToolSpec(NamedTuple):
    """A tool of the connector: ``register(spec.fn, annotations=spec.annotations)``."""

    module: str
    name: str
    annotations: Annotations

    @property
    def fn(self) -> str:
        """The reference to the tool's function: ``mcpea_plugin_keycloak.<module>:<name>``."""
        return f"{__package__}.{self.module}:{self.name}"


def read_tool(module: str, name: str, title: str) -> ToolSpec:
    """A tool that only reads: safe to repeat."""
    return ToolSpec(
        module, name, Annotations(read_only=True, destructive=False, idempotent=True, title=title)
    )


def write_tool(
    module: str, name: str, title: str, *, destructive: bool = False, idempotent: bool = False
) -> ToolSpec:
    """A tool that changes Keycloak; ``destructive`` when it takes access away or ends sessions."""
    return ToolSpec(
        module,
        name,
        Annotations(read_only=False, destructive=destructive, idempotent=idempotent, title=title),
    )


GROUPS: tuple[tuple[str, tuple[ToolSpec, ...]], ...] = (
    (
        "users",
        (
            write_tool("users", "keycloak_create_user", "Create user"),
            read_tool("users", "keycloak_get_user", "Get user"),
            read_tool("users", "keycloak_search_users", "Search users"),
            write_tool("users", "keycloak_update_user", "Update user", idempotent=True),
            write_tool("users", "keycloak_disable_user", "Disable user", destructive=True, idempotent=True),
            write_tool("users", "keycloak_enable_user", "Enable user", idempotent=True),
            write_tool("users", "keycloak_send_password_reset", "Send password reset e-mail"),
        ),
    ),
    (
        "roles",
        (
            read_tool("roles", "keycloak_list_realm_roles", "List realm roles"),
            read_tool("roles", "keycloak_list_client_roles", "List client roles"),
            read_tool("roles", "keycloak_list_user_roles", "List a user's roles"),
            write_tool("roles", "keycloak_assign_realm_roles", "Assign realm roles", idempotent=True),
            write_tool(
                "roles",
                "keycloak_revoke_realm_roles",
                "Revoke realm roles",
                destructive=True,
                idempotent=True,
            ),
            write_tool("roles", "keycloak_assign_client_roles", "Assign client roles", idempotent=True),
            write_tool(
                "roles",
                "keycloak_revoke_client_roles",
                "Revoke client roles",
                destructive=True,
                idempotent=True,
            ),
        ),
    ),
    (
        "groups",
        (
            read_tool("groups", "keycloak_list_groups", "List groups"),
            read_tool("groups", "keycloak_list_group_members", "List group members"),
            write_tool("groups", "keycloak_add_group_member", "Add user to group", idempotent=True),
            write_tool(
                "groups",
                "keycloak_remove_group_member",
                "Remove user from group",
                destructive=True,
                idempotent=True,
            ),
        ),
    ),
    (
        "clients",
        (read_tool("clients", "keycloak_list_clients", "List clients"),),
    ),
    (
        "sessions",
        (
            read_tool("sessions", "keycloak_list_user_sessions", "List user sessions"),
            write_tool("sessions", "keycloak_logout_user", "Log user out", destructive=True, idempotent=True),
        ),
    ),
    (
        "events",
        (read_tool("events", "keycloak_list_admin_events", "List admin events"),),
    ),
)
TOOLS: tuple[ToolSpec, ...] = tuple(spec for _, specs in GROUPS for spec in specs)
