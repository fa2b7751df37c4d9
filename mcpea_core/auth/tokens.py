"""Bearer JWTs: the checks an OAuth 2.1 resource server owes (RFC 9068, RFC 8725, MCP authorization).

In order, so that nothing about the claims is revealed before the signature
holds: the header parses; its ``alg`` is one of the configured asymmetric
algorithms (``none`` and HS256-with-the-public-key never are); the key is the
issuer's for that ``kid`` and ``alg``; the signature verifies; ``iss`` is the
configured issuer; ``exp`` is present and not past, ``nbf`` and ``iat`` not
in the future (both with ``clock_skew`` leeway); ``aud`` names this hub
(audience binding, checked here rather than by the SDK so the refusal can
say so); and finally the required scopes are present (403, not 401).
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import jwt
from jwt.exceptions import (
    DecodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidIssuerError,
    InvalidKeyError,
    InvalidSignatureError,
    InvalidTokenError,
    MissingRequiredClaimError,
)
from mcp.server.auth.provider import AccessToken

from .failures import AuthFailure
from .jwks import JwksCache
from .principal import AuthPrincipal, token_principal
from .settings import OAuthSection

__all__ = ["JwtVerifier", "access_token", "fingerprint", "looks_like_jwt", "same_resource"]

logger = logging.getLogger("mcpea.auth")

_JWT_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


def looks_like_jwt(token: str) -> bool:
    """Three base64url segments (the last may be empty, as in ``alg: none``)."""
    return _JWT_SHAPE.match(token) is not None


def same_resource(a: str, b: str) -> bool:
    """Resource URLs are equal when they differ only by a trailing slash or the case of scheme and host."""

    def norm(url: str) -> tuple[str, str, str]:
        parts = urlsplit(url.strip())
        return (
            parts.scheme.lower(),
            parts.netloc.lower(),
            parts.path.rstrip("/") + (f"?{parts.query}" if parts.query else ""),
        )

    return norm(a) == norm(b)


class JwtVerifier:
    """Verifies bearer JWTs from one issuer for one set of audiences.

    :meth:`verify` returns the caller's principal or raises
    :class:`AuthFailure` saying why. It also satisfies the SDK's
    ``TokenVerifier`` protocol (:meth:`verify_token`), for applications that
    wire the SDK's own auth middleware instead of the hub's.
    """

    def __init__(
        self, settings: OAuthSection, audiences: list[str], *, jwks: JwksCache | None = None
    ) -> None:
        if not audiences:
            raise ValueError("at least one audience is required")
        self.settings = settings
        self.audiences = audiences
        self.jwks = jwks or JwksCache(settings)

    async def verify(self, token: str) -> AuthPrincipal:
        claims = await self.claims(token)
        principal = token_principal(claims, self.settings)
        missing = tuple(s for s in self.settings.required_scopes if s not in principal.scopes)
        if missing:
            raise AuthFailure.insufficient_scope(missing)
        return principal

    async def claims(self, token: str) -> dict[str, Any]:
        """The verified claims; every check but the scopes."""
        try:
            header = jwt.get_unverified_header(token)
        except (DecodeError, InvalidTokenError):
            raise AuthFailure("the bearer token is not a well-formed JWT") from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.settings.algorithms:
            allowed = ", ".join(self.settings.algorithms)
            raise AuthFailure(f"the token's signing algorithm is not accepted (accepted: {allowed})")
        kid = header.get("kid")
        key = await self.jwks.key_for(kid if isinstance(kid, str) else None, alg)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[alg],
                issuer=self.settings.issuer,
                leeway=self.settings.clock_skew,
                options={"require": ["exp", "iss"], "verify_aud": False},
            )
        except (InvalidSignatureError, InvalidKeyError):
            raise AuthFailure("the token's signature does not verify") from None
        except ExpiredSignatureError:
            raise AuthFailure("the token has expired") from None
        except ImmatureSignatureError:
            raise AuthFailure("the token is not valid yet (nbf or iat is in the future)") from None
        except InvalidIssuerError:
            raise AuthFailure(f"the token was not issued by {self.settings.issuer}") from None
        except MissingRequiredClaimError as exc:
            raise AuthFailure(f"the token has no {exc.claim!r} claim") from None
        except InvalidTokenError:
            raise AuthFailure("the token's claims are malformed") from None
        self._check_audience(claims)
        return claims

    def _check_audience(self, claims: Mapping[str, Any]) -> None:
        aud = claims.get("aud")
        values = (
            [aud]
            if isinstance(aud, str)
            else [a for a in aud if isinstance(a, str)]
            if isinstance(aud, list)
            else []
        )
        if not any(same_resource(value, expected) for value in values for expected in self.audiences):
            expected = " or ".join(self.audiences)
            raise AuthFailure(f"the token's audience (aud) is not this hub: expected {expected}")

    async def verify_token(self, token: str) -> AccessToken | None:
        """The SDK ``TokenVerifier`` protocol: ``None`` for any refused token (the reason is logged)."""
        try:
            principal = await self.verify(token)
        except AuthFailure as failure:
            logger.info("refused a bearer token: %s", failure.description)
            return None
        return access_token(principal, token_id=fingerprint(token), resource=self.audiences[0])


def fingerprint(credential: str) -> str:
    """A short, non-reversible name for a credential, for correlating without keeping it."""
    return "sha256:" + hashlib.sha256(credential.encode("utf-8")).hexdigest()[:16]


def access_token(principal: AuthPrincipal, *, token_id: str, resource: str | None) -> AccessToken:
    """The SDK's view of an authenticated caller (session ownership keys on it).

    ``token`` holds a fingerprint, not the credential: nothing downstream of
    the authentication middleware needs the credential, so nothing gets it.
    """
    claims = principal.claims
    client = claims.get("azp") or claims.get("client_id") or principal.id
    expires = claims.get("exp")
    return AccessToken(
        token=token_id,
        client_id=str(client),
        scopes=sorted(principal.scopes),
        expires_at=int(expires) if isinstance(expires, int | float) else None,
        resource=resource,
        subject=principal.id,
        claims={"iss": claims["iss"]} if "iss" in claims else None,
    )
