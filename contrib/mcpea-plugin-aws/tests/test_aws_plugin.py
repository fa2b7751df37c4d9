"""The plugin as the hub sees it: the kit's standard contract tests, settings, README, import rules."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from mcpea_plugin_aws import readme
from mcpea_plugin_aws.settings import Settings
from pydantic import ValidationError

from mcpea_core import Hub, HubConfig
from mcpea_core.testing import ConnectorStandardTests

PACKAGE = Path(readme.__file__).resolve().parent
BUCKET, QUEUE, SECRET = "mcpea-examples", "mcpea-examples", "examples/api-token"


class TestAwsStandard(ConnectorStandardTests):
    """Every standard test of mcpea_core.testing, with real boto3 against moto."""

    plugin = "aws"
    expected_tools: ClassVar[set[str]] = {
        "aws_list_buckets",
        "aws_list_objects",
        "aws_get_object_text",
        "aws_put_object",
        "aws_list_queues",
        "aws_send_message",
        "aws_receive_messages",
        "aws_delete_message",
        "aws_list_secrets",
        "aws_describe_secret",
    }
    example_calls: ClassVar[dict[str, Any]] = {
        "aws_list_buckets": {},
        "aws_list_objects": {"bucket": BUCKET, "prefix": "notes/"},
        "aws_get_object_text": {"bucket": BUCKET, "key": "notes/hello.txt"},
        "aws_put_object": {"bucket": BUCKET, "key": "notes/new.txt", "text": "written by the standard tests"},
        "aws_list_queues": {},
        "aws_send_message": {"queue": QUEUE, "body": "hello"},
        "aws_receive_messages": {"queue": QUEUE, "max_messages": 10},
        "aws_list_secrets": {"name_prefix": "examples/"},
        "aws_describe_secret": {"secret_id": SECRET},
    }
    invalid_calls: ClassVar[dict[str, Any]] = {
        "aws_list_objects": ({"bucket": "Not a bucket!"}, "bucket"),
        "aws_receive_messages": ({"queue": "jobs", "max_messages": 11}, "max_messages"),
    }
    lazy_modules = ("boto3", "botocore", "s3transfer")

    @pytest.fixture(autouse=True)
    def _settings_of_the_stand_in(self, moto: Any) -> Iterator[None]:
        # The kit reads `settings` as a class attribute, but moto's port is only known now.
        self.settings = moto.settings()  # type: ignore[misc]
        moto.client("s3").create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        moto.client("s3").put_object(Bucket=BUCKET, Key="notes/hello.txt", Body=b"Hello from moto.")
        moto.client("sqs").create_queue(QueueName=QUEUE)
        moto.client("secretsmanager").create_secret(Name=SECRET, SecretString="never-shown")
        yield


def test_an_unconfigured_plugin_stays_out_of_the_hub() -> None:
    """Installed, no [plugins.aws]: no tools, rather than tools acting with the machine's credentials."""
    hub = Hub(HubConfig.model_validate({})).load()
    assert "aws" not in hub.settings and not [t for t in hub.tools.values() if t.plugin == "aws"]
    [info] = [p for p in hub.plugins() if p.name == "aws"]
    assert info.status == "failed" and "not configured" in str(info.error)


def test_a_region_alone_means_the_default_credential_chain() -> None:
    hub = Hub(HubConfig.model_validate({"plugins": {"aws": {"region": "eu-west-1"}}})).load()
    settings = hub.settings["aws"]
    assert isinstance(settings, Settings) and settings.access_key_id is None and settings.profile is None
    assert len([t for t in hub.tools.values() if t.plugin == "aws"]) == 10


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"access_key_id": "AKIAEXAMPLE"}, "together, or neither"),
        ({"secret_access_key": "s"}, "together, or neither"),
        ({"session_token": "t"}, "session_token goes with"),
        ({"profile": "p", "access_key_id": "a", "secret_access_key": "s"}, "either profile or a key pair"),
        ({"region": "Europe"}, "region"),
        ({"endpoint_url": "ftp://x"}, "endpoint_url"),
        ({"read_timeout": 10}, "read_timeout"),
        ({"max_object_bytes": 100 * 1024 * 1024}, "max_object_bytes"),
        ({"bucket": "b"}, "bucket"),
    ],
)
def test_bad_settings_are_refused(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings.model_validate({"region": "eu-west-1", **table})
    with pytest.raises(ValidationError, match="region"):
        Settings.model_validate({})


def test_secrets_never_reach_the_settings_repr() -> None:
    settings = Settings.model_validate(
        {"region": "eu-west-1", "access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "wJalr/K7MDENG"}
    )
    assert "wJalr" not in repr(settings) and "AKIAIOSFODNN7EXAMPLE" not in repr(settings)


def test_no_tool_can_read_a_secret_value() -> None:
    """The Secrets Manager client is used for ListSecrets and DescribeSecret, nothing else, in one module."""
    operations: dict[str, set[str]] = {}
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            # clients.secretsmanager().<operation>(...)
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Call)
                and isinstance(node.func.value.func, ast.Attribute)
                and node.func.value.func.attr == "secretsmanager"
            ):
                operations.setdefault(path.name, set()).add(node.func.attr)
    assert operations == {"secrets.py": {"list_secrets", "describe_secret"}}
    source = "\n".join(path.read_text(encoding="utf-8") for path in PACKAGE.glob("*.py"))
    for name in (
        "GetSecretValue",
        "BatchGetSecretValue",
        "batch_get_secret_value",
        "SecretString",
        "SecretBinary",
    ):
        assert name not in source


def test_the_readme_table_is_current() -> None:
    current = readme.README.read_text(encoding="utf-8")
    assert readme.render(current) == current, (
        "README.md is stale: run python -m mcpea_plugin_aws.readme --write"
    )
    assert readme.main(["--check"]) == 0


def _mcpea_imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        yield from (name for name in names if name.split(".")[0] == "mcpea_core")


def test_only_the_public_kit_is_imported() -> None:
    """Community plugins use ``mcpea_core`` (top level) and ``mcpea_core.testing``, nothing deeper."""
    deeper = {
        (path.name, module)
        for path in [*PACKAGE.glob("*.py"), *PACKAGE.parent.glob("tests/*.py")]
        for module in _mcpea_imports(path)
        if module not in ("mcpea_core", "mcpea_core.testing")
    }
    assert deeper == set()
