"""The tools through a real hub and the in-memory MCP client, the real SDK against the local stand-in."""

from __future__ import annotations

import socket
import time
from datetime import date, timedelta
from typing import Any

import pytest

from mcpea_core import AuthError, Hub, Principal, RateLimited, UpstreamError
from mcpea_core.testing import AuditRecorder, HubFactory

pytestmark = pytest.mark.anyio

# The same values as conftest.py's (test modules cannot import conftest under --import-mode=importlib).
API_KEY = "SG.test-key-0123456789.abcdefghijklmnop"
FROM = "agent@example.com"
FakeSendGrid = Any  # conftest.FakeSendGrid

EMAIL = {"to": ["ops@example.com"], "subject": "Deploy finished", "text": "All green."}


def text_of(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


async def start(mcpea_hub: HubFactory, fake: FakeSendGrid, **overrides: Any) -> Hub:
    """A hub as `mcpea serve` builds it: MCPEA_LOAD_PLUGINS=sendgrid, settings from the config."""
    settings = {"api_key": API_KEY, "from_email": FROM, "api_base": fake.base_url, **overrides}
    return await mcpea_hub(config={"plugins": {"sendgrid": settings}})


async def test_an_email_reaches_sendgrid_in_its_documented_shape(
    mcpea_hub: HubFactory, audit_records: AuditRecorder, fake_sendgrid: FakeSendGrid
) -> None:
    hub = await start(mcpea_hub, fake_sendgrid, from_name="Release bot")
    arguments = {
        "to": ["ops@example.com", "Dev@Example.COM"],
        "cc": ["lead@example.com"],
        "bcc": ["archive@example.com"],
        "reply_to": "support@example.com",
        "subject": "Deploy finished",
        "text": "All green.",
        "html": "<p>All <b>green</b>.</p>",
    }
    async with hub.client() as client:
        result = await client.call_tool("sendgrid_send_email", arguments)
    assert not result.is_error, text_of(result)
    [seen] = fake_sendgrid.requests
    assert (seen.method, seen.path) == ("POST", "/v3/mail/send")
    assert seen.headers["Authorization"] == f"Bearer {API_KEY}"
    body = seen.body
    assert body["from"] == {"email": FROM, "name": "Release bot"}
    assert body["subject"] == "Deploy finished"
    assert body["personalizations"] == [
        {
            "to": [{"email": "ops@example.com"}, {"email": "Dev@example.com"}],
            "cc": [{"email": "lead@example.com"}],
            "bcc": [{"email": "archive@example.com"}],
        }
    ]
    assert body["content"] == [
        {"type": "text/plain", "value": "All green."},
        {"type": "text/html", "value": "<p>All <b>green</b>.</p>"},
    ]
    assert body["reply_to"] == {"email": "support@example.com"}
    record = audit_records.last
    assert body["custom_args"] == {"mcpea_call_id": record.call_id}
    assert "mail_settings" not in body
    assert result.structured_content == {
        "accepted": True,
        "message_id": "fake-msg-1",
        "recipients": 4,
        "sandbox": False,
    }
    assert record.outcome == "success" and record.request_ids == ["fake-msg-1"]


async def test_html_only_and_sandbox_mode(mcpea_hub: HubFactory, fake_sendgrid: FakeSendGrid) -> None:
    hub = await start(mcpea_hub, fake_sendgrid, sandbox_mode=True)
    result = await hub.call_tool("sendgrid_send_email", {**EMAIL, "text": None, "html": "<p>Hi</p>"})
    assert not result.is_error, text_of(result)
    [body] = fake_sendgrid.mails()
    assert body["content"] == [{"type": "text/html", "value": "<p>Hi</p>"}]
    assert body["mail_settings"] == {"sandbox_mode": {"enable": True}}
    assert result.structured_content is not None and result.structured_content["sandbox"] is True


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({**EMAIL, "to": ["ops@example.com", "not an address"]}, "to.1"),
        ({**EMAIL, "cc": ["Ops <ops@example.com>"]}, "cc.0"),
        ({**EMAIL, "to": ["ops@localhost"]}, "to.0"),
        ({**EMAIL, "reply_to": "ops@example.com\r\nBcc: all@example.com"}, "reply_to"),
        ({**EMAIL, "subject": "Hi\r\nBcc: all@example.com"}, "subject"),
        ({**EMAIL, "to": []}, "to"),
        ({**EMAIL, "text": None}, "(arguments)"),
        ({**EMAIL, "cc": ["OPS@example.com"]}, "(arguments)"),
        ({**EMAIL, "from_email": "ceo@example.com"}, "from_email"),
    ],
)
async def test_bad_arguments_are_refused_before_any_request(
    mcpea_hub: HubFactory,
    audit_records: AuditRecorder,
    fake_sendgrid: FakeSendGrid,
    arguments: dict[str, Any],
    field: str,
) -> None:
    hub = await start(mcpea_hub, fake_sendgrid)
    async with hub.client() as client:
        result = await client.call_tool("sendgrid_send_email", arguments)
    assert result.is_error
    assert f"- {field}:" in text_of(result), text_of(result)
    assert fake_sendgrid.requests == []
    assert audit_records.last.outcome == "invalid_input"


async def test_the_recipient_cap_is_the_operators(mcpea_hub: HubFactory, fake_sendgrid: FakeSendGrid) -> None:
    hub = await start(mcpea_hub, fake_sendgrid, max_recipients=2)
    result = await hub.call_tool("sendgrid_send_email", {**EMAIL, "cc": ["a@example.com", "b@example.com"]})
    assert result.is_error and "3 recipients: this hub allows at most 2" in text_of(result)
    assert fake_sendgrid.requests == []


@pytest.mark.parametrize(
    ("status", "body", "headers", "error", "expected"),
    [
        (
            401,
            {"errors": [{"message": f"key {API_KEY} is revoked", "field": None}]},
            {},
            AuthError,
            "SendGrid refused the hub's API key: key [redacted] is revoked. The operator must fix",
        ),
        (
            403,
            {
                "errors": [
                    {"message": "The from address does not match a verified Sender Identity", "field": "from"}
                ]
            },
            {},
            AuthError,
            "verify from_email as a sender",
        ),
        (
            400,
            {"errors": [{"message": "Invalid type", "field": "personalizations.0.to"}]},
            {},
            UpstreamError,
            "SendGrid rejected the request: Invalid type (field personalizations.0.to). "
            "Fix the arguments (HTTP 400)",
        ),
        (
            429,
            {"errors": [{"message": "too many requests"}]},
            {"X-RateLimit-Reset": "+30"},
            RateLimited,
            "SendGrid is rate-limiting this hub: retry in",
        ),
        (503, None, {}, UpstreamError, "SendGrid failed: no details. Retry later"),
        (413, None, {}, UpstreamError, "too large"),
    ],
)
async def test_sendgrid_errors_become_hub_errors_without_the_key(
    mcpea_hub: HubFactory,
    audit_records: AuditRecorder,
    fake_sendgrid: FakeSendGrid,
    status: int,
    body: Any,
    headers: dict[str, str],
    error: type[UpstreamError],
    expected: str,
) -> None:
    hub = await start(mcpea_hub, fake_sendgrid)
    reset = {"X-RateLimit-Reset": str(int(time.time()) + 30)} if headers else {}
    fake_sendgrid.answer(status, body, **reset)
    call = hub.new_call("sendgrid_send_email", EMAIL, Principal(id="test"), transport="inprocess")
    outcome = await hub.execute(call)
    text = text_of(outcome.result)
    assert outcome.outcome == "tool_error" and expected in text, text
    assert type(outcome.error) is error
    assert isinstance(outcome.error, UpstreamError) and outcome.error.status == status
    record = audit_records.last
    assert record.error is not None and API_KEY not in text and API_KEY not in record.error
    if status == 429:
        assert outcome.error.retry_after is not None and 20 <= outcome.error.retry_after <= 31
        assert 20 <= float(text.split("retry in ")[1].split(" ")[0]) <= 31


async def test_an_unreachable_sendgrid_is_a_clear_error(mcpea_hub: HubFactory) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    hub = await mcpea_hub(
        config={
            "plugins": {
                "sendgrid": {
                    "api_key": API_KEY,
                    "from_email": FROM,
                    "api_base": f"http://127.0.0.1:{port}",
                    "timeout": 2,
                }
            }
        }
    )
    result = await hub.call_tool("sendgrid_send_email", EMAIL)
    assert result.is_error and text_of(result).startswith("Could not reach SendGrid (")
    assert text_of(result).endswith("Connection refused). Nothing was sent; retry later.")
    assert API_KEY not in text_of(result)


async def test_a_silent_sendgrid_times_out_and_says_the_email_may_have_gone(
    mcpea_hub: HubFactory, fake_sendgrid: FakeSendGrid
) -> None:
    fake_sendgrid.hold()
    hub = await start(mcpea_hub, fake_sendgrid, timeout=0.3)
    result = await hub.call_tool("sendgrid_send_email", EMAIL)
    fake_sendgrid.released.set()
    assert result.is_error and text_of(result).startswith("Could not reach SendGrid (")
    assert "may or may not have been accepted" in text_of(result)


async def test_stats_are_read_and_totalled(mcpea_hub: HubFactory, fake_sendgrid: FakeSendGrid) -> None:
    hub = await start(mcpea_hub, fake_sendgrid)
    await hub.call_tool("sendgrid_send_email", EMAIL)
    today = date.today()
    async with hub.client() as client:
        result = await client.call_tool(
            "sendgrid_get_stats",
            {"start_date": (today - timedelta(days=2)).isoformat(), "end_date": today.isoformat()},
        )
    assert not result.is_error, text_of(result)
    seen = fake_sendgrid.requests[-1]
    assert (seen.method, seen.path) == ("GET", "/v3/stats")
    assert seen.query == {
        "start_date": (today - timedelta(days=2)).isoformat(),
        "end_date": today.isoformat(),
        "aggregated_by": "day",
    }
    stats = result.structured_content
    assert stats is not None
    assert [p["date"] for p in stats["periods"]] == [
        (today - timedelta(days=d)).isoformat() for d in (2, 1, 0)
    ]
    assert [p["metrics"]["requests"] for p in stats["periods"]] == [0, 0, 1]
    assert stats["totals"]["delivered"] == 1 and stats["aggregated_by"] == "day"


async def test_stats_dates_are_checked_before_any_request(
    mcpea_hub: HubFactory, fake_sendgrid: FakeSendGrid
) -> None:
    hub = await start(mcpea_hub, fake_sendgrid)
    today = date.today()
    backwards = await hub.call_tool(
        "sendgrid_get_stats",
        {"start_date": today.isoformat(), "end_date": (today - timedelta(days=1)).isoformat()},
    )
    too_long = await hub.call_tool(
        "sendgrid_get_stats", {"start_date": "2020-01-01", "end_date": "2022-01-01"}
    )
    assert "end_date must not be before start_date" in text_of(backwards)
    assert "at most 366 days" in text_of(too_long)
    assert fake_sendgrid.requests == []


async def test_a_tool_call_imports_the_sdk_loading_did_not(
    mcpea_hub: HubFactory, fake_sendgrid: FakeSendGrid
) -> None:
    """The other half of the kit's lazy-import test: the SDK is what the tool runs on."""
    import sys

    hub = await start(mcpea_hub, fake_sendgrid)
    await hub.call_tool("sendgrid_send_email", EMAIL)
    assert "sendgrid" in sys.modules and "python_http_client" in sys.modules
    assert fake_sendgrid.requests[0].headers["User-Agent"].startswith("sendgrid/")
