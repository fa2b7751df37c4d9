"""localstripe (a stateful Stripe stand-in from PyPI) in a subprocess on 127.0.0.1, for tests."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "localstripe_local.py"


@contextmanager
def localstripe(timeout: float = 60.0) -> Iterator[str]:
    """Yield localstripe's base URL; skips the test when localstripe is not installed."""
    pytest.importorskip("localstripe", reason="localstripe comes with mcpea-plugin-stripe[test]: run ./dev setup")
    proc = subprocess.Popen(
        [sys.executable, str(SCRIPT), "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, text=True,
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + timeout
        for line in proc.stdout:
            match = re.search(r"localstripe: (\S+)", line)
            if match:
                yield match.group(1)
                return
            if time.monotonic() > deadline:
                break
        raise RuntimeError("localstripe did not start")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
