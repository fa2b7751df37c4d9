"""Building the PyGithub client, and reading what GitHub sent without PyGithub fetching more.

Nothing here imports PyGithub at module level: the hub imports plugins at
start-up and PyGithub (with requests and urllib3) is imported on the first
call instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mcpea_core import ToolContext, ToolError

from ._version import __version__
from .settings import GitHubSettings

if TYPE_CHECKING:
    from github import Github

__all__ = ["build_client", "github_client", "payload", "report", "settings_of"]

REQUEST_ID_HEADER = "x-github-request-id"


def build_client(settings: GitHubSettings) -> Github:
    """A ``github.Github`` with the connector's retry policy, pacing and timeout.

    ``lazy=True`` makes ``get_repo``/``get_issue``/``get_pull`` build objects
    without fetching them, so a write is one request, not a GET and then the
    write.
    """
    from github import Auth, Github

    from .retry import ReadOnlyRetry

    retry = ReadOnlyRetry.for_github(
        retries=settings.max_retries,
        backoff=settings.retry_backoff,
        max_rate_limit_wait=settings.max_rate_limit_wait,
    )
    return Github(
        auth=Auth.Token(settings.token.get_secret_value()),
        base_url=settings.base_url,
        timeout=settings.timeout,
        user_agent=f"mcpea-plugin-github/{__version__}",
        per_page=settings.page_size,
        retry=retry,
        seconds_between_requests=settings.seconds_between_requests,
        seconds_between_writes=settings.seconds_between_writes,
        lazy=True,
    )


def settings_of(ctx: ToolContext) -> GitHubSettings:
    settings = ctx.settings
    if not isinstance(settings, GitHubSettings):
        raise ToolError("The github plugin has no settings: add a [plugins.github] table with a token.")
    return settings


def github_client(ctx: ToolContext) -> Github:
    """The shared client of the plugin's settings."""
    return settings_of(ctx).client()


def payload(obj: Any) -> dict[str, Any]:
    """The JSON object GitHub sent for ``obj``, as PyGithub received it.

    Not ``obj.raw_data``: on an object that came in a list page that property
    completes the object first, one GET per item, because list payloads lack
    fields the full object has.
    """
    data = getattr(obj, "_rawData", None)
    return data if isinstance(data, dict) else {}


def headers_of(obj: Any) -> Mapping[str, Any]:
    headers = obj if isinstance(obj, Mapping) else getattr(obj, "_headers", None)
    return headers if isinstance(headers, Mapping) else {}


def report(ctx: ToolContext, *sources: Any) -> None:
    """Record GitHub's request ids (``X-GitHub-Request-Id``) of responses for the audit record.

    ``sources`` are PyGithub objects (their response headers) or header mappings.
    """
    for source in sources:
        request_id = headers_of(source).get(REQUEST_ID_HEADER)
        if request_id:
            ctx.report_upstream(request_id=str(request_id))
