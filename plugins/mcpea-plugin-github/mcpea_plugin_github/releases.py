"""Toolset ``releases``: list and publish releases."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from mcpea_core import ToolContext

from .calls import fetch_one, fetch_page, given
from .client import github_client
from .common import Page, RepoRef, Result, login, page_field

__all__ = ["Release", "github_create_release", "github_list_releases"]


class Release(Result):
    id: int
    tag_name: str
    name: str | None = None
    draft: bool = False
    prerelease: bool = False
    body: str | None = None
    target_commitish: str | None = None
    author: str | None = None
    assets: list[str] = Field(default_factory=list, description="Names of the uploaded assets.")
    html_url: str | None = None
    created_at: str | None = None
    published_at: str | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Release:
        return cls(
            id=data["id"],
            tag_name=data["tag_name"],
            name=data.get("name"),
            draft=bool(data.get("draft")),
            prerelease=bool(data.get("prerelease")),
            body=data.get("body"),
            target_commitish=data.get("target_commitish"),
            author=login(data.get("author")),
            assets=[a["name"] for a in data.get("assets") or [] if isinstance(a, dict) and "name" in a],
            html_url=data.get("html_url"),
            created_at=data.get("created_at"),
            published_at=data.get("published_at"),
        )


class ListReleases(RepoRef):
    page: int = page_field()


class CreateRelease(RepoRef):
    tag_name: str = Field(
        min_length=1, max_length=255, description="Tag to release, e.g. v1.2.0; created if new."
    )
    target_commitish: str | None = Field(
        default=None,
        max_length=255,
        description="Branch or SHA a new tag points at; default branch if omitted.",
    )
    name: str | None = Field(default=None, max_length=255, description="Title; the tag name if omitted.")
    body: str | None = Field(default=None, max_length=125000, description="Release notes (Markdown).")
    draft: bool = Field(default=False, description="Save unpublished, visible only to collaborators.")
    prerelease: bool = False
    generate_release_notes: bool = Field(default=False, description="Let GitHub write notes from merged PRs.")
    make_latest: Literal["true", "false", "legacy"] = "true"


def github_list_releases(params: ListReleases, ctx: ToolContext) -> Page[Release]:
    """List a repository's releases, newest first (drafts only with push access)."""
    gh = github_client(ctx)
    return fetch_page(
        ctx,
        Page[Release],
        Release.from_api,
        params.page,
        lambda: gh.get_repo(params.full_name).get_releases(),
    )


def github_create_release(params: CreateRelease, ctx: ToolContext) -> Release:
    """Publish (or save as draft) a release for a tag. Not idempotent: a second one for the tag is refused."""
    gh = github_client(ctx)
    options = given(
        draft=params.draft,
        prerelease=params.prerelease,
        generate_release_notes=params.generate_release_notes,
        make_latest=params.make_latest,
        name=params.name,
        message=params.body,
        target_commitish=params.target_commitish,
    )
    return fetch_one(
        ctx,
        Release.from_api,
        lambda: gh.get_repo(params.full_name).create_git_release(params.tag_name, **options),
    )
