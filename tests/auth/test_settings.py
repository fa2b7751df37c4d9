"""The [auth] section: what it accepts, what it refuses, and the messages it refuses with."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from mcpea_core import ConfigError
from mcpea_core.auth import AuthSection, hash_key
from mcpea_core.auth.wiring import resource_url_for
from mcpea_core.config import validate_section

KEY = {"id": "ci-bot", "sha256": hash_key("k" * 40)}


def parse(**auth: Any) -> AuthSection:
    return AuthSection.model_validate(auth)


def refused(**auth: Any) -> str:
    with pytest.raises(ValidationError) as info:
        parse(**auth)
    return str(info.value)


def test_defaults() -> None:
    auth = parse(oauth={"issuer": "https://sso.example.com/realms/acme"})
    assert auth.oauth is not None
    assert auth.oauth.algorithms == ["RS256", "ES256"]
    assert auth.oauth.clock_skew == 60 and auth.oauth.audiences == [] and auth.oauth.jwks_url is None
    assert auth.rbac.default == "deny" and auth.rbac.grants == {}


def test_rbac_grants_sit_next_to_default() -> None:
    auth = parse(
        api_keys=[KEY],
        rbac={
            "default": "deny",
            "role:payments-admin": ["stripe_*"],
            "scope:mcp:read": "*_get_*",
            "group:/ops": ["*"],
        },
    )
    assert auth.rbac.grants == {
        "role:payments-admin": ["stripe_*"],
        "scope:mcp:read": ["*_get_*"],
        "group:/ops": ["*"],
    }


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        ({}, "configure auth.oauth, or at least one auth.api_keys entry"),
        ({"oauth": {"issuer": "https://i", "algorithms": ["HS256"]}}, "Input should be 'RS256'"),
        ({"oauth": {"issuer": "https://i", "algorithms": ["none"]}}, "Input should be 'RS256'"),
        ({"oauth": {"issuer": "http://sso.example.com/realms/acme"}}, "must use https"),
        ({"oauth": {"issuer": "https://i", "jwks_url": "http://sso.example.com/certs"}}, "must use https"),
        ({"oauth": {"issuer": "sso.example.com"}}, "must be an http(s) URL"),
        ({"oauth": {"issuer": "https://i", "client_role_format": "{client}"}}, "must contain '{role}'"),
        ({"oauth": {"issuer": "https://i", "client_role_format": "{role}{x}"}}, "only {client} and {role}"),
        ({"api_keys": [{"id": "a", "sha256": "my-secret-key"}]}, "not the key itself"),
        ({"api_keys": [KEY, {**KEY, "sha256": "0" * 64}]}, "'ci-bot' is used twice"),
        ({"api_keys": [KEY, {**KEY, "id": "other"}]}, "same sha256"),
        ({"api_keys": [KEY], "rbac": {"defualt": "allow"}}, "Extra inputs are not permitted"),
        ({"api_keys": [KEY], "rbac": {"team:x": ["*"]}}, "'team:x' is not a subject"),
        ({"api_keys": [KEY], "rbac": {"grants": {"role": ["*"]}}}, "is not a subject"),
        (
            {"api_keys": [KEY], "rbac": {"default": "allow", "role:x": ["*"]}},
            'default = "allow" already grants',
        ),
        ({"api_keys": [KEY], "resource_url": "https://hub.example.com/mcp?x=1"}, "must not have a query"),
    ],
)
def test_refused(auth: dict[str, Any], message: str) -> None:
    assert message in refused(**auth)


def test_the_key_itself_is_never_echoed() -> None:
    """Validated as mcpea.toml is (inputs left out of errors), a key pasted for its hash stays unshown."""
    raw = {"api_keys": [{"id": "a", "sha256": "super-secret-api-key"}]}
    with pytest.raises(ConfigError) as info:
        validate_section(AuthSection, raw, path="mcpea.toml", key="auth")
    assert "auth.api_keys.0.sha256" in str(info.value) and "not the key itself" in str(info.value)
    assert "super-secret-api-key" not in str(info.value)


def test_plain_http_is_for_loopback_unless_allowed() -> None:
    assert parse(oauth={"issuer": "http://127.0.0.1:8080/realms/acme"}).oauth is not None
    assert parse(oauth={"issuer": "http://localhost/realms/acme"}).oauth is not None
    allowed = parse(oauth={"issuer": "http://keycloak:8080/realms/acme", "allow_http": True})
    assert allowed.oauth is not None and allowed.oauth.allow_http


def test_the_resource_url_defaults_on_loopback_only() -> None:
    auth = parse(api_keys=[KEY])
    assert resource_url_for(auth, host="127.0.0.1", port=8765, path="/mcp") == "http://127.0.0.1:8765/mcp"
    assert resource_url_for(auth, host="::1", port=1, path="/mcp") == "http://[::1]:1/mcp"
    with pytest.raises(ConfigError, match=r"auth\.resource_url"):
        resource_url_for(auth, host="0.0.0.0", port=8765, path="/mcp")
    public = parse(api_keys=[KEY], resource_url="https://hub.example.com/mcp")
    assert resource_url_for(public, host="0.0.0.0", port=8765, path="/mcp") == "https://hub.example.com/mcp"
