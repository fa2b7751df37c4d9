"""Unit tests of the tools with a fake KeycloakAdmin injected: what they send, return, refuse, translate."""

from __future__ import annotations

from typing import Any

import pytest
from keycloak_testkit import ANN, REALM, SECRET, USER_ID, FakeAdmin, keycloak_error, text_of

from mcpea_core import Hub

pytestmark = pytest.mark.anyio

USER_PATH = f"GET admin/realms/{REALM}/users/{USER_ID}"


async def ok(hub: Hub, tool: str, arguments: dict[str, Any]) -> Any:
    result = await hub.call_tool(tool, arguments)
    assert not result.is_error, text_of(result)
    return result.structured_content


async def error(hub: Hub, tool: str, arguments: dict[str, Any]) -> str:
    result = await hub.call_tool(tool, arguments)
    assert result.is_error
    text: str = text_of(result)
    return text


# --- users ------------------------------------------------------------------------------


async def test_create_user_sends_no_password_and_emails_the_required_actions(
    hub: Hub, fake: FakeAdmin
) -> None:
    created = await ok(
        hub,
        "keycloak_create_user",
        {
            "username": "ann",
            "email": "ann@example.com",
            "lifespan_seconds": 3600,
            "redirect_client_id": "portal",
        },
    )
    assert created == {
        "id": USER_ID,
        "username": "ann",
        "required_actions": ["VERIFY_EMAIL", "UPDATE_PASSWORD"],
        "email_sent": True,
        "email_error": None,
    }
    assert fake.methods == ["create_user", "send_update_account"]
    (payload,) = fake.called("create_user")[0].args
    assert payload == {
        "username": "ann",
        "enabled": True,
        "emailVerified": False,
        "requiredActions": ["VERIFY_EMAIL", "UPDATE_PASSWORD"],
        "email": "ann@example.com",
    }
    email = fake.called("send_update_account")[0]
    assert email.args == (USER_ID, ["VERIFY_EMAIL", "UPDATE_PASSWORD"])
    assert email.kwargs == {"client_id": "portal", "lifespan": 3600, "redirect_uri": None}


async def test_a_failed_email_does_not_hide_the_created_user(hub: Hub, fake: FakeAdmin) -> None:
    fake.replies["send_update_account"] = keycloak_error(
        "KeycloakPutError", 500, {"errorMessage": "Failed to send execute actions email"}
    )
    created = await ok(hub, "keycloak_create_user", {"username": "ann", "email": "ann@example.com"})
    assert created["id"] == USER_ID and created["email_sent"] is False
    assert "Failed to send execute actions email" in created["email_error"]


async def test_create_user_without_email_sends_nothing_only_when_told(hub: Hub, fake: FakeAdmin) -> None:
    text = await error(hub, "keycloak_create_user", {"username": "ann"})
    assert "email is required to send the required-action e-mail" in text
    assert fake.methods == []
    created = await ok(hub, "keycloak_create_user", {"username": "ann", "send_email": False})
    assert created["email_sent"] is False and created["email_error"] is None
    assert fake.methods == ["create_user"]


@pytest.mark.parametrize(
    ("tool", "arguments", "named"),
    [
        ("keycloak_create_user", {"username": "ann", "send_email": False, "password": "hunter2"}, "password"),
        ("keycloak_create_user", {"username": "ann", "send_email": False, "credentials": [{"value": "x"}]},
         "credentials"),
        ("keycloak_update_user", {"user_id": USER_ID, "password": "hunter2"}, "password"),
        ("keycloak_send_password_reset", {"user_id": USER_ID, "new_password": "hunter2"}, "new_password"),
        ("keycloak_create_user",
         {"username": "ann", "send_email": False, "attributes": {"password": ["hunter2"]}}, "attributes"),
        ("keycloak_update_user",
         {"user_id": USER_ID, "attributes": {"api_secret": ["hunter2"]}}, "attributes"),
    ],
)  # fmt: skip
async def test_passwords_are_refused_and_never_echoed(
    hub: Hub, fake: FakeAdmin, tool: str, arguments: dict[str, Any], named: str
) -> None:
    text = await error(hub, tool, arguments)
    assert named in text and "hunter2" not in text
    assert fake.methods == []


async def test_get_user_never_returns_credentials(hub: Hub, fake: FakeAdmin) -> None:
    fake.replies[USER_PATH] = {**ANN, "attributes": {"team": ["blue"], "legacy_password": ["old"]}}
    user = await ok(hub, "keycloak_get_user", {"user_id": USER_ID})
    assert user["username"] == "ann" and user["created_at"] == "2024-06-01T12:00:00.000Z"
    assert user["attributes"] == {"team": ["blue"], "legacy_password": ["[redacted]"]}
    assert "credentials" not in user and "must-never-show" not in str(user)
    assert fake.called("raw_get")[0].args == (f"admin/realms/{REALM}/users/{USER_ID}",)


async def test_search_users_pages_with_first_and_max(hub: Hub, fake: FakeAdmin) -> None:
    fake.replies["get_users"] = [{"id": f"u{i}", "username": f"user{i}"} for i in range(10)]
    page = await ok(hub, "keycloak_search_users", {"search": "user", "first": 30, "max": 10, "enabled": True})
    assert [u["id"] for u in page["items"]] == [f"u{i}" for i in range(10)]
    assert page["first"] == 30 and page["next_first"] == 40
    (query,) = fake.called("get_users")[0].args
    assert query == {
        "first": 30,
        "max": 10,
        "briefRepresentation": "true",
        "search": "user",
        "enabled": "true",
    }

    fake.replies["get_users"] = [{"id": "last"}]
    page = await ok(hub, "keycloak_search_users", {"first": 40, "max": 10})
    assert page["next_first"] is None


async def test_update_user_reads_then_writes_back_with_the_changes(hub: Hub, fake: FakeAdmin) -> None:
    change = await ok(
        hub,
        "keycloak_update_user",
        {
            "user_id": USER_ID,
            "last_name": "Lee-Smith",
            "attributes": {"team": ["red"], "locale": None, "x": ["1"]},
        },
    )
    assert change == {"user_id": USER_ID, "changed": ["lastName", "attributes"], "enabled": None}
    assert fake.methods == ["raw_get", "update_user"]
    user_id, payload = fake.called("update_user")[0].args
    assert user_id == USER_ID
    assert payload == {
        "username": "ann",
        "email": "ann@example.com",
        "firstName": "Ann",
        "lastName": "Lee-Smith",
        "emailVerified": True,
        "enabled": True,
        "requiredActions": [],
        "attributes": {"team": ["red"], "x": ["1"]},
    }  # no credentials, no access map: only the fields a user update carries


async def test_update_user_needs_a_change(hub: Hub, fake: FakeAdmin) -> None:
    assert "give at least one field to change" in await error(
        hub, "keycloak_update_user", {"user_id": USER_ID}
    )
    await ok(hub, "keycloak_update_user", {"user_id": USER_ID, "required_actions": []})
    assert fake.called("update_user")[0].args[1]["requiredActions"] == []


async def test_disable_and_enable_send_only_the_flag(hub: Hub, fake: FakeAdmin) -> None:
    assert (await ok(hub, "keycloak_disable_user", {"user_id": USER_ID}))["enabled"] is False
    assert (await ok(hub, "keycloak_enable_user", {"user_id": USER_ID}))["enabled"] is True
    assert [call.args for call in fake.called("update_user")] == [
        (USER_ID, {"enabled": False}),
        (USER_ID, {"enabled": True}),
    ]


async def test_password_reset_is_an_update_password_email(hub: Hub, fake: FakeAdmin) -> None:
    sent = await ok(
        hub,
        "keycloak_send_password_reset",
        {"user_id": USER_ID, "redirect_client_id": "portal", "redirect_uri": "https://portal.example.com/"},
    )
    assert sent == {"user_id": USER_ID, "actions": ["UPDATE_PASSWORD"]}
    call = fake.called("send_update_account")[0]
    assert call.args == (USER_ID, ["UPDATE_PASSWORD"])
    assert call.kwargs["redirect_uri"] == "https://portal.example.com/"
    text = await error(
        hub, "keycloak_send_password_reset", {"user_id": USER_ID, "redirect_uri": "https://x.example/"}
    )
    assert "redirect_uri needs redirect_client_id" in text


@pytest.mark.parametrize("bad", ["../clients", "a/b", "..", "a?b=c", "a#b", "%2e%2e", "a b", ""])
async def test_ids_stay_one_path_segment(hub: Hub, fake: FakeAdmin, bad: str) -> None:
    text = await error(hub, "keycloak_get_user", {"user_id": bad})
    assert "user_id" in text
    assert fake.methods == []


# --- roles ------------------------------------------------------------------------------


async def test_assign_realm_roles_looks_each_role_up_once(hub: Hub, fake: FakeAdmin) -> None:
    fake.replies["get_realm_role"] = lambda name: {"id": f"id-{name}", "name": name, "attributes": {}}
    change = await ok(
        hub, "keycloak_assign_realm_roles", {"user_id": USER_ID, "roles": ["editor", "viewer", "editor"]}
    )
    assert change["roles"] == ["editor", "viewer", "editor"]
    assert [call.args for call in fake.called("get_realm_role")] == [("editor",), ("viewer",)]
    assert fake.called("assign_realm_roles")[0].args == (
        USER_ID,
        [{"id": "id-editor", "name": "editor"}, {"id": "id-viewer", "name": "viewer"}],
    )


async def test_revoking_an_unknown_role_says_which(hub: Hub, fake: FakeAdmin) -> None:
    fake.replies["get_realm_role"] = keycloak_error("KeycloakGetError", 404, {"error": "Could not find role"})
    text = await error(hub, "keycloak_revoke_realm_roles", {"user_id": USER_ID, "roles": ["ghost"]})
    assert text == f"Keycloak found no realm role 'ghost' in realm '{REALM}' (404: Could not find role)."
    assert "delete_realm_roles_of_user" not in fake.methods


async def test_client_roles_go_through_the_clients_internal_id(hub: Hub, fake: FakeAdmin) -> None:
    fake.replies["get_client_role"] = lambda client, name: {"id": f"{client}:{name}", "name": name}
    await ok(
        hub, "keycloak_revoke_client_roles", {"user_id": USER_ID, "client_id": "portal", "roles": ["admin"]}
    )
    assert fake.called("get_client_id")[0].args == ("portal",)
    assert fake.called("delete_client_roles_of_user")[0].args == (
        USER_ID,
        "c-uuid-1",
        [{"id": "c-uuid-1:admin", "name": "admin"}],
    )


async def test_a_client_id_may_be_a_url(hub: Hub, fake: FakeAdmin) -> None:
    """SAML clientIds are often URLs: they are only ever sent as a query parameter, never in a path."""
    fake.replies[f"GET admin/realms/{REALM}/clients/c-uuid-1/roles"] = [{"id": "r", "name": "member"}]
    page = await ok(hub, "keycloak_list_client_roles", {"client_id": "https://sp.example.com/saml/metadata"})
    assert page["items"][0]["name"] == "member"
    assert fake.called("get_client_id")[0].args == ("https://sp.example.com/saml/metadata",)


async def test_an_unknown_client_is_a_404_naming_its_client_id(hub: Hub, fake: FakeAdmin) -> None:
    fake.replies["get_client_id"] = None
    text = await error(hub, "keycloak_list_client_roles", {"client_id": "nope"})
    assert text == f"Keycloak found no client with clientId 'nope' in realm '{REALM}'."


async def test_list_user_roles_groups_client_roles_by_client_id(hub: Hub, fake: FakeAdmin) -> None:
    fake.replies["get_all_roles_of_user"] = {
        "realmMappings": [{"id": "r1", "name": "editor", "composite": False, "clientRole": False}],
        "clientMappings": {
            "portal": {"id": "c-uuid-1", "client": "portal", "mappings": [{"id": "r2", "name": "admin"}]}
        },
    }
    roles = await ok(hub, "keycloak_list_user_roles", {"user_id": USER_ID})
    assert [r["name"] for r in roles["realm_roles"]] == ["editor"]
    assert [r["name"] for r in roles["client_roles"]["portal"]] == ["admin"]


async def test_list_realm_roles_passes_search_with_paging(hub: Hub, fake: FakeAdmin) -> None:
    await ok(hub, "keycloak_list_realm_roles", {"search": "edit", "max": 5})
    assert fake.called("get_realm_roles")[0].kwargs == {
        "query": {"first": 0, "max": 5, "briefRepresentation": "true", "search": "edit"}
    }


# --- groups, clients, sessions, events ----------------------------------------------------


async def test_list_groups_is_one_request_without_children(hub: Hub, fake: FakeAdmin) -> None:
    fake.replies[f"GET admin/realms/{REALM}/groups"] = [
        {"id": "g1", "name": "staff", "path": "/staff", "subGroupCount": 3}
    ]
    page = await ok(hub, "keycloak_list_groups", {"search": "staff", "exact": True})
    assert page["items"] == [{"id": "g1", "name": "staff", "path": "/staff", "sub_group_count": 3}]
    assert fake.methods == ["raw_get"]  # not get_groups, which fetches each group's children too
    assert fake.calls[0].kwargs == {
        "first": 0,
        "max": 20,
        "briefRepresentation": "true",
        "search": "staff",
        "exact": "true",
    }


async def test_group_membership(hub: Hub, fake: FakeAdmin) -> None:
    added = await ok(hub, "keycloak_add_group_member", {"group_id": "g1", "user_id": USER_ID})
    removed = await ok(hub, "keycloak_remove_group_member", {"group_id": "g1", "user_id": USER_ID})
    assert added["member"] is True and removed["member"] is False
    assert fake.called("group_user_add")[0].args == (USER_ID, "g1")
    assert fake.called("group_user_remove")[0].args == (USER_ID, "g1")
    fake.replies["get_group_members"] = [ANN]
    members = await ok(hub, "keycloak_list_group_members", {"group_id": "g1"})
    assert members["items"][0]["username"] == "ann"
    assert fake.called("get_group_members")[0].args == (
        "g1",
        {"first": 0, "max": 20, "briefRepresentation": "true"},
    )


async def test_list_clients_never_returns_secrets(hub: Hub, fake: FakeAdmin) -> None:
    fake.replies[f"GET admin/realms/{REALM}/clients"] = [
        {"id": "c1", "clientId": "portal", "secret": "client-secret-value", "registrationAccessToken": "rat"}
    ]
    page = await ok(hub, "keycloak_list_clients", {"search": "port"})
    assert page["items"][0]["client_id"] == "portal"
    assert "client-secret-value" not in str(page) and "rat'" not in str(page)
    assert fake.calls[0].kwargs == {"first": 0, "max": 20, "clientId": "port", "search": "true"}


async def test_sessions_and_logout(hub: Hub, fake: FakeAdmin) -> None:
    fake.replies["get_sessions"] = [
        {"id": "s1", "ipAddress": "10.0.0.1", "start": 1717243200000, "lastAccess": 1717243260000,
         "clients": {"c2": "portal", "c1": "account"}}
    ]  # fmt: skip
    sessions = await ok(hub, "keycloak_list_user_sessions", {"user_id": USER_ID})
    assert sessions["sessions"] == [
        {
            "id": "s1",
            "ip_address": "10.0.0.1",
            "started_at": "2024-06-01T12:00:00.000Z",
            "last_access_at": "2024-06-01T12:01:00.000Z",
            "remember_me": None,
            "clients": ["account", "portal"],
        }
    ]
    assert (await ok(hub, "keycloak_logout_user", {"user_id": USER_ID}))["logged_out"] is True
    assert fake.called("user_logout")[0].args == (USER_ID,)


async def test_admin_events_redact_the_representation_and_show_it_only_when_asked(
    hub: Hub, fake: FakeAdmin
) -> None:
    representation = (
        '{"username": "bob", "credentials": [{"type": "password", "value": "s3cret!"}], "enabled": true}'
    )
    fake.replies["get_admin_events"] = [
        {"id": "e1", "time": 1717243200000, "operationType": "CREATE", "resourceType": "USER",
         "resourcePath": "users/u2", "representation": representation,
         "authDetails": {"realmId": "r", "clientId": "c", "userId": "admin-1", "ipAddress": "10.0.0.2"}}
    ]  # fmt: skip
    plain = await ok(
        hub, "keycloak_list_admin_events", {"operation_types": ["CREATE"], "date_from": "2024-06-01"}
    )
    assert plain["items"][0]["representation"] is None and plain["items"][0]["actor"]["user_id"] == "admin-1"
    assert fake.called("get_admin_events")[0].args == (
        {"first": 0, "max": 20, "operationTypes": ["CREATE"], "dateFrom": "2024-06-01"},
    )
    full = await ok(hub, "keycloak_list_admin_events", {"include_representation": True})
    assert full["items"][0]["representation"] == {
        "username": "bob",
        "credentials": "[redacted]",
        "enabled": True,
    }
    assert "s3cret!" not in str(full)


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exception", "expected"),
    [
        (keycloak_error("KeycloakAuthenticationError", 401, {"error": "HTTP 401 Unauthorized"}),
         "Keycloak refused the hub's credentials (401: HTTP 401 Unauthorized): check client_id and"),
        (keycloak_error("KeycloakGetError", 403, {"error": "unknown_error"}),
         "service account this operation (403: unknown_error): give service-account-mcpea-admin"),
        (keycloak_error("KeycloakGetError", 404, {"error": "User not found"}),
         f"Keycloak found no user '{USER_ID}' in realm 'demo' (404: User not found)."),
        (keycloak_error("KeycloakGetError", 500, b"<html>Internal Server Error</html>"),
         "Keycloak failed (500: <html>Internal Server Error</html>); try again later."),
        (keycloak_error("KeycloakGetError", 429, b""),
         "Keycloak (or a proxy before it) asked to slow down (429)."),
        (keycloak_error("KeycloakGetError", 400, {"field": "email", "errorMessage": "invalidEmailMessage"}),
         f"Keycloak rejected the request about user '{USER_ID}' (400: email: invalidEmailMessage)."),
        (keycloak_error("KeycloakConnectionError", None), "Keycloak at http://127.0.0.1:9/ did not answer"),
    ],
)  # fmt: skip
async def test_keycloak_errors_become_mcpea_errors(
    hub: Hub, fake: FakeAdmin, exception: Exception, expected: str
) -> None:
    fake.replies[USER_PATH] = exception
    text = await error(hub, "keycloak_get_user", {"user_id": USER_ID})
    assert expected in text


async def test_kinds_and_statuses_of_translated_errors(hub: Hub, fake: FakeAdmin) -> None:
    from mcpea_plugin_keycloak.errors import translate

    from mcpea_core import AuthError, RateLimited, UpstreamError

    settings = hub.settings["keycloak"]
    assert isinstance(translate(keycloak_error("KeycloakGetError", 403), settings), AuthError)  # type: ignore[arg-type]
    assert isinstance(translate(keycloak_error("KeycloakGetError", 429), settings), RateLimited)  # type: ignore[arg-type]
    refused = translate(keycloak_error("KeycloakPostError", 400, {"error": "unauthorized_client"}), settings)  # type: ignore[arg-type]
    assert isinstance(refused, AuthError) and refused.status == 400
    gone = translate(keycloak_error("KeycloakGetError", 404), settings, "user 'x'")  # type: ignore[arg-type]
    assert type(gone) is UpstreamError and gone.status == 404


async def test_the_client_secret_never_reaches_the_model(hub: Hub, fake: FakeAdmin) -> None:
    echo = {"error": "invalid_request", "error_description": f"bad client_secret={SECRET}"}
    fake.replies[USER_PATH] = keycloak_error("KeycloakGetError", 400, echo)
    text = await error(hub, "keycloak_get_user", {"user_id": USER_ID})
    assert SECRET not in text and "client_secret=[redacted]" in text


async def test_a_refused_token_request_fails_the_call_before_anything_is_sent(
    hub: Hub, fake: FakeAdmin
) -> None:
    refusal = {
        "error": "unauthorized_client",
        "error_description": "Invalid client or Invalid client credentials",
    }
    fake.connection.token_error = keycloak_error("KeycloakAuthenticationError", 401, refusal)
    text = await error(hub, "keycloak_disable_user", {"user_id": USER_ID})
    assert "refused the hub's credentials (401: Invalid client or Invalid client credentials)" in text
    assert fake.methods == []


async def test_one_token_serves_many_calls(hub: Hub, fake: FakeAdmin) -> None:
    for _ in range(3):
        await ok(hub, "keycloak_logout_user", {"user_id": USER_ID})
    assert fake.connection.tokens_fetched == 1
