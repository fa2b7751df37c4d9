"""Secrets Manager tools: list and describe secrets. Metadata only: secret values are never read.

The client is used for ListSecrets and DescribeSecret only (a test checks
the source), and the output models have no field a value could travel in. Give the hub's credentials
``secretsmanager:ListSecrets`` and ``secretsmanager:DescribeSecret`` only
(the README's IAM policy), so that not even a bug could read a value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from mcpea_core import ToolContext

from .spec import READ, Input, ToolSpec, call, settings_of

__all__ = ["TOOLS"]


class ListSecrets(Input):
    """Arguments of aws_list_secrets."""

    name_prefix: str | None = Field(
        default=None,
        min_length=1,
        max_length=512,
        description="Only secrets whose name starts with this, such as prod/.",
    )
    limit: int = Field(default=20, ge=1, le=100, description="Most secrets to return (1-100).")
    next_token: str | None = Field(default=None, description="Cursor: next_token of the previous page.")


class DescribeSecret(Input):
    """Arguments of aws_describe_secret."""

    secret_id: str = Field(
        min_length=1, max_length=2048, description="The secret's name (prod/db/password) or ARN."
    )


class SecretInfo(BaseModel):
    """What is known about a secret, without its value."""

    name: str
    arn: str | None = None
    description: str | None = None
    kms_key_id: str | None = None
    rotation_enabled: bool | None = None
    rotation_days: int | None = Field(default=None, description="Automatic rotation interval, when set.")
    created: datetime | None = None
    last_changed: datetime | None = None
    last_accessed: datetime | None = None
    last_rotated: datetime | None = None
    deleted: datetime | None = Field(default=None, description="Scheduled deletion date, if any.")
    primary_region: str | None = None
    versions: int | None = Field(default=None, description="How many versions the secret has.")
    tags: dict[str, str] = Field(default_factory=dict)


class SecretList(BaseModel):
    """One page of secrets, without values."""

    secrets: list[SecretInfo]
    next_token: str | None = Field(description="Pass as next_token for the next page.")


def _info(entry: Any) -> SecretInfo:
    """A secret's metadata from ListSecrets or DescribeSecret, field by field (never a value)."""
    rules = entry.get("RotationRules") or {}
    stages = entry.get("VersionIdsToStages") or entry.get("SecretVersionsToStages")
    return SecretInfo(
        name=entry.get("Name", ""),
        arn=entry.get("ARN"),
        description=entry.get("Description"),
        kms_key_id=entry.get("KmsKeyId"),
        rotation_enabled=entry.get("RotationEnabled"),
        rotation_days=rules.get("AutomaticallyAfterDays"),
        created=entry.get("CreatedDate"),
        last_changed=entry.get("LastChangedDate"),
        last_accessed=entry.get("LastAccessedDate"),
        last_rotated=entry.get("LastRotatedDate"),
        deleted=entry.get("DeletedDate"),
        primary_region=entry.get("PrimaryRegion"),
        versions=len(stages) if isinstance(stages, dict) else None,
        tags={t["Key"]: t.get("Value", "") for t in entry.get("Tags") or [] if "Key" in t},
    )


def aws_list_secrets(params: ListSecrets, ctx: ToolContext) -> SecretList:
    """List the Secrets Manager secrets of the hub's account: names, descriptions, dates, rotation, tags.

    Never returns secret values; the hub offers no tool that reads them.
    Page with next_token.
    """
    clients = settings_of(ctx).clients
    request: dict[str, Any] = {"MaxResults": params.limit}
    if params.name_prefix:
        request["Filters"] = [{"Key": "name", "Values": [params.name_prefix]}]
    if params.next_token:
        request["NextToken"] = params.next_token
    response = call(ctx, "secretsmanager", lambda: clients.secretsmanager().list_secrets(**request))
    return SecretList(
        secrets=[_info(entry) for entry in response.get("SecretList", [])],
        next_token=response.get("NextToken"),
    )


def aws_describe_secret(params: DescribeSecret, ctx: ToolContext) -> SecretInfo:
    """Describe one Secrets Manager secret by name or ARN: its metadata, never its value.

    Returns the description, KMS key, rotation settings, dates, number of
    versions and tags.
    """
    clients = settings_of(ctx).clients
    response = call(
        ctx, "secretsmanager", lambda: clients.secretsmanager().describe_secret(SecretId=params.secret_id)
    )
    return _info(response)


TOOLS = (
    ToolSpec(aws_list_secrets, READ, "List secrets (no values)"),
    ToolSpec(aws_describe_secret, READ, "Describe a secret (no value)"),
)
