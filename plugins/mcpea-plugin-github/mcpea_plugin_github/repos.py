"""Toolset ``repos``: repositories and file contents."""

from __future__ import annotations

import base64
import binascii
import urllib.parse
from typing import Any, Literal

from pydantic import Field, field_validator

from mcpea_core import ToolContext

from .calls import fetch_one, fetch_page, given, request
from .client import github_client
from .common import OWNER_PATTERN, Arguments, Page, RepoRef, Result, login, page_field

__all__ = [
    "FileContents",
    "Repository",
    "github_get_file_contents",
    "github_get_repository",
    "github_list_repositories",
]

MAX_TEXT_CHARS = 100_000


class Repository(Result):
    full_name: str
    owner: str | None = None
    description: str | None = None
    private: bool = False
    visibility: str | None = None
    default_branch: str | None = None
    language: str | None = None
    archived: bool = False
    fork: bool = False
    stars: int | None = None
    forks: int | None = None
    open_issues: int | None = None
    topics: list[str] = Field(default_factory=list)
    html_url: str | None = None
    pushed_at: str | None = None
    updated_at: str | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Repository:
        return cls(
            full_name=data["full_name"],
            owner=login(data.get("owner")),
            description=data.get("description"),
            private=bool(data.get("private")),
            visibility=data.get("visibility"),
            default_branch=data.get("default_branch"),
            language=data.get("language"),
            archived=bool(data.get("archived")),
            fork=bool(data.get("fork")),
            stars=data.get("stargazers_count"),
            forks=data.get("forks_count"),
            open_issues=data.get("open_issues_count"),
            topics=list(data.get("topics") or []),
            html_url=data.get("html_url"),
            pushed_at=data.get("pushed_at"),
            updated_at=data.get("updated_at"),
        )


class DirectoryEntry(Result):
    name: str
    path: str
    type: str
    size: int | None = None


class FileContents(Result):
    path: str
    type: str = Field(description="file, dir, symlink or submodule.")
    sha: str | None = None
    size: int | None = None
    text: str | None = Field(default=None, description="The file's text (UTF-8), when it is a text file.")
    truncated: bool = Field(
        default=False, description=f"Only the first {MAX_TEXT_CHARS} characters are in text."
    )
    binary: bool = Field(default=False, description="The file is not UTF-8 text; see download_url.")
    entries: list[DirectoryEntry] | None = Field(default=None, description="A directory's entries.")
    target: str | None = Field(default=None, description="A symlink's target.")
    html_url: str | None = None
    download_url: str | None = None


class GetRepository(RepoRef):
    pass


class ListRepositories(Arguments):
    owner: str | None = Field(
        default=None,
        pattern=OWNER_PATTERN,
        description="User or organization whose repositories to list; omit for the token's own user.",
    )
    owner_type: Literal["user", "org"] = Field(
        default="user",
        description="Whether owner is a user or an organization (orgs include private repositories).",
    )
    sort: Literal["created", "updated", "pushed", "full_name"] | None = Field(
        default=None, description="Sort order; GitHub's default is full_name (created for organizations)."
    )
    page: int = page_field()


class GetFileContents(RepoRef):
    path: str = Field(
        default="", max_length=1024, description="Path in the repository, e.g. src/app.py; '' for the root."
    )
    ref: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="Branch, tag or commit SHA; default branch if omitted.",
    )

    @field_validator("path")
    @classmethod
    def _plain_path(cls, value: str) -> str:
        value = value.strip("/")
        if any(part in (".", "..") for part in value.split("/")):
            raise ValueError("must not contain '.' or '..' segments")
        return value


def github_get_repository(params: GetRepository, ctx: ToolContext) -> Repository:
    """Get one repository: description, visibility, default branch, language, stars, open issues."""
    gh = github_client(ctx)
    return fetch_one(ctx, Repository.from_api, lambda: gh.get_repo(params.full_name))


def github_list_repositories(params: ListRepositories, ctx: ToolContext) -> Page[Repository]:
    """List repositories of a user or an organization, or (no owner) those of the token's own user."""
    from github.PaginatedList import PaginatedList
    from github.Repository import Repository as GhRepository

    gh = github_client(ctx)
    options = given(sort=params.sort)

    def listing() -> Any:
        if params.owner is None:
            return gh.get_user().get_repos(**options)
        if params.owner_type == "org":
            # Organization.get_repos() asks for a retired preview media type (nebula-preview),
            # which GitHub's published description does not offer: list without it.
            return PaginatedList(GhRepository, gh.requester, f"/orgs/{params.owner}/repos", options)
        return gh.get_user(params.owner, lazy=True).get_repos(**options)

    return fetch_page(ctx, Page[Repository], Repository.from_api, params.page, listing)


def github_get_file_contents(params: GetFileContents, ctx: ToolContext) -> FileContents:
    """Get a file's text, or a directory's entries, at a branch, tag or commit (default branch if none)."""
    # Asks for JSON explicitly: with PyGithub's "*/*" a server may pick the first media type GitHub
    # lists for this operation, application/vnd.github.object, which differs from the default JSON.
    data = request(
        ctx,
        "GET",
        f"{params.api_path}/contents/{urllib.parse.quote(params.path)}",
        parameters=given(ref=params.ref) or None,
        headers={"Accept": "application/json"},
    )
    if isinstance(data, list):
        entries = [
            DirectoryEntry(name=e["name"], path=e["path"], type=e["type"], size=e.get("size")) for e in data
        ]
        return FileContents(path=params.path, type="dir", entries=entries)
    return _file(data)


def _file(data: dict[str, Any]) -> FileContents:
    contents = FileContents(
        path=data["path"],
        type=data["type"],
        sha=data.get("sha"),
        size=data.get("size"),
        target=data.get("target"),
        html_url=data.get("html_url"),
        download_url=data.get("download_url"),
    )
    if data["type"] != "file" or data.get("encoding") != "base64":
        return contents  # GitHub leaves out content of files over 1 MB ("encoding": "none")
    try:
        text = base64.b64decode(data.get("content") or "").decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        contents.binary = True
        return contents
    contents.text = text[:MAX_TEXT_CHARS]
    contents.truncated = len(text) > MAX_TEXT_CHARS
    return contents
