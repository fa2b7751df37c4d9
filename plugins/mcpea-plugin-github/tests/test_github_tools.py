"""Each tool against an injected fake client: what it asks PyGithub for, what it returns, how it fails.

No network: the hub's settings get a ``MagicMock`` in place of ``github.Github``.
The contract tests (test_github_contract.py) run the same tools through the
real PyGithub against GitHub's published description.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from unittest.mock import MagicMock

import pytest
from github import (
    BadCredentialsException,
    GithubException,
    RateLimitExceededException,
    UnknownObjectException,
)
from mcpea_plugin_github import GitHubSettings

from mcpea_core import AuthError, Hub, RateLimited, UpstreamError

pytestmark = pytest.mark.anyio

HERE = {"owner": "octocat", "repo": "Hello-World"}
USER = {"login": "octocat"}
ISSUE = {
    "number": 7,
    "title": "Found a bug",
    "state": "open",
    "user": USER,
    "labels": [{"name": "bug"}],
    "assignees": [USER],
    "comments": 2,
    "repository_url": "https://api.github.com/repos/octocat/Hello-World",
}
PULL = {
    "number": 9,
    "title": "Amazing new feature",
    "state": "open",
    "user": USER,
    "head": {"label": "octocat:feature", "ref": "feature", "sha": "a" * 40},
    "base": {"ref": "main"},
    "labels": [],
}
RUN = {"id": 30433642, "name": "Build", "status": "completed", "conclusion": "failure", "actor": USER}
RELEASE = {"id": 1, "tag_name": "v1.0.0", "author": USER, "assets": [{"name": "app.tgz"}]}
REQ = {"x-github-request-id": "REQ-9"}


def sdk_object(data: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    """What PyGithub hands back: the payload in ``_rawData``, the response headers in ``_headers``."""
    return SimpleNamespace(_rawData=data, _headers=headers or REQ, raw_data=data)


@pytest.fixture
def fake(make_hub: Any) -> tuple[Hub, MagicMock]:
    hub = make_hub(page_size=2).load()
    client = MagicMock(name="Github")
    settings = hub.settings["github"]
    assert isinstance(settings, GitHubSettings)
    settings.use_client(client)
    return hub, client


async def call(hub: Hub, tool: str, run: Any, **arguments: Any) -> Any:
    outcome, record = await run(hub, tool, arguments)
    assert outcome.outcome == "success", outcome.result
    assert record.upstream.get("request_ids") == ["REQ-9"]
    return outcome.result.structured_content


async def test_get_repository(fake: Any, run: Any) -> None:
    hub, gh = fake
    gh.get_repo.return_value = sdk_object(
        {"full_name": "octocat/Hello-World", "stargazers_count": 80, "topics": ["x"]}
    )
    result = await call(hub, "github_get_repository", run, **HERE)
    gh.get_repo.assert_called_once_with("octocat/Hello-World")
    assert (
        result["full_name"] == "octocat/Hello-World" and result["stars"] == 80 and result["topics"] == ["x"]
    )


@pytest.mark.parametrize(
    ("arguments", "expect"),
    [
        ({}, "user"),
        ({"owner": "octocat"}, "named"),
        ({"owner": "github", "owner_type": "org"}, "org"),
    ],
)
async def test_list_repositories_of_me_a_user_or_an_org(
    fake: Any, run: Any, arguments: dict[str, Any], expect: str
) -> None:
    hub, gh = fake
    page = [sdk_object({"full_name": "a/b"}), sdk_object({"full_name": "a/c"})]
    gh.get_user.return_value.get_repos.return_value.get_page.return_value = page
    with pytest.MonkeyPatch.context() as patch:
        org_listing = MagicMock()
        org_listing.return_value.get_page.return_value = page
        patch.setattr("github.PaginatedList.PaginatedList", org_listing)
        result = await call(hub, "github_list_repositories", run, page=2, **arguments)
    assert [r["full_name"] for r in result["items"]] == ["a/b", "a/c"]
    assert result["page"] == 2 and result["next_page"] == 3  # a full page (page_size=2): there may be more
    if expect == "user":
        gh.get_user.assert_called_once_with()
    elif expect == "named":
        gh.get_user.assert_called_once_with("octocat", lazy=True)
    else:
        assert org_listing.call_args.args[2] == "/orgs/github/repos"
        org_listing.return_value.get_page.assert_called_once_with(1)


async def test_get_file_contents_decodes_text(fake: Any, run: Any) -> None:
    hub, gh = fake
    file = {"type": "file", "path": "src/a.py", "encoding": "base64", "content": "cHJpbnQoMSkK\n", "sha": "s"}
    gh.requester.requestJsonAndCheck.return_value = (REQ, file)
    result = await call(hub, "github_get_file_contents", run, **HERE, path="/src/a.py", ref="main")
    gh.requester.requestJsonAndCheck.assert_called_once_with(
        "GET",
        "/repos/octocat/Hello-World/contents/src/a.py",
        parameters={"ref": "main"},
        headers={"Accept": "application/json"},
    )
    assert result["text"] == "print(1)\n" and not result["binary"] and not result["truncated"]


async def test_get_file_contents_lists_a_directory(fake: Any, run: Any) -> None:
    hub, gh = fake
    entries = [{"name": "a.py", "path": "src/a.py", "type": "file", "size": 9}]
    gh.requester.requestJsonAndCheck.return_value = (REQ, entries)
    result = await call(hub, "github_get_file_contents", run, **HERE, path="src")
    assert result["type"] == "dir" and result["entries"][0]["name"] == "a.py" and result["text"] is None


@pytest.mark.parametrize("path", ["../../user", "src/../../..", "./x"])
async def test_get_file_contents_refuses_dot_segments(fake: Any, run: Any, path: str) -> None:
    hub, gh = fake
    outcome, _ = await run(hub, "github_get_file_contents", {**HERE, "path": path})
    assert outcome.outcome == "invalid_input"
    gh.requester.requestJsonAndCheck.assert_not_called()


@pytest.mark.parametrize("repo", ["..", "a/b", "x?y"])
async def test_repository_names_stay_one_path_segment(fake: Any, run: Any, repo: str) -> None:
    hub, gh = fake
    outcome, _ = await run(hub, "github_get_repository", {"owner": "octocat", "repo": repo})
    assert outcome.outcome == "invalid_input"
    gh.get_repo.assert_not_called()


async def test_list_issues_passes_filters(fake: Any, run: Any) -> None:
    hub, gh = fake
    listing = gh.get_repo.return_value.get_issues
    listing.return_value.get_page.return_value = [sdk_object({**ISSUE, "pull_request": {"url": "u"}})]
    result = await call(hub, "github_list_issues", run, **HERE, labels=["bug"], assignee="*", state="all")
    listing.assert_called_once_with(
        state="all", sort="created", direction="desc", labels=["bug"], assignee="*"
    )
    listing.return_value.get_page.assert_called_once_with(0)
    issue = result["items"][0]
    assert (
        issue["is_pull_request"]
        and issue["labels"] == ["bug"]
        and issue["repository"] == "octocat/Hello-World"
    )
    assert result["next_page"] is None  # fewer than page_size items: the last page


async def test_get_issue(fake: Any, run: Any) -> None:
    hub, gh = fake
    gh.get_repo.return_value.get_issue.return_value = sdk_object(ISSUE)
    result = await call(hub, "github_get_issue", run, **HERE, issue_number=7)
    gh.get_repo.return_value.get_issue.assert_called_once_with(7)
    assert result["number"] == 7 and result["author"] == "octocat" and result["assignees"] == ["octocat"]


async def test_create_issue_sends_only_what_was_given(fake: Any, run: Any) -> None:
    hub, gh = fake
    gh.get_repo.return_value.create_issue.return_value = sdk_object(ISSUE)
    result = await call(hub, "github_create_issue", run, **HERE, title="Found a bug", labels=["bug"])
    gh.get_repo.return_value.create_issue.assert_called_once_with("Found a bug", labels=["bug"])
    assert result["number"] == 7


async def test_add_issue_comment(fake: Any, run: Any) -> None:
    hub, gh = fake
    issue = gh.get_repo.return_value.get_issue.return_value
    issue.create_comment.return_value = sdk_object({"id": 3, "user": USER, "body": "Me too"})
    result = await call(hub, "github_add_issue_comment", run, **HERE, issue_number=7, body="Me too")
    issue.create_comment.assert_called_once_with("Me too")
    assert result == {**result, "id": 3, "author": "octocat", "body": "Me too"}


async def test_list_issue_comments(fake: Any, run: Any) -> None:
    hub, gh = fake
    issue = gh.get_repo.return_value.get_issue.return_value
    issue.get_comments.return_value.get_page.return_value = [sdk_object({"id": 3, "user": None})]
    result = await call(hub, "github_list_issue_comments", run, **HERE, issue_number=7)
    assert result["items"] == [{**result["items"][0], "id": 3, "author": None}]


async def test_close_issue_patches_state_and_reason(fake: Any, run: Any) -> None:
    hub, gh = fake
    gh.requester.requestJsonAndCheck.return_value = (
        REQ,
        {**ISSUE, "state": "closed", "state_reason": "not_planned"},
    )
    result = await call(hub, "github_close_issue", run, **HERE, issue_number=7, reason="not_planned")
    gh.requester.requestJsonAndCheck.assert_called_once_with(
        "PATCH",
        "/repos/octocat/Hello-World/issues/7",
        input={"state": "closed", "state_reason": "not_planned"},
    )
    assert result["state"] == "closed" and result["state_reason"] == "not_planned"


async def test_add_issue_labels_posts_the_documented_object(fake: Any, run: Any) -> None:
    hub, gh = fake
    gh.requester.requestJsonAndCheck.return_value = (REQ, [{"name": "bug"}, {"name": "ui"}])
    result = await call(hub, "github_add_issue_labels", run, **HERE, issue_number=7, labels=["ui"])
    gh.requester.requestJsonAndCheck.assert_called_once_with(
        "POST", "/repos/octocat/Hello-World/issues/7/labels", input={"labels": ["ui"]}
    )
    assert result == {"issue_number": 7, "labels": ["bug", "ui"]}


async def test_list_and_get_pull_requests(fake: Any, run: Any) -> None:
    hub, gh = fake
    repo = gh.get_repo.return_value
    repo.get_pulls.return_value.get_page.return_value = [sdk_object(PULL)]
    repo.get_pull.return_value = sdk_object({**PULL, "merged": False, "mergeable": True, "commits": 3})
    listed = await call(hub, "github_list_pull_requests", run, **HERE, base="main")
    repo.get_pulls.assert_called_once_with(state="open", sort="created", direction="desc", base="main")
    assert listed["items"][0]["head"] == "octocat:feature" and listed["items"][0]["merged"] is None
    got = await call(hub, "github_get_pull_request", run, **HERE, pull_number=9)
    assert got["mergeable"] is True and got["commits"] == 3 and got["head_sha"] == "a" * 40


async def test_create_pull_request(fake: Any, run: Any) -> None:
    hub, gh = fake
    gh.get_repo.return_value.create_pull.return_value = sdk_object(PULL)
    await call(
        hub, "github_create_pull_request", run, **HERE, title="T", head="feature", base="main", draft=True
    )
    gh.get_repo.return_value.create_pull.assert_called_once_with("main", "feature", title="T", draft=True)


async def test_merge_pull_request(fake: Any, run: Any) -> None:
    hub, gh = fake
    pull = gh.get_repo.return_value.get_pull.return_value
    pull.merge.return_value = sdk_object(
        {"merged": True, "sha": "b" * 40, "message": "Pull Request successfully merged"}
    )
    result = await call(
        hub, "github_merge_pull_request", run, **HERE, pull_number=9, merge_method="squash", sha="a" * 40
    )
    pull.merge.assert_called_once_with(merge_method="squash", sha="a" * 40)
    assert result == {"merged": True, "sha": "b" * 40, "message": "Pull Request successfully merged"}


async def test_review_comments(fake: Any, run: Any) -> None:
    hub, gh = fake
    pull = gh.get_repo.return_value.get_pull.return_value
    comment = {"id": 10, "user": USER, "body": "nit", "path": "a.py", "line": 4, "side": "RIGHT"}
    pull.get_review_comments.return_value.get_page.return_value = [sdk_object(comment)]
    pull.create_review_comment.return_value = sdk_object(comment)
    listed = await call(hub, "github_list_review_comments", run, **HERE, pull_number=9)
    assert listed["items"][0]["line"] == 4
    created = await call(
        hub, "github_create_review_comment", run, **HERE, pull_number=9, body="nit", commit_id="a" * 40,
        path="a.py", line=4, start_line=2,
    )  # fmt: skip
    pull.create_review_comment.assert_called_once_with(
        "nit", "a" * 40, "a.py", side="RIGHT", subject_type="line", line=4, start_line=2, start_side="RIGHT"
    )
    assert created["id"] == 10


@pytest.mark.parametrize(
    "arguments",
    [{"line": None}, {"line": 3, "start_line": 5}, {"commit_id": "main"}],
    ids=["no-line", "range", "sha"],
)
async def test_review_comment_arguments_are_checked(fake: Any, run: Any, arguments: dict[str, Any]) -> None:
    hub, gh = fake
    base = {**HERE, "pull_number": 9, "body": "nit", "commit_id": "a" * 40, "path": "a.py", "line": 4}
    outcome, _ = await run(hub, "github_create_review_comment", {**base, **arguments})
    assert outcome.outcome == "invalid_input"
    gh.get_repo.assert_not_called()


async def test_search_issues_and_code(fake: Any, run: Any) -> None:
    hub, gh = fake
    issues = gh.search_issues.return_value
    issues.get_page.return_value = [sdk_object(ISSUE), sdk_object(ISSUE)]
    issues.totalCount, issues.incomplete_results = 5, False
    result = await call(hub, "github_search_issues", run, query="is:open crash", sort="updated")
    gh.search_issues.assert_called_once_with("is:open crash", sort="updated", order="desc")
    assert result["total_count"] == 5 and result["next_page"] == 2 and len(result["items"]) == 2

    code = gh.search_code.return_value
    code.get_page.return_value = [
        sdk_object({"name": "a.js", "path": "src/a.js", "repository": {"full_name": "a/b"}})
    ]
    code.totalCount, code.incomplete_results = 1, True
    result = await call(hub, "github_search_code", run, query="addClass repo:a/b")
    assert (
        result["items"][0]["repository"] == "a/b"
        and result["incomplete_results"]
        and result["next_page"] is None
    )


async def test_search_stops_at_githubs_1000_result_window(fake: Any, run: Any) -> None:
    hub, gh = fake
    listing = gh.search_issues.return_value
    listing.get_page.return_value = [sdk_object(ISSUE), sdk_object(ISSUE)]
    listing.totalCount, listing.incomplete_results = 50_000, False
    result = await call(hub, "github_search_issues", run, query="is:open", page=500)
    assert result["next_page"] is None


async def test_workflow_runs(fake: Any, run: Any) -> None:
    hub, gh = fake
    repo = gh.get_repo.return_value
    repo.get_workflow_runs.return_value.get_page.return_value = [sdk_object(RUN)]
    repo.get_workflow.return_value.get_runs.return_value.get_page.return_value = [sdk_object(RUN)]
    result = await call(hub, "github_list_workflow_runs", run, **HERE, status="failure", branch="main")
    repo.get_workflow_runs.assert_called_once_with(branch="main", status="failure")
    assert result["items"][0] == {
        **result["items"][0],
        "id": 30433642,
        "conclusion": "failure",
        "actor": "octocat",
    }
    await call(hub, "github_list_workflow_runs", run, **HERE, workflow="161335")
    repo.get_workflow.assert_called_once_with(161335)


@pytest.mark.parametrize(("failed_only", "suffix"), [(False, "rerun"), (True, "rerun-failed-jobs")])
async def test_rerun_workflow_run(fake: Any, run: Any, failed_only: bool, suffix: str) -> None:
    hub, gh = fake
    gh.requester.requestJsonAndCheck.return_value = (REQ, {})
    result = await call(hub, "github_rerun_workflow_run", run, **HERE, run_id=5, failed_jobs_only=failed_only)
    gh.requester.requestJsonAndCheck.assert_called_once_with(
        "POST", f"/repos/octocat/Hello-World/actions/runs/5/{suffix}"
    )
    assert result == {"run_id": 5, "failed_jobs_only": failed_only, "accepted": True}


async def test_releases(fake: Any, run: Any) -> None:
    hub, gh = fake
    repo = gh.get_repo.return_value
    repo.get_releases.return_value.get_page.return_value = [sdk_object(RELEASE)]
    repo.create_git_release.return_value = sdk_object(RELEASE)
    listed = await call(hub, "github_list_releases", run, **HERE)
    assert listed["items"][0]["assets"] == ["app.tgz"]
    await call(hub, "github_create_release", run, **HERE, tag_name="v1.0.0", body="notes")
    repo.create_git_release.assert_called_once_with(
        "v1.0.0",
        draft=False,
        prerelease=False,
        generate_release_notes=False,
        make_latest="true",
        message="notes",
    )


# --- errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("exc", "kind", "words"),
    [
        (
            BadCredentialsException(401, {"message": "Bad credentials"}, REQ),
            AuthError,
            ["credentials", "token"],
        ),
        (
            RateLimitExceededException(
                403, {"message": "API rate limit exceeded"}, {**REQ, "retry-after": "30"}
            ),
            RateLimited,
            ["rate limit", "Retry after 30 s"],
        ),
        (
            UnknownObjectException(404, {"message": "Not Found"}, REQ),
            UpstreamError,
            ["404", "token cannot see it"],
        ),
        (
            GithubException(
                422, {"message": "Validation Failed", "errors": [{"field": "title", "code": "missing"}]}, REQ
            ),
            UpstreamError,
            ["422", "Validation Failed", "title: missing"],
        ),
        (GithubException(502, {"message": "Server Error"}, REQ), UpstreamError, ["502", "Server Error"]),
    ],
    ids=["401", "rate-limit", "404", "422", "502"],
)
async def test_pygithub_exceptions_are_translated(
    fake: Any, run: Any, exc: GithubException, kind: type[UpstreamError], words: list[str]
) -> None:
    hub, gh = fake
    gh.get_repo.return_value.create_issue.side_effect = exc
    outcome, record = await run(hub, "github_create_issue", {**HERE, "title": "x"})
    assert outcome.outcome == "tool_error" and type(outcome.error) is kind
    assert outcome.error.status == exc.status and outcome.error.request_id == "REQ-9"
    assert outcome.error.__cause__ is exc
    assert record.upstream["request_ids"] == ["REQ-9"]
    text = outcome.result.content[0].text
    assert all(word in text for word in words), text
    assert "REQ-9" in text


async def test_a_rate_limit_without_a_wait_defaults_to_a_minute(fake: Any, run: Any) -> None:
    hub, gh = fake
    gh.get_repo.side_effect = GithubException(429, {"message": "slow down"}, {})
    outcome, _ = await run(hub, "github_get_repository", HERE)
    assert isinstance(outcome.error, RateLimited) and outcome.error.retry_after == 60
