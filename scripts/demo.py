"""The hub's main job on embedded defaults, for a newcomer: `./dev demo`.

Starts `mcpea serve --transport http` with the bundled example plugin (no
vendor account, no database server), walks through a short scripted MCP
session with the official SDK client, then leaves the hub serving and says
how to point the MCP Inspector or Claude Desktop at it. `--no-serve` stops
after the scripted session (the test suite runs it that way).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import anyio
from mcp.client import Client
from rich.console import Console
from rich.panel import Panel

console = Console(highlight=False)
MCPEA = str(Path(sys.executable).with_name("mcpea"))


def start_hub(port: int) -> tuple[subprocess.Popen[str], str]:
    env = dict(os.environ, MCPEA_LOAD_PLUGINS=os.environ.get("MCPEA_LOAD_PLUGINS", "example"))
    proc = subprocess.Popen(
        [MCPEA, "serve", "--transport", "http", "--port", str(port), "--log-level", "warning"],
        env=env, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stderr is not None
    for line in proc.stderr:
        match = re.search(r"serving MCP at (\S+)", line)
        if match:
            # Keep draining the hub's stderr so it never blocks on a full pipe.
            threading.Thread(target=shutil.copyfileobj, args=(proc.stderr, sys.stderr), daemon=True).start()
            return proc, match.group(1)
        sys.stderr.write(line)
    raise SystemExit(f"the hub did not start (exit code {proc.wait()})")


async def session(url: str) -> None:
    async with Client(url) as client:
        tools = await client.list_tools()
        console.print(f"[bold]1. tools/list[/] -> {len(tools.tools)} tools: " + ", ".join(t.name for t in tools.tools))
        result = await client.call_tool("example_echo_text", {"text": "hello from MC-PEA", "times": 2})
        console.print("[bold]2. tools/call example_echo_text[/] -> " + json.dumps(result.structured_content))
        bad = await client.call_tool("example_echo_text", {"text": 42, "times": 0})
        console.print("[bold]3. a call with bad arguments[/] -> isError, naming each field:")
        console.print("   " + bad.content[0].text.replace("\n", "\n   "))  # type: ignore[union-attr]
        resource = await client.read_resource("example://items/42")
        console.print("[bold]4. resources/read example://items/42[/] -> " + resource.contents[0].text)  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765, help="HTTP port (0 picks a free one)")
    parser.add_argument("--no-serve", action="store_true", help="stop after the scripted session")
    args = parser.parse_args()
    proc, url = start_hub(args.port)
    try:
        console.print(Panel.fit(f"MC-PEA hub running at {url}", style="green"))
        anyio.run(session, url)
        if args.no_serve:
            return
        console.print(
            Panel.fit(
                f"The hub keeps serving at [bold]{url}[/]. Point a client at it:\n"
                f"  MCP Inspector:  npx @modelcontextprotocol/inspector  (transport: Streamable HTTP, URL {url})\n"
                f"  Claude Desktop: {MCPEA} config claude-desktop  (prints the stdio entry to add)\n"
                "Ctrl-C stops it.",
                title="next",
            )
        )
        proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
