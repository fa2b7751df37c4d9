"""The ``mcpea`` pytest plugin: fixtures for testing connector plugins, and the standard-test guard.

Registered through the ``pytest11`` entry point of mcpea-core, so installing
the core makes these fixtures available in every test suite:

* ``mcpea_hub``: ``hub = await mcpea_hub("acme", settings={...})``, a started
  hub with only the named plugins (none named: what ``MCPEA_LOAD_PLUGINS``
  or ``mcpea_config`` choose); stopped when the test ends.
* ``mcpea_client``: an in-memory MCP client of a hub of ``mcpea_plugins``
  with ``mcpea_config`` (override those two fixtures to choose).
* ``audit_records``: every call the fixtures' hubs ran (:class:`AuditRecord`).
* ``notifications``: what would be notified (:class:`NotificationRecorder`).

The async fixtures run under anyio: mark tests ``@pytest.mark.anyio``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Mapping, Sequence
from typing import Any

import pytest

from .hubs import HubFactory
from .recorders import AuditRecorder, NotificationRecorder
from .standard import unlisted_skip

__all__ = [
    "audit_records",
    "mcpea_client",
    "mcpea_config",
    "mcpea_hub",
    "mcpea_plugins",
    "notifications",
    "pytest_runtest_makereport",
]


@pytest.fixture
def audit_records() -> AuditRecorder:
    """Every call that went through a hub made by ``mcpea_hub``, newest last."""
    return AuditRecorder()


@pytest.fixture
def notifications() -> NotificationRecorder:
    """Notifications the calls asked for (``requested``) and those delivered to ``capture:*`` channels."""
    return NotificationRecorder()


@pytest.fixture
def mcpea_plugins() -> Sequence[str]:
    """The plugins ``mcpea_client``'s hub loads; empty: those ``MCPEA_LOAD_PLUGINS`` chooses. Override it."""
    return ()


@pytest.fixture
def mcpea_config() -> Mapping[str, Any] | None:
    """The ``mcpea.toml`` (as a dict) of ``mcpea_client``'s hub. Override it."""
    return None


@pytest.fixture
async def mcpea_hub(
    audit_records: AuditRecorder, notifications: NotificationRecorder
) -> AsyncIterator[HubFactory]:
    """``await mcpea_hub(*plugins, config=None, settings=None, extra=())``: a started hub (see HubFactory)."""
    factory = HubFactory(audit_records, notifications)
    try:
        yield factory
    finally:
        await factory.aclose()


@pytest.fixture
async def mcpea_client(
    mcpea_hub: HubFactory, mcpea_plugins: Sequence[str], mcpea_config: Mapping[str, Any] | None
) -> AsyncIterator[Any]:
    """An in-memory MCP client (``mcp.client.Client``) connected to a started hub."""
    hub = await mcpea_hub(*mcpea_plugins, config=mcpea_config)
    async with hub.client() as client:
        yield client


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """A standard test that ended skipped (or xfailed) without being listed fails instead."""
    report = yield
    if report.skipped or hasattr(report, "wasxfail"):
        test_name = getattr(item, "originalname", item.name)
        reason = unlisted_skip(getattr(item, "cls", None), test_name)
        if reason is not None:
            report.outcome = "failed"
            report.longrepr = reason
            if hasattr(report, "wasxfail"):
                del report.wasxfail
    return report
