"""API keys: only their SHA-256 is configured; a presented key is hashed and compared in constant time.

A plain (unsalted, fast) hash is enough because keys are random: 32 bytes
from :func:`generate_key` leave nothing to guess or to look up. Do not use
passwords or other human-chosen strings as API keys.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence

from .settings import ApiKey

__all__ = ["ApiKeyStore", "generate_key", "hash_key"]

KEY_PREFIX = "mcpea_"


def hash_key(key: str) -> str:
    """The hex SHA-256 of ``key``, whitespace stripped: the ``sha256`` of an ``[[auth.api_keys]]`` entry."""
    return hashlib.sha256(key.strip().encode("utf-8")).hexdigest()


def generate_key() -> str:
    """A new random API key (256 bits), recognisable by its ``mcpea_`` prefix."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


class ApiKeyStore:
    """The configured keys; :meth:`find` compares the presented key's hash against every one of them."""

    def __init__(self, keys: Sequence[ApiKey]) -> None:
        self._keys = [(bytes.fromhex(key.sha256), key) for key in keys]

    def __bool__(self) -> bool:
        return bool(self._keys)

    def find(self, presented: str) -> ApiKey | None:
        """The key whose hash matches, or ``None``; takes the same time whichever key (if any) matches."""
        digest = hashlib.sha256(presented.strip().encode("utf-8")).digest()
        found: ApiKey | None = None
        for expected, key in self._keys:
            if hmac.compare_digest(digest, expected):
                found = key
        return found
