"""Redaction: declared secret fields at any depth, credential shapes anywhere, and log records."""

from __future__ import annotations

import logging

import pytest
from pydantic import BaseModel, Field, SecretStr

from mcpea_core.audit.redact import RedactingFilter, Redactor, redact_arguments, redact_text

# Built from parts so that secret scanners do not flag this file.
STRIPE_LIVE = "sk_" + "live_" + "51HqLyjWDarjtT1zdp7dcXYZ0123456789"
STRIPE_TEST = "sk_" + "test_" + "4eC39HqLyjWDarjtT1zdp7dc"
STRIPE_RESTRICTED = "rk_" + "live_" + "51HqLyjWDarjtT1zdp7dcAbCd"
STRIPE_RESTRICTED_TEST = "rk_" + "test_" + "51HqLyjWDarjtT1zdp7dcAbCd"
GITHUB_PAT = "ghp_" + "A" * 36
GITHUB_OAUTH = "gho_" + "16C7e42F292c6912E7710c838347Ae178B4a"
GITHUB_APP = "ghs_" + "16C7e42F292c6912E7710c838347Ae178B4a"
GITHUB_FINE = "github_pat_" + "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTU"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)

SHAPES = [
    ("stripe_key", STRIPE_LIVE),
    ("stripe_key", STRIPE_TEST),
    ("stripe_key", STRIPE_RESTRICTED),
    ("stripe_key", STRIPE_RESTRICTED_TEST),
    ("github_token", GITHUB_PAT),
    ("github_token", GITHUB_OAUTH),
    ("github_token", GITHUB_APP),
    ("github_token", GITHUB_FINE),
    *[("slack_token", f"xox{c}-1234567890-0987654321-AbCdEfGhIjKlMnOp") for c in "abposr"],
    ("jwt", JWT),
]


@pytest.mark.parametrize(("kind", "secret"), SHAPES, ids=[s[1][:8] for s in SHAPES])
def test_credential_shapes_are_redacted_inside_text(kind: str, secret: str) -> None:
    text = f"calling upstream with key={secret}, then failing"
    redacted = redact_text(text)
    assert secret not in redacted
    assert secret[6:] not in redacted
    assert redacted == f"calling upstream with key=[REDACTED:{kind}], then failing"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.def-ghi~jkl+/=", "Authorization: Bearer [REDACTED:authorization]"),
        (f"authorization: bearer {JWT}", "authorization: bearer [REDACTED:authorization]"),
        ("{'Authorization': 'Basic dXNlcjpwYXNz'}", "{'Authorization': 'Basic [REDACTED:authorization]'}"),
        ('"authorization":"token abcdef"', '"authorization":"token [REDACTED:authorization]"'),
        ("sent Bearer abc.def-ghi~jkl+/= upstream", "sent Bearer [REDACTED:bearer] upstream"),
        (f"sent bearer {JWT}", "sent bearer [REDACTED:bearer]"),
    ],
)
def test_authorization_headers_and_bearer_tokens_keep_the_scheme_and_lose_the_credential(
    text: str, expected: str
) -> None:
    assert redact_text(text) == expected


def test_passwords_in_urls_are_redacted() -> None:
    assert (
        redact_text("postgresql://app:s3cr3t@db:5432/x failed")
        == "postgresql://app:[REDACTED:url_password]@db:5432/x failed"
    )


@pytest.mark.parametrize(
    "harmless",
    [
        "sk_live is the prefix of a Stripe key",
        "the task id is ghp_short",
        "eyJ alone is not a token",
        "Basic information about the bearer of this letter",
        "https://example.com/path?x=1",
        "pk_live_51HqLyjWDarjtT1zdp7dcXYZ0123456789",  # a publishable key is public
    ],
)
def test_ordinary_text_is_left_alone(harmless: str) -> None:
    assert redact_text(harmless) == harmless


class Credentials(BaseModel):
    username: str
    password: SecretStr


class Webhook(BaseModel):
    url: str
    signing_secret: str = Field(json_schema_extra={"secret": True})


class Connect(BaseModel):
    name: str
    api_key: SecretStr
    token: str | None = Field(default=None, json_schema_extra={"secret": True})
    login: Credentials
    hooks: list[Webhook] = []
    backup: Credentials | None = None
    by_env: dict[str, Credentials] = {}
    note: str = ""
    extra: dict[str, object] = {}


def test_declared_secret_fields_are_redacted_at_every_depth() -> None:
    arguments = {
        "name": "prod",
        "api_key": "hunter2",
        "token": "opaque-123",
        "login": {"username": "ada", "password": "pw1"},
        "hooks": [
            {"url": "https://h.example/1", "signing_secret": "s1"},
            {"url": "https://h.example/2", "signing_secret": "s2"},
        ],
        "backup": {"username": "bob", "password": "pw2"},
        "by_env": {"dev": {"username": "carol", "password": "pw3"}},
        "note": f"rotate {STRIPE_LIVE} soon",
        "extra": {"headers": {"Authorization": "Basic dXNlcjpwYXNz", "Accept": "json"}},
    }
    redacted = redact_arguments(arguments, Connect.model_json_schema())
    assert redacted == {
        "name": "prod",
        "api_key": "[REDACTED]",
        "token": "[REDACTED]",
        "login": {"username": "ada", "password": "[REDACTED]"},
        "hooks": [
            {"url": "https://h.example/1", "signing_secret": "[REDACTED]"},
            {"url": "https://h.example/2", "signing_secret": "[REDACTED]"},
        ],
        "backup": {"username": "bob", "password": "[REDACTED]"},
        "by_env": {"dev": {"username": "carol", "password": "[REDACTED]"}},
        "note": "rotate [REDACTED:stripe_key] soon",
        "extra": {"headers": {"Authorization": "[REDACTED]", "Accept": "json"}},
    }
    assert arguments["login"] == {"username": "ada", "password": "pw1"}  # the caller's copy is untouched


def test_a_missing_or_null_secret_stays_visible_as_absent() -> None:
    redacted = redact_arguments({"name": "x", "token": None}, Connect.model_json_schema())
    assert redacted == {"name": "x", "token": None}


def test_secrets_are_found_by_their_alias() -> None:
    class Aliased(BaseModel):
        key: SecretStr = Field(alias="apiKeyValue")

    assert redact_arguments({"apiKeyValue": "x"}, Aliased.model_json_schema()) == {
        "apiKeyValue": "[REDACTED]"
    }


def test_values_are_made_json_safe() -> None:
    redacted = redact_arguments(
        {"n": float("inf"), "b": b"\x00\x01", "s": {1, 2}, "t": (1, "a"), "z": "a\x00b"}
    )
    assert redacted == {"n": "inf", "b": "<2 bytes>", "s": [1, 2], "t": [1, "a"], "z": "a\ufffdb"}


def test_a_keyed_redactor_keeps_a_fingerprint_not_the_secret() -> None:
    redactor = Redactor(hmac_key=b"k" * 32)
    one = redactor.arguments({"password": "pw1"})["password"]
    same = redactor.arguments({"password": "pw1"})["password"]
    other = redactor.arguments({"password": "pw2"})["password"]
    assert one == same != other
    assert one.startswith("[REDACTED:hmac=") and "pw1" not in one
    assert redactor.text(GITHUB_PAT).startswith("[REDACTED:github_token:hmac=")


def test_the_log_filter_redacts_message_arguments_and_traceback() -> None:
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(self.format(record))

    handler = Collect()
    handler.addFilter(RedactingFilter())
    log = logging.getLogger("mcpea.test.redact")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("upstream refused %s with %r", GITHUB_PAT, {"auth": f"Bearer {JWT}"})
        try:
            raise RuntimeError(f"bad key {STRIPE_LIVE}")
        except RuntimeError:
            log.exception("call failed")
    finally:
        log.removeHandler(handler)
        log.propagate = True
    text = "\n".join(records)
    for secret in (GITHUB_PAT, JWT, STRIPE_LIVE):
        assert secret not in text
    assert "upstream refused [REDACTED:github_token] with {'auth': 'Bearer [REDACTED:bearer]'}" in text
    assert "RuntimeError: bad key [REDACTED:stripe_key]" in text


def test_a_header_spelled_with_a_dotless_i_is_still_redacted() -> None:
    # The shapes match case-insensitively, which also takes U+0131 for "i": the quick pre-check must too.
    assert "dXNlcjpwYXNz" not in redact_text("author\u0131zation: Basic dXNlcjpwYXNz")
