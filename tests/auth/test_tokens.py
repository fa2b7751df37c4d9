"""The token cases a resource server must refuse, over real HTTP, each with its challenge and no tool run.

Every refused request is a ``tools/call`` of a destructive tool on a
stateless hub, which would run the tool at once if the gate let it through
(the positive control proves it does for a good token).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from auth.support import (
    Issuer,
    Recorder,
    auth_hub,
    bearer,
    call_message,
    oauth_section,
    post,
    rpc_result,
    rsa_key,
    serve_hub,
    serve_issuer,
)

pytestmark = pytest.mark.anyio

CALL = call_message("vault_delete_secret", {"name": "prod-db"})


@dataclass
class Served:
    issuer: Issuer
    url: str
    recorder: Recorder

    @property
    def metadata_url(self) -> str:
        return self.url.replace("/mcp", "/.well-known/oauth-protected-resource/mcp")


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    async with serve_issuer(Issuer()) as issuer:
        auth = oauth_section(issuer, required_scopes=["mcp:tools"])
        hub, recorder = auth_hub(auth, stateless=True, json_response=True)
        async with serve_hub(hub) as url:
            yield Served(issuer, url, recorder)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_with_public_key(s: Served) -> str:
    """The algorithm-confusion attack: HMAC-sign with the issuer's public key as the shared secret."""
    header = {"alg": "HS256", "typ": "JWT", "kid": s.issuer.keys[0].kid}
    payload = s.issuer.claims(s.url)
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    signature = hmac.new(s.issuer.keys[0].public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def alg_none(s: Served) -> str:
    return jwt.encode(s.issuer.claims(s.url), "", algorithm="none", headers={"kid": s.issuer.keys[0].kid})


def bad_signature(s: Served) -> str:
    """Signed by another key that claims the issuer's kid."""
    impostor = rsa_key(s.issuer.keys[0].kid)
    return s.issuer.mint(s.url, key=impostor)


def unknown_kid(s: Served) -> str:
    return s.issuer.mint(s.url, key=rsa_key("not-in-the-jwks"))


NOW = int(time.time())
Case = Callable[[Served], dict[str, str]]

# name -> (headers, status, error code in WWW-Authenticate (None: none), words of the reason)
CASES: dict[str, tuple[Case, int, str | None, str]] = {
    "missing header": (lambda s: {}, 401, None, "no credentials"),
    "malformed header (scheme)": (lambda s: {"Authorization": "Token abc"}, 401, "invalid_request", "Bearer"),
    "malformed header (empty)": (lambda s: {"Authorization": "Bearer"}, 401, "invalid_request", "Bearer"),
    "malformed header (two parts)": (
        lambda s: {"Authorization": "Bearer a b"},
        401,
        "invalid_request",
        "Bearer",
    ),
    "malformed token": (lambda s: bearer("not.a.jwt"), 401, "invalid_token", "not a well-formed JWT"),
    "bad signature": (lambda s: bearer(bad_signature(s)), 401, "invalid_token", "signature does not verify"),
    "alg none": (lambda s: bearer(alg_none(s)), 401, "invalid_token", "algorithm is not accepted"),
    "HS256 with the RSA public key": (
        lambda s: bearer(hs256_with_public_key(s)),
        401,
        "invalid_token",
        "algorithm is not accepted",
    ),
    "unknown kid": (lambda s: bearer(unknown_kid(s)), 401, "invalid_token", "matches the token's kid"),
    "expired": (
        lambda s: bearer(s.issuer.mint(s.url, exp=int(time.time()) - 120, iat=int(time.time()) - 900)),
        401,
        "invalid_token",
        "expired",
    ),
    "not yet valid (nbf)": (
        lambda s: bearer(s.issuer.mint(s.url, nbf=int(time.time()) + 600)),
        401,
        "invalid_token",
        "not valid yet",
    ),
    "wrong issuer": (
        lambda s: bearer(s.issuer.mint(s.url, iss="https://sso.evil.example/realms/acme")),
        401,
        "invalid_token",
        "not issued by",
    ),
    "wrong audience": (
        lambda s: bearer(s.issuer.mint(s.url, aud="https://other-hub.example.com/mcp")),
        401,
        "invalid_token",
        "audience",
    ),
    "no audience": (lambda s: bearer(s.issuer.mint(s.url, aud=None)), 401, "invalid_token", "audience"),
    "no expiry": (lambda s: bearer(s.issuer.mint(s.url, exp=None)), 401, "invalid_token", "'exp'"),
    "missing scope": (
        lambda s: bearer(s.issuer.mint(s.url, scope="openid profile")),
        403,
        "insufficient_scope",
        "mcp:tools",
    ),
}


def challenge_params(header: str) -> dict[str, str]:
    assert header.startswith("Bearer"), header
    params: dict[str, str] = {}
    for part in header[len("Bearer") :].split(","):
        if "=" in part:
            key, value = part.strip().split("=", 1)
            params[key] = value.strip('"')
    return params


@pytest.mark.parametrize("case", list(CASES))
async def test_refused(served: Served, case: str) -> None:
    make_headers, status, error, reason = CASES[case]
    headers = make_headers(served)
    response = await post(served.url, CALL, headers=headers)

    assert response.status_code == status, response.text
    params = challenge_params(response.headers["www-authenticate"])
    assert params["resource_metadata"] == served.metadata_url
    assert params.get("error") == error
    if error is not None:
        assert reason in params["error_description"]
    assert params["scope"] == "mcp:tools"
    body = response.json()
    assert reason in body["error_description"]
    credential = headers.get("Authorization", "").partition(" ")[2]
    if len(credential) > 3:
        assert credential not in response.text and credential not in response.headers["www-authenticate"]
    assert served.recorder.calls == []  # the tool never ran


async def test_a_good_token_runs_the_tool(served: Served) -> None:
    """The positive control: the same request with a valid token reaches the tool."""
    response = await post(served.url, CALL, headers=bearer(served.issuer.mint(served.url)))
    assert response.status_code == 200
    assert rpc_result(response)["result"]["content"][0]["text"] == "deleted prod-db"
    assert served.recorder.ran == ["vault_delete_secret"]


async def test_clock_skew_is_tolerated(served: Served) -> None:
    now = int(time.time())
    token = served.issuer.mint(served.url, exp=now - 20, nbf=now + 20, iat=now + 20)
    response = await post(served.url, CALL, headers=bearer(token))
    assert response.status_code == 200, response.text


async def test_key_rotation_refreshes_the_jwks_once() -> None:
    async with serve_issuer(Issuer()) as issuer:
        auth = oauth_section(issuer, jwks_min_refresh_seconds=0)
        hub, recorder = auth_hub(auth, stateless=True, json_response=True)
        async with serve_hub(hub) as url:
            first = await post(url, CALL, headers=bearer(issuer.mint(url)))
            assert first.status_code == 200 and issuer.jwks_fetches == 1

            new_key = issuer.rotate()
            rotated = await post(url, CALL, headers=bearer(issuer.mint(url, key=new_key)))
            again = await post(url, CALL, headers=bearer(issuer.mint(url, key=new_key)))

    assert rotated.status_code == 200, rotated.text
    assert again.status_code == 200
    assert issuer.jwks_fetches == 2  # one refresh for the new kid, then cached
    assert issuer.discovery_fetches == 1
    assert len(recorder.calls) == 3


async def test_unknown_kids_do_not_hammer_the_issuer() -> None:
    """Refreshes on an unknown kid are rate-limited (default: one per 30 s)."""
    async with serve_issuer(Issuer()) as issuer:
        hub, recorder = auth_hub(oauth_section(issuer), stateless=True, json_response=True)
        async with serve_hub(hub) as url:
            assert (await post(url, CALL, headers=bearer(issuer.mint(url)))).status_code == 200
            statuses = [
                (
                    await post(url, CALL, headers=bearer(issuer.mint(url, key=rsa_key(f"made-up-{i}"))))
                ).status_code
                for i in range(5)
            ]
    assert statuses == [401] * 5
    assert issuer.jwks_fetches == 1
    assert len(recorder.calls) == 1


async def test_unreachable_jwks_is_503_not_401() -> None:
    """The issuer being down is not the caller's fault: 503 with Retry-After, and nothing runs."""
    async with serve_issuer(Issuer()) as issuer:
        url_of_issuer = issuer.url
    auth: dict[str, Any] = {
        "oauth": {"issuer": url_of_issuer, "http_timeout": 2},
        "rbac": {"default": "allow"},
    }
    hub, recorder = auth_hub(auth, stateless=True, json_response=True)
    async with serve_hub(hub) as url:
        token = Issuer(url=url_of_issuer).mint(url)
        response = await post(url, CALL, headers=bearer(token))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    assert "signing keys" in response.json()["error_description"]
    assert recorder.calls == []


async def test_the_verifier_also_serves_the_sdks_token_verifier_protocol() -> None:
    """For applications that wire the SDK's own auth middleware: AccessToken or None, never the token."""
    from mcp.server.auth.provider import TokenVerifier

    from mcpea_core.auth import OAuthSection
    from mcpea_core.auth.tokens import JwtVerifier, same_resource

    async with serve_issuer(Issuer()) as issuer:
        audience = "https://hub.example.com/mcp"
        verifier: TokenVerifier = JwtVerifier(OAuthSection(issuer=issuer.url), [audience])  # checked by mypy
        good = issuer.mint(audience + "/")  # a trailing slash is the same resource
        accepted = await verifier.verify_token(good)
        refused = await verifier.verify_token(issuer.mint("https://elsewhere.example.com/mcp"))
    assert accepted is not None and refused is None
    assert accepted.subject == "f3b2c1d0-user-alice" and accepted.client_id == "mcp-client"
    assert accepted.resource == audience and accepted.scopes == ["mcp:tools", "openid"]
    assert accepted.token.startswith("sha256:") and good not in accepted.model_dump_json()
    assert same_resource("HTTPS://Hub.Example.com/mcp/", audience)
    assert not same_resource("https://hub.example.com/mcp/x", audience)
