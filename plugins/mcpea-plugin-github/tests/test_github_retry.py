"""The retry policy, through PyGithub and the hub, against a local server that answers what each test scripts.

The measured trap: PyGithub's default retry sent one create_issue 11 times
against a 502. Writes must go out once; reads retry a bounded number of times
with backoff; rate limits are waited out only when GitHub names a short wait.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from mcpea_plugin_github.retry import ReadOnlyRetry, rate_limit_wait
from urllib3.exceptions import ProtocolError

from mcpea_core import AuthError, RateLimited, UpstreamError

pytestmark = pytest.mark.anyio

REPO = {"full_name": "octocat/Hello-World", "owner": {"login": "octocat"}, "private": False}
ISSUE = {"number": 7, "title": "Found a bug", "state": "open", "user": {"login": "octocat"}}
GET_REPO = ("github_get_repository", {"owner": "octocat", "repo": "Hello-World"})
SECONDARY = {
    "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
}
PRIMARY = {"message": "API rate limit exceeded for user ID 1."}
WRITES = [
    pytest.param("github_create_issue", {"title": "Found a bug"}, "POST", id="create_issue-POST"),
    pytest.param("github_close_issue", {"issue_number": 7}, "PATCH", id="close_issue-PATCH"),
    pytest.param("github_merge_pull_request", {"pull_number": 7}, "PUT", id="merge-PUT"),
    pytest.param("github_rerun_workflow_run", {"run_id": 7}, "POST", id="rerun-POST"),
]
HERE = {"owner": "octocat", "repo": "Hello-World"}


@pytest.mark.parametrize(("tool", "arguments", "method"), WRITES)
async def test_a_write_answered_502_is_sent_exactly_once(
    scripted: Any,
    sleeps: list[float],
    make_hub: Any,
    run: Any,
    tool: str,
    arguments: dict[str, Any],
    method: str,
) -> None:
    scripted.script((502, {"message": "Server Error"}))
    outcome, call = await run(make_hub(scripted.base_url), tool, {**HERE, **arguments})
    assert scripted.methods == [method]
    assert sleeps == []
    assert isinstance(outcome.error, UpstreamError) and not isinstance(outcome.error, RateLimited)
    assert outcome.error.status == 502
    assert call.upstream["request_ids"] == ["REQ-1"]
    assert "502" in outcome.result.content[0].text and "REQ-1" in outcome.result.content[0].text


async def test_a_read_answered_502_is_retried_a_bounded_number_of_times_with_backoff(
    scripted: Any, sleeps: list[float], make_hub: Any, run: Any
) -> None:
    scripted.script((502, {"message": "Server Error"}))
    outcome, _ = await run(make_hub(scripted.base_url, max_retries=2, retry_backoff=0.5), *GET_REPO)
    assert scripted.methods == ["GET", "GET", "GET"]
    assert len(sleeps) == 2 and 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 1.5
    assert isinstance(outcome.error, UpstreamError) and outcome.error.status == 502
    assert outcome.error.request_id == "REQ-3"


async def test_a_read_succeeds_when_a_retry_does(
    scripted: Any, sleeps: list[float], make_hub: Any, run: Any
) -> None:
    scripted.script((503, None), (200, REPO))
    outcome, call = await run(make_hub(scripted.base_url), *GET_REPO)
    assert outcome.outcome == "success", outcome.result
    assert outcome.result.structured_content["full_name"] == "octocat/Hello-World"
    assert scripted.methods == ["GET", "GET"] and len(sleeps) == 1
    assert call.upstream["request_ids"] == ["REQ-2"]


async def test_no_retries_when_max_retries_is_zero(
    scripted: Any, sleeps: list[float], make_hub: Any, run: Any
) -> None:
    scripted.script((500, None))
    outcome, _ = await run(make_hub(scripted.base_url, max_retries=0), *GET_REPO)
    assert scripted.methods == ["GET"] and sleeps == []
    assert isinstance(outcome.error, UpstreamError) and outcome.error.status == 500


async def test_a_secondary_rate_limit_on_a_read_is_waited_out_for_the_time_github_asks(
    scripted: Any, sleeps: list[float], make_hub: Any, run: Any
) -> None:
    scripted.script((403, SECONDARY, {"Retry-After": "7"}), (200, REPO))
    outcome, _ = await run(make_hub(scripted.base_url, max_rate_limit_wait=20), *GET_REPO)
    assert outcome.outcome == "success", outcome.result
    assert scripted.methods == ["GET", "GET"]
    assert sleeps == [7.0]


async def test_a_rate_limit_wait_beyond_the_cap_is_reported_not_waited(
    scripted: Any, sleeps: list[float], make_hub: Any, run: Any
) -> None:
    scripted.script((403, SECONDARY, {"Retry-After": "120"}), (200, REPO))
    outcome, call = await run(make_hub(scripted.base_url, max_rate_limit_wait=20), *GET_REPO)
    assert scripted.methods == ["GET"] and sleeps == []
    assert isinstance(outcome.error, RateLimited)
    assert outcome.error.retry_after == 120 and outcome.error.status == 403
    assert "secondary rate limit" in str(outcome.error) and "Retry after 120 s" in str(outcome.error)
    assert call.upstream["request_ids"] == ["REQ-1"]


async def test_a_rate_limited_write_is_reported_and_not_resent(
    scripted: Any, sleeps: list[float], make_hub: Any, run: Any
) -> None:
    scripted.script((403, SECONDARY, {"Retry-After": "3"}), (201, ISSUE))
    outcome, _ = await run(
        make_hub(scripted.base_url), "github_create_issue", {**HERE, "title": "Found a bug"}
    )
    assert scripted.methods == ["POST"] and sleeps == []
    assert isinstance(outcome.error, RateLimited) and outcome.error.retry_after == 3


async def test_a_primary_rate_limit_reports_quota_and_reset_time(
    scripted: Any, sleeps: list[float], make_hub: Any, run: Any
) -> None:
    reset = int(time.time()) + 3600
    quota = {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}
    scripted.script((403, PRIMARY, quota))
    outcome, _ = await run(make_hub(scripted.base_url), *GET_REPO)
    assert scripted.methods == ["GET"] and sleeps == []
    error = outcome.error
    assert isinstance(error, RateLimited)
    assert error.retry_after is not None and 3590 <= error.retry_after <= 3600
    assert "0 of 5000 requests left" in str(error)
    assert time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(reset)) in str(error)


async def test_a_primary_rate_limit_that_resets_soon_is_waited_out_on_a_read(
    scripted: Any, sleeps: list[float], make_hub: Any, run: Any
) -> None:
    quota = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 5)}
    scripted.script((429, PRIMARY, quota), (200, REPO))
    outcome, _ = await run(make_hub(scripted.base_url, max_rate_limit_wait=20), *GET_REPO)
    assert outcome.outcome == "success"
    assert scripted.methods == ["GET", "GET"] and len(sleeps) == 1 and 3 <= sleeps[0] <= 5


async def test_a_403_that_is_no_rate_limit_is_neither_retried_nor_called_one(
    scripted: Any, sleeps: list[float], make_hub: Any, run: Any
) -> None:
    scripted.script((403, {"message": "Resource not accessible by personal access token"}))
    outcome, _ = await run(make_hub(scripted.base_url), *GET_REPO)
    assert scripted.methods == ["GET"] and sleeps == []
    assert type(outcome.error) is UpstreamError and outcome.error.status == 403
    assert "Resource not accessible" in str(outcome.error)


async def test_bad_credentials_become_an_auth_error(
    scripted: Any, sleeps: list[float], make_hub: Any, run: Any
) -> None:
    scripted.script((401, {"message": "Bad credentials"}))
    outcome, call = await run(make_hub(scripted.base_url), *GET_REPO)
    assert scripted.methods == ["GET"]
    assert isinstance(outcome.error, AuthError) and outcome.error.status == 401
    assert "token" in str(outcome.error) and call.upstream["request_ids"] == ["REQ-1"]
    assert "ghp_" not in outcome.result.content[0].text


async def test_the_token_goes_to_github_as_a_header(scripted: Any, make_hub: Any, run: Any) -> None:
    scripted.script((200, REPO))
    await run(make_hub(scripted.base_url), *GET_REPO)
    assert scripted.seen[0].headers["Authorization"].startswith("token ghp_test")
    assert scripted.seen[0].headers["User-Agent"].startswith("mcpea-plugin-github/")


async def test_an_unreachable_github_is_an_upstream_error(
    sleeps: list[float], make_hub: Any, run: Any
) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    outcome, _ = await run(make_hub(f"http://127.0.0.1:{port}", max_retries=1), *GET_REPO)
    assert isinstance(outcome.error, UpstreamError) and outcome.error.status is None
    assert f"127.0.0.1:{port}" in str(outcome.error)
    assert len(sleeps) == 1


# --- the policy on its own ------------------------------------------------------


def test_rate_limit_wait_reads_retry_after_then_the_reset_time() -> None:
    assert rate_limit_wait({"Retry-After": "30"}) == 30
    assert rate_limit_wait({"retry-after": "0"}) == 0
    assert rate_limit_wait({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1010"}, now=1000) == 10
    assert rate_limit_wait({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "990"}, now=1000) == 0
    assert rate_limit_wait({"x-ratelimit-remaining": "12", "x-ratelimit-reset": "1010"}, now=1000) is None
    assert rate_limit_wait({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) is None
    assert rate_limit_wait({}) is None


def test_the_policy_retries_only_safe_methods() -> None:
    policy = ReadOnlyRetry.for_github(retries=3, backoff=0, max_rate_limit_wait=10)
    for method in ("GET", "HEAD", "OPTIONS"):
        assert policy.is_retry(method, 502) and policy.is_retry(method, 429)
    for method in ("POST", "PATCH", "PUT", "DELETE"):
        assert not policy.is_retry(method, 502) and not policy.is_retry(method, 403, True)
    assert not policy.is_retry("GET", 404) and not policy.is_retry("GET", 422)


def test_backoff_grows_from_the_first_retry_and_is_capped() -> None:
    policy = ReadOnlyRetry.for_github(retries=10, backoff=1, max_rate_limit_wait=10)
    waits = []
    for _ in range(7):
        policy = policy.increment("GET", "/x", error=ProtocolError("connection reset"))
        waits.append(policy.get_backoff_time())
    assert [int(w) for w in waits[:4]] == [1, 2, 4, 8]
    assert all(w <= 30 for w in waits)
