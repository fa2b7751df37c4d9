"""The hub's main job on embedded defaults, for a newcomer: `./dev demo`.

No vendor account and no database server: it starts localstripe (a Stripe
stand-in from PyPI) on loopback, a local webhook receiver, and
`mcpea serve --transport http` with the Stripe plugin, SQLite audit and a
`webhook:demo` notification channel. Then it walks through a short MCP
session with the official SDK client: create a customer and a payment intent
(asking for a notification), read the receipt resource, show the delivered
notification and the audit trail. Finally it leaves the hub serving and says
how to point the MCP Inspector or Claude Desktop at it. `--no-serve` stops
after the session (the test suite runs it that way).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
from mcp.client import Client
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from mcpea_core.audit import RecordFilter, open_store
from mcpea_core.notify.webhook import verify_signature

console = Console(highlight=False)
HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
MCPEA = str(BIN / "mcpea")


def start(cmd: list[str], pattern: str, env: dict[str, str], timeout: float = 60) -> tuple[subprocess.Popen[str], str]:
    """Start a process and wait (bounded) for the stderr/stdout line that says where it listens."""
    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    for line in proc.stdout:
        match = re.search(pattern, line)
        if match:
            # Keep draining its output so it never blocks on a full pipe.
            threading.Thread(target=shutil.copyfileobj, args=(proc.stdout, sys.stderr), daemon=True).start()
            return proc, match.group(1)
        sys.stderr.write(line)
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise SystemExit(f"{cmd[0]} did not start (exit code {proc.wait()})")


class Receiver:
    """A webhook endpoint on 127.0.0.1 that checks each notification's HMAC signature."""

    def __init__(self, secret: str) -> None:
        self.received: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                ok = verify_signature(secret.encode(), body, self.headers.get("X-Mcpea-Signature"))
                self.send_response(204 if ok else 401)
                self.end_headers()
                if ok:
                    outer.received.append({"key": self.headers.get("Idempotency-Key"), **json.loads(body)})

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/mcpea"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def write_config(workdir: Path, stripe_url: str, receiver: Receiver, secret: str) -> Path:
    config = workdir / "mcpea.toml"
    config.write_text(
        f"""# Written by ./dev demo. Everything local: localstripe, SQLite, a webhook on loopback.
[hub]
plugins = ["stripe"]

[plugins.stripe]
api_key = "sk_test_mcpea_demo_key"
api_base = "{stripe_url}"

[audit]
store = "sqlite:///{workdir / 'audit.sqlite3'}"

[notify.channels."webhook:demo"]
url = "{receiver.url}"
secret = {{ env = "MCPEA_DEMO_WEBHOOK_SECRET" }}

[notify.retry]
base_backoff = 0.5
"""
    )
    os.environ["MCPEA_DEMO_WEBHOOK_SECRET"] = secret
    return config


def text_of(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


async def session(url: str) -> None:
    async with Client(url) as client:
        tools = await client.list_tools()
        stripe = [t.name for t in tools.tools if t.name.startswith("stripe_")]
        console.print(f"[bold]1. tools/list[/] -> {len(stripe)} Stripe tools, e.g. {', '.join(stripe[:4])}, ...")
        customer = await client.call_tool(
            "stripe_create_customer", {"email": "ada@example.com", "name": "Ada Lovelace"}
        )
        customer_id = customer.structured_content["id"]  # type: ignore[index]
        console.print(f"[bold]2. stripe_create_customer[/] -> {customer_id}")
        bad = await client.call_tool("stripe_create_payment_intent", {"amount": 10.5, "currency": "eur"})
        console.print("[bold]3. a payment with a fractional amount[/] -> refused before any request:")
        console.print("   " + text_of(bad).replace("\n", "\n   "))
        intent = await client.call_tool(
            "stripe_create_payment_intent",
            {"amount": 2000, "currency": "eur", "customer": customer_id, "payment_method": "pm_card_visa",
             "notify": ["webhook:demo"]},
        )
        if intent.is_error:
            raise SystemExit("stripe_create_payment_intent failed: " + text_of(intent))
        data = intent.structured_content or {}
        console.print(f"[bold]4. stripe_create_payment_intent[/] (notify webhook:demo) -> {data.get('id')}, "
                      f"{data.get('amount')} {data.get('currency')}, status {data.get('status')}")
        confirmed = await client.call_tool(
            "stripe_confirm_payment_intent", {"payment_intent_id": data["id"], "notify": ["webhook:demo"]}
        )
        if confirmed.is_error:
            raise SystemExit("stripe_confirm_payment_intent failed: " + text_of(confirmed))
        paid = confirmed.structured_content or {}
        console.print(f"[bold]5. stripe_confirm_payment_intent[/] -> status {paid.get('status')}")
        receipt_id = (paid.get("receipt") or {}).get("id")
        receipt = await client.read_resource(f"stripe://receipts/{receipt_id}")
        kept = json.loads(receipt.contents[0].text)  # type: ignore[union-attr]
        console.print(f"[bold]6. resources/read stripe://receipts/{receipt_id}[/]:")
        console.print("   " + kept["text"].strip().replace("\n", "\n   "))


async def audit_trail(store_url: str) -> list[Any]:
    store = await open_store(store_url)
    try:
        return [record async for record in store.iter_records(RecordFilter(phase="end"))]
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765, help="HTTP port of the hub (0 picks a free one)")
    parser.add_argument("--no-serve", action="store_true", help="stop after the scripted session")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="mcpea-demo-"))
    env = {k: v for k, v in os.environ.items() if k not in ("MCPEA_LOAD_PLUGINS", "MCPEA_AUDIT_STORE", "MCPEA_CONFIG")}
    procs: list[subprocess.Popen[str]] = []
    try:
        stripe_proc, stripe_url = start([sys.executable, str(HERE / "localstripe_local.py")], r"localstripe: (\S+)", env)
        procs.append(stripe_proc)
        secret = secrets.token_urlsafe(24)
        receiver = Receiver(secret)
        config = write_config(workdir, stripe_url, receiver, secret)
        env["MCPEA_DEMO_WEBHOOK_SECRET"] = secret
        hub, url = start([MCPEA, "serve", "--transport", "http", "--port", str(args.port), "--config", str(config)],
                         r"serving MCP at (\S+)", env)
        procs.append(hub)
        console.print(Panel.fit(f"MC-PEA hub with the Stripe plugin at {url}\nlocalstripe at {stripe_url}; "
                                f"config and audit in {workdir}", style="green"))
        anyio.run(session, url)

        deadline = time.monotonic() + 20
        while len(receiver.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)  # the delivery worker runs in the hub; poll with a bound
        console.print("[bold]7. the webhook received[/] (signature checked):")
        for note in receiver.received:
            console.print(f"   {note.get('tool')} {note.get('outcome')} call {note.get('call_id')} "
                          f"(Idempotency-Key {note['key']})")
        if not receiver.received:
            console.print("   [red]nothing yet: see `mcpea notify status --config " + str(config) + "`[/]")

        records = anyio.run(audit_trail, f"sqlite:///{workdir / 'audit.sqlite3'}")
        table = Table("seq", "tool", "outcome", "principal", "ms", "idempotency keys", title="8. the audit trail (end records)")
        for r in records:
            keys = ", ".join(r.upstream.get("idempotency_keys", [])) if r.upstream else ""
            table.add_row(str(r.seq), r.tool, r.outcome or "", r.principal, f"{r.duration_ms or 0:.0f}", keys)
        console.print(table)
        console.print(f"   the hash chain can be checked with: {MCPEA} audit verify --config {config}")
        if args.no_serve:
            return
        console.print(Panel.fit(
            f"The hub keeps serving at [bold]{url}[/]. Point a client at it:\n"
            f"  MCP Inspector:  npx @modelcontextprotocol/inspector  (transport Streamable HTTP, URL {url})\n"
            f"  Claude Desktop: MCPEA_CONFIG={config} {MCPEA} config claude-desktop  (prints the entry to add)\n"
            "Ctrl-C stops it.", title="next"))
        hub.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
