"""Toolset ``actions``: GitHub Actions workflow runs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from mcpea_core import ToolContext

from .calls import fetch_page, given, request
from .client import github_client
from .common import Page, RepoRef, Result, login, page_field

__all__ = ["RerunRequested", "WorkflowRun", "github_list_workflow_runs", "github_rerun_workflow_run"]

RunStatus = Literal[
    "queued", "in_progress", "completed", "waiting", "requested", "pending", "action_required",
    "success", "failure", "cancelled", "skipped", "timed_out", "neutral", "stale",
]  # fmt: skip


class WorkflowRun(Result):
    id: int
    name: str | None = None
    title: str | None = Field(
        default=None, description="The run's display title (commit message or PR title)."
    )
    workflow_id: int | None = None
    run_number: int | None = None
    run_attempt: int | None = None
    event: str | None = None
    status: str | None = None
    conclusion: str | None = None
    head_branch: str | None = None
    head_sha: str | None = None
    actor: str | None = None
    html_url: str | None = None
    created_at: str | None = None
    updated_at: str | None = None

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> WorkflowRun:
        return cls(
            id=data["id"],
            name=data.get("name"),
            title=data.get("display_title"),
            workflow_id=data.get("workflow_id"),
            run_number=data.get("run_number"),
            run_attempt=data.get("run_attempt"),
            event=data.get("event"),
            status=data.get("status"),
            conclusion=data.get("conclusion"),
            head_branch=data.get("head_branch"),
            head_sha=data.get("head_sha"),
            actor=login(data.get("actor")),
            html_url=data.get("html_url"),
            created_at=data.get("created_at"),
            updated_at=data.get("updated_at"),
        )


class RerunRequested(Result):
    run_id: int
    failed_jobs_only: bool
    accepted: bool = Field(description="GitHub queued a new attempt of the run.")


class ListWorkflowRuns(RepoRef):
    workflow: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.-]{1,255}$",
        description="Only runs of this workflow: its file name (ci.yml) or numeric id.",
    )
    branch: str | None = Field(default=None, max_length=255)
    event: str | None = Field(default=None, max_length=100, description="e.g. push, pull_request, schedule.")
    status: RunStatus | None = Field(default=None, description="A status or a conclusion, e.g. failure.")
    actor: str | None = Field(default=None, max_length=100, description="Login of who triggered the run.")
    head_sha: str | None = Field(default=None, max_length=64)
    page: int = page_field()


class RerunWorkflowRun(RepoRef):
    run_id: int = Field(ge=1, description="The run's id (not its run number).")
    failed_jobs_only: bool = Field(
        default=False, description="Re-run only the failed jobs and what depends on them."
    )


def github_list_workflow_runs(params: ListWorkflowRuns, ctx: ToolContext) -> Page[WorkflowRun]:
    """List GitHub Actions workflow runs of a repository, newest first, optionally of one workflow."""
    gh = github_client(ctx)
    filters = given(
        branch=params.branch,
        event=params.event,
        status=params.status,
        actor=params.actor,
        head_sha=params.head_sha,
    )

    def listing() -> Any:
        repo = gh.get_repo(params.full_name)
        if params.workflow is None:
            return repo.get_workflow_runs(**filters)
        workflow = int(params.workflow) if params.workflow.isdigit() else params.workflow
        return repo.get_workflow(workflow).get_runs(**filters)

    return fetch_page(ctx, Page[WorkflowRun], WorkflowRun.from_api, params.page, listing)


def github_rerun_workflow_run(params: RerunWorkflowRun, ctx: ToolContext) -> RerunRequested:
    """Re-run a finished GitHub Actions workflow run (all jobs, or only the failed ones) as a new attempt."""
    # WorkflowRun.rerun() fetches the run first, and answers False instead of GitHub's reason on a refusal.
    suffix = "rerun-failed-jobs" if params.failed_jobs_only else "rerun"
    request(ctx, "POST", f"{params.api_path}/actions/runs/{params.run_id}/{suffix}")
    return RerunRequested(run_id=params.run_id, failed_jobs_only=params.failed_jobs_only, accepted=True)
