"""The ``[plugins.keycloak]`` table of ``mcpea.toml``, and the one admin client it configures.

::

    [plugins.keycloak]
    server_url = "https://sso.example.com/"
    realm = "acme"
    client_id = "mcpea-admin"
    client_secret = { env = "KEYCLOAK_CLIENT_SECRET" }

The hub signs in as the service account of a confidential client
(OAuth 2.0 client credentials); give that account only the
``realm-management`` roles its tools need (``view-users``, ``manage-users``,
``view-clients``, ``view-events``).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, field_validator

if TYPE_CHECKING:
    from keycloak import KeycloakAdmin

__all__ = ["REQUIRED_SETTINGS", "KeycloakSettings"]

REQUIRED_SETTINGS = ("server_url", "realm", "client_id")


class KeycloakSettings(BaseModel):
    """Settings of the Keycloak connector: where Keycloak is, which realm, which client signs in."""

    model_config = ConfigDict(extra="forbid")

    # Required, but given no default rather than a guess: empty means "not set", which a call reports
    # (see missing()); the hub still loads, so `mcpea validate` can check the plugin without a Keycloak.
    server_url: str = Field(
        default="",
        description="Required. Keycloak's base URL, e.g. https://sso.example.com/ (ending /auth/ up to "
        "Keycloak 16).",
    )
    realm: str = Field(default="", description="Required. The realm the tools administer.")
    client_id: str = Field(
        default="",
        description="Required. clientId of the confidential client whose service account the hub uses.",
    )
    client_secret: SecretStr = Field(
        description='That client\'s secret; write it as { env = "KEYCLOAK_CLIENT_SECRET" }.'
    )
    auth_realm: str | None = Field(
        default=None,
        min_length=1,
        description="Realm the client lives in, when not the administered realm (e.g. master).",
    )
    verify: bool = Field(default=True, description="Verify Keycloak's TLS certificate.")
    timeout: int = Field(
        default=20, ge=1, le=300, description="Seconds to wait for Keycloak on each request."
    )

    _admin: KeycloakAdmin | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _token_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @field_validator("server_url")
    @classmethod
    def _check_server_url(cls, value: str) -> str:
        if not value:
            return value
        if not value.startswith(("https://", "http://")):
            raise ValueError("must start with https:// (or http:// for a local Keycloak)")
        # python-keycloak joins paths with urljoin: without the slash a context path (/auth) is dropped.
        return value if value.endswith("/") else value + "/"

    def missing(self) -> list[str]:
        """The required settings that are not set."""
        return [name for name in REQUIRED_SETTINGS if not getattr(self, name)]

    @property
    def token_realm(self) -> str:
        """The realm whose token endpoint the client signs in at."""
        return self.auth_realm or self.realm

    def admin(self) -> KeycloakAdmin:
        """The shared ``KeycloakAdmin``, built on first use (python-keycloak is imported then)."""
        with self._lock:
            if self._admin is None:
                from .client import build_admin

                self._admin = build_admin(self)
            return self._admin

    def use_admin(self, admin: Any) -> None:
        """Use ``admin`` instead of building one: for tests and applications that bring their own."""
        with self._lock:
            self._admin = admin

    @property
    def token_lock(self) -> threading.Lock:
        """Held while the client fetches a token, so that concurrent calls fetch one, not one each."""
        return self._token_lock

    async def aclose(self) -> None:
        """Close the client's connections, if one was built."""
        with self._lock:
            admin, self._admin = self._admin, None
        if admin is not None:
            from .client import close_admin

            await close_admin(admin)
