"""Finding credentials where none belong: schema defaults and examples, settings defaults, descriptions.

The patterns recognise the shapes vendors give their keys and tokens; a
match is reported by kind and location, never by value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

__all__ = ["SECRET_PATTERNS", "find_credentials", "looks_like_secret_name", "schema_credentials"]

SECRET_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("Stripe key", r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{10,}"),
        ("Stripe webhook secret", r"\bwhsec_[0-9A-Za-z]{10,}"),
        ("GitHub token", r"\bgh[pousr]_[0-9A-Za-z]{20,}"),
        ("GitHub fine-grained token", r"\bgithub_pat_[0-9A-Za-z_]{20,}"),
        ("Slack token", r"\bxox[abposre]-[0-9A-Za-z-]{10,}"),
        ("Slack app token", r"\bxapp-[0-9A-Za-z-]{10,}"),
        ("JSON Web Token", r"\beyJ[0-9A-Za-z_-]{8,}\.eyJ[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]*"),
        ("AWS access key id", r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
        ("private key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
        ("bearer token", r"\bBearer\s+[0-9A-Za-z._~+/-]{20,}"),
    )
)

# The last word of a field name that holds a secret (``api_key``, ``client_secret``, ``password``).
_SECRET_WORDS = {"password", "passwd", "passphrase", "secret", "token", "credential", "credentials"}
_SECRET_SUFFIXES = ("api_key", "apikey", "private_key", "access_key", "secret_key", "signing_key")
_EXAMPLE_KEYS = ("default", "examples", "example", "const")


def find_credentials(value: Any) -> list[str]:
    """The kinds of credential found in any string inside ``value`` (dicts and lists are walked)."""
    found: list[str] = []
    for text in _strings(value):
        found += [kind for kind, pattern in SECRET_PATTERNS if pattern.search(text) and kind not in found]
    return found


def looks_like_secret_name(name: str) -> bool:
    """Whether a field's name says it holds a secret (``api_key``, ``bot_token``, but not ``token_type``)."""
    lowered = name.lower()
    return lowered.split("_")[-1] in _SECRET_WORDS or lowered.endswith(_SECRET_SUFFIXES)


def schema_credentials(schema: Any, path: str = "") -> list[str]:
    """Problems in a JSON Schema's ``default``/``examples``/``const``: credentials, or secret-named defaults.

    Each problem names where it is (``properties.api_key.default``) and what
    it looks like, never the value. Subschemas are followed wherever JSON
    Schema 2020-12 allows them.
    """
    if not isinstance(schema, dict):
        return []
    problems: list[str] = []
    for key in _EXAMPLE_KEYS:
        if key in schema:
            problems += [f"{path}{key}: looks like a {kind}" for kind in find_credentials(schema[key])]
    for name, prop in (schema.get("properties") or {}).items():
        if isinstance(prop, dict) and looks_like_secret_name(name) and _non_empty(prop.get("default")):
            problems.append(f"{path}properties.{name}.default: a secret-named field has a non-empty default")
    for key, sub in schema.items():
        if key in _SCHEMA_MAPS and isinstance(sub, dict):
            for name, item in sub.items():
                problems += schema_credentials(item, f"{path}{key}.{name}.")
        elif key in _SCHEMA_LISTS and isinstance(sub, list):
            for index, item in enumerate(sub):
                problems += schema_credentials(item, f"{path}{key}.{index}.")
        elif key in _SCHEMA_VALUES:
            problems += schema_credentials(sub, f"{path}{key}.")
    return problems


_SCHEMA_MAPS = {"properties", "$defs", "definitions", "patternProperties", "dependentSchemas"}
_SCHEMA_LISTS = {"anyOf", "allOf", "oneOf", "prefixItems"}
_SCHEMA_VALUES = {
    "items",
    "additionalProperties",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "unevaluatedProperties",
    "unevaluatedItems",
}


def _non_empty(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
