"""Toolset ``pull_requests``: list, read, open and merge pull requests; review comments on their diffs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from mcpea_core import ToolContext

from .calls import fetch_one, fetch_page, given
from .client import github_client
from .common import Page, RepoRef, Result, login, logins, number_field, page_field
from .issues import label_names

__all__ = [
    "MergeResult",
    "PullRequest",
    "ReviewComment",
    "github_create_pull_request",
    "github_create_review_comment",
    "github_get_pull_request",
    "github_list_pull_requests",
    "github_list_review_comments",
    "github_merge_pull_request",
]

SHA_PATTERN = r"^[0-9a-fA-F]{40}$|^[0-9a-fA-F]{64}$"


class PullRequest(Result):
    number: int
    title: str
    state: str
    draft: bool = False
    merged: bool | None = Field(
        default=None, description="Unknown (null) in lists; get the pull request to know."
    )
    mergeable: bool | None = Field(default=None, description="Null while GitHub is still computing it.")
    mergeable_state: str | None = None
    author: str | None = None
    body: str | None = None
    head: str | None = Field(default=None, description="Branch with the changes (owner:branch for forks).")
    head_sha: str | None = None
    base: str | None = Field(default=None, description="Branch the changes would merge into.")
    labels: list[str] = Field(default_factory=list)
    requested_reviewers: list[str] = Field(default_factory=list)
    commits: int | None = None
    additions: int | None = None
    deletions: int | None = None
    changed_files: int | None = None
    html_url: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    closed_at: str | None = None
    merged_at: str | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> PullRequest:
        head = data.get("head") or {}
        base = data.get("base") or {}
        return cls(
            number=data["number"],
            title=data["title"],
            state=data["state"],
            draft=bool(data.get("draft")),
            merged=data.get("merged"),
            mergeable=data.get("mergeable"),
            mergeable_state=data.get("mergeable_state"),
            author=login(data.get("user")),
            body=data.get("body"),
            head=head.get("label") or head.get("ref"),
            head_sha=head.get("sha"),
            base=base.get("ref"),
            labels=label_names(data.get("labels")),
            requested_reviewers=logins(data.get("requested_reviewers")),
            commits=data.get("commits"),
            additions=data.get("additions"),
            deletions=data.get("deletions"),
            changed_files=data.get("changed_files"),
            html_url=data.get("html_url"),
            created_at=data.get("created_at"),
            updated_at=data.get("updated_at"),
            closed_at=data.get("closed_at"),
            merged_at=data.get("merged_at"),
        )


class ReviewComment(Result):
    id: int
    author: str | None = None
    body: str
    path: str
    line: int | None = None
    side: str | None = None
    start_line: int | None = None
    commit_id: str | None = None
    in_reply_to_id: int | None = None
    html_url: str | None = None
    created_at: str | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> ReviewComment:
        return cls(
            id=data["id"],
            author=login(data.get("user")),
            body=data["body"],
            path=data["path"],
            line=data.get("line"),
            side=data.get("side"),
            start_line=data.get("start_line"),
            commit_id=data.get("commit_id"),
            in_reply_to_id=data.get("in_reply_to_id"),
            html_url=data.get("html_url"),
            created_at=data.get("created_at"),
        )


class MergeResult(Result):
    merged: bool
    sha: str | None = Field(default=None, description="The merge (or squash/rebase) commit.")
    message: str | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> MergeResult:
        return cls(merged=bool(data.get("merged")), sha=data.get("sha"), message=data.get("message"))


class ListPullRequests(RepoRef):
    state: Literal["open", "closed", "all"] = "open"
    head: str | None = Field(
        default=None, max_length=300, description="Only from this branch, as owner:branch."
    )
    base: str | None = Field(default=None, max_length=255, description="Only into this branch.")
    sort: Literal["created", "updated", "popularity", "long-running"] = "created"
    direction: Literal["asc", "desc"] = "desc"
    page: int = page_field()


class GetPullRequest(RepoRef):
    pull_number: int = number_field("pull request")


class CreatePullRequest(RepoRef):
    title: str = Field(min_length=1, max_length=256)
    head: str = Field(
        min_length=1, max_length=300, description="Branch with the changes; owner:branch from a fork."
    )
    base: str = Field(min_length=1, max_length=255, description="Branch to merge into, e.g. main.")
    body: str | None = Field(default=None, max_length=65536, description="Markdown.")
    draft: bool = False
    maintainer_can_modify: bool | None = Field(
        default=None, description="Let maintainers push to a fork's branch."
    )


class MergePullRequest(RepoRef):
    pull_number: int = number_field("pull request")
    merge_method: Literal["merge", "squash", "rebase"] = "merge"
    sha: str | None = Field(
        default=None,
        pattern=SHA_PATTERN,
        description="Head SHA the pull request must still have, or GitHub refuses (409). Recommended.",
    )
    commit_title: str | None = Field(default=None, max_length=256)
    commit_message: str | None = Field(default=None, max_length=65536)


class ListReviewComments(RepoRef):
    pull_number: int = number_field("pull request")
    sort: Literal["created", "updated"] = "created"
    direction: Literal["asc", "desc"] = "asc"
    page: int = page_field()


class CreateReviewComment(RepoRef):
    pull_number: int = number_field("pull request")
    body: str = Field(min_length=1, max_length=65536, description="Markdown.")
    commit_id: str = Field(
        pattern=SHA_PATTERN, description="Commit the comment refers to: the head SHA, usually."
    )
    path: str = Field(min_length=1, max_length=1024, description="File path relative to the repository root.")
    line: int | None = Field(
        default=None, ge=1, description="Line of the diff to comment on (last line of a range)."
    )
    side: Literal["LEFT", "RIGHT"] = Field(
        default="RIGHT", description="LEFT: deleted lines; RIGHT: added or context."
    )
    start_line: int | None = Field(default=None, ge=1, description="First line of a multi-line comment.")
    start_side: Literal["LEFT", "RIGHT"] | None = None
    subject_type: Literal["line", "file"] = Field(
        default="line", description="file: comment on the whole file."
    )

    @model_validator(mode="after")
    def _line_given(self) -> CreateReviewComment:
        if self.subject_type == "line" and self.line is None:
            raise ValueError("line is required unless subject_type is 'file'")
        if self.start_line is not None and (self.line is None or self.start_line >= self.line):
            raise ValueError("start_line must come before line")
        return self


def github_list_pull_requests(params: ListPullRequests, ctx: ToolContext) -> Page[PullRequest]:
    """List a repository's pull requests, newest first."""
    gh = github_client(ctx)
    options = given(
        state=params.state, sort=params.sort, direction=params.direction, head=params.head, base=params.base
    )
    return fetch_page(
        ctx,
        Page[PullRequest],
        PullRequest.from_api,
        params.page,
        lambda: gh.get_repo(params.full_name).get_pulls(**options),
    )


def github_get_pull_request(params: GetPullRequest, ctx: ToolContext) -> PullRequest:
    """Get one pull request: branches, head SHA, merge state, size of the change."""
    gh = github_client(ctx)
    return fetch_one(
        ctx, PullRequest.from_api, lambda: gh.get_repo(params.full_name).get_pull(params.pull_number)
    )


def github_create_pull_request(params: CreatePullRequest, ctx: ToolContext) -> PullRequest:
    """Open a pull request from head into base. Not idempotent: a second one for the same head is refused."""
    gh = github_client(ctx)
    options = given(
        title=params.title,
        draft=params.draft,
        body=params.body,
        maintainer_can_modify=params.maintainer_can_modify,
    )
    return fetch_one(
        ctx,
        PullRequest.from_api,
        lambda: gh.get_repo(params.full_name).create_pull(params.base, params.head, **options),
    )


def github_merge_pull_request(params: MergePullRequest, ctx: ToolContext) -> MergeResult:
    """Merge a pull request into its base branch (merge, squash or rebase); pass sha to merge what you saw."""
    gh = github_client(ctx)
    options = given(
        merge_method=params.merge_method,
        sha=params.sha,
        commit_title=params.commit_title,
        commit_message=params.commit_message,
    )
    return fetch_one(
        ctx,
        MergeResult.from_api,
        lambda: gh.get_repo(params.full_name).get_pull(params.pull_number).merge(**options),
    )


def github_list_review_comments(params: ListReviewComments, ctx: ToolContext) -> Page[ReviewComment]:
    """List the review comments on a pull request's diff (line comments), oldest first."""
    gh = github_client(ctx)
    return fetch_page(
        ctx,
        Page[ReviewComment],
        ReviewComment.from_api,
        params.page,
        lambda: (
            gh.get_repo(params.full_name)
            .get_pull(params.pull_number)
            .get_review_comments(sort=params.sort, direction=params.direction)
        ),
    )


def github_create_review_comment(params: CreateReviewComment, ctx: ToolContext) -> ReviewComment:
    """Comment on a line (or range, or whole file) of a pull request's diff at a given commit."""
    gh = github_client(ctx)
    ranged = params.start_line is not None
    options = given(
        side=params.side if params.subject_type == "line" else None,
        subject_type=params.subject_type,
        line=params.line,
        start_line=params.start_line,
        start_side=(params.start_side or params.side) if ranged else None,
    )
    return fetch_one(
        ctx,
        ReviewComment.from_api,
        lambda: (
            gh.get_repo(params.full_name)
            .get_pull(params.pull_number)
            .create_review_comment(params.body, params.commit_id, params.path, **options)
        ),
    )
