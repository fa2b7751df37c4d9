"""Admin events: who changed what in the realm, newest first.

Keycloak records them only when the realm's "Save admin events" is on; with
"Include representation" it also keeps the JSON sent with each change, which
may hold credentials, so this tool returns it only when asked, and with every
secret-named field redacted.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from mcpea_core import ToolContext

from .client import connect
from .common import Id, Page, Paging, Result, iso_time, redact
from .errors import upstream

__all__ = ["AdminEvent", "keycloak_list_admin_events"]

Operation = Literal["CREATE", "UPDATE", "DELETE", "ACTION"]
ResourceType = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z_]{1,63}$")]


class Actor(Result):
    realm_id: str | None = None
    client_id: str | None = Field(default=None, description="Internal id of the client the admin used.")
    user_id: str | None = Field(default=None, description="Id of the user (or service account) who acted.")
    ip_address: str | None = None


class AdminEvent(Result):
    id: str | None = None
    time: str | None = Field(default=None, description="ISO 8601 UTC.")
    operation_type: str | None = None
    resource_type: str | None = None
    resource_path: str | None = Field(
        default=None, description="What changed, e.g. users/<id>/role-mappings/realm."
    )
    actor: Actor
    error: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    representation: Any = Field(
        default=None,
        description="The JSON sent with the change (secrets redacted), when include_representation.",
    )

    @classmethod
    def from_api(cls, data: dict[str, Any], *, representation: bool) -> AdminEvent:
        raw_auth = data.get("authDetails")
        auth: dict[str, Any] = raw_auth if isinstance(raw_auth, dict) else {}
        details = data.get("details")
        return cls(
            id=data.get("id"),
            time=iso_time(data.get("time")),
            operation_type=data.get("operationType"),
            resource_type=data.get("resourceType"),
            resource_path=data.get("resourcePath"),
            actor=Actor(
                realm_id=auth.get("realmId"),
                client_id=auth.get("clientId"),
                user_id=auth.get("userId"),
                ip_address=auth.get("ipAddress"),
            ),
            error=data.get("error"),
            details=redact(details) if isinstance(details, dict) else {},
            representation=_representation(data.get("representation")) if representation else None,
        )


class ListAdminEvents(Paging):
    operation_types: list[Operation] = Field(
        default_factory=list, max_length=4, description="Only these operations."
    )
    resource_types: list[ResourceType] = Field(
        default_factory=list,
        max_length=20,
        description="Only these resource types, e.g. USER, REALM_ROLE_MAPPING, GROUP_MEMBERSHIP, CLIENT.",
    )
    resource_path: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="Only this resource path; * matches any part, e.g. users/*.",
    )
    auth_user_id: Id | None = Field(
        default=None, description="Only changes made by this user (or service account) id."
    )
    auth_ip_address: str | None = Field(
        default=None, min_length=1, max_length=64, description="Only changes from this IP."
    )
    date_from: date | None = Field(default=None, description="Only events on or after this day (YYYY-MM-DD).")
    date_to: date | None = Field(default=None, description="Only events on or before this day (YYYY-MM-DD).")
    include_representation: bool = Field(
        default=False,
        description="Also return the JSON sent with each change (secret-named fields redacted).",
    )


def keycloak_list_admin_events(params: ListAdminEvents, ctx: ToolContext) -> Page[AdminEvent]:
    """List admin events (changes made through the admin API or console), newest first, one page.

    Empty when the realm does not save admin events.
    """
    admin = connect(ctx)
    query: dict[str, Any] = params.query()
    filters = {
        "operationTypes": list(params.operation_types) or None,
        "resourceTypes": list(params.resource_types) or None,
        "resourcePath": params.resource_path,
        "authUser": params.auth_user_id,
        "authIpAddress": params.auth_ip_address,
        "dateFrom": params.date_from.isoformat() if params.date_from else None,
        "dateTo": params.date_to.isoformat() if params.date_to else None,
    }
    query.update({key: value for key, value in filters.items() if value is not None})
    with upstream(ctx):
        items = admin.get_admin_events(query)
    events = [AdminEvent.from_api(item, representation=params.include_representation) for item in items]
    return Page[AdminEvent].of(events, params)


def _representation(raw: Any) -> Any:
    if not isinstance(raw, str) or not raw:
        return None
    try:
        return redact(json.loads(raw))
    except ValueError:
        return "[not JSON: omitted]"
