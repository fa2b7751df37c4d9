"""Rendering a notification as Block Kit: readable, linked to the audit record, safe to post."""

from __future__ import annotations

from typing import Any

from mcpea_plugin_slack.blocks import audit_link, escape, fallback_text, render

NOTE: dict[str, Any] = {
    "type": "mcpea.tool_call",
    "version": 1,
    "id": "mcpea-abc123-0f0f",
    "channel": "slack:#payments",
    "requested": True,
    "tool": "stripe_create_refund",
    "plugin": "stripe",
    "outcome": "tool_error",
    "call_id": "abc123",
    "principal": "user:alice",
    "transport": "http",
    "time": "2025-01-31T12:00:00.123456Z",
    "summary": "stripe_create_refund failed (called by user:alice): The card was declined",
    "arguments": {"amount": 500},
    "error": {"class": "UpstreamError", "message": "The card was declined"},
}


def texts(blocks: list[dict[str, Any]]) -> str:
    """Every text of the blocks, joined: what a reader sees."""
    out: list[str] = []
    for block in blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        out += [f["text"] for f in block.get("fields", [])]
        out += [e["text"] for e in block.get("elements", [])]
    return "\n".join(out)


def test_a_failed_call_reads_at_a_glance() -> None:
    blocks = render(NOTE, audit_url_template="https://audit.example.com/calls/{call_id}")
    assert [b["type"] for b in blocks] == ["header", "section", "section", "section", "context"]
    assert blocks[0]["text"] == {
        "type": "plain_text",
        "text": ":x: stripe_create_refund ended: tool error",
        "emoji": True,
    }
    shown = texts(blocks)
    for expected in (
        "*Tool*\n`stripe_create_refund`",
        "*Outcome*\n:x: tool_error",
        "*Principal*\nuser:alice",
        "<!date^1738324800^{date_short_pretty} at {time_secs}|2025-01-31T12:00:00.123456Z>",
        NOTE["summary"],
        "> *UpstreamError*: The card was declined",
        "Audit record: <https://audit.example.com/calls/abc123|call abc123>",
        "plugin `stripe`",
        "requested by the model (notify)",
    ):
        assert expected in shown, expected
    assert "500" not in shown  # arguments are not shown


def test_a_success_has_no_error_block_and_quotes_the_call_id_without_a_template() -> None:
    note = dict(NOTE, outcome="success", error=None, requested=False, summary="x succeeded (called by y)")
    blocks = render(note)
    assert blocks[0]["text"]["text"] == ":white_check_mark: stripe_create_refund succeeded"
    assert "UpstreamError" not in texts(blocks)
    assert blocks[-1]["elements"][0]["text"] == "Audit record: call id `abc123`"
    assert "requested by the model" not in texts(blocks)


def test_values_cannot_inject_mentions_or_links() -> None:
    evil = dict(
        NOTE,
        principal="<!channel> <@U0ADMIN>",
        summary="see <https://evil.example|your bank> & pay",
        error={"class": "ToolError", "message": "<!here> click <https://evil.example>"},
    )
    shown = texts(render(evil))
    assert "<!channel>" not in shown and "<!here>" not in shown and "<https://evil" not in shown
    assert "&lt;!channel&gt; &lt;@U0ADMIN&gt;" in shown
    assert "&lt;https://evil.example|your bank&gt; &amp; pay" in fallback_text(evil)


def test_the_audit_link_is_encoded() -> None:
    assert audit_link("a b|c>", "https://audit.example.com/calls/{call_id}?x=1") == (
        "Audit record: <https://audit.example.com/calls/a%20b%7Cc%3E?x=1|call a b|c&gt;>"
    )
    assert escape("a<b>&c") == "a&lt;b&gt;&amp;c"


def test_long_values_are_cut_to_slacks_limits() -> None:
    blocks = render(dict(NOTE, tool="t" * 500, summary="s" * 5000))
    assert len(blocks[0]["text"]["text"]) == 150
    assert all(len(f["text"]) <= 2000 for f in blocks[1]["fields"])
    assert len(blocks[2]["text"]["text"]) == 3000


def test_a_sparse_notification_still_renders() -> None:
    blocks = render({"tool": "x_do_thing", "outcome": "crash"})
    assert blocks[0]["text"]["text"] == ":boom: x_do_thing ended: crash"
    assert "*When*\nunknown" in texts(blocks) and "call id unknown" in texts(blocks)
    assert fallback_text({"tool": "x_do_thing", "outcome": "crash"}) == "x_do_thing ended: crash"
