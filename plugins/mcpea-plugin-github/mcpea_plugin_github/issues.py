"""Toolset ``issues``: list, read, open, comment on, label and close issues."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import Field

from mcpea_core import ToolContext

from .calls import fetch_one, fetch_page, given, request
from .client import github_client
from .common import Page, RepoRef, Result, login, logins, number_field, page_field

__all__ = [
    "Issue",
    "IssueComment",
    "github_add_issue_comment",
    "github_add_issue_labels",
    "github_close_issue",
    "github_create_issue",
    "github_get_issue",
    "github_list_issue_comments",
    "github_list_issues",
]


class Issue(Result):
    number: int
    title: str
    state: str
    state_reason: str | None = None
    author: str | None = None
    body: str | None = None
    labels: list[str] = Field(default_factory=list)
    assignees: list[str] = Field(default_factory=list)
    comments: int | None = None
    is_pull_request: bool = Field(default=False, description="GitHub lists pull requests among issues.")
    locked: bool = False
    repository: str | None = Field(default=None, description="owner/name of the issue's repository.")
    html_url: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    closed_at: str | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Issue:
        return cls(
            number=data["number"],
            title=data["title"],
            state=data["state"],
            state_reason=data.get("state_reason"),
            author=login(data.get("user")),
            body=data.get("body"),
            labels=label_names(data.get("labels")),
            assignees=logins(data.get("assignees")),
            comments=data.get("comments"),
            is_pull_request="pull_request" in data and data["pull_request"] is not None,
            locked=bool(data.get("locked")),
            repository=_repository(data.get("repository_url")),
            html_url=data.get("html_url"),
            created_at=data.get("created_at"),
            updated_at=data.get("updated_at"),
            closed_at=data.get("closed_at"),
        )


class IssueComment(Result):
    id: int
    author: str | None = None
    body: str | None = None
    html_url: str | None = None
    created_at: str | None = None
    updated_at: str | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> IssueComment:
        return cls(
            id=data["id"],
            author=login(data.get("user")),
            body=data.get("body"),
            html_url=data.get("html_url"),
            created_at=data.get("created_at"),
            updated_at=data.get("updated_at"),
        )


class IssueLabels(Result):
    issue_number: int
    labels: list[str] = Field(description="All labels on the issue now.")


class ListIssues(RepoRef):
    state: Literal["open", "closed", "all"] = "open"
    labels: list[str] = Field(
        default_factory=list, max_length=20, description="Only issues with all these labels."
    )
    assignee: str | None = Field(
        default=None, max_length=100, description="A login, 'none' (unassigned) or '*' (assigned to anyone)."
    )
    sort: Literal["created", "updated", "comments"] = "created"
    direction: Literal["asc", "desc"] = "desc"
    since: datetime | None = Field(
        default=None, description="Only issues updated at or after this time (ISO 8601)."
    )
    page: int = page_field()


class GetIssue(RepoRef):
    issue_number: int = number_field("issue")


class CreateIssue(RepoRef):
    title: str = Field(min_length=1, max_length=256)
    body: str | None = Field(default=None, max_length=65536, description="Markdown.")
    labels: list[str] = Field(default_factory=list, max_length=100)
    assignees: list[str] = Field(default_factory=list, max_length=10, description="Logins to assign.")


class AddIssueComment(RepoRef):
    issue_number: int = number_field("issue or pull request")
    body: str = Field(min_length=1, max_length=65536, description="Markdown.")


class CloseIssue(RepoRef):
    issue_number: int = number_field("issue")
    reason: Literal["completed", "not_planned", "duplicate"] = "completed"


class AddIssueLabels(RepoRef):
    issue_number: int = number_field("issue or pull request")
    labels: list[str] = Field(
        min_length=1, max_length=100, description="Labels to add; existing labels stay."
    )


class ListIssueComments(RepoRef):
    issue_number: int = number_field("issue or pull request")
    page: int = page_field()


def github_list_issues(params: ListIssues, ctx: ToolContext) -> Page[Issue]:
    """List a repository's issues, newest first; pull requests are included (is_pull_request)."""
    gh = github_client(ctx)
    since = params.since
    if since is not None:  # PyGithub formats since with strftime(...Z), dropping any offset: hand it UTC.
        since = since.astimezone(UTC) if since.tzinfo else since.replace(tzinfo=UTC)
    options = given(
        state=params.state,
        sort=params.sort,
        direction=params.direction,
        labels=params.labels,
        assignee=params.assignee,
        since=since,
    )
    return fetch_page(
        ctx,
        Page[Issue],
        Issue.from_api,
        params.page,
        lambda: gh.get_repo(params.full_name).get_issues(**options),
    )


def github_get_issue(params: GetIssue, ctx: ToolContext) -> Issue:
    """Get one issue (or pull request, as an issue) with its body, labels and assignees."""
    gh = github_client(ctx)
    return fetch_one(
        ctx, Issue.from_api, lambda: gh.get_repo(params.full_name).get_issue(params.issue_number)
    )


def github_create_issue(params: CreateIssue, ctx: ToolContext) -> Issue:
    """Open a new issue. Not idempotent: calling it twice opens two issues."""
    gh = github_client(ctx)
    options = given(body=params.body, labels=params.labels, assignees=params.assignees)
    return fetch_one(
        ctx, Issue.from_api, lambda: gh.get_repo(params.full_name).create_issue(params.title, **options)
    )


def github_add_issue_comment(params: AddIssueComment, ctx: ToolContext) -> IssueComment:
    """Comment on an issue or pull request (the conversation, not a line of the diff)."""
    gh = github_client(ctx)
    return fetch_one(
        ctx,
        IssueComment.from_api,
        lambda: gh.get_repo(params.full_name).get_issue(params.issue_number).create_comment(params.body),
    )


def github_list_issue_comments(params: ListIssueComments, ctx: ToolContext) -> Page[IssueComment]:
    """List the comments of an issue or pull request conversation, oldest first."""
    gh = github_client(ctx)
    return fetch_page(
        ctx,
        Page[IssueComment],
        IssueComment.from_api,
        params.page,
        lambda: gh.get_repo(params.full_name).get_issue(params.issue_number).get_comments(),
    )


def github_close_issue(params: CloseIssue, ctx: ToolContext) -> Issue:
    """Close an issue as completed, not planned or duplicate. Closing a closed issue changes nothing."""
    # Issue.edit() keeps the response's headers (and request id) to itself: PATCH through the requester.
    change = {"state": "closed", "state_reason": params.reason}
    data = request(ctx, "PATCH", f"{params.api_path}/issues/{params.issue_number}", input=change)
    return Issue.from_api(data)


def github_add_issue_labels(params: AddIssueLabels, ctx: ToolContext) -> IssueLabels:
    """Add labels to an issue or pull request, keeping its other labels; returns all its labels."""
    # Issue.add_to_labels() sends a bare JSON array; GitHub documents and advises {"labels": [...]}.
    url = f"{params.api_path}/issues/{params.issue_number}/labels"
    data = request(ctx, "POST", url, input={"labels": params.labels})
    return IssueLabels(issue_number=params.issue_number, labels=label_names(data))


def label_names(labels: Any) -> list[str]:
    names = []
    for label in labels or []:
        name = label.get("name") if isinstance(label, dict) else label
        if isinstance(name, str):
            names.append(name)
    return names


def _repository(url: Any) -> str | None:
    if not isinstance(url, str) or "/repos/" not in url:
        return None
    return url.rsplit("/repos/", 1)[1]
