"""Serve localstripe (a stateful Stripe stand-in from PyPI) on 127.0.0.1 only.

localstripe's own launcher binds every interface and pickles its state to
/tmp; this serves its aiohttp app on loopback, in memory, and prints
`localstripe: http://127.0.0.1:PORT` once it listens. `--port 0` picks a port.
"""

from __future__ import annotations

import argparse
import asyncio
import socket


async def main(port: int) -> None:
    from aiohttp import web
    from localstripe import resources, server  # type: ignore[import-untyped]

    resources.Store.dump_to_disk = lambda self: None  # keep state in memory
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    runner = web.AppRunner(server.app, access_log=None)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    print(f"localstripe: http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    try:
        asyncio.run(main(parser.parse_args().port))
    except KeyboardInterrupt:
        pass
