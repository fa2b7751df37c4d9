"""Putting authentication into the hub's HTTP app: the gate, the RFC 9728 metadata, the RBAC plugin.

Why the hub's own gate and not ``Server.streamable_http_app(auth=...,
token_verifier=...)``: the SDK's ``BearerAuthBackend`` reduces every refusal
to ``None`` and its ``RequireAuthMiddleware`` then answers "Authentication
required" whatever went wrong; it reads only the ``Authorization`` header
(no ``X-API-Key``), and it leaves the caller's token in the request the
handlers see. The hub reuses the SDK's metadata routes, its metadata URL
rule and its ``AuthenticatedUser`` (for session binding).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mcp.server.auth.routes import build_resource_metadata_url, create_protected_resource_routes
from pydantic import AnyHttpUrl
from starlette.routing import Route

from ..errors import ConfigError
from .gate import Authenticator, AuthGate, Challenge
from .rbac import RBAC_PLUGIN, RbacPlugin
from .settings import AuthSection, is_loopback_host

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from ..hub import Hub

__all__ = ["HttpAuth", "install_rbac", "resource_url_for"]


def resource_url_for(section: AuthSection, *, host: str, port: int, path: str) -> str:
    """The configured ``resource_url``, else ``http://host:port/path`` when serving on loopback."""
    if section.resource_url is not None:
        return section.resource_url
    if not is_loopback_host(host):
        raise ConfigError(
            f"set auth.resource_url to this hub's public MCP URL (serving on {host}, the hub cannot guess it;"
            " tokens must name it in their audience)",
            key="auth.resource_url",
        )
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    return f"http://{shown}:{port}{path}"


class HttpAuth:
    """Authentication for one HTTP app: the routes to add and the gate to put around the MCP endpoint."""

    def __init__(self, section: AuthSection, *, resource_url: str, resource_name: str | None = None) -> None:
        self.section = section
        self.resource_url = resource_url
        self.resource_name = section.resource_name or resource_name
        self.authenticator = Authenticator(section, resource_url)
        oauth = section.oauth
        self.metadata_url = str(build_resource_metadata_url(AnyHttpUrl(resource_url))) if oauth else None
        required = tuple(oauth.required_scopes) if oauth else ()
        self.challenge = Challenge(metadata_url=self.metadata_url, required_scopes=required)

    def routes(self) -> list[Route]:
        """RFC 9728 protected resource metadata (OAuth only: it names the authorization server)."""
        oauth = self.section.oauth
        if oauth is None:
            return []
        return list(
            create_protected_resource_routes(
                resource_url=AnyHttpUrl(self.resource_url),
                authorization_servers=[AnyHttpUrl(oauth.issuer)],
                scopes_supported=list(oauth.required_scopes) or None,
                resource_name=self.resource_name,
            )
        )

    def protect(self, app: Starlette, path: str) -> None:
        """Put the gate around the route serving MCP at ``path``."""
        for route in app.router.routes:
            if isinstance(route, Route) and route.path == path:
                route.app = AuthGate(route.app, self.authenticator, self.challenge)
                return
        raise RuntimeError(f"no MCP route at {path!r} to protect")


def install_rbac(hub: Hub) -> None:
    """Register the RBAC plugin for ``hub.config.auth`` unless there is none or the hub already has it."""
    auth = getattr(hub.config, "auth", None)
    if auth is not None and hub.host.pm.get_plugin(RBAC_PLUGIN) is None:
        hub.host.register(RbacPlugin(auth), RBAC_PLUGIN, status="builtin", module=RbacPlugin.__module__)
