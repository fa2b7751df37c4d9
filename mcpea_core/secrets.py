"""The secret values the hub itself holds, so they can be scrubbed wherever text leaves it.

Credential-shaped strings (``sk_live_...``, ``ghp_...``, JWTs) are caught by
pattern in :mod:`mcpea_core.audit.redact`. A plugin's own secret setting may
have no recognisable shape, so the hub remembers every ``SecretStr`` value of
the loaded settings and :func:`scrub` replaces them in error texts, audit
records and log lines.
"""

from __future__ import annotations

import threading
from typing import Any

from pydantic import BaseModel, SecretBytes, SecretStr

__all__ = ["MASK", "forget_all", "remember", "remember_settings", "scrub"]

MASK = "[REDACTED]"
_MIN_LENGTH = 6  # shorter values would mask ordinary words
_lock = threading.Lock()
_known: tuple[str, ...] = ()


def remember(value: str) -> None:
    """Scrub ``value`` from now on (values shorter than six characters are ignored)."""
    global _known
    if len(value) < _MIN_LENGTH:
        return
    with _lock:
        if value not in _known:
            _known = tuple(sorted({*_known, value}, key=len, reverse=True))


def remember_settings(settings: Any) -> None:
    """Remember every secret field (``SecretStr``/``SecretBytes``) of a settings model, at any depth."""
    if isinstance(settings, SecretStr):
        remember(settings.get_secret_value())
    elif isinstance(settings, SecretBytes):
        remember(settings.get_secret_value().decode("utf-8", "replace"))
    elif isinstance(settings, BaseModel):
        for name in type(settings).model_fields:
            remember_settings(getattr(settings, name, None))
    elif isinstance(settings, dict):
        for value in settings.values():
            remember_settings(value)
    elif isinstance(settings, list | tuple):
        for value in settings:
            remember_settings(value)


def scrub(text: str) -> str:
    """``text`` with every remembered secret replaced by :data:`MASK`."""
    known = _known
    if not known or not text:
        return text
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    return text


def forget_all() -> None:
    """Forget every remembered value (for tests)."""
    global _known
    with _lock:
        _known = ()
