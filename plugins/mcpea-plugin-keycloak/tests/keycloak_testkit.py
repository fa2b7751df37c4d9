"""What the Keycloak connector's tests share: constants, hubs, a fake admin, Prism behind a token front.

The fixtures that use these live in conftest.py, which puts this directory on
``sys.path`` (tests run with ``--import-mode=importlib``, which does not).
"""

from __future__ import annotations

import copy
import http.client
import inspect
import json
import re
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from mcpea_core import Hub, HubConfig

REALM = "demo"
CLIENT_ID = "mcpea-admin"
SECRET = "kc-secret-7f3a9b2c5d1e"  # the client secret the tests configure; no output may contain it
USER_ID = "5f0c2b1e-7d3a-4c1b-9a43-2f1d0e6b8c11"
GROUP_ID = "8e1f4a52-3b6c-4d7e-8f90-1a2b3c4d5e6f"
_REQUEST_MESSAGE = re.compile(r'"location":\["request"[^]]*\][^}]*?"message":"([^"]*)"')


def settings_table(server_url: str = "http://127.0.0.1:9/", **overrides: Any) -> dict[str, Any]:
    return {
        "server_url": server_url,
        "realm": REALM,
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        **overrides,
    }


def direct_admin(server_url: str, **options: Any) -> Any:
    """python-keycloak's own ``KeycloakAdmin`` with a token given (no token endpoint), outside any hub."""
    from keycloak import KeycloakAdmin

    token = {"access_token": "test-token", "expires_in": 300}
    return KeycloakAdmin(server_url=server_url, realm_name=REALM, token=token, **options)


def text_of(result: Any) -> str:
    """The text of a tool result (what the model reads, error messages included)."""
    return "".join(str(getattr(block, "text", "")) for block in result.content)


def keycloak_hub(server_url: str = "http://127.0.0.1:9/", **overrides: Any) -> Hub:
    """A hub loading the keycloak plugin from its entry point, configured as an operator would."""
    return Hub(HubConfig.model_validate({"plugins": {"keycloak": settings_table(server_url, **overrides)}}))


# --- a fake KeycloakAdmin -----------------------------------------------------------

ANN: dict[str, Any] = {
    "id": USER_ID,
    "username": "ann",
    "email": "ann@example.com",
    "firstName": "Ann",
    "lastName": "Lee",
    "enabled": True,
    "emailVerified": True,
    "createdTimestamp": 1717243200000,
    "requiredActions": [],
    "attributes": {"team": ["blue"], "locale": ["en"]},
    "credentials": [{"type": "password", "value": "must-never-show"}],
    "access": {"manage": True},
}


@dataclass
class Call:
    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


class FakeResponse:
    """Just what python-keycloak's ``raise_error_from_response`` reads."""

    def __init__(self, status_code: int, body: Any) -> None:
        self.status_code = status_code
        self.content = json.dumps(body).encode()
        self.headers: dict[str, str] = {}

    def json(self) -> Any:
        return json.loads(self.content)


class FakeConnection:
    """python-keycloak's connection, as far as the connector uses it: realm, token, raw GETs."""

    def __init__(self, admin: FakeAdmin) -> None:
        self.admin = admin
        self.realm_name = REALM
        self.token: dict[str, Any] | None = None
        self.expires_at: Any = None
        self.tokens_fetched = 0
        self.token_error: Exception | None = None

    def get_token(self) -> None:
        from datetime import UTC, datetime, timedelta

        if self.token_error is not None:
            raise self.token_error
        self.tokens_fetched += 1
        self.token = {"access_token": "fake", "expires_in": 300}
        self.expires_at = datetime.now(UTC) + timedelta(seconds=270)

    def raw_get(self, path: str, **query: Any) -> FakeResponse:
        self.admin.calls.append(Call("raw_get", (path,), query))
        reply = self.admin.replies.get(f"GET {path}", [])
        if isinstance(reply, BaseException):
            raise reply
        return FakeResponse(200, copy.deepcopy(reply))


class FakeAdmin:
    """Stands in for ``keycloak.KeycloakAdmin``: records calls, answers from ``replies``.

    Only methods the real class has can be called, and only with arguments its
    signature accepts, so the fake cannot drift from python-keycloak's API. A
    reply (``replies[method]``, or ``replies["GET <path>"]`` for raw GETs) is a
    value (deep-copied), an exception (raised) or a function of the call's
    arguments.
    """

    def __init__(self) -> None:
        from keycloak import KeycloakAdmin

        self.real = KeycloakAdmin
        self.calls: list[Call] = []
        self.replies: dict[str, Any] = {
            "create_user": USER_ID,
            "get_client_id": "c-uuid-1",
            f"GET admin/realms/{REALM}/users/{USER_ID}": ANN,
        }
        self.connection = FakeConnection(self)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_") or not callable(getattr(self.real, name, None)):
            raise AttributeError(f"KeycloakAdmin has no method {name!r}")
        signature = inspect.signature(getattr(self.real, name))

        def method(*args: Any, **kwargs: Any) -> Any:
            signature.bind(self, *args, **kwargs)  # TypeError when the real method would refuse these
            self.calls.append(Call(name, args, kwargs))
            reply = self.replies.get(name, {})
            if isinstance(reply, BaseException):
                raise reply
            if callable(reply):
                return reply(*args, **kwargs)
            return copy.deepcopy(reply)

        return method

    def called(self, name: str) -> list[Call]:
        return [call for call in self.calls if call.method == name]

    @property
    def methods(self) -> list[str]:
        return [call.method for call in self.calls]


def keycloak_error(kind: str, status: int | None, body: Any = b"") -> Exception:
    """A python-keycloak exception as raise_error_from_response builds it (``kind`` names its class)."""
    from keycloak import exceptions

    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    error: Exception = getattr(exceptions, kind)(error_message=raw, response_code=status, response_body=raw)
    return error


# --- Prism, behind a token endpoint and a request log --------------------------------


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    body: bytes
    authorization: str | None
    violations: str | None = None
    response: bytes = b""

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def request_violations(self) -> list[str]:
        """Prism's reasons for refusing the request: ``sl-violations``, or the problem body's ``validation``.

        Prism puts them in the header when the operation declares a 400 answer,
        in a 422 body when it does not; the header also reports violations of
        Prism's own generated responses (prefixed "Too many violations!" when
        long), which are not the request's.
        """
        found: list[Any] = []
        raw = self.violations or ""
        if "[" in raw:
            try:
                found += json.loads(raw[raw.index("[") :])
            except ValueError:  # a long header is cut off: keep the request entries that can be read
                found += [{"location": ["request"], "message": m} for m in _REQUEST_MESSAGE.findall(raw)]
        if self.status >= 400 and self.response.startswith(b"{"):
            found += json.loads(self.response).get("validation") or []
        return [
            str(item.get("message"))
            for item in found
            if isinstance(item, dict)
            and item.get("location", [None])[0] in ("request", "query", "body", "path")
        ]


class KeycloakDouble:
    """Keycloak's token endpoint, then a pass-through proxy to Prism that records every request.

    Prism serves Keycloak's admin description, which has no token endpoint, so
    this front answers ``POST /realms/<realm>/protocol/openid-connect/token``
    for the client-credentials grant itself (a 401 with Keycloak's OAuth error
    for wrong credentials); everything else goes to Prism untouched, and
    Prism's verdict (status, ``sl-violations``) comes back untouched.
    ``prefer`` adds Prism's ``Prefer`` header (``code=404``) to forwarded
    requests, to make Prism answer an error the description declares;
    ``drop_authorization`` forwards them without the bearer token, which Prism
    answers with a 401 (the overlay's security scheme), as Keycloak answers a
    revoked or expired token.
    """

    def __init__(self, prism_base: str) -> None:
        self.prism_base = prism_base
        self.seen: list[Seen] = []
        self.prefer: str | None = None
        self.drop_authorization = False
        self.tokens_issued = 0
        self._lock = threading.Lock()
        host, port = prism_base.removeprefix("http://").split(":")
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urllib.parse.urlsplit(self.path)
                if url.path == f"/realms/{REALM}/protocol/openid-connect/token":
                    status, headers, data = outer._token(body)
                else:
                    status, headers, data = outer._forward(
                        self.command, self.path, body, dict(self.headers), host, port
                    )
                with outer._lock:
                    outer.seen.append(
                        Seen(
                            self.command,
                            url.path,
                            urllib.parse.parse_qs(url.query),
                            status,
                            body,
                            self.headers.get("Authorization"),
                            headers.get("sl-violations"),
                            data,
                        )
                    )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def _token(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        form = urllib.parse.parse_qs(body.decode())
        given = {key: values[0] for key, values in form.items()}
        json_type = {"Content-Type": "application/json"}
        if given.get("grant_type") != "client_credentials":
            return 400, json_type, json.dumps({"error": "unsupported_grant_type"}).encode()
        if given.get("client_id") != CLIENT_ID or given.get("client_secret") != SECRET:
            refusal = {
                "error": "unauthorized_client",
                "error_description": "Invalid client or Invalid client credentials",
            }
            return 401, json_type, json.dumps(refusal).encode()
        with self._lock:
            self.tokens_issued += 1
            number = self.tokens_issued
        token = {
            "access_token": f"test-token-{number}",
            "expires_in": 300,
            "token_type": "Bearer",
            "scope": "profile",
        }
        return 200, json_type, json.dumps(token).encode()

    def _forward(
        self, method: str, path: str, body: bytes, headers: dict[str, str], host: str, port: str
    ) -> tuple[int, dict[str, str], bytes]:
        dropped = ("host", "connection", "content-length") + (
            ("authorization",) if self.drop_authorization else ()
        )
        sent = {k: v for k, v in headers.items() if k.lower() not in dropped}
        if self.prefer:
            sent["Prefer"] = self.prefer
        upstream = http.client.HTTPConnection(host, int(port), timeout=30)
        try:
            upstream.request(method, path, body=body or None, headers=sent)
            response = upstream.getresponse()
            data = response.read()
            kept = {
                name: value
                for name, value in response.getheaders()
                if name.lower() not in ("content-length", "connection", "keep-alive", "transfer-encoding")
            }
            return response.status, kept, data
        finally:
            upstream.close()

    def take(self) -> list[Seen]:
        """The requests seen since the last call, and forget them."""
        with self._lock:
            seen, self.seen = self.seen, []
        return seen

    def admin_requests(self) -> list[Seen]:
        return [seen for seen in self.take() if seen.path.startswith("/admin/")]
