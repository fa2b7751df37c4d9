"""Prism mocking a vendor's published API description, for connector contract tests.

Prism validates every request against the vendor's own OpenAPI description
(from ``../shared/specs``) and answers from its examples; a rejected request
carries the reason in the ``sl-violations`` response header. Nobody on this
project wrote either side of that contract.

    with prism("stripe") as base_url:
        client = StripeClient("sk_test_x", base_addresses={"api": base_url})

The description is trimmed to the operations in ``select/<vendor>.ops`` (extend
that list as a connector grows) with the shared kit's ``trim_openapi.py``,
adapted by the vendor's ``AFTER_TRIM`` step if it has one (Slack's 2020
Swagger 2.0 needs the kit's ``slack_normalize.py``), cached per process, and
Prism listens on a free loopback port. When ``../shared`` or ``node_modules``
is missing, the caller's test is skipped with the reason; CI always has both.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SHARED = Path(os.environ.get("MCPEA_SHARED_DIR", ROOT.parent / "shared"))
PRISM = HERE / "node_modules" / ".bin" / "prism"
_BUILT: dict[str, Path] = {}

# Per vendor: the description, and the trim options the kit's build script uses.
SPECS: dict[str, tuple[str, list[str]]] = {
    "stripe": (
        "stripe/spec3.2023-08-16.yaml",
        ["--unexpand", "--stripe-fixtures", "{shared}/specs/stripe/fixtures3.2023-08-16.json", "--relax-form-objects"],
    ),
    "github": ("github/api.github.com.json", ["--replace", "https://api.github.com={base}"]),
    "keycloak": ("keycloak/keycloak-26.x-openapi.json", ["--overlay", str(HERE / "keycloak-overlay.json")]),
    "slack": ("slack/slack_web_openapi_v2.json", []),
}

# Where slack_sdk's transport differs from what slack_normalize.py models (Slack accepts both): it
# sends these POST methods' arguments as query parameters, and booleans in a query string as 1 or 0.
SLACK_QUERY_POSTS = ("/api.test", "/chat.delete", "/reactions.add")
SLACK_QUERY_BOOLEAN = {"type": "string", "enum": ["true", "false", "1", "0"]}


def _slack(trimmed: Path, out: Path) -> None:
    """The kit's slack_normalize.py, then the two transport details above."""
    subprocess.run(
        [sys.executable, str(SHARED / "doubles" / "slack_normalize.py"), str(trimmed), str(out)],
        check=True, capture_output=True, text=True, timeout=120,
    )
    doc = json.loads(out.read_text())
    for path, item in doc["paths"].items():
        for method, op in item.items():
            body = op.pop("requestBody", None) if method == "post" and path in SLACK_QUERY_POSTS else None
            if body:
                form = body["content"]["application/x-www-form-urlencoded"]["schema"]
                required = form.get("required", [])
                op.setdefault("parameters", []).extend(
                    {"name": name, "in": "query", "schema": schema, "required": name in required}
                    for name, schema in form["properties"].items()
                )
            for param in op.get("parameters", []):
                if param["in"] == "query" and param["schema"].get("type") == "boolean":
                    param["schema"] = dict(SLACK_QUERY_BOOLEAN)
    out.write_text(json.dumps(doc))


# Per vendor, optionally: what turns the trimmed description (first path) into the one Prism serves.
AFTER_TRIM: dict[str, Callable[[Path, Path], None]] = {"slack": _slack}


def require_kit() -> None:
    """Skip the calling test, saying why, when the stand-ins cannot run here."""
    if not (SHARED / "doubles" / "trim_openapi.py").exists():
        pytest.skip(f"vendor API descriptions not found at {SHARED} (../shared is absent outside the workplace)")
    if not PRISM.exists():
        pytest.skip("Prism is not installed: run ./dev setup (npm ci in tests/doubles)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _build(vendor: str, base: str) -> Path:
    key = f"{vendor}@{base}"
    if key in _BUILT:
        return _BUILT[key]
    spec, options = SPECS[vendor]
    out = Path(tempfile.mkdtemp(prefix=f"mcpea-{vendor}-")) / f"{vendor}.json"
    after = AFTER_TRIM.get(vendor)
    trimmed = out.with_suffix(".trimmed.json") if after else out
    args = [o.format(shared=SHARED, base=base) for o in options]
    subprocess.run(
        [sys.executable, str(SHARED / "doubles" / "trim_openapi.py"), str(SHARED / "specs" / spec),
         "--select", str(HERE / "select" / f"{vendor}.ops"), *args, "-o", str(trimmed)],
        check=True, capture_output=True, text=True, timeout=120,
    )
    if after:
        after(trimmed, out)
    _BUILT[key] = out
    return out


@contextmanager
def prism(vendor: str, *, timeout: float = 120.0) -> Iterator[str]:
    """Run Prism for ``vendor`` on a free loopback port; yields its base URL."""
    require_kit()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    spec = _build(vendor, base)
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(
        [str(PRISM), "mock", str(spec), "-h", "127.0.0.1", "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            log.seek(0)
            if "Prism is listening" in log.read():
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"Prism for {vendor} did not start:\n{log.read()[-2000:]}")
            try:  # wait a little, but wake at once if Prism exits
                proc.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                pass
        yield base
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def violations(headers: object) -> list[str]:
    """The reasons Prism gives (``sl-violations`` header) for rejecting a request.

    Prism also sets the header, as plain text ("Too many violations! ..."),
    about its own generated answers; that comes back as one message.
    """
    raw = getattr(headers, "get", lambda _k, _d=None: None)("sl-violations") or "[]"
    try:
        return [v["message"] for v in json.loads(raw)]
    except (ValueError, TypeError, KeyError):
        return [str(raw)]
