"""README's first command runs scripts/demo.py: it must keep working."""

from __future__ import annotations

import subprocess
import sys

from _support import ROOT


def test_demo_scripted_session() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), "--port", "0", "--no-serve"],
        capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    text = " ".join(out.stdout.split())
    assert "MC-PEA hub running at http://127.0.0.1:" in text
    assert '"echoed": "Hello: hello from MC-PEA hello from MC-PEA"' in text
    assert "- times: Input should be greater than or equal to 1" in text
    assert 'resources/read example://items/42 -> {"id": "42"}' in text
