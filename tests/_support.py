"""Helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def mcpea_command() -> str:
    """The `mcpea` console script of the environment running the tests."""
    found = Path(sys.executable).with_name("mcpea")
    if found.exists():
        return str(found)
    which = shutil.which("mcpea")
    assert which, "the mcpea console script is not installed: run ./dev setup"
    return which


class ServedHub:
    """`mcpea serve --transport http` in a subprocess on an ephemeral port."""

    def __init__(self, *args: str, env: dict[str, str], timeout: float = 30.0) -> None:
        import queue
        import re
        import subprocess
        import threading

        self.proc = subprocess.Popen(
            [mcpea_command(), "serve", "--transport", "http", "--port", "0", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []

        def pump() -> None:
            assert self.proc.stderr is not None
            for line in self.proc.stderr:
                self.stderr.append(line)
                lines.put(line)

        threading.Thread(target=pump, daemon=True).start()
        import time

        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.proc.poll() is not None:
                self.stop()
                raise RuntimeError("mcpea serve did not start:\n" + "".join(self.stderr))
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            match = re.search(r"serving MCP at (http://\S+)", line)
            if match:
                self.url = match.group(1)
                self.base = self.url.rsplit("/", 1)[0]
                return

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except Exception:
                self.proc.kill()
                self.proc.wait(timeout=10)
