"""What ``mcpea validate`` reports: one :class:`Check` per rule and subject, gathered in a :class:`Report`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Check", "Report", "Status", "render_reports"]

Status = Literal["pass", "warn", "fail"]
_STYLES: dict[Status, str] = {"pass": "green", "warn": "yellow", "fail": "bold red"}


@dataclass(frozen=True)
class Check:
    """One rule applied to one subject (the plugin, a tool, a setting): its status and why."""

    check: str
    status: Status
    subject: str
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"check": self.check, "status": self.status, "subject": self.subject, "detail": self.detail}


def passed(check: str, subject: str, detail: str = "") -> Check:
    return Check(check, "pass", subject, detail)


def warned(check: str, subject: str, detail: str) -> Check:
    return Check(check, "warn", subject, detail)


def failed(check: str, subject: str, detail: str) -> Check:
    return Check(check, "fail", subject, detail)


@dataclass
class Report:
    """Every check run against one plugin. ``ok`` is false when any check failed."""

    plugin: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    def counts(self) -> dict[str, int]:
        counted: Counter[str] = Counter(c.status for c in self.checks)
        return {status: counted.get(status, 0) for status in ("pass", "warn", "fail")}

    def as_dict(self) -> dict[str, Any]:
        return {
            "plugin": self.plugin,
            "ok": self.ok,
            "counts": self.counts(),
            "checks": [c.as_dict() for c in self.checks],
        }


def render_reports(reports: list[Report], console: Any) -> None:
    """Print each report as a rich table followed by its pass/warn/fail counts."""
    from rich.markup import escape
    from rich.table import Table

    for report in reports:
        table = Table("status", "check", "subject", "detail", title=f"mcpea validate: {report.plugin}")
        for check in report.checks:
            table.add_row(
                f"[{_STYLES[check.status]}]{check.status}[/]",
                check.check,
                escape(check.subject),
                escape(check.detail),
            )
        console.print(table)
        counts = report.counts()
        verdict = "[green]compliant[/]" if report.ok else "[bold red]not compliant[/]"
        console.print(
            f"{escape(report.plugin)}: {verdict}: {counts['pass']} passed, {counts['warn']} warnings, "
            f"{counts['fail']} failed"
        )
