"""The issuer's signing keys: discovered, fetched with httpx, cached, refreshed on an unknown ``kid``.

Keys are fetched on first use and trusted for ``jwks_cache_seconds``. A token
signed with a ``kid`` the cache does not know triggers one refresh (the
issuer may have rotated its keys), but at most one per
``jwks_min_refresh_seconds``: tokens with made-up ``kid`` values must not
turn the hub into a load generator against the identity provider.
Concurrent requests share one fetch. When a refresh fails, the keys already
known stay in use.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
from jwt import PyJWK
from jwt.exceptions import PyJWKError, PyJWTError

from .failures import AuthFailure
from .settings import OAuthSection, check_http_url

__all__ = ["JwksCache", "SigningKey"]

logger = logging.getLogger("mcpea.auth")

Clock = Callable[[], float]


@dataclass(frozen=True)
class SigningKey:
    """One verification key from the JWKS; ``alg`` is the JWK's own ``alg`` when it names one."""

    kid: str | None
    alg: str | None
    kty: str
    jwk: Mapping[str, Any]

    def for_algorithm(self, alg: str) -> Any:
        """The public key object for verifying ``alg``; ``None`` when this key cannot verify it."""
        if self.alg is not None and self.alg != alg:
            return None
        try:
            return PyJWK(dict(self.jwk), algorithm=alg).key
        except (PyJWKError, PyJWTError, ValueError, TypeError):
            return None


def _parse(document: Any) -> list[SigningKey]:
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document (no 'keys' list)")
    keys: list[SigningKey] = []
    for jwk in document["keys"]:
        if (
            not isinstance(jwk, dict)
            or jwk.get("use", "sig") != "sig"
            or jwk.get("kty") not in ("RSA", "EC", "OKP")
        ):
            continue  # encryption keys, symmetric keys and junk never verify anything
        if "d" in jwk:
            continue  # a private key published by mistake: refuse to use it
        keys.append(SigningKey(kid=jwk.get("kid"), alg=jwk.get("alg"), kty=str(jwk["kty"]), jwk=jwk))
    return keys


class JwksCache:
    """Finds the key for a token's ``kid`` and ``alg``; see the module docstring for the refresh rules."""

    def __init__(self, settings: OAuthSection, *, clock: Clock = time.monotonic) -> None:
        self.settings = settings
        self.clock = clock
        self.jwks_url = settings.jwks_url
        self._keys: list[SigningKey] = []
        self._prepared: dict[tuple[str | None, str], Any] = {}  # (kid, alg) -> public key object
        self._fetched_at: float | None = None
        self._last_attempt: float | None = None
        self._generation = 0  # fetch attempts ended; a request that saw an older one need not fetch again
        self._lock = anyio.Lock()

    async def key_for(self, kid: str | None, alg: str) -> Any:
        """The public key that verifies a token with this header, or an :class:`AuthFailure`."""
        seen = self._generation
        fetched = self._fetched_at
        stale = fetched is None or self.clock() - fetched > self.settings.jwks_cache_seconds
        key = None if stale else self._find(kid, alg)
        if key is None:
            reason = "first use" if fetched is None else "cache expired" if stale else "unknown kid"
            await self._refresh(seen, reason=reason)
            key = self._find(kid, alg)
        if key is None:
            if self._fetched_at is None:
                raise AuthFailure.unavailable(
                    "the issuer's signing keys cannot be fetched right now; try again later"
                )
            raise AuthFailure("no key in the issuer's JWKS matches the token's kid and alg")
        return key

    def _find(self, kid: str | None, alg: str) -> Any:
        if (kid, alg) in self._prepared:
            return self._prepared[(kid, alg)]
        key = self._select(kid, alg)
        if key is not None:
            self._prepared[(kid, alg)] = key
        return key

    def _select(self, kid: str | None, alg: str) -> Any:
        candidates = [k for k in self._keys if k.kid == kid] if kid is not None else self._keys
        if kid is None and len(candidates) != 1:
            return None  # without a kid, only an unambiguous single key may be used
        for candidate in candidates:
            key = candidate.for_algorithm(alg)
            if key is not None:
                return key
        return None

    def _may_refresh(self) -> bool:
        last = self._last_attempt
        return last is None or self.clock() - last >= self.settings.jwks_min_refresh_seconds

    async def _refresh(self, seen: int, *, reason: str) -> None:
        """Fetch the keys, unless a fetch ended since generation ``seen`` or the last one was too recent."""
        async with self._lock:
            if self._generation != seen:
                return  # a fetch ended while this request waited: use what it got
            if not self._may_refresh():
                return
            self._last_attempt = self.clock()
            try:
                keys = await self._fetch()
            except (httpx.HTTPError, ValueError) as exc:
                logger.warning("cannot fetch the JWKS of %s (%s): %s", self.settings.issuer, reason, exc)
                return
            else:
                self._keys = keys
                self._prepared = {}
                self._fetched_at = self.clock()
                logger.info("fetched %d signing key(s) from %s (%s)", len(keys), self.jwks_url, reason)
            finally:
                self._generation += 1

    async def _fetch(self) -> list[SigningKey]:
        timeout = self.settings.http_timeout
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
            if self.jwks_url is None:
                self.jwks_url = await self._discover(client)
            response = await client.get(self.jwks_url, headers={"Accept": "application/json"})
            response.raise_for_status()
            return _parse(response.json())

    async def _discover(self, client: httpx.AsyncClient) -> str:
        issuer = self.settings.issuer
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        response = await client.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        document = response.json()
        if not isinstance(document, dict) or document.get("issuer") != issuer:
            raise ValueError(f"the discovery document at {url} names another issuer")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise ValueError(f"the discovery document at {url} has no jwks_uri")
        return check_http_url(jwks_uri, what="jwks_uri", allow_http=self.settings.allow_http)
