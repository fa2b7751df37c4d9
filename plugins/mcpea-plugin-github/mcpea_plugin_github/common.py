"""What every toolset module shares: input and output bases, repository references, paging."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mcpea_core import ToolContext
from mcpea_core.tools import DEFER_MODEL_BUILD

from .client import settings_of

__all__ = [
    "Arguments",
    "Page",
    "RepoRef",
    "Result",
    "login",
    "logins",
    "number_field",
    "page_field",
    "page_of",
]

T = TypeVar("T")
P = TypeVar("P", bound="Page[Any]")

# GitHub's own rules are narrower; these keep a name from becoming more than one URL path segment.
OWNER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
REPO_PATTERN = r"^[A-Za-z0-9_.-]{1,100}$"


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


class RepoRef(Arguments):
    owner: str = Field(
        pattern=OWNER_PATTERN, description="Owner of the repository (user or organization), e.g. octocat."
    )
    repo: str = Field(
        pattern=REPO_PATTERN, description="Repository name without the owner, e.g. Hello-World."
    )

    @field_validator("repo")
    @classmethod
    def _not_dots(cls, value: str) -> str:
        if value in (".", ".."):
            raise ValueError("is not a repository name")
        return value

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"

    @property
    def api_path(self) -> str:
        """The repository's REST path, ``/repos/{owner}/{repo}``."""
        return f"/repos/{self.owner}/{self.repo}"


def page_field() -> Any:
    """The ``page`` argument of list and search tools."""
    return Field(
        default=1, ge=1, le=1000, description="Page to return, from 1: next_page of the previous result."
    )


def number_field(what: str) -> Any:
    """An issue or pull request number argument."""
    return Field(ge=1, description=f"The {what}'s number, as in #42.")


class Page(Result, Generic[T]):
    """One page of a list: ``next_page`` is set when the page was full, so more may follow."""

    items: list[T]
    page: int
    next_page: int | None = None


def page_of(model: type[P], items: Sequence[Any], page: int, ctx: ToolContext) -> P:
    """``model`` (a ``Page[Item]``) of ``items``; ``next_page`` is set when the page is full."""
    size = settings_of(ctx).page_size
    return model(items=list(items), page=page, next_page=page + 1 if len(items) >= size else None)


def login(user: Any) -> str | None:
    """The login of a user object in a GitHub payload (``None`` for a deleted account)."""
    return user.get("login") if isinstance(user, dict) else None


def logins(users: Any) -> list[str]:
    return [name for name in (login(user) for user in users or []) if name]
