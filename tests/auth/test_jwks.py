"""The JWKS cache: discovery, which keys count, expiry, and one fetch for many waiting requests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from auth.support import REALM, Issuer, rsa_key, serve_issuer

from mcpea_core.auth import OAuthSection
from mcpea_core.auth.failures import AuthFailure
from mcpea_core.auth.jwks import JwksCache, _parse

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def issuer() -> AsyncIterator[Issuer]:
    async with serve_issuer(Issuer()) as served:
        yield served


def cache(issuer: Issuer, clock: Clock | None = None, **oauth: Any) -> JwksCache:
    return JwksCache(OAuthSection(issuer=issuer.url, **oauth), **({"clock": clock} if clock else {}))


def test_only_public_signing_keys_count() -> None:
    good = rsa_key("good").public_jwk
    keys = _parse(
        {
            "keys": [
                good,
                {**rsa_key("enc").public_jwk, "use": "enc", "alg": "RSA-OAEP"},  # Keycloak publishes one
                {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
                {**good, "kid": "leaked", "d": "private-part"},
                "junk",
            ]
        }
    )
    assert [k.kid for k in keys] == ["good"]
    with pytest.raises(ValueError, match="not a JWKS"):
        _parse({"no": "keys"})


async def test_discovery_then_keys_then_cache(issuer: Issuer) -> None:
    jwks = cache(issuer)
    kid = issuer.keys[0].kid
    assert await jwks.key_for(kid, "RS256") is not None
    assert await jwks.key_for(kid, "RS256") is not None
    assert (issuer.discovery_fetches, issuer.jwks_fetches) == (1, 1)
    assert jwks.jwks_url == f"{issuer.url}/protocol/openid-connect/certs"


async def test_a_configured_jwks_url_skips_discovery(issuer: Issuer) -> None:
    jwks = cache(issuer, jwks_url=f"{issuer.url}/protocol/openid-connect/certs")
    await jwks.key_for(issuer.keys[0].kid, "RS256")
    assert (issuer.discovery_fetches, issuer.jwks_fetches) == (0, 1)


async def test_discovery_must_name_the_same_issuer(issuer: Issuer) -> None:
    jwks = JwksCache(OAuthSection(issuer=issuer.url.replace(REALM, "/realms/other")))
    with pytest.raises(AuthFailure) as info:
        await jwks.key_for("any", "RS256")
    assert info.value.status == 503


async def test_keys_expire(issuer: Issuer) -> None:
    clock = Clock()
    jwks = cache(issuer, clock, jwks_cache_seconds=600)
    await jwks.key_for(issuer.keys[0].kid, "RS256")
    clock.now += 601
    await jwks.key_for(issuer.keys[0].kid, "RS256")
    assert issuer.jwks_fetches == 2


async def test_refreshes_are_rate_limited(issuer: Issuer) -> None:
    clock = Clock()
    jwks = cache(issuer, clock, jwks_min_refresh_seconds=30)
    await jwks.key_for(issuer.keys[0].kid, "RS256")
    new = issuer.rotate()
    clock.now += 10
    with pytest.raises(AuthFailure, match="no key in the issuer's JWKS"):
        await jwks.key_for(new.kid, "RS256")  # too soon after the last fetch to ask again
    clock.now += 25
    assert await jwks.key_for(new.kid, "RS256") is not None
    assert issuer.jwks_fetches == 2


async def test_waiting_requests_share_one_refresh(issuer: Issuer) -> None:
    jwks = cache(issuer, jwks_min_refresh_seconds=0)
    await jwks.key_for(issuer.keys[0].kid, "RS256")
    new = issuer.rotate()
    found: list[object] = []

    async def lookup() -> None:
        found.append(await jwks.key_for(new.kid, "RS256"))

    async with anyio.create_task_group() as tg:
        for _ in range(10):
            tg.start_soon(lookup)
    assert len(found) == 10 and all(found)
    assert issuer.jwks_fetches == 2


async def test_a_request_arriving_during_a_fetch_waits_for_it(issuer: Issuer) -> None:
    """Even rate-limited, a request that finds a fetch in flight gets that fetch's keys, not a 401."""
    clock = Clock()
    jwks = cache(issuer, clock)  # default: at most one refresh per 30 s
    await jwks.key_for(issuer.keys[0].kid, "RS256")
    new = issuer.rotate()
    clock.now += 31
    issuer.hold = anyio.Event()
    found: list[object] = []

    async def lookup() -> None:
        found.append(await jwks.key_for(new.kid, "RS256"))

    async with anyio.create_task_group() as tg:
        tg.start_soon(lookup)
        with anyio.fail_after(5):
            while issuer.jwks_fetches < 2:  # the first lookup's refresh has reached the issuer
                await anyio.sleep(0.01)
        tg.start_soon(lookup)
        with anyio.fail_after(5):
            while jwks._lock.statistics().tasks_waiting < 1:  # the second lookup waits for the fetch
                await anyio.sleep(0.01)
        issuer.hold.set()
    assert len(found) == 2 and all(found)
    assert issuer.jwks_fetches == 2


async def test_a_key_serves_only_its_own_algorithm(issuer: Issuer) -> None:
    jwks = cache(issuer, algorithms=["RS256", "PS256"])
    with pytest.raises(AuthFailure):
        await jwks.key_for(issuer.keys[0].kid, "PS256")  # the JWK says alg RS256


async def test_a_token_without_kid_needs_an_unambiguous_key(issuer: Issuer) -> None:
    jwks = cache(issuer, jwks_min_refresh_seconds=3600)
    assert await jwks.key_for(None, "RS256") is not None
    issuer.keys.append(rsa_key("second"))
    ambiguous = cache(issuer, jwks_min_refresh_seconds=3600)
    with pytest.raises(AuthFailure):
        await ambiguous.key_for(None, "RS256")
