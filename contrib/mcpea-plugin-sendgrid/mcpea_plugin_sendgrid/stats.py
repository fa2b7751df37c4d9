"""``sendgrid_get_stats``: the account's e-mail statistics per day, week or month (global stats)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mcpea_core import Annotations, ToolContext, UpstreamError

from .client import request
from .spec import Input, ToolSpec, settings_of

__all__ = ["TOOLS", "GetStats", "Metrics", "Period", "Stats", "sendgrid_get_stats"]

MAX_DAYS = 366


class GetStats(Input):
    """Arguments of sendgrid_get_stats."""

    start_date: date = Field(description="First day, YYYY-MM-DD.")
    end_date: date | None = Field(default=None, description="Last day, YYYY-MM-DD; default today.")
    aggregated_by: Literal["day", "week", "month"] = Field(
        default="day", description="One row per day, week or month."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        end = self.end_date or date.today()
        if end < self.start_date:
            raise ValueError("end_date must not be before start_date")
        if (end - self.start_date).days > MAX_DAYS:
            raise ValueError(f"ask for at most {MAX_DAYS} days at once")
        return self


class Metrics(BaseModel):
    """Counts of e-mail events in one period."""

    model_config = ConfigDict(extra="ignore")

    requests: int = Field(default=0, description="E-mails requested to be sent.")
    processed: int = 0
    delivered: int = 0
    deferred: int = 0
    bounces: int = 0
    blocks: int = 0
    invalid_emails: int = 0
    spam_reports: int = 0
    unsubscribes: int = 0
    opens: int = 0
    unique_opens: int = 0
    clicks: int = 0
    unique_clicks: int = 0


class Period(BaseModel):
    """One day, week or month of statistics."""

    date: str = Field(description="First day of the period, YYYY-MM-DD.")
    metrics: Metrics


class Stats(BaseModel):
    """The statistics asked for."""

    aggregated_by: str
    periods: list[Period]
    totals: Metrics = Field(description="Sums over all periods.")


def _period(row: Any) -> Period:
    stats = row.get("stats") if isinstance(row, dict) else None
    metrics = (
        stats[0].get("metrics", {})
        if isinstance(stats, list) and stats and isinstance(stats[0], dict)
        else {}
    )
    return Period(date=str(row.get("date", "")), metrics=Metrics.model_validate(metrics))


def sendgrid_get_stats(params: GetStats, ctx: ToolContext) -> Stats:
    """Read the SendGrid account's e-mail statistics between two dates.

    Returns one row per day, week or month with requests, deliveries,
    bounces, blocks, spam reports, opens and clicks, and their totals.
    At most 366 days at once.
    """
    settings = settings_of(ctx)
    query = {"start_date": params.start_date.isoformat(), "aggregated_by": params.aggregated_by}
    if params.end_date is not None:
        query["end_date"] = params.end_date.isoformat()
    reply = request(settings, "get", ("stats",), query=query)
    if not isinstance(reply.body, list):
        raise UpstreamError("SendGrid answered the statistics request with something other than a list")
    periods = [_period(row) for row in reply.body]
    totals = {name: sum(getattr(p.metrics, name) for p in periods) for name in Metrics.model_fields}
    return Stats(aggregated_by=params.aggregated_by, periods=periods, totals=Metrics.model_validate(totals))


TOOLS = (
    ToolSpec(
        sendgrid_get_stats,
        Annotations(
            read_only=True, destructive=False, idempotent=True, open_world=True, title="E-mail statistics"
        ),
    ),
)
