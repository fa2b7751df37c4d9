"""slack_upload_file: files_upload_v2's three steps, against a fake held to Slack's documented parameters.

files.getUploadURLExternal and files.completeUploadExternal are newer than
Slack's 2020 description, so Prism cannot check them; the fake (conftest.py)
does, from docs.slack.dev: required arguments present and typed, nothing
undocumented, the uploaded bytes matching the declared length.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from mcpea_plugin_slack.client import make_client
from mcpea_plugin_slack.settings import Settings

from mcpea_core import Hub

pytestmark = pytest.mark.anyio


def _hub(make_hub: Callable[..., Hub], fake: Any, **settings: Any) -> Hub:
    return make_hub(base_url=fake.base_url + "api/", **settings)


async def test_a_text_file_is_uploaded_and_shared_in_a_thread(
    make_hub: Callable[..., Hub], fake_slack: Any
) -> None:
    hub = _hub(make_hub, fake_slack)
    arguments = {
        "filename": "report.csv",
        "content": "day,total\nmon,3\n",
        "channel": "C0123ABCD",
        "title": "Weekly report",
        "initial_comment": "Here it is",
        "thread_ts": "1712345678.000100",
    }
    async with hub, hub.client() as client:
        result = await client.call_tool("slack_upload_file", arguments)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    file_id = result.structured_content["id"]
    assert result.structured_content["title"] == "Weekly report"

    get_url, upload, complete = fake_slack.seen
    assert get_url.method == "files.getUploadURLExternal"
    assert get_url.args == {"filename": "report.csv", "length": "16"}
    assert get_url.headers["Authorization"].startswith("Bearer xoxb-")
    assert upload.body == b"day,total\nmon,3\n"
    assert complete.method == "files.completeUploadExternal"
    assert complete.args["files"] == [{"id": file_id, "title": "Weekly report"}]
    assert (complete.args["channel_id"], complete.args["thread_ts"]) == ("C0123ABCD", "1712345678.000100")
    assert complete.args["initial_comment"] == "Here it is"


async def test_binary_content_goes_up_byte_for_byte(make_hub: Callable[..., Hub], fake_slack: Any) -> None:
    data = bytes(range(256)) * 4
    hub = _hub(make_hub, fake_slack, default_channel="C0DEFAULT")
    async with hub, hub.client() as client:
        result = await client.call_tool(
            "slack_upload_file", {"filename": "blob.bin", "content_base64": base64.b64encode(data).decode()}
        )
    assert not result.is_error, result.content
    assert fake_slack.calls("upload")[0].body == data
    complete = fake_slack.calls("files.completeUploadExternal")[0]
    assert complete.args["channel_id"] == "C0DEFAULT"
    assert complete.args["files"] == [{"id": result.structured_content["id"], "title": "blob.bin"}]


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"filename": "a.txt"}, "exactly one of content"),
        ({"filename": "a.txt", "content": "x", "content_base64": "eA=="}, "exactly one of content"),
        ({"filename": "a.txt", "content_base64": "not base64!"}, "not valid base64"),
        ({"filename": "a.txt", "content": "x", "channel": "#general"}, "channel"),
    ],
)
async def test_bad_arguments_are_refused_before_any_request(
    make_hub: Callable[..., Hub], fake_slack: Any, arguments: dict[str, Any], problem: str
) -> None:
    hub = _hub(make_hub, fake_slack, default_channel="C0DEFAULT")
    async with hub, hub.client() as client:
        result = await client.call_tool("slack_upload_file", arguments)
    assert result.is_error and problem in result.content[0].text  # type: ignore[union-attr]
    assert fake_slack.seen == []


async def test_the_fake_holds_the_sdk_to_slacks_documented_parameters(fake_slack: Any) -> None:
    """The fake is strict: undocumented or missing arguments are refused, as Slack does."""
    from slack_sdk.errors import SlackApiError

    client = make_client(
        Settings.model_validate(
            {"bot_token": "xoxb-111-222-SECRETtokenVALUE", "base_url": fake_slack.base_url + "api/"}
        )
    )
    with pytest.raises(SlackApiError) as unknown:
        await client.files_getUploadURLExternal(filename="a.txt", length=3, colour="red")
    with pytest.raises(SlackApiError) as missing:
        await client.api_call("files.completeUploadExternal", params={"channel_id": "C0123ABCD"})
    with pytest.raises(SlackApiError) as unshared:
        await client.files_completeUploadExternal(files=[{"id": "F404"}])
    assert unknown.value.response["response_metadata"]["messages"] == ["[ERROR] unknown field: colour"]
    assert missing.value.response["response_metadata"]["messages"] == [
        "[ERROR] missing required field: files"
    ]
    assert unshared.value.response["error"] == "file_not_found"
