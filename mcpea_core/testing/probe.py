"""Which modules loading a plugin imports: run in a fresh interpreter by the standard tests.

``python -m mcpea_core.testing.probe`` reads ``{"plugin", "settings",
"modules"}`` as JSON on stdin, loads a hub with only that plugin (its
``register_*`` hooks run, no tool is called) and prints
``{"imported": [...], "tools": N}``: which of ``modules`` (or their
submodules) are then in ``sys.modules``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["imported_at_load", "main"]


def imported_at_load(plugin: str, settings: Mapping[str, Any] | None, modules: Sequence[str]) -> list[str]:
    """Run the probe in a subprocess; ``AssertionError`` with its stderr when it fails."""
    request = json.dumps(
        {"plugin": plugin, "settings": dict(settings) if settings else None, "modules": list(modules)}
    )
    done = subprocess.run(
        [sys.executable, "-m", __name__], input=request, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise AssertionError(f"loading plugin {plugin!r} in a fresh interpreter failed:\n{done.stderr}")
    imported: list[str] = json.loads(done.stdout.strip().splitlines()[-1])["imported"]
    return imported


def main() -> None:
    request = json.loads(sys.stdin.read())
    from ..validate.target import isolated_hub

    hub = isolated_hub(request["plugin"], request["settings"]).load()
    loaded = set(sys.modules)
    imported = sorted(
        name for name in request["modules"] if name in loaded or any(m.startswith(f"{name}.") for m in loaded)
    )
    print(json.dumps({"imported": imported, "tools": len(hub.tools)}))


if __name__ == "__main__":
    main()
