"""Checks of a plugin's settings model, and stand-in settings for validating without a config file."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo

from .report import Check, failed, passed
from .secrets import find_credentials, looks_like_secret_name, schema_credentials

__all__ = ["PLACEHOLDER_SECRET", "is_secret_field", "placeholder_settings", "settings_checks"]

PLACEHOLDER_SECRET = "mcpea-validate-placeholder"


def settings_checks(plugin: str, model: type[BaseModel] | None) -> list[Check]:
    """Every settings field described; no secret with a default; no credential in defaults or examples."""
    if model is None:
        return [passed("settings.documented", plugin, "the plugin takes no settings")]
    fields = model.model_fields
    bare = sorted(name for name, info in fields.items() if not (info.description or "").strip())
    documented = (
        failed(
            "settings.documented",
            plugin,
            f"{model.__name__}: field(s) without a description: {', '.join(bare)} (Field(description=...))",
        )
        if bare
        else passed("settings.documented", plugin, f"{len(fields)} field(s), all described")
    )
    problems = [
        f"{name}: a secret field has a non-empty default"
        for name, info in fields.items()
        if (is_secret_field(info) or looks_like_secret_name(name)) and _default_is_set(info)
    ]
    problems += [
        f"{name}: the default looks like a {kind}"
        for name, info in fields.items()
        for kind in find_credentials(_plain_default(info))
    ]
    try:
        problems += [f"schema {p}" for p in schema_credentials(model.model_json_schema(mode="validation"))]
    except Exception as exc:  # a model pydantic cannot publish: report it, do not crash the report
        problems.append(f"its JSON Schema cannot be built: {type(exc).__name__}: {exc}")
    secrets = (
        failed("settings.secrets", plugin, f"{model.__name__}: " + "; ".join(dict.fromkeys(problems)))
        if problems
        else passed("settings.secrets", plugin, "no secret has a default")
    )
    return [documented, secrets]


def is_secret_field(info: FieldInfo) -> bool:
    """Whether a settings field is typed ``SecretStr`` (possibly optional)."""
    annotation = info.annotation
    if annotation is SecretStr:
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return SecretStr in typing.get_args(annotation)
    return False


def placeholder_settings(model: type[BaseModel] | None) -> dict[str, Any]:
    """Stand-in values for required settings, so a plugin can load without real credentials.

    Secrets get a placeholder string; other required settings their first
    documented example (``Field(examples=[...])``), or nothing, in which case
    they must come from ``--config``. Validation calls no tool that reaches
    the outside world, so the stand-ins never leave the process.
    """
    if model is None:
        return {}
    values: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if not info.is_required():
            continue
        if is_secret_field(info):
            values[name] = PLACEHOLDER_SECRET
        elif info.examples:
            values[name] = info.examples[0]
    return values


def _default_is_set(info: FieldInfo) -> bool:
    if info.is_required():
        return False
    value = _plain_default(info)
    return isinstance(value, str) and bool(value.strip())


def _plain_default(info: FieldInfo) -> Any:
    if info.is_required():
        return None
    try:
        value = info.get_default(call_default_factory=True, validated_data={})
    except Exception:  # a factory that needs other fields: nothing to inspect
        return None
    return value.get_secret_value() if isinstance(value, SecretStr) else value
