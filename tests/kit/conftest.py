"""Fixtures of the plugin-kit tests.

The ``mcpea`` pytest plugin's fixtures come from its ``pytest11`` entry
point once mcpea-core declares it; until then they are imported here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path

import pytest

if not any(ep.value == "mcpea_core.testing.pytest_plugin" for ep in metadata.entry_points(group="pytest11")):
    from mcpea_core.testing.pytest_plugin import (  # noqa: F401
        audit_records,
        mcpea_client,
        mcpea_config,
        mcpea_hub,
        mcpea_plugins,
        notifications,
        pytest_runtest_makereport,
    )


@pytest.fixture
def install_plugin(
    make_dist: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Path]]:
    """``install_plugin(name, code)``: a throw-away plugin, importable here and in subprocesses (PYTHONPATH).

    Its module leaves ``sys.modules`` afterwards, so another test may reuse the name with other code.
    """
    modules: list[str] = []

    def install(name: str, code: str, **options: str) -> Path:
        site = make_dist(name, code, **options)
        monkeypatch.setenv(
            "PYTHONPATH", os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
        )
        modules.append(f"mcpea_plugin_{name}")
        return site

    yield install
    for module in modules:
        for loaded in [m for m in sys.modules if m == module or m.startswith(f"{module}.")]:
            del sys.modules[loaded]
