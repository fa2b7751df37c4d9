"""What every tool module shares: argument types, pages, timestamps and redaction."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from mcpea_core.tools import DEFER_MODEL_BUILD

__all__ = [
    "REDACTED",
    "Arguments",
    "Id",
    "Name",
    "Page",
    "Paging",
    "Result",
    "iso_time",
    "redact",
    "secret_like",
]

T = TypeVar("T")

# python-keycloak formats ids and names into URL paths unescaped: keep each to one path segment.
_ID = r"^[^/?#%\\\s]*[^/?#%\\\s.][^/?#%\\\s]*$"
_NAME = r"^[^/?#%\\]*[^/?#%\\.][^/?#%\\]*$"
Id = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=_ID)]
"""A Keycloak object id (usually a UUID): one URL path segment."""
Name = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=_NAME)]
"""A role name or clientId: one URL path segment, spaces allowed."""

REDACTED = "[redacted]"
_SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)?$|secret|credential|token|^value$|^(hashed_?)?salt|otp$|private_?key",
    re.IGNORECASE,
)


def secret_like(key: str) -> bool:
    """Whether a key names a secret (``password``, ``client_secret``, ``credentials``, ``totp``...)."""
    return bool(_SECRET_KEY.search(key.replace("-", "_")))


def redact(value: Any) -> Any:
    """``value`` (parsed JSON) with the value of every secret-named key replaced by ``[redacted]``."""
    if isinstance(value, Mapping):
        return {key: REDACTED if secret_like(str(key)) else redact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def iso_time(millis: Any) -> str | None:
    """Keycloak's epoch milliseconds as ISO 8601 UTC, or ``None`` when absent or not a real time."""
    if not isinstance(millis, int) or isinstance(millis, bool) or millis < 0:
        return None
    try:
        moment = datetime.fromtimestamp(millis / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Arguments(BaseModel):
    """Base of every input model: unknown arguments are an error, not silently dropped.

    Input and output models are built on first use, not at import
    (``DEFER_MODEL_BUILD``): the hub starts without building the schemas of
    tools that may never be called.
    """

    model_config = ConfigDict(extra="forbid", defer_build=DEFER_MODEL_BUILD)


class Result(BaseModel):
    """Base of every output model."""

    model_config = ConfigDict(defer_build=DEFER_MODEL_BUILD)


class Paging(Arguments):
    """``first``/``max`` paging, as Keycloak's list endpoints take it."""

    first: int = Field(
        default=0, ge=0, le=100_000, description="Index of the first result: next_first of the previous page."
    )
    max: int = Field(default=20, ge=1, le=100, description="Most results to return.")

    def query(self) -> dict[str, Any]:
        return {"first": self.first, "max": self.max}


class Page(Result, Generic[T]):
    """One page of results: ``next_first`` is set when the page was full, so more may follow."""

    items: list[T]
    first: int
    next_first: int | None = Field(
        default=None, description="Pass as first to get the next page; null at the end."
    )

    @classmethod
    def of(cls, items: Sequence[T], paging: Paging) -> Page[T]:
        full = len(items) >= paging.max
        return cls(
            items=list(items), first=paging.first, next_first=paging.first + len(items) if full else None
        )
