"""The plugin as a whole: standard tests, lazy import, annotations, schemas, README, settings, retries."""

from __future__ import annotations

import json
import logging
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest
from keycloak_testkit import (
    CLIENT_ID,
    REALM,
    SECRET,
    USER_ID,
    KeycloakDouble,
    direct_admin,
    keycloak_hub,
    settings_table,
    text_of,
)
from mcpea_plugin_keycloak import KeycloakSettings, readme
from mcpea_plugin_keycloak.client import build_admin
from mcpea_plugin_keycloak.tools import TOOLS
from pydantic import ValidationError

from mcpea_core import Hub, HubConfig
from mcpea_core.testing import ConnectorStandardTests

DESTRUCTIVE = {
    "keycloak_disable_user",
    "keycloak_revoke_realm_roles",
    "keycloak_revoke_client_roles",
    "keycloak_remove_group_member",
    "keycloak_logout_user",
}
PASSWORDISH = re.compile(r"pass(word|wd|phrase)?|credential|secret", re.IGNORECASE)


class TestKeycloakStandard(ConnectorStandardTests):
    """The hub's standard connector tests, against Prism on Keycloak's admin description."""

    plugin = "keycloak"
    settings: ClassVar[dict[str, Any]] = settings_table()
    expected_tools: ClassVar[set[str]] = {spec.name for spec in TOOLS}
    example_calls: ClassVar[dict[str, Any]] = {
        "keycloak_search_users": {"search": "ann"},
        "keycloak_get_user": {"user_id": USER_ID},
        "keycloak_list_groups": {},
        "keycloak_list_clients": {},
        "keycloak_list_realm_roles": {},
        "keycloak_list_admin_events": {"operation_types": ["DELETE"]},
    }
    invalid_calls: ClassVar[dict[str, Any]] = {
        "keycloak_search_users": ({"max": 0}, "max"),
        "keycloak_list_admin_events": ({"operation_types": ["ERASE"]}, "operation_types.0"),
    }
    lazy_modules = ("keycloak",)

    @pytest.fixture(autouse=True)
    def _against_prism(self, double: KeycloakDouble, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(type(self), "settings", settings_table(double.base_url))


# --- loading --------------------------------------------------------------------------------


def test_importing_every_module_does_not_import_python_keycloak() -> None:
    code = (
        "import importlib, pkgutil, sys, mcpea_plugin_keycloak as p\n"
        "for m in pkgutil.iter_modules(p.__path__): importlib.import_module(f'{p.__name__}.{m.name}')\n"
        "print(sorted(n for n in sys.modules if n == 'keycloak' or n.startswith('keycloak.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"


# --- what the model and the policies see ----------------------------------------------------------


@pytest.mark.anyio
async def test_annotations_say_what_each_tool_does() -> None:
    hub = keycloak_hub()
    async with hub, hub.client() as client:
        tools = {
            tool.name: tool.annotations for tool in (await client.list_tools()).tools if tool.annotations
        }
    assert len(tools) == len(TOOLS) == 22
    assert {name for name, notes in tools.items() if notes.destructive_hint} == DESTRUCTIVE
    for name, notes in tools.items():
        reads = name.startswith(("keycloak_get_", "keycloak_list_", "keycloak_search_"))
        assert notes.read_only_hint is reads, name
        if reads:
            assert notes.idempotent_hint is True and notes.destructive_hint is False, name
    assert tools["keycloak_create_user"].idempotent_hint is False
    assert tools["keycloak_send_password_reset"].idempotent_hint is False


@pytest.mark.anyio
async def test_no_published_schema_has_a_password_property() -> None:
    hub = keycloak_hub()
    async with hub, hub.client() as client:
        tools = (await client.list_tools()).tools
    for tool in tools:
        for schema in (tool.input_schema, tool.output_schema):
            names = _property_names(schema or {})
            assert not [n for n in names if PASSWORDISH.search(n)], (tool.name, names)
        assert tool.output_schema is not None, tool.name  # every result is structured


def test_readme_tool_table_is_current() -> None:
    assert readme.main(["--check"]) == 0, "README.md is stale: run python -m mcpea_plugin_keycloak.readme"
    text = readme.README.read_text(encoding="utf-8")
    assert all(f"`{spec.name}`" in text for spec in TOOLS)
    assert readme.updated(text) == text


# --- settings -------------------------------------------------------------------------------


def test_settings_normalise_the_url_and_hide_the_secret() -> None:
    settings = KeycloakSettings.model_validate(settings_table("https://sso.example.com/auth"))
    assert settings.server_url == "https://sso.example.com/auth/"
    assert settings.token_realm == REALM and settings.verify is True
    assert SECRET not in repr(settings) and SECRET not in settings.model_dump_json()
    with pytest.raises(ValidationError, match="server_url"):
        KeycloakSettings.model_validate(settings_table("sso.example.com"))
    with pytest.raises(ValidationError, match="password"):
        KeycloakSettings.model_validate({**settings_table(), "password": "admin"})


@pytest.mark.anyio
async def test_an_incomplete_table_loads_but_every_call_says_what_is_missing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`mcpea validate` loads plugins with placeholder secrets only: the plugin must load; calls must not."""
    hub = Hub(HubConfig.model_validate({"plugins": {"keycloak": {"client_secret": SECRET, "realm": REALM}}}))
    with caplog.at_level(logging.WARNING):
        async with hub:
            result = await hub.call_tool("keycloak_search_users", {})
    assert result.is_error
    assert (
        text_of(result)
        == "The keycloak plugin is not configured: set server_url, client_id in [plugins.keycloak]."
    )
    assert "lacks server_url, client_id" in caplog.text


def test_the_admin_client_signs_in_with_client_credentials_and_retries_nothing() -> None:
    settings = KeycloakSettings.model_validate(settings_table(auth_realm="master", verify=False, timeout=7))
    admin = build_admin(settings)  # builds, sends nothing
    connection = admin.connection
    assert (connection.grant_type, connection.client_id, connection.client_secret_key) == (
        "client_credentials",
        CLIENT_ID,
        SECRET,
    )
    assert (connection.realm_name, connection.user_realm_name) == (REALM, "master")
    assert (connection.verify, connection.timeout, connection.token) == (False, 7, None)
    assert connection.username is None and connection.password is None
    for adapter in connection._s.adapters.values():
        assert getattr(adapter, "max_retries").total == 0  # noqa: B009 (BaseAdapter does not declare it)


# --- retries: one layer, and for writes none --------------------------------------------------


class DroppingServer:
    """Answers the token endpoint, then drops every other connection after reading the request.

    What a proxy timing out or a restarting Keycloak looks like: the request
    went out, no answer came back. ``seen`` lists the request lines.
    """

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                line = data.split(b"\r\n", 1)[0].decode()
                if "/protocol/openid-connect/token" in line:
                    body = json.dumps({"access_token": "t", "expires_in": 300}).encode()
                    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
                    conn.sendall(head.encode() + b"\r\nConnection: close\r\n\r\n" + body)
                    continue
                self.seen.append(line.rsplit(" ", 1)[0])


@pytest.fixture
def dropping() -> Iterator[DroppingServer]:
    server = DroppingServer()
    yield server
    server.sock.close()


@pytest.mark.anyio
async def test_a_write_whose_answer_is_lost_is_sent_once(dropping: DroppingServer) -> None:
    hub = keycloak_hub(dropping.base_url)
    async with hub:
        result = await hub.call_tool("keycloak_create_user", {"username": "ann", "send_email": False})
        reads = await hub.call_tool("keycloak_list_groups", {})
    assert result.is_error and reads.is_error
    text = text_of(result)
    assert "did not answer" in text and "may or may not have been made" in text
    assert dropping.seen == [
        f"POST /admin/realms/{REALM}/users",
        f"GET /admin/realms/{REALM}/groups?first=0&max=20&briefRepresentation=true",
    ]


def test_python_keycloaks_default_would_send_that_write_twice(dropping: DroppingServer) -> None:
    """Why the connector passes max_retries=0: the default mounts a urllib3 retry that allows POST."""
    from keycloak.exceptions import KeycloakConnectionError

    admin = direct_admin(dropping.base_url)  # python-keycloak's defaults: max_retries=1
    with pytest.raises(KeycloakConnectionError):
        admin.create_user({"username": "ann"})
    assert dropping.seen == [f"POST /admin/realms/{REALM}/users"] * 2


@pytest.mark.anyio
async def test_an_unreachable_keycloak_is_reported_as_nothing_sent() -> None:
    with socket.socket() as placeholder:  # a port nobody listens on
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]
    hub = keycloak_hub(f"http://127.0.0.1:{port}/")
    async with hub:
        result = await hub.call_tool("keycloak_get_user", {"user_id": USER_ID})
    assert result.is_error
    assert (
        text_of(result)
        == f"Could not reach Keycloak at http://127.0.0.1:{port}/ (ConnectionError); try again later."
    )


def _property_names(schema: Any) -> list[str]:
    """Every property name anywhere in a JSON Schema (nested models, $defs, items, anyOf)."""
    names: list[str] = []
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                names += list(value)
            names += _property_names(value)
    elif isinstance(schema, list):
        for item in schema:
            names += _property_names(item)
    return names
