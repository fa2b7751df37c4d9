"""The authentication gate in front of the MCP endpoint: one credential in, a principal (or a refusal) out.

Credentials: ``Authorization: Bearer <JWT>`` when ``[auth.oauth]`` is
configured; an API key as ``Authorization: Bearer <key>`` or
``X-API-Key: <key>`` when ``[[auth.api_keys]]`` are. Exactly one credential
per request. A refusal is a 401 (403 for a missing scope) with a
``WWW-Authenticate: Bearer`` challenge that points to the RFC 9728 metadata
and a JSON body saying what was wrong; neither repeats the credential.

A request that passes goes on with the credential headers removed, the
principal in ``scope["mcpea.principal"]`` (what ``HubServer.principal``
reads) and the SDK's ``AuthenticatedUser`` in ``scope["user"]`` (so the
SDK binds each MCP session to the caller that opened it). The SDK's copy of
the token holds a fingerprint, not the token: nothing past this gate can
forward the caller's credential to a vendor API.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from starlette.authentication import AuthCredentials
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .failures import AuthFailure
from .keys import ApiKeyStore
from .principal import AuthPrincipal, api_key_principal
from .settings import AuthSection
from .tokens import JwtVerifier, access_token, fingerprint, looks_like_jwt

__all__ = ["PRINCIPAL_SCOPE_KEY", "AuthGate", "Authenticated", "Authenticator", "Challenge"]

logger = logging.getLogger("mcpea.auth")

PRINCIPAL_SCOPE_KEY = "mcpea.principal"
CREDENTIAL_HEADERS = frozenset({b"authorization", b"x-api-key"})
MAX_CREDENTIAL_CHARS = 16 * 1024


@dataclass(frozen=True)
class Authenticated:
    principal: AuthPrincipal
    access_token: AccessToken


class Authenticator:
    """Turns a request's headers into an :class:`Authenticated` caller or an :class:`AuthFailure`."""

    def __init__(self, section: AuthSection, resource_url: str) -> None:
        self.resource_url = resource_url
        oauth = section.oauth
        self.jwt = JwtVerifier(oauth, oauth.audiences or [resource_url]) if oauth is not None else None
        self.keys = ApiKeyStore(section.api_keys)
        ways = ["Authorization: Bearer <token>"] if self.jwt else []
        if self.keys:
            ways += ["Authorization: Bearer <API key>", "X-API-Key: <API key>"]
        self.how = "send " + " or ".join(ways)

    async def authenticate(self, headers: Headers) -> Authenticated:
        authorization = headers.getlist("authorization")
        api_keys = headers.getlist("x-api-key")
        if len(authorization) + len(api_keys) > 1:
            raise AuthFailure.malformed("send exactly one credential (one Authorization or X-API-Key header)")
        if api_keys:
            if not self.keys:
                raise AuthFailure.malformed("this hub does not accept API keys; " + self.how)
            return self._api_key(api_keys[0])
        if not authorization:
            raise AuthFailure.missing(self.how)
        scheme, _, credential = authorization[0].strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential or " " in credential:
            raise AuthFailure.malformed("the Authorization header must be 'Bearer <credential>'")
        if len(credential) > MAX_CREDENTIAL_CHARS:
            raise AuthFailure.malformed("the bearer credential is too long")
        if self.jwt is not None and looks_like_jwt(credential):
            principal = await self.jwt.verify(credential)
            token = access_token(principal, token_id=fingerprint(credential), resource=self.resource_url)
            return Authenticated(principal, token)
        if self.keys:
            return self._api_key(credential)
        raise AuthFailure("the bearer token is not a JWT")

    def _api_key(self, presented: str) -> Authenticated:
        key = self.keys.find(presented)
        if key is None:
            raise AuthFailure("unknown API key")
        principal = api_key_principal(key)
        return Authenticated(
            principal, access_token(principal, token_id=principal.id, resource=self.resource_url)
        )


def _quoted(text: str) -> str:
    """An RFC 7230 quoted-string body: no quotes, backslashes or control characters."""
    return "".join(c for c in text if c not in '"\\' and 0x20 <= ord(c) < 0x7F)


class Challenge:
    """Builds the refusal: status, ``WWW-Authenticate`` and a JSON body."""

    def __init__(self, *, metadata_url: str | None, required_scopes: tuple[str, ...] = ()) -> None:
        self.metadata_url = metadata_url
        self.required_scopes = required_scopes

    def header(self, failure: AuthFailure) -> str:
        params: list[str] = []
        if failure.error is not None:
            params.append(f'error="{_quoted(failure.error)}"')
            params.append(f'error_description="{_quoted(failure.description)}"')
        scopes = failure.scopes or self.required_scopes
        if scopes:
            params.append(f'scope="{_quoted(" ".join(scopes))}"')
        if self.metadata_url:
            params.append(f'resource_metadata="{_quoted(self.metadata_url)}"')
        else:
            params.insert(0, 'realm="mcpea"')
        return "Bearer " + ", ".join(params)

    def response(self, failure: AuthFailure) -> JSONResponse:
        body = {"error": failure.error or "unauthorized", "error_description": failure.description}
        if failure.status == 503:
            return JSONResponse(body, status_code=503, headers={"Retry-After": "30"})
        return JSONResponse(
            body, status_code=failure.status, headers={"WWW-Authenticate": self.header(failure)}
        )


class AuthGate:
    """ASGI middleware around the MCP endpoint; see the module docstring."""

    def __init__(self, app: ASGIApp, authenticator: Authenticator, challenge: Challenge) -> None:
        self.app = app
        self.authenticator = authenticator
        self.challenge = challenge

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            caller = await self.authenticator.authenticate(Headers(scope=scope))
        except AuthFailure as failure:
            client = scope.get("client")
            logger.info(
                "refused %s %s from %s: %s (%d)",
                scope.get("method"),
                scope.get("path"),
                client[0] if client else "?",
                failure.description,
                failure.status,
            )
            await self.challenge.response(failure)(scope, receive, send)
            return
        inner = dict(scope)
        inner["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() not in CREDENTIAL_HEADERS]
        inner["user"] = AuthenticatedUser(caller.access_token)
        inner["auth"] = AuthCredentials(caller.access_token.scopes)
        inner[PRINCIPAL_SCOPE_KEY] = caller.principal
        logger.debug(
            "authenticated %s (%s, %s)", caller.principal.id, caller.principal.kind, caller.principal.method
        )
        await self.app(inner, receive, send)
