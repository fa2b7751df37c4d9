"""Contract tests: every tool through a real hub, the in-memory MCP client and PyGithub, against Prism.

Prism serves GitHub's published REST description (trimmed to
``tests/doubles/select/github.ops``) and checks every request against it: a
request the description does not allow gets a 4xx with the reason in
``sl-violations``. Nobody on this project wrote either side. Prism keeps no
state and answers GitHub's own examples, so results are the examples' values
(issue 1347 of octocat/Hello-World, and so on).

Each test also checks the exact requests a tool sent (through the recording
shim in conftest.py): one request per call, no hidden fetches.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

HERE = {"owner": "octocat", "repo": "Hello-World"}
REPO = "/repos/octocat/Hello-World"
SHA = "6dcb09b5b57875f334f61aebed695e2e4193db5e"

CASES = [
    # (tool, arguments, the one request it must send, {field: expected value})
    ("github_get_repository", HERE, ("GET", REPO),
     {"full_name": "octocat/Hello-World", "default_branch": "master"}),
    ("github_list_repositories", {}, ("GET", "/user/repos"), {"items.0.full_name": "octocat/Hello-World"}),
    ("github_list_repositories", {"owner": "octocat", "sort": "pushed"}, ("GET", "/users/octocat/repos"), {}),
    ("github_list_repositories", {"owner": "github", "owner_type": "org"}, ("GET", "/orgs/github/repos"), {}),
    ("github_list_issues", {**HERE, "labels": ["bug"], "state": "all"}, ("GET", f"{REPO}/issues"),
     {"items.0.number": 1347, "items.0.labels": ["bug"]}),
    ("github_get_issue", {**HERE, "issue_number": 1347}, ("GET", f"{REPO}/issues/1347"),
     {"title": "Found a bug", "author": "octocat", "is_pull_request": True}),
    ("github_list_issue_comments", {**HERE, "issue_number": 1347}, ("GET", f"{REPO}/issues/1347/comments"),
     {"items.0.body": "Me too"}),
    ("github_create_issue", {**HERE, "title": "Found a bug", "body": "steps", "labels": ["bug"],
                             "assignees": ["octocat"]}, ("POST", f"{REPO}/issues"), {"number": 1347}),
    ("github_add_issue_comment", {**HERE, "issue_number": 1347, "body": "Me too"},
     ("POST", f"{REPO}/issues/1347/comments"), {"id": 1, "body": "Me too"}),
    ("github_add_issue_labels", {**HERE, "issue_number": 1347, "labels": ["bug", "enhancement"]},
     ("POST", f"{REPO}/issues/1347/labels"), {"labels": ["bug", "enhancement"]}),
    ("github_close_issue", {**HERE, "issue_number": 1347, "reason": "not_planned"},
     ("PATCH", f"{REPO}/issues/1347"), {"number": 1347}),
    ("github_list_pull_requests", {**HERE, "state": "closed", "base": "master"}, ("GET", f"{REPO}/pulls"),
     {"items.0.number": 1347, "items.0.head": "octocat:new-topic"}),
    ("github_get_pull_request", {**HERE, "pull_number": 1347}, ("GET", f"{REPO}/pulls/1347"),
     {"title": "Amazing new feature", "mergeable": True, "base": "master"}),
    ("github_create_pull_request", {**HERE, "title": "Amazing new feature", "head": "octocat:new-feature",
                                    "base": "master", "body": "Please pull", "draft": True},
     ("POST", f"{REPO}/pulls"), {"number": 1347}),
    ("github_merge_pull_request", {**HERE, "pull_number": 1347, "merge_method": "squash", "sha": SHA,
                                   "commit_title": "Feature (#1347)"},
     ("PUT", f"{REPO}/pulls/1347/merge"), {"merged": True, "sha": SHA}),
    ("github_list_review_comments", {**HERE, "pull_number": 1347, "sort": "updated"},
     ("GET", f"{REPO}/pulls/1347/comments"), {"items.0.id": 10, "items.0.path": "file1.txt"}),
    ("github_create_review_comment", {**HERE, "pull_number": 1347, "body": "Great stuff!", "commit_id": SHA,
                                      "path": "file1.txt", "line": 2, "start_line": 1},
     ("POST", f"{REPO}/pulls/1347/comments"), {"id": 10, "line": 2}),
    ("github_create_review_comment", {**HERE, "pull_number": 1347, "body": "Whole file", "commit_id": SHA,
                                      "path": "file1.txt", "subject_type": "file"},
     ("POST", f"{REPO}/pulls/1347/comments"), {"id": 10}),
    ("github_search_issues", {"query": "repo:octocat/Hello-World is:open", "sort": "updated", "order": "asc"},
     ("GET", "/search/issues"), {"items.0.number": 132, "total_count": 280}),
    ("github_search_code", {"query": "addClass repo:jquery/jquery"}, ("GET", "/search/code"),
     {"items.0.path": "src/attributes/classes.js", "items.0.repository": "jquery/jquery"}),
    ("github_list_workflow_runs", {**HERE, "status": "failure", "branch": "main", "event": "push"},
     ("GET", f"{REPO}/actions/runs"), {"items.0.id": 30433642}),
    ("github_list_workflow_runs", {**HERE, "workflow": "ci.yml"},
     ("GET", f"{REPO}/actions/workflows/ci.yml/runs"), {"items.0.name": "Build"}),
    ("github_rerun_workflow_run", {**HERE, "run_id": 30433642},
     ("POST", f"{REPO}/actions/runs/30433642/rerun"), {"accepted": True}),
    ("github_rerun_workflow_run", {**HERE, "run_id": 30433642, "failed_jobs_only": True},
     ("POST", f"{REPO}/actions/runs/30433642/rerun-failed-jobs"), {"failed_jobs_only": True}),
    ("github_list_releases", {**HERE, "page": 2}, ("GET", f"{REPO}/releases"),
     {"items.0.tag_name": "v1.0.0"}),
    ("github_create_release", {**HERE, "tag_name": "v1.0.0", "target_commitish": "master", "name": "v1.0.0",
                               "body": "Description of the release", "generate_release_notes": True},
     ("POST", f"{REPO}/releases"), {"tag_name": "v1.0.0", "author": "octocat"}),
]  # fmt: skip


def field(result: dict[str, Any], dotted: str) -> Any:
    value: Any = result
    for part in dotted.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


async def call(shim: Any, make_hub: Any, tool: str, arguments: dict[str, Any]) -> Any:
    shim.take()
    async with make_hub(shim.base_url).client() as client:
        return await client.call_tool(tool, arguments)


@pytest.mark.parametrize(
    ("tool", "arguments", "request_", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
async def test_tool_against_githubs_description(
    prism_github: Any,
    make_hub: Any,
    tool: str,
    arguments: dict[str, Any],
    request_: tuple[str, str],
    expected: Any,
) -> None:
    result = await call(prism_github, make_hub, tool, arguments)
    sent = prism_github.take()
    assert not result.is_error, (result.content[0].text, prism_github.violations[-1:])
    assert [(method, path) for method, path, _ in sent] == [request_]
    assert all(200 <= status < 300 for _, _, status in sent)
    for dotted, value in expected.items():
        assert field(result.structured_content, dotted) == value, dotted


async def test_every_tool_has_a_contract_case(make_hub: Any) -> None:
    async with make_hub().client() as client:
        listed = {tool.name for tool in (await client.list_tools()).tools}
    covered = {case[0] for case in CASES} | {"github_get_file_contents"}
    assert listed == covered


async def test_file_contents(prism_github: Any, make_hub: Any) -> None:
    result = await call(
        prism_github, make_hub, "github_get_file_contents", {**HERE, "path": "README.md", "ref": "main"}
    )
    assert not result.is_error, result.content[0].text
    assert prism_github.take() == [("GET", f"{REPO}/contents/README.md", 200)]
    data = result.structured_content
    assert data["path"] == "README.md" and data["type"] == "file" and data["size"] == 5362
    # GitHub's example content is a cut-off base64 string, not UTF-8 text: reported as binary.
    assert data["binary"] is True and data["text"] is None and data["download_url"]


async def test_listing_since_a_time_sends_it_in_utc(prism_github: Any, make_hub: Any) -> None:
    since = datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    result = await call(prism_github, make_hub, "github_list_issues", {**HERE, "since": since.isoformat()})
    assert not result.is_error, result.content[0].text
    assert prism_github.take() == [("GET", f"{REPO}/issues", 200)]


async def test_request_ids_reach_the_audit_record(prism_github: Any, make_hub: Any, run: Any) -> None:
    prism_github.take()
    outcome, call_ = await run(
        make_hub(prism_github.base_url), "github_create_issue", {**HERE, "title": "Bug"}
    )
    assert outcome.outcome == "success"
    assert call_.upstream["request_ids"] == ["PRISM-1"]


async def test_prism_rejects_what_githubs_description_does_not_allow(prism_github: Any) -> None:
    """The stand-in really checks: PyGithub's add_to_labels posts a bare array, which the description refuses.

    (github_add_issue_labels posts the documented {"labels": [...]} instead.) The refusal, translated, is an
    UpstreamError naming the status and the stand-in's reason.
    """
    from github import Auth, Github, GithubException
    from mcpea_plugin_github.errors import translate

    from mcpea_core import UpstreamError

    gh = Github(
        base_url=prism_github.base_url,
        auth=Auth.Token("ghp_x"),
        seconds_between_requests=0,
        seconds_between_writes=0,
        retry=None,
        lazy=True,
    )
    with pytest.raises(GithubException) as caught:
        gh.get_repo("octocat/Hello-World").get_issue(1347).add_to_labels("bug")
    gh.close()
    assert caught.value.status == 422
    assert "Request body must be object" in (caught.value.headers or {}).get("sl-violations", "")
    error = translate(caught.value)
    assert type(error) is UpstreamError and error.status == 422 and "422" in str(error)
