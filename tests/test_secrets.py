"""Canary secrets never leave the hub: not in the audit trail, the logs, the outbox or the answers.

Unique canaries shaped like real credentials (a Stripe secret key, a GitHub
token, a JWT, a ``Bearer`` header) and plain secrets (a ``SecretStr`` plugin
setting read from the environment, a ``SecretStr`` tool argument, a value
under a credential-named key) go in through tool arguments, plugin settings
and upstream error messages of a throw-away plugin. Then every place they
could come out is searched for them, byte for byte:

* the audit store: the SQLite file (with its ``-wal``/``-shm`` files) and the
  JSON Lines file, and the notification outbox (in the SQLite audit file, or
  a file of its own next to the JSON Lines trail);
* the hub's logs: ``mcpea serve --log-level debug`` over HTTP and over stdio
  (its stderr, which also carries the ``log:`` notification channel), and the
  records the in-process hub logs (``caplog``);
* everything the MCP client receives: results, error texts, log messages;
* ``mcpea audit export``, as JSON Lines and as CSV.

Each canary is searched for by its random core, so a partly redacted value
counts as a leak too.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import pytest
from _support import ServedHub, mcpea_command
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters, stdio_client

from mcpea_core import Hub
from mcpea_core.audit import RedactingFilter

pytestmark = pytest.mark.anyio


def _core(label: str) -> str:
    return f"CANARY{label}{secrets.token_hex(12)}"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@dataclass(frozen=True)
class Canary:
    name: str
    value: str
    needles: tuple[str, ...]  # random parts: any of them found is a leak


def _canaries() -> dict[str, Canary]:
    stripe, github, plain, example, password, header = (
        _core(x) for x in ("stripe", "github", "plain", "example", "password", "header")
    )
    jwt_sub = _core("jwt")
    jwt_payload = _b64({"sub": jwt_sub, "iss": "https://issuer.example", "exp": 4102444800})
    jwt_signature = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    jwt = f"{_b64({'alg': 'RS256', 'typ': 'JWT'})}.{jwt_payload}.{jwt_signature}"
    bearer = _core("bearer")
    found = [
        Canary("stripe key", f"sk_test_{stripe}", (stripe,)),
        Canary("github token", f"ghp_{github}", (github,)),
        Canary("jwt", jwt, (jwt_payload, jwt_signature)),
        Canary("bearer header", f"Bearer tok.{bearer}", (bearer,)),
        Canary("plugin setting (plain)", f"plain-{plain}", (plain,)),
        Canary("example api_key (plain)", f"plain-{example}", (example,)),
        Canary("SecretStr argument (plain)", f"hunter2-{password}", (password,)),
        Canary("credential-named key (plain)", f"k-{header}", (header,)),
    ]
    return {c.name: c for c in found}


CANARIES = _canaries()
STRIPE = CANARIES["stripe key"].value
GITHUB = CANARIES["github token"].value
JWT = CANARIES["jwt"].value
BEARER = CANARIES["bearer header"].value
PLUGIN_KEY = CANARIES["plugin setting (plain)"].value
EXAMPLE_KEY = CANARIES["example api_key (plain)"].value
PASSWORD = CANARIES["SecretStr argument (plain)"].value
NAMED = CANARIES["credential-named key (plain)"].value

ENV = {"CANARY_PLUGIN_KEY": PLUGIN_KEY, "CANARY_EXAMPLE_KEY": EXAMPLE_KEY}

# The throw-away plugin. Upstream errors carry credential-shaped canaries, as a vendor SDK's
# message might; the plugin's own plain API key reaches only the tool that echoes it (see the
# last test). It never returns a secret it was given.
PLUGIN = f'''
from pydantic import BaseModel, Field, SecretStr

from mcpea_core import ToolContext, UpstreamError, hookimpl

STRIPE = {STRIPE!r}
GITHUB = {GITHUB!r}
JWT = {JWT!r}
BEARER = {BEARER!r}


class Settings(BaseModel):
    api_key: SecretStr
    region: str = "eu"


class Login(BaseModel):
    username: str
    password: SecretStr
    note: str = Field(default="", description="Free text.")
    headers: dict[str, str] = Field(default_factory=dict)


def canary_sign_in(params: Login, ctx: ToolContext) -> str:
    """Sign in (returns nothing secret)."""
    key = ctx.settings.api_key.get_secret_value()
    assert key, "the plugin got its key"
    return f"signed in as {{params.username}} in {{ctx.settings.region}}"


def canary_vendor_fail(ctx: ToolContext) -> str:
    """Fail the way a vendor SDK does: its message quotes the credentials."""
    ctx.report_upstream(request_id=f"req_8xY2Qk sent with {{STRIPE}}")
    raise UpstreamError(
        f"Invalid API Key provided: {{STRIPE}}; Bad credentials ({{GITHUB}}); "
        f"token {{JWT}} rejected; Authorization: {{BEARER}}",
        status=401,
        request_id=f"req-{{GITHUB}}",
    )


def canary_sdk_crash() -> str:
    """Crash with credentials in the exception (it lands in the traceback that is logged)."""
    raise RuntimeError(f"vendor SDK exploded sending Authorization: {{BEARER}} with {{STRIPE}} and {{JWT}}")


def canary_key_in_error(ctx: ToolContext) -> str:
    """A careless connector quotes its own configured key in an upstream error."""
    raise UpstreamError(f"the vendor refused API key {{ctx.settings.api_key.get_secret_value()}}")


@hookimpl
def settings_model():
    return Settings


@hookimpl
def register_tools(register, settings):
    register(canary_sign_in)
    register(canary_vendor_fail)
    register(canary_sdk_crash)
    register(canary_key_in_error)
'''

# (tool, arguments) called in every scenario, in this order.
CALLS: list[tuple[str, dict[str, Any]]] = [
    ("example_echo_text", {"text": "uses the example plugin, whose api_key is a canary"}),
    (
        "canary_sign_in",
        {
            "username": "alice",
            "password": PASSWORD,
            "note": f"use {STRIPE} or {GITHUB}, token {JWT}, header Authorization: {BEARER}",
            "headers": {"Authorization": BEARER, "api_key": NAMED, "X-Trace": f"jwt={JWT}"},
        },
    ),
    ("canary_sign_in", {"username": ["not", "a", "string"], "password": PASSWORD, "note": STRIPE}),
    ("canary_vendor_fail", {}),
    ("canary_sdk_crash", {}),
]
KEY_IN_ERROR = ("canary_key_in_error", {})
UPSTREAM_ERROR = "client answers: upstream error text"
"""The sink of the answers to ``canary_vendor_fail``: a known leak, see test_upstream_error_text_..."""


def config_text(tmp_path: Path, store: str) -> str:
    if store == "sqlite":  # the outbox is a table in the audit database
        audit, outbox = f"sqlite://{tmp_path / 'audit.sqlite3'}", ""
    else:  # a JSON Lines trail keeps no outbox: it gets a file of its own
        audit, outbox = f"jsonl://{tmp_path / 'audit.jsonl'}", f'outbox = "{tmp_path / "notify.sqlite3"}"'
    return f"""
[hub]
plugins = ["example", "canary"]
strict = true

[audit]
store = "{audit}"

[plugins.example]
api_key = {{ env = "CANARY_EXAMPLE_KEY" }}

[plugins.canary]
api_key = {{ env = "CANARY_PLUGIN_KEY" }}

[notify]
{outbox}

[notify.channels."log:audit"]
level = "info"

[[notify.routes]]
channels = ["log:audit"]
"""


# --- finding leaks ------------------------------------------------------------------


def leaks(text: str | bytes) -> set[str]:
    """Names of the canaries whose random core appears in ``text``."""
    data = text if isinstance(text, str) else text.decode("utf-8", "replace")
    return {c.name for c in CANARIES.values() if any(n in data for n in c.needles)}


@dataclass
class Sinks:
    """Every place a canary could come out, as text, by sink name."""

    texts: dict[str, list[str]] = field(default_factory=dict)

    def add(self, sink: str, text: str | bytes) -> None:
        self.texts.setdefault(sink, []).append(
            text if isinstance(text, str) else text.decode("utf-8", "replace")
        )

    def found(self) -> dict[str, set[str]]:
        """``{sink: canaries found}`` for every sink where something was found."""
        table = {sink: set().union(*(leaks(t) for t in texts)) for sink, texts in self.texts.items()}
        return {sink: names for sink, names in table.items() if names}

    def joined(self, sink: str) -> str:
        return "\n".join(self.texts.get(sink, []))


def without_known_leak(sinks: Sinks) -> dict[str, set[str]]:
    """What leaked, but for the upstream error text in answers (its own, xfail-marked test)."""
    found = sinks.found()
    found.pop(UPSTREAM_ERROR, None)
    return found


def store_files(tmp_path: Path, sinks: Sinks) -> None:
    """The audit store's and the outbox's files, raw bytes (SQLite's -wal/-shm included)."""
    for path in sorted(tmp_path.iterdir()):
        if path.name.startswith("audit."):
            sinks.add("audit store", path.read_bytes())
        elif path.name.startswith("notify."):
            sinks.add("notify outbox", path.read_bytes())
    assert sinks.texts.get("audit store"), f"no audit file in {sorted(p.name for p in tmp_path.iterdir())}"


def audit_export(config: Path, env: dict[str, str], sinks: Sinks) -> None:
    """``mcpea audit export``, as JSON Lines and as CSV, must not carry a canary either."""
    for form in ("jsonl", "csv"):
        done = subprocess.run(
            [mcpea_command(), "audit", "export", "--format", form, "--config", str(config)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "canary_vendor_fail" in done.stdout and "Invalid API Key provided" in done.stdout
        sinks.add("mcpea audit export", done.stdout + done.stderr)


def answer_text(result: Any) -> str:
    return json.dumps(result.model_dump(mode="json", by_alias=True))


async def drive(client: Client, sinks: Sinks, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """Make ``calls``; every answer (and error) goes to the ``client answers`` sink."""
    sinks.add("client answers", answer_text(await client.list_tools()))
    results = []
    for tool, arguments in calls:
        try:
            result = await client.call_tool(tool, arguments)
        except Exception as exc:
            sinks.add("client answers", f"{type(exc).__name__}: {exc}")
            results.append(exc)
            continue
        sinks.add(UPSTREAM_ERROR if tool == "canary_vendor_fail" else "client answers", answer_text(result))
        results.append(result)
    return results


def check_outcomes(results: list[Any]) -> None:
    """The scenario ran as intended: the secrets really went through each path."""
    echo, sign_in, invalid, vendor, crash = results[:5]
    assert not echo.is_error and "Hello" in answer_text(echo)
    assert not sign_in.is_error and "signed in as alice" in answer_text(sign_in)
    assert invalid.is_error and "username" in answer_text(invalid)
    assert vendor.is_error and "Invalid API Key provided" in answer_text(vendor)
    assert crash.is_error and "RuntimeError" in answer_text(crash)


# --- the hub as a subprocess ------------------------------------------------------------


@pytest.fixture
def site(make_dist: Callable[..., Path]) -> Path:
    return make_dist("canary", PLUGIN)


@pytest.fixture
def env(subprocess_env: dict[str, str], site: Path) -> dict[str, str]:
    chosen = dict(subprocess_env, **ENV)
    chosen["MCPEA_LOAD_PLUGINS"] = "example,canary"
    chosen["PYTHONPATH"] = os.pathsep.join(p for p in (str(site), chosen.get("PYTHONPATH")) if p)
    chosen.pop("MCPEA_AUDIT_STORE", None)  # the config file's [audit] store applies
    return chosen


def write_config(tmp_path: Path, store: str) -> Path:
    config = tmp_path / "mcpea.toml"
    config.write_text(config_text(tmp_path, store), encoding="utf-8")
    return config


def collect_log_messages(sinks: Sinks) -> Callable[[Any], Any]:
    async def on_log(params: Any) -> None:
        sinks.add("client answers", json.dumps(params.model_dump(mode="json")))

    return on_log


async def run_http(
    tmp_path: Path, env: dict[str, str], store: str, calls: list[Any]
) -> tuple[Sinks, list[Any]]:
    config = write_config(tmp_path, store)
    sinks = Sinks()
    hub = ServedHub("--config", str(config), "--log-level", "debug", env=env)
    try:
        with anyio.fail_after(90):
            async with Client(
                hub.url, logging_callback=collect_log_messages(sinks), log_level="debug"
            ) as client:
                results = await drive(client, sinks, calls)
    finally:
        hub.stop()
    sinks.add("hub logs (stderr)", "".join(hub.stderr))
    return sinks, results


async def run_stdio(
    tmp_path: Path, env: dict[str, str], store: str, calls: list[Any]
) -> tuple[Sinks, list[Any]]:
    config = write_config(tmp_path, store)
    sinks = Sinks()
    params = StdioServerParameters(
        command=mcpea_command(), args=["serve", "--config", str(config), "--log-level", "debug"], env=env
    )
    errlog = tmp_path / "stderr.log"
    with errlog.open("w") as stderr:
        with anyio.fail_after(90):
            async with Client(
                stdio_client(params, errlog=stderr),
                logging_callback=collect_log_messages(sinks),
                log_level="debug",
            ) as client:
                results = await drive(client, sinks, calls)
    sinks.add("hub logs (stderr)", errlog.read_text(encoding="utf-8", errors="replace"))
    return sinks, results


SCENARIOS = {"http+sqlite": (run_http, "sqlite"), "stdio+jsonl": (run_stdio, "jsonl")}


@pytest.mark.slow
@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_served_hub_leaks_no_canary(scenario: str, tmp_path: Path, env: dict[str, str]) -> None:
    run, store = SCENARIOS[scenario]
    sinks, results = await run(tmp_path, env, store, CALLS)
    check_outcomes(results)
    store_files(tmp_path, sinks)
    audit_export(tmp_path / "mcpea.toml", env, sinks)
    logs = sinks.joined("hub logs (stderr)")
    assert "tool canary_sdk_crash crashed" in logs and "log:audit" in logs, "the logs were captured"
    assert without_known_leak(sinks) == {}, f"canaries leaked ({scenario}): {sinks.found()}"


# --- the hub in this process ----------------------------------------------------------------


@pytest.fixture
def inprocess_env(site: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """The throw-away plugin importable, its settings' secrets in the environment, every log record kept."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MCPEA_LOAD_PLUGINS", "example,canary")
    monkeypatch.delenv("MCPEA_AUDIT_STORE")  # the config file's [audit] store applies
    caplog.set_level(logging.DEBUG)


async def run_in_process(calls: list[tuple[str, dict[str, Any]]], tmp_path: Path) -> tuple[Sinks, list[Any]]:
    sinks = Sinks()
    hub = Hub(write_config(tmp_path, "sqlite"))
    async with hub:
        async with hub.client(logging_callback=collect_log_messages(sinks), log_level="debug") as client:
            results = await drive(client, sinks, calls)
    store_files(tmp_path, sinks)
    return sinks, results


@pytest.mark.usefixtures("inprocess_env")
async def test_in_process_hub_leaks_no_canary(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    sinks, results = await run_in_process(CALLS, tmp_path)
    check_outcomes(results)
    # What the hub's own loggers say, before any handler's filter: messages and their arguments.
    for record in caplog.records:
        sinks.add("log messages (in process)", record.getMessage())
    assert any("canary_sdk_crash" in r.getMessage() for r in caplog.records), "the logs were captured"
    # The same records the way an application that follows the docs sees them: with RedactingFilter
    # on its handler, tracebacks included.
    redacting = RedactingFilter()
    formatter = logging.Formatter("%(message)s")
    for record in caplog.records:
        copy = logging.makeLogRecord(record.__dict__)
        redacting.filter(copy)
        sinks.add("log output (in process, RedactingFilter)", formatter.format(copy))
    assert without_known_leak(sinks) == {}, f"canaries leaked (in process): {sinks.found()}"


# --- known leaks -----------------------------------------------------------------------------


@pytest.mark.usefixtures("inprocess_env")
async def test_upstream_error_text_reaches_the_client_redacted(tmp_path: Path) -> None:
    sinks, results = await run_in_process([("canary_vendor_fail", {})], tmp_path)
    assert results[0].is_error and "Invalid API Key provided" in answer_text(results[0])
    assert not without_known_leak(sinks), "the audit trail redacts it"
    assert sinks.found() == {}, (
        f"the vendor's error handed the hub's credentials to the client: {sinks.found()}"
    )


@pytest.mark.usefixtures("inprocess_env")
async def test_a_plugin_secret_quoted_in_an_upstream_error_leaks_nowhere(tmp_path: Path) -> None:
    sinks, results = await run_in_process([KEY_IN_ERROR], tmp_path)
    assert results[0].is_error
    assert sinks.found() == {}, f"the plugin's own key leaked: {sinks.found()}"
