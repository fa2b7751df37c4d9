"""The tools through a real hub and the in-memory MCP client: real boto3 against moto's server."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest
from mcpea_plugin_aws.settings import Settings

from mcpea_core import AuthError, Hub, Principal, UpstreamError
from mcpea_core.testing import AuditRecorder, HubFactory

pytestmark = pytest.mark.anyio

Moto = Any  # conftest.Moto (test modules cannot import conftest under --import-mode=importlib)
SECRET_ACCESS_KEY = "mcpea-test-secret-access-key-0123456789"  # conftest.SECRET_ACCESS_KEY
EU = {"LocationConstraint": "eu-west-1"}


def text_of(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


async def start(mcpea_hub: HubFactory, moto: Moto, **overrides: Any) -> Hub:
    """A hub as `mcpea serve` builds it: MCPEA_LOAD_PLUGINS=aws, [plugins.aws] from the config."""
    return await mcpea_hub(config={"plugins": {"aws": moto.settings(**overrides)}})


async def call(hub: Hub, tool: str, arguments: dict[str, Any]) -> Any:
    """One call over MCP; returns the structured result, failing the test on an error result."""
    async with hub.client() as client:
        result = await client.call_tool(tool, arguments)
    assert not result.is_error, text_of(result)
    return result.structured_content


async def error(hub: Hub, tool: str, arguments: dict[str, Any]) -> tuple[str, BaseException | None]:
    """One call expected to fail: its text and the exception the hub recorded."""
    outcome = await hub.execute(hub.new_call(tool, arguments, Principal(id="test"), transport="inprocess"))
    assert outcome.is_error, text_of(outcome.result)
    return text_of(outcome.result), outcome.error


# --- S3 ------------------------------------------------------------------------------------


async def test_buckets_are_listed_by_prefix(
    mcpea_hub: HubFactory, audit_records: AuditRecorder, moto: Moto
) -> None:
    s3 = moto.client("s3")
    for name in ("reports-eu", "reports-us", "logs-archive"):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration=EU)
    hub = await start(mcpea_hub, moto)
    listed = await call(hub, "aws_list_buckets", {"prefix": "reports-"})
    assert [b["name"] for b in listed["buckets"]] == ["reports-eu", "reports-us"]
    assert listed["truncated"] is False and listed["buckets"][0]["created"]
    capped = await call(hub, "aws_list_buckets", {"limit": 1})
    assert len(capped["buckets"]) == 1 and capped["truncated"] is True
    record = audit_records.last
    assert record.outcome == "success" and len(record.request_ids) == 1


async def test_objects_are_listed_as_folders_and_pages(mcpea_hub: HubFactory, moto: Moto) -> None:
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="reports-eu", CreateBucketConfiguration=EU)
    for key in ("2025/01/a.txt", "2025/01/b.txt", "2025/02/c.txt", "2025/readme.md", "top.txt"):
        s3.put_object(Bucket="reports-eu", Key=key, Body=b"x" * 3)
    hub = await start(mcpea_hub, moto)
    folders = await call(
        hub, "aws_list_objects", {"bucket": "reports-eu", "prefix": "2025/", "delimiter": "/"}
    )
    assert folders["common_prefixes"] == ["2025/01/", "2025/02/"]
    assert [(o["key"], o["size"]) for o in folders["objects"]] == [("2025/readme.md", 3)]
    first = await call(hub, "aws_list_objects", {"bucket": "reports-eu", "limit": 2})
    assert [o["key"] for o in first["objects"]] == ["2025/01/a.txt", "2025/01/b.txt"]
    token = first["next_continuation_token"]
    assert token
    rest = await call(
        hub, "aws_list_objects", {"bucket": "reports-eu", "limit": 10, "continuation_token": token}
    )
    assert [o["key"] for o in rest["objects"]] == ["2025/02/c.txt", "2025/readme.md", "top.txt"]
    assert rest["next_continuation_token"] is None


async def test_text_objects_are_read_whole_or_capped(mcpea_hub: HubFactory, moto: Moto) -> None:
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="reports-eu", CreateBucketConfiguration=EU)
    s3.put_object(
        Bucket="reports-eu", Key="notes.md", Body="# Notes\nCafé ☕\n".encode(), ContentType="text/markdown"
    )
    s3.put_object(Bucket="reports-eu", Key="big.log", Body=b"0123456789" * 300)
    s3.put_object(Bucket="reports-eu", Key="empty.txt", Body=b"")
    hub = await start(mcpea_hub, moto, max_object_bytes=1000)
    whole = await call(hub, "aws_get_object_text", {"bucket": "reports-eu", "key": "notes.md"})
    assert whole["text"] == "# Notes\nCafé ☕\n" and whole["truncated"] is False
    assert whole["content_type"] == "text/markdown" and whole["size"] == len("# Notes\nCafé ☕\n".encode())
    capped = await call(
        hub, "aws_get_object_text", {"bucket": "reports-eu", "key": "big.log", "max_bytes": 5000}
    )
    assert capped["text"] == ("0123456789" * 100) and capped["truncated"] is True and capped["size"] == 3000
    # Cut inside the two-byte "é": the partial character is dropped, not an error.
    cut = await call(hub, "aws_get_object_text", {"bucket": "reports-eu", "key": "notes.md", "max_bytes": 12})
    assert cut["text"] == "# Notes\nCaf" and cut["truncated"] is True
    empty = await call(hub, "aws_get_object_text", {"bucket": "reports-eu", "key": "empty.txt"})
    assert (empty["text"], empty["truncated"], empty["size"]) == ("", False, 0)


async def test_binary_and_missing_objects_are_clear_errors(
    mcpea_hub: HubFactory, audit_records: AuditRecorder, moto: Moto
) -> None:
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="reports-eu", CreateBucketConfiguration=EU)
    s3.put_object(
        Bucket="reports-eu", Key="logo.png", Body=b"\x89PNG\r\n\x1a\n\xff\xfe", ContentType="image/png"
    )
    hub = await start(mcpea_hub, moto)
    text, _ = await error(hub, "aws_get_object_text", {"bucket": "reports-eu", "key": "logo.png"})
    assert "is not UTF-8 text (Content-Type image/png)" in text
    text, exc = await error(hub, "aws_get_object_text", {"bucket": "reports-eu", "key": "nope.txt"})
    assert "no such object: aws_list_objects lists the bucket's keys (NoSuchKey" in text
    assert isinstance(exc, UpstreamError) and exc.status == 404 and exc.request_id
    assert f"request id {exc.request_id}" in text and audit_records.last.request_ids == [exc.request_id]
    text, _ = await error(hub, "aws_list_objects", {"bucket": "no-such-bucket"})
    assert "no such bucket: aws_list_buckets lists them" in text


async def test_text_is_written_and_read_back(mcpea_hub: HubFactory, moto: Moto) -> None:
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="reports-eu", CreateBucketConfiguration=EU)
    hub = await start(mcpea_hub, moto, max_object_bytes=64)
    arguments = {
        "bucket": "reports-eu",
        "key": "out/summary.json",
        "text": '{"ok": "ünï"}',
        "content_type": "application/json",
    }
    written = await call(hub, "aws_put_object", arguments)
    assert written["bytes"] == len('{"ok": "ünï"}'.encode()) and written["etag"]
    head = s3.head_object(Bucket="reports-eu", Key="out/summary.json")
    assert head["ContentType"] == "application/json"
    assert (
        s3.get_object(Bucket="reports-eu", Key="out/summary.json")["Body"].read().decode() == '{"ok": "ünï"}'
    )
    read = await call(hub, "aws_get_object_text", {"bucket": "reports-eu", "key": "out/summary.json"})
    assert read["text"] == '{"ok": "ünï"}'
    text, _ = await error(hub, "aws_put_object", {**arguments, "text": "x" * 65})
    assert "65 bytes in UTF-8; this hub writes at most 64 bytes per object" in text
    assert "out/summary.json" in [o["Key"] for o in s3.list_objects_v2(Bucket="reports-eu")["Contents"]]


# --- SQS -----------------------------------------------------------------------------------


async def test_a_message_goes_round_the_queue(mcpea_hub: HubFactory, moto: Moto) -> None:
    sqs = moto.client("sqs")
    url = sqs.create_queue(QueueName="agent-jobs")["QueueUrl"]
    sqs.create_queue(QueueName="other")
    hub = await start(mcpea_hub, moto)
    queues = await call(hub, "aws_list_queues", {"prefix": "agent-"})
    assert queues["queue_urls"] == [url]
    sent = await call(
        hub,
        "aws_send_message",
        {"queue": "agent-jobs", "body": "resize 42", "attributes": {"source": "agent"}},
    )
    assert sent["message_id"] and sent["sequence_number"] is None
    received = await call(
        hub, "aws_receive_messages", {"queue": url, "max_messages": 10, "visibility_timeout": 0}
    )
    [message] = received["messages"]
    assert (message["message_id"], message["body"]) == (sent["message_id"], "resize 42")
    assert message["message_attributes"] == {"source": "agent"}
    assert message["attributes"]["ApproximateReceiveCount"] == "1"
    deleted = await call(
        hub, "aws_delete_message", {"queue": "agent-jobs", "receipt_handle": message["receipt_handle"]}
    )
    assert deleted == {"deleted": True}
    assert (await call(hub, "aws_receive_messages", {"queue": "agent-jobs"}))["messages"] == []


async def test_a_retried_fifo_send_is_delivered_once(
    mcpea_hub: HubFactory, audit_records: AuditRecorder, moto: Moto
) -> None:
    sqs = moto.client("sqs")
    url = sqs.create_queue(QueueName="orders.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    hub = await start(mcpea_hub, moto)
    arguments = {"queue": "orders.fifo", "body": "order 7", "group_id": "customer-1"}
    first = hub.new_call("aws_send_message", arguments, Principal(id="test"), transport="inprocess")
    retry = hub.new_call("aws_send_message", arguments, Principal(id="test"), transport="inprocess")
    retry.call_id = first.call_id  # a retry of the same call keeps its call id
    outcomes = [await hub.execute(first), await hub.execute(retry)]
    assert all(not o.is_error for o in outcomes)
    assert audit_records.last.idempotency_keys == [f"mcpea-{first.call_id}"]
    other = await call(hub, "aws_send_message", {**arguments, "body": "order 8"})
    assert other["sequence_number"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in messages] == ["order 7", "order 8"]


async def test_queue_mistakes_are_explained(mcpea_hub: HubFactory, moto: Moto) -> None:
    sqs = moto.client("sqs")
    sqs.create_queue(QueueName="orders.fifo", Attributes={"FifoQueue": "true"})
    sqs.create_queue(QueueName="jobs")
    hub = await start(mcpea_hub, moto)
    text, _ = await error(hub, "aws_send_message", {"queue": "orders.fifo", "body": "x"})
    assert "this is a FIFO queue: give group_id" in text
    text, _ = await error(hub, "aws_send_message", {"queue": "jobs", "body": "x", "group_id": "g"})
    assert "group_id is for FIFO queues" in text
    text, _ = await error(hub, "aws_send_message", {"queue": "missing", "body": "x"})
    assert "no such queue: aws_list_queues lists them" in text
    text, _ = await error(hub, "aws_send_message", {"queue": "jobs", "body": "x" * (256 * 1024 + 1)})
    assert "larger than SQS's 256 KiB" in text
    text, _ = await error(
        hub,
        "aws_send_message",
        {"queue": "jobs", "body": "x", "attributes": {f"a{i}": "v" for i in range(11)}},
    )
    assert "- attributes:" in text
    assert (
        len(
            moto.client("sqs")
            .receive_message(QueueUrl=sqs.get_queue_url(QueueName="jobs")["QueueUrl"])
            .get("Messages", [])
        )
        == 0
    )


# --- Secrets Manager -----------------------------------------------------------------------


async def test_secrets_are_described_but_their_values_never_shown(mcpea_hub: HubFactory, moto: Moto) -> None:
    sm = moto.client("secretsmanager")
    values = ["pa55-w0rd-prod-db-000", "pa55-w0rd-prod-db-001", "api-token-staging-002"]
    sm.create_secret(
        Name="prod/db/password",
        SecretString=values[0],
        Description="Primary database",
        Tags=[{"Key": "team", "Value": "payments"}],
    )
    sm.put_secret_value(SecretId="prod/db/password", SecretString=values[1])
    sm.create_secret(Name="staging/api-token", SecretString=values[2])
    hub = await start(mcpea_hub, moto)
    async with hub.client() as client:
        listed = await client.call_tool("aws_list_secrets", {"name_prefix": "prod/"})
        described = await client.call_tool("aws_describe_secret", {"secret_id": "prod/db/password"})
        everything = await client.call_tool("aws_list_secrets", {})
    for result in (listed, described, everything):
        assert not result.is_error, text_of(result)
        shown = text_of(result) + json.dumps(result.structured_content)
        assert not [v for v in values if v in shown]
    [secret] = listed.structured_content["secrets"]
    assert secret["name"] == "prod/db/password" and secret["description"] == "Primary database"
    assert secret["tags"] == {"team": "payments"} and secret["arn"].startswith(
        "arn:aws:secretsmanager:eu-west-1:"
    )
    info = described.structured_content
    assert info["name"] == "prod/db/password" and info["versions"] == 2 and info["last_changed"]
    assert sorted(s["name"] for s in everything.structured_content["secrets"]) == [
        "prod/db/password",
        "staging/api-token",
    ]
    text, _ = await error(hub, "aws_describe_secret", {"secret_id": "prod/nothing"})
    assert "aws_list_secrets lists the secrets (ResourceNotFoundException" in text


# --- credentials, reachability, lifecycle --------------------------------------------------


async def test_no_credentials_at_all_is_an_auth_error_for_the_operator(
    mcpea_hub: HubFactory, moto: Moto
) -> None:
    """No key pair, and boto3's default chain finds nothing (the fixture hid the machine's)."""
    hub = await mcpea_hub(config={"plugins": {"aws": {"endpoint_url": moto.endpoint, "region": "eu-west-1"}}})
    text, exc = await error(hub, "aws_list_buckets", {})
    assert isinstance(exc, AuthError)
    assert text.startswith("The hub has no usable AWS credentials (Unable to locate credentials)")


async def test_the_default_chain_is_used_when_no_key_is_configured(
    mcpea_hub: HubFactory, moto: Moto, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "from-the-environment")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "also-from-the-environment")
    moto.client("s3").create_bucket(Bucket="chain-test", CreateBucketConfiguration=EU)
    hub = await mcpea_hub(config={"plugins": {"aws": {"endpoint_url": moto.endpoint, "region": "eu-west-1"}}})
    listed = await call(hub, "aws_list_buckets", {})
    assert [b["name"] for b in listed["buckets"]] == ["chain-test"]


async def test_a_missing_profile_is_an_auth_error(mcpea_hub: HubFactory, moto: Moto) -> None:
    hub = await mcpea_hub(
        config={"plugins": {"aws": {"endpoint_url": moto.endpoint, "region": "eu-west-1", "profile": "nope"}}}
    )
    text, exc = await error(hub, "aws_list_queues", {})
    assert isinstance(exc, AuthError) and "The config profile (nope) could not be found" in text


async def test_an_unreachable_endpoint_is_a_clear_error(mcpea_hub: HubFactory, moto: Moto) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    hub = await mcpea_hub(
        config={
            "plugins": {
                "aws": moto.settings(
                    endpoint_url=f"http://127.0.0.1:{port}",
                    max_attempts=1,
                    connect_timeout=2,
                )
            }
        }
    )
    text, exc = await error(hub, "aws_list_buckets", {})
    assert isinstance(exc, UpstreamError) and text.startswith(
        "Could not reach AWS s3 after retries (EndpointConnectionError)"
    )
    assert SECRET_ACCESS_KEY not in text


async def test_clients_are_made_once_and_closed_with_the_hub(mcpea_hub: HubFactory, moto: Moto) -> None:
    hub = await start(mcpea_hub, moto)
    await call(hub, "aws_list_buckets", {})
    await call(hub, "aws_list_buckets", {})
    settings = hub.settings["aws"]
    assert isinstance(settings, Settings)
    clients = settings._clients
    assert clients is not None and list(clients._clients) == ["s3"]
    await hub.stop()
    assert settings._clients is None
