"""Every plugin in registry.toml passes `mcpea validate` (what CI promises for first-party and contrib)."""

from __future__ import annotations

from importlib import metadata

import pytest

from _support import ROOT
from mcpea_core.registry import load_registry
from mcpea_core.validate.runner import validate_plugin

ENTRIES = load_registry(ROOT / "registry.toml").entries()


@pytest.mark.parametrize("name", [e.name for e in ENTRIES])
def test_registered_plugin_passes_validate(name: str) -> None:
    installed = {ep.name for ep in metadata.entry_points(group="mcpea")}
    assert name in installed, f"plugin {name!r} is registered but not installed: run ./dev setup"
    report = validate_plugin(name)
    failures = [f"{c.check} {c.subject}: {c.detail}" for c in report.checks if c.status == "fail"]
    assert report.ok, "\n".join(failures)
