"""Token claims to principals: Keycloak shapes with no configuration, Entra/Okta shapes, service accounts."""

from __future__ import annotations

from typing import Any

import pytest

from mcpea_core.auth import OAuthSection
from mcpea_core.auth.failures import AuthFailure
from mcpea_core.auth.principal import AuthPrincipal, subjects, token_principal

OAUTH = OAuthSection(issuer="https://sso.example.com/realms/acme")

# A Keycloak 26 access token (password / authorization-code grant), trimmed.
KEYCLOAK_USER: dict[str, Any] = {
    "exp": 1800000000,
    "iat": 1799999700,
    "iss": "https://sso.example.com/realms/acme",
    "aud": ["https://hub.example.com/mcp", "account"],
    "sub": "0c5d6e51-9a2b-4c1d-8e7f-112233445566",
    "typ": "Bearer",
    "azp": "mcp-inspector",
    "realm_access": {"roles": ["default-roles-acme", "offline_access", "payments-admin"]},
    "resource_access": {"account": {"roles": ["manage-account"]}, "stripe": {"roles": ["refunder"]}},
    "scope": "openid profile email mcp:tools",
    "groups": ["/ops", "/ops/oncall"],
    "preferred_username": "alice",
    "email": "alice@example.com",
}

# A Keycloak client-credentials token: the client's service-account user.
KEYCLOAK_SERVICE: dict[str, Any] = {
    "iss": "https://sso.example.com/realms/acme",
    "sub": "7f0e1d2c-0000-4000-8000-aabbccddeeff",
    "azp": "ci-bot",
    "client_id": "ci-bot",
    "preferred_username": "service-account-ci-bot",
    "realm_access": {"roles": ["reader"]},
    "scope": "mcp:tools",
}


def test_a_keycloak_user() -> None:
    principal = token_principal(KEYCLOAK_USER, OAUTH)
    assert principal.id == "0c5d6e51-9a2b-4c1d-8e7f-112233445566"
    assert principal.kind == "user" and principal.display_name == "alice"
    assert principal.roles == {
        "default-roles-acme",
        "offline_access",
        "payments-admin",
        "account:manage-account",
        "stripe:refunder",
    }
    assert principal.groups == {"/ops", "/ops/oncall"}
    assert principal.scopes == {"openid", "profile", "email", "mcp:tools"}
    assert principal.claims["preferred_username"] == "alice"
    assert {
        "role:payments-admin",
        "role:stripe:refunder",
        "scope:mcp:tools",
        "group:/ops",
        "kind:user",
    } <= set(subjects(principal))


def test_a_keycloak_service_account() -> None:
    principal = token_principal(KEYCLOAK_SERVICE, OAUTH)
    assert (principal.id, principal.kind) == (KEYCLOAK_SERVICE["sub"], "service")
    assert principal.roles == {"reader"}


def test_client_roles_can_be_named_plainly_or_ignored() -> None:
    plain = OAUTH.model_copy(update={"client_role_format": "{role}"})
    assert "refunder" in token_principal(KEYCLOAK_USER, plain).roles
    ignored = OAUTH.model_copy(update={"client_roles_claim": None})
    assert token_principal(KEYCLOAK_USER, ignored).roles == {
        "default-roles-acme",
        "offline_access",
        "payments-admin",
    }


@pytest.mark.parametrize(
    ("claims", "kind", "principal_id"),
    [
        ({"sub": "svc-1", "gty": "client-credentials"}, "service", "svc-1"),  # Auth0
        ({"sub": "0oa1", "client_id": "0oa1"}, "service", "0oa1"),  # Okta: sub is the client id
        ({"client_id": "machine"}, "service", "machine"),  # no sub at all
        ({"sub": "u-1", "azp": "web"}, "user", "u-1"),
    ],
)
def test_service_detection(claims: dict[str, Any], kind: str, principal_id: str) -> None:
    principal = token_principal(claims, OAUTH)
    assert (principal.kind, principal.id) == (kind, principal_id)


def test_entra_and_okta_shapes() -> None:
    principal = token_principal({"sub": "u", "roles": ["Tools.Admin"], "scp": "mcp.read mcp.write"}, OAUTH)
    assert principal.roles == {"Tools.Admin"} and principal.scopes == {"mcp.read", "mcp.write"}
    assert token_principal({"sub": "u", "scp": ["a", "b"]}, OAUTH).scopes == {"a", "b"}


def test_junk_claims_are_ignored_not_fatal() -> None:
    claims = {
        "sub": "u",
        "realm_access": "admin",
        "resource_access": {"x": "y"},
        "groups": [1, "/g"],
        "scope": 5,
    }
    principal = token_principal(claims, OAUTH)
    assert principal.roles == frozenset() and principal.groups == {"/g"} and principal.scopes == frozenset()


def test_a_token_naming_nobody_is_refused() -> None:
    with pytest.raises(AuthFailure, match="names no subject"):
        token_principal({"iss": "x", "sub": ""}, OAUTH)


def test_an_auth_principal_is_a_principal() -> None:
    from mcpea_core import Principal

    principal = AuthPrincipal(id="x", kind="user")
    assert isinstance(principal, Principal) and principal.display_name == "x"
