"""Toolset ``search``: GitHub's issue/pull request search and code search."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, Literal, TypeVar

from pydantic import Field

from mcpea_core import ToolContext

from .calls import given
from .client import github_client, payload, report, settings_of
from .common import Arguments, Page, Result, page_field
from .errors import upstream
from .issues import Issue

__all__ = ["CodeMatch", "SearchPage", "github_search_code", "github_search_issues"]

T = TypeVar("T")
S = TypeVar("S", bound="SearchPage[Any]")
SEARCH_WINDOW = 1000  # GitHub returns at most the first 1000 results of a search


class SearchPage(Page[T], Generic[T]):
    total_count: int = Field(description="Matches in all, of which GitHub serves the first 1000.")
    incomplete_results: bool = Field(
        default=False, description="GitHub timed out: there may be more matches."
    )


class CodeMatch(Result):
    repository: str | None = Field(default=None, description="owner/name")
    path: str
    name: str
    sha: str | None = None
    html_url: str | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> CodeMatch:
        repository = data.get("repository") or {}
        return cls(
            repository=repository.get("full_name"),
            path=data["path"],
            name=data["name"],
            sha=data.get("sha"),
            html_url=data.get("html_url"),
        )


class SearchIssues(Arguments):
    query: str = Field(
        min_length=1,
        max_length=256,
        description="GitHub search syntax, e.g. 'repo:octo/app is:issue is:open label:bug crash'.",
    )
    sort: Literal["comments", "created", "updated"] | None = Field(
        default=None, description="Default: best match."
    )
    order: Literal["asc", "desc"] = "desc"
    page: int = page_field()


class SearchCode(Arguments):
    query: str = Field(
        min_length=1,
        max_length=256,
        description="GitHub code search syntax, e.g. 'addClass repo:jquery/jquery language:js'.",
    )
    page: int = page_field()


def github_search_issues(params: SearchIssues, ctx: ToolContext) -> SearchPage[Issue]:
    """Search issues and pull requests with GitHub's search syntax (is:, repo:, label:, author:, ...)."""
    gh = github_client(ctx)
    options = given(sort=params.sort, order=params.order if params.sort else None)
    return _search(
        ctx, SearchPage[Issue], Issue.from_api, params.page, lambda: gh.search_issues(params.query, **options)
    )


def github_search_code(params: SearchCode, ctx: ToolContext) -> SearchPage[CodeMatch]:
    """Search code in GitHub's default branches; name a repo: or org: to narrow it (a token is required)."""
    gh = github_client(ctx)
    return _search(
        ctx, SearchPage[CodeMatch], CodeMatch.from_api, params.page, lambda: gh.search_code(params.query)
    )


def _search(
    ctx: ToolContext,
    model: type[S],
    convert: Callable[[dict[str, Any]], Any],
    page: int,
    search: Callable[[], Any],
) -> S:
    with upstream(ctx):
        listing = search()
        items = listing.get_page(page - 1)
        # The page just fetched set both; incomplete_results is PyGithub 2.10+.
        total, incomplete = listing.totalCount, getattr(listing, "incomplete_results", None)
    report(ctx, *items[:1])
    size = settings_of(ctx).page_size
    more = len(items) >= size and page * size < min(total, SEARCH_WINDOW)
    return model(
        items=[convert(payload(item)) for item in items],
        page=page,
        next_page=page + 1 if more else None,
        total_count=total,
        incomplete_results=bool(incomplete),
    )
