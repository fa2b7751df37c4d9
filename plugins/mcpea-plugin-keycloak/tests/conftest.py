"""Fixtures of the Keycloak connector's tests (the helpers they use are in keycloak_testkit.py)."""

from __future__ import annotations

import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # keycloak_testkit, under --import-mode=importlib

from keycloak_testkit import FakeAdmin, KeycloakDouble, keycloak_hub
from mcpea_plugin_keycloak import KeycloakSettings

from mcpea_core import Hub


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _only_keycloak(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test loads the keycloak plugin alone, from its entry point, with no config file."""
    monkeypatch.setenv("MCPEA_LOAD_PLUGINS", "keycloak")
    monkeypatch.delenv("MCPEA_CONFIG", raising=False)


@pytest.fixture
def fake() -> FakeAdmin:
    return FakeAdmin()


@pytest.fixture
async def hub(fake: FakeAdmin) -> AsyncIterator[Hub]:
    """A started hub whose keycloak plugin uses ``fake`` instead of a real client."""
    made = keycloak_hub()
    settings = made.load().settings["keycloak"]
    assert isinstance(settings, KeycloakSettings)
    settings.use_admin(fake)
    async with made:
        yield made


@pytest.fixture(scope="session")
def keycloak_double() -> Iterator[KeycloakDouble]:
    """Prism on Keycloak's admin description behind the token front, for the whole session."""
    from doubles.prism import prism

    with prism("keycloak") as base:
        double = KeycloakDouble(base)
        thread = threading.Thread(
            target=double.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        thread.start()
        try:
            yield double
        finally:
            double.server.shutdown()
            double.server.server_close()


@pytest.fixture
def double(keycloak_double: KeycloakDouble) -> Iterator[KeycloakDouble]:
    """The session's Keycloak double, with an empty request log and no forced error."""
    keycloak_double.take()
    keycloak_double.prefer, keycloak_double.drop_authorization = None, False
    yield keycloak_double
    keycloak_double.prefer, keycloak_double.drop_authorization = None, False
