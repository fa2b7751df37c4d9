"""The mcpea-core wheel: the core package only, typed, with its console script."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from _support import ROOT


def test_wheel_holds_the_core_only(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr
    (wheel,) = tmp_path.glob("mcpea_core-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"mcpea_core"}
    assert "mcpea_core/py.typed" in names
    assert "mcpea_core/hookspecs.py" in names
    assert not [n for n in names if n.startswith(("tests/", "plugins/", "bench/"))]
    dist_info = next(t for t in top if t.endswith(".dist-info"))
    entry_points = zipfile.ZipFile(wheel).read(f"{dist_info}/entry_points.txt").decode()
    assert "mcpea = mcpea_core.cli:main" in entry_points
    metadata = zipfile.ZipFile(wheel).read(f"{dist_info}/METADATA").decode()
    assert "Requires-Python: >=3.11" in metadata
    assert "Requires-Dist: mcp<3,>=2.3" in metadata
