"""MC-PEA connector for Keycloak administration, on python-keycloak.

Users (create, get, search, update, enable, disable, password-reset e-mail),
realm and client roles, groups and their members, clients, user sessions and
admin events of one realm. Configure it in ``mcpea.toml``::

    [plugins.keycloak]
    server_url = "https://sso.example.com/"
    realm = "acme"
    client_id = "mcpea-admin"
    client_secret = { env = "KEYCLOAK_CLIENT_SECRET" }

python-keycloak is imported on the first tool call, not when the hub loads
plugins; a tool's module when the hub first needs that tool (the tools are
registered by reference, see :mod:`.tools`).
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel

from mcpea_core import hookimpl

from ._version import __version__
from .settings import KeycloakSettings
from .tools import TOOLS

__all__ = ["KeycloakSettings", "__version__"]

logger = logging.getLogger(__name__)


@hookimpl
def settings_model() -> type[BaseModel]:
    return KeycloakSettings


@hookimpl
def register_tools(register: Any) -> None:
    for spec in TOOLS:
        register(spec.fn, annotations=spec.annotations)


@hookimpl
def startup(hub: Any) -> None:
    for settings in hub.settings.values():
        if isinstance(settings, KeycloakSettings) and settings.missing():
            missing = ", ".join(settings.missing())
            logger.warning(
                "keycloak: [plugins.keycloak] lacks %s: every keycloak tool will refuse to run", missing
            )


@hookimpl
async def shutdown(hub: Any) -> None:
    for settings in hub.settings.values():
        if isinstance(settings, KeycloakSettings):
            await settings.aclose()
