"""Shared fixtures for MC-PEA's own tests."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts from a known environment: only the example plugin, no config file."""
    monkeypatch.setenv("MCPEA_LOAD_PLUGINS", "example")
    monkeypatch.delenv("MCPEA_CONFIG", raising=False)
    # Tests that audit say so; the rest must not write to the developer's state directory.
    monkeypatch.setenv("MCPEA_AUDIT_STORE", "off")


@pytest.fixture
def make_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Install a throw-away plugin distribution onto sys.path (a real dist-info with entry points)."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))

    def make(name: str, code: str, *, entry_point: str | None = None, version: str = "0.0.1") -> Path:
        module = f"mcpea_plugin_{name}"
        (site / module).mkdir()
        (site / module / "__init__.py").write_text(textwrap.dedent(code))
        dist = site / f"mcpea_plugin_{name}-{version}.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: mcpea-plugin-{name}\nVersion: {version}\n"
        )
        (dist / "entry_points.txt").write_text(f"[mcpea]\n{entry_point or name} = {module}\n")
        return site

    return make


@pytest.fixture
def subprocess_env() -> Iterator[dict[str, str]]:
    env = dict(os.environ)
    env["MCPEA_LOAD_PLUGINS"] = "example"
    env["MCPEA_AUDIT_STORE"] = "off"
    env.pop("MCPEA_CONFIG", None)
    yield env
