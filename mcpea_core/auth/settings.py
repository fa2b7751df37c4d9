"""The ``[auth]`` section of ``mcpea.toml``: who may call the hub over HTTP, and which tools they get.

No ``[auth]`` section: ``mcpea serve --transport http`` is unauthenticated
(fine on loopback only). With one, every request to the MCP endpoint needs
an OAuth 2.1 bearer JWT, an API key, or either::

    [auth]
    resource_url = "https://hub.example.com/mcp"  # this hub's public MCP URL; tokens must name it in `aud`

    [auth.oauth]                                   # bearer JWTs from one issuer (Keycloak realm, ...)
    issuer = "https://sso.example.com/realms/acme"
    # jwks_url = "..."                             # default: from the issuer's OIDC discovery document
    # audiences = ["https://hub.example.com/mcp"]  # default: [resource_url]
    algorithms = ["RS256", "ES256"]                # asymmetric only
    required_scopes = ["mcp:tools"]                # missing one: 403 insufficient_scope
    clock_skew = 60                                # seconds of leeway on exp / nbf / iat

    [[auth.api_keys]]                              # for small deployments and bots
    id = "ci-bot"
    sha256 = "<hex>"                               # `mcpea auth hash-key`; never the key itself
    roles = ["reader"]

    [auth.rbac]                                    # subject -> tool-name globs it may use
    "role:payments-admin" = ["stripe_*"]
    "scope:mcp:read" = ["*_get_*", "*_list_*"]
    "group:/ops" = ["*"]
    # default = "deny"                             # "allow": every authenticated caller gets every tool

Subjects are ``role:<role>`` (realm roles as is, client roles as
``<client>:<role>``), ``scope:<scope>``, ``group:<group>``,
``principal:<id>`` and ``kind:<user|service>``. A caller may use the union
of the globs of every subject it has. With ``default = "deny"`` (the
default) a caller no grant names sees no tools at all.

This module imports nothing from the rest of ``mcpea_core`` so that
``mcpea_core.config`` can import it.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "ASYMMETRIC_ALGORITHMS",
    "ApiKey",
    "AuthSection",
    "OAuthSection",
    "RbacSection",
    "check_http_url",
    "is_loopback_host",
]

ASYMMETRIC_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
Algorithm = Literal["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
DEFAULT_ALGORITHMS: tuple[Algorithm, ...] = ("RS256", "ES256")
SUBJECT_KINDS = ("role", "scope", "group", "principal", "kind")
_SUBJECT = re.compile(rf"^({'|'.join(SUBJECT_KINDS)}):.+$")

NonEmpty = Annotated[str, Field(min_length=1)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def is_loopback_host(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ``::1`` (brackets allowed)."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_http_url(value: str, *, what: str, allow_http: bool = True) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{what} must be an http(s) URL")
    if parts.scheme == "http" and not allow_http and not is_loopback_host(parts.hostname):
        raise ValueError(
            f"{what} must use https (plain http is accepted for loopback hosts only; "
            "set auth.oauth.allow_http = true to permit it)"
        )
    if parts.fragment:
        raise ValueError(f"{what} must not have a #fragment")
    return value


class OAuthSection(_Section):
    """Bearer JWTs signed by one issuer, checked against its JWKS."""

    issuer: str = Field(
        description="The issuer (`iss`) exactly as it appears in tokens, e.g. a Keycloak realm URL."
    )
    jwks_url: str | None = Field(
        default=None, description="The issuer's JWKS; default: `jwks_uri` from its OIDC discovery document."
    )
    audiences: list[NonEmpty] = Field(
        default_factory=list,
        description="Accepted `aud` values; default: the hub's resource_url (RFC 8707 audience binding).",
    )
    algorithms: list[Algorithm] = Field(
        default_factory=lambda: list(DEFAULT_ALGORITHMS),
        min_length=1,
        description="Accepted signature algorithms.",
    )
    required_scopes: list[NonEmpty] = Field(
        default_factory=list,
        description="Scopes every token must carry; a missing one is 403 insufficient_scope.",
    )
    clock_skew: float = Field(
        default=60.0, ge=0, le=600, description="Seconds of leeway on exp, nbf and iat."
    )
    jwks_cache_seconds: float = Field(default=3600.0, gt=0, description="How long fetched keys are trusted.")
    jwks_min_refresh_seconds: float = Field(
        default=30.0, ge=0, description="Least time between JWKS refreshes triggered by an unknown `kid`."
    )
    http_timeout: float = Field(
        default=5.0, gt=0, le=60, description="Seconds for discovery and JWKS requests."
    )
    role_claims: list[NonEmpty] = Field(
        default_factory=lambda: ["realm_access.roles", "roles"],
        description="Dotted paths of claims listing role names (Keycloak realm roles, Entra `roles`).",
    )
    client_roles_claim: str | None = Field(
        default="resource_access",
        description="Claim mapping client -> {roles: [...]} (Keycloak); null ignores client roles.",
    )
    client_role_format: str = Field(
        default="{client}:{role}", description="How a client role is named; '{role}' drops the client."
    )
    groups_claim: str | None = Field(default="groups", description="Claim holding the caller's groups.")
    allow_http: bool = Field(
        default=False,
        description="Accept plain-http issuer and JWKS URLs on non-loopback hosts (not advised).",
    )

    @field_validator("issuer")
    @classmethod
    def _issuer_url(cls, value: str) -> str:
        return check_http_url(value, what="issuer")

    @field_validator("client_role_format")
    @classmethod
    def _format(cls, value: str) -> str:
        if "{role}" not in value:
            raise ValueError("must contain '{role}'")
        try:
            value.format(client="c", role="r")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"only {{client}} and {{role}} may be used ({exc})") from None
        return value

    @model_validator(mode="after")
    def _transport(self) -> OAuthSection:
        check_http_url(self.issuer, what="issuer", allow_http=self.allow_http)
        if self.jwks_url is not None:
            check_http_url(self.jwks_url, what="jwks_url", allow_http=self.allow_http)
        return self


class ApiKey(_Section):
    """One API key, stored as the SHA-256 of the key (``mcpea auth hash-key``)."""

    id: str = Field(
        pattern=r"^[A-Za-z0-9_.@-]{1,64}$", description="Names the caller: principal id `api-key:<id>`."
    )
    sha256: str = Field(description="Hex SHA-256 of the key.")
    roles: list[NonEmpty] = Field(default_factory=list)
    scopes: list[NonEmpty] = Field(default_factory=list)
    groups: list[NonEmpty] = Field(default_factory=list)
    kind: Literal["service", "user"] = "service"

    @field_validator("sha256")
    @classmethod
    def _hex(cls, value: str) -> str:
        value = value.strip().lower()
        if not re.fullmatch(r"[0-9a-f]{64}", value):
            raise ValueError(
                "must be 64 hex digits (the output of `mcpea auth hash-key`), not the key itself"
            )
        return value


class RbacSection(_Section):
    """Which tools each subject may use; see the module docstring."""

    default: Literal["deny", "allow"] = Field(
        default="deny",
        description="`allow`: every authenticated caller may use every tool (grants must be empty).",
    )
    grants: dict[str, list[NonEmpty]] = Field(
        default_factory=dict, description="Subject (`role:x`, `scope:x`, `group:x`, ...) -> tool-name globs."
    )

    @model_validator(mode="before")
    @classmethod
    def _flat_grants(cls, data: Any) -> Any:
        """Accept grants written directly in ``[auth.rbac]`` next to ``default``."""
        if not isinstance(data, dict):
            return data
        grants = dict(data.get("grants") or {})
        rest: dict[str, Any] = {}
        for key, value in data.items():
            if key != "grants" and ":" in str(key):
                grants[key] = [value] if isinstance(value, str) else value
            elif key != "grants":
                rest[key] = value
        return {**rest, "grants": grants}

    @field_validator("grants")
    @classmethod
    def _subjects(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for subject in value:
            if not _SUBJECT.match(subject):
                raise ValueError(
                    f"{subject!r} is not a subject: use role:<role>, scope:<scope>, group:<group>, "
                    "principal:<id> or kind:<user|service>"
                )
        return value

    @model_validator(mode="after")
    def _allow_has_no_grants(self) -> RbacSection:
        if self.default == "allow" and self.grants:
            raise ValueError('default = "allow" already grants every tool: remove the grants or use "deny"')
        return self


class AuthSection(_Section):
    """The whole ``[auth]`` section; at least one of ``oauth`` and ``api_keys`` is required."""

    resource_url: str | None = Field(
        default=None,
        description="This hub's public MCP URL (the token audience and RFC 9728 `resource`); "
        "default http://<host>:<port><path>, on loopback only.",
    )
    resource_name: str | None = Field(default=None, description="Shown to clients in the RFC 9728 metadata.")
    oauth: OAuthSection | None = None
    api_keys: list[ApiKey] = Field(default_factory=list)
    rbac: RbacSection = Field(default_factory=RbacSection)

    @field_validator("resource_url")
    @classmethod
    def _resource(cls, value: str | None) -> str | None:
        if value is None:
            return None
        check_http_url(value, what="resource_url")
        if urlsplit(value).query:
            raise ValueError("resource_url must not have a query")
        return value

    @model_validator(mode="after")
    def _something_to_check(self) -> AuthSection:
        if self.oauth is None and not self.api_keys:
            raise ValueError(
                "configure auth.oauth, or at least one auth.api_keys entry, or remove the auth section"
            )
        ids = [key.id for key in self.api_keys]
        hashes = [key.sha256 for key in self.api_keys]
        duplicate = next((i for i in ids if ids.count(i) > 1), None)
        if duplicate is not None:
            raise ValueError(f"api key id {duplicate!r} is used twice")
        if len(set(hashes)) != len(hashes):
            raise ValueError("two api keys have the same sha256")
        return self
