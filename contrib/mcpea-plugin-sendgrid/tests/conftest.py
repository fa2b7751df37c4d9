"""Fixtures of the SendGrid connector's tests: a local SendGrid stand-in and settings pointing at it.

No published description of SendGrid's v3 API (an OpenAPI document a mock
server such as Prism could serve) is available offline to this project, so
``FakeSendGrid`` stands in for the two endpoints the connector uses, on
127.0.0.1 and a free port:

* ``POST /v3/mail/send`` checks the bearer key, checks the body against
  :data:`MAIL_SEND_SCHEMA` (written after SendGrid's v3 mail/send reference:
  no copy of the document is available here) and the rules the schema cannot say (text/plain
  before text/html, each address once per personalization, at most 1000
  recipients), then answers 202 with an ``X-Message-Id``, or 400 with
  SendGrid's ``{"errors": [{"message", "field", "help"}]}``.
* ``GET /v3/stats`` checks ``start_date``/``end_date``/``aggregated_by`` and
  answers with SendGrid's global-stats shape, counting the e-mails accepted
  today.

Tests queue other answers with :meth:`FakeSendGrid.answer` (401, 429, 5xx ...).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

API_KEY = "SG.test-key-0123456789.abcdefghijklmnop"
FROM = "agent@example.com"

_EMAIL = {
    "type": "object",
    "required": ["email"],
    "properties": {
        "email": {"type": "string", "format": "email", "minLength": 3},
        "name": {"type": "string"},
    },
    "additionalProperties": False,
}
_STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}
_RECIPIENTS = {"type": "array", "items": _EMAIL, "minItems": 1, "maxItems": 1000}

MAIL_SEND_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "SendGrid v3 POST /mail/send request body (the fields this project's senders may use)",
    "type": "object",
    "required": ["personalizations", "from", "subject", "content"],
    "properties": {
        "personalizations": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1000,
            "items": {
                "type": "object",
                "required": ["to"],
                "properties": {
                    "to": _RECIPIENTS,
                    "cc": _RECIPIENTS,
                    "bcc": _RECIPIENTS,
                    "from": _EMAIL,
                    "subject": {"type": "string", "minLength": 1},
                    "headers": _STRINGS,
                    "substitutions": _STRINGS,
                    "dynamic_template_data": {"type": "object"},
                    "custom_args": _STRINGS,
                    "send_at": {"type": "integer"},
                },
                "additionalProperties": False,
            },
        },
        "from": _EMAIL,
        "reply_to": _EMAIL,
        "reply_to_list": {"type": "array", "items": _EMAIL, "maxItems": 1000},
        "subject": {"type": "string", "minLength": 1},
        "content": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["type", "value"],
                "properties": {
                    "type": {"type": "string", "minLength": 1},
                    "value": {"type": "string", "minLength": 1},
                },
                "additionalProperties": False,
            },
        },
        "attachments": {"type": "array"},
        "template_id": {"type": "string"},
        "headers": _STRINGS,
        "categories": {
            "type": "array",
            "maxItems": 10,
            "uniqueItems": True,
            "items": {"type": "string", "maxLength": 255},
        },
        "custom_args": _STRINGS,
        "send_at": {"type": "integer"},
        "batch_id": {"type": "string"},
        "asm": {"type": "object"},
        "ip_pool_name": {"type": "string", "minLength": 2, "maxLength": 64},
        "mail_settings": {
            "type": "object",
            "properties": {
                "bypass_list_management": {"type": "object"},
                "footer": {"type": "object"},
                "sandbox_mode": {
                    "type": "object",
                    "properties": {"enable": {"type": "boolean"}},
                    "additionalProperties": False,
                },
            },
            "additionalProperties": False,
        },
        "tracking_settings": {"type": "object"},
    },
    "additionalProperties": False,
}

# Headers SendGrid refuses in "headers" (a sample of its documented reserved list).
RESERVED_HEADERS = {
    "x-sg-id",
    "x-sg-eid",
    "received",
    "dkim-signature",
    "content-type",
    "content-transfer-encoding",
    "to",
    "from",
    "subject",
    "reply-to",
    "cc",
    "bcc",
}


@dataclass(frozen=True)
class Seen:
    """One request the stand-in received."""

    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    body: Any


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def _error(message: str, field: str | None = None) -> dict[str, Any]:
    return {"errors": [{"message": message, "field": field, "help": None}]}


def check_mail_send(body: Any) -> list[tuple[str, str | None]]:
    """What SendGrid would object to in a mail/send body: ``(message, field)`` pairs."""
    from jsonschema import Draft202012Validator, FormatChecker

    validator = Draft202012Validator(MAIL_SEND_SCHEMA, format_checker=FormatChecker())
    problems: list[tuple[str, str | None]] = [
        (error.message, ".".join(str(p) for p in error.absolute_path) or None)
        for error in validator.iter_errors(body)
    ]
    if problems:
        return problems
    types = [item["type"] for item in body["content"]]
    if "text/plain" in types and types.index("text/plain") != 0:
        problems.append(("If present, text/plain must be first, followed by text/html", "content"))
    total = 0
    for index, personalization in enumerate(body["personalizations"]):
        seen: set[str] = set()
        for kind in ("to", "cc", "bcc"):
            for recipient in personalization.get(kind, []):
                total += 1
                address = recipient["email"].lower()
                if address in seen:
                    problems.append(
                        (
                            "Each email address in the personalization block should be unique between to, "
                            f"cc, and bcc. We found the first duplicate instance of [{address}] in the "
                            f"personalizations.{index}.{kind} field.",
                            f"personalizations.{index}.{kind}",
                        )
                    )
                seen.add(address)
    if total > 1000:
        problems.append(("The total number of recipients must be no more than 1000.", "personalizations"))
    for name in body.get("headers", {}):
        if name.lower() in RESERVED_HEADERS:
            problems.append((f"The header {name} is reserved.", "headers"))
    return problems


class FakeSendGrid:
    """SendGrid's v3 mail/send and stats endpoints on 127.0.0.1 (see the module docstring)."""

    def __init__(self, api_key: str = API_KEY) -> None:
        self.api_key = api_key
        self.requests: list[Seen] = []
        self.accepted: list[dict[str, Any]] = []
        self._answers: deque[Answer] = deque()
        self._ids = itertools.count(1)
        self._changed = threading.Condition()
        self.released = threading.Event()  # while clear (see hold()), requests wait before answering
        self.released.set()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeSendGrid:
        self._thread.start()
        return self

    def hold(self) -> None:
        """Keep every request waiting (up to 10 s) until :attr:`released` is set: a stuck SendGrid."""
        self.released.clear()

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(10)

    def answer(self, status: int, body: Any = None, **headers: str) -> None:
        """Answer the next request with this instead of the normal answer."""
        self._answers.append(Answer(status, body, dict(headers)))

    def mails(self) -> list[dict[str, Any]]:
        """The bodies of the e-mails accepted (202), oldest first."""
        return list(self.accepted)

    def wait_for_mails(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Block until ``count`` e-mails were accepted (they may arrive from another thread)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.accepted) >= count, timeout):
                raise AssertionError(f"{len(self.accepted)} of {count} e-mail(s) arrived within {timeout}s")
        return self.mails()

    # --- the server side ----------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        body: Any
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        seen = Seen(method, split.path, dict(handler.headers.items()), dict(parse_qsl(split.query)), body)
        self.requests.append(seen)
        self.released.wait(10)
        answer = self._answers.popleft() if self._answers else self._respond(seen)
        if answer.status == 202 and seen.path == "/v3/mail/send":
            with self._changed:
                self.accepted.append(body)
                self._changed.notify_all()
        payload = b"" if answer.body is None else json.dumps(answer.body).encode()
        try:
            handler.send_response(answer.status)
            for name, value in answer.headers.items():
                handler.send_header(name, value)
            if payload:
                handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (hold())
            handler.close_connection = True

    def _respond(self, seen: Seen) -> Answer:
        if seen.headers.get("Authorization") != f"Bearer {self.api_key}":
            return Answer(401, _error("The provided authorization grant is invalid, expired, or revoked"))
        if (seen.method, seen.path) == ("POST", "/v3/mail/send"):
            return self._mail_send(seen)
        if (seen.method, seen.path) == ("GET", "/v3/stats"):
            return self._stats(seen)
        return Answer(404, _error("resource not found"))

    def _mail_send(self, seen: Seen) -> Answer:
        if not seen.headers.get("Content-Type", "").startswith("application/json"):
            return Answer(415, _error("Content-Type should be application/json."))
        problems = check_mail_send(seen.body)
        if problems:
            return Answer(400, {"errors": [{"message": m, "field": f, "help": None} for m, f in problems]})
        return Answer(202, None, {"X-Message-Id": f"fake-msg-{next(self._ids)}"})

    def _stats(self, seen: Seen) -> Answer:
        try:
            start = date.fromisoformat(seen.query["start_date"])
            end = date.fromisoformat(seen.query.get("end_date") or date.today().isoformat())
        except (KeyError, ValueError):
            return Answer(400, _error("is required and must be YYYY-MM-DD", "start_date"))
        by = seen.query.get("aggregated_by", "day")
        if by not in ("day", "week", "month") or end < start:
            return Answer(400, _error("invalid query", "aggregated_by" if end >= start else "end_date"))

        def period(day: date) -> str:
            first = {"day": day, "week": day - timedelta(days=day.weekday()), "month": day.replace(day=1)}[by]
            return max(first, start).isoformat()

        rows = {period(start + timedelta(days=n)): 0 for n in range((end - start).days + 1)}
        if start <= date.today() <= end:
            rows[period(date.today())] += len(self.accepted)
        metrics = (
            "blocks",
            "bounces",
            "clicks",
            "delivered",
            "opens",
            "processed",
            "requests",
            "unique_opens",
        )
        return Answer(
            200,
            [
                {
                    "date": d,
                    "stats": [
                        {
                            "metrics": {
                                m: (n if m in ("requests", "processed", "delivered") else 0) for m in metrics
                            }
                        }
                    ],
                }
                for d, n in rows.items()
            ],
        )


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _only_this_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCPEA_LOAD_PLUGINS", "sendgrid")
    monkeypatch.delenv("MCPEA_CONFIG", raising=False)
    monkeypatch.delenv("SENDGRID_API_KEY", raising=False)


@pytest.fixture
def fake_sendgrid() -> Iterator[FakeSendGrid]:
    fake = FakeSendGrid().start()
    try:
        yield fake
    finally:
        fake.stop()


def plugin_settings(fake: FakeSendGrid, **overrides: Any) -> dict[str, Any]:
    """``[plugins.sendgrid]`` pointing at ``fake``."""
    return {"api_key": API_KEY, "from_email": FROM, "api_base": fake.base_url, **overrides}


@pytest.fixture
def settings_for() -> Any:
    """``settings_for(fake, **overrides)``: the plugin's settings table for a stand-in."""
    return plugin_settings
