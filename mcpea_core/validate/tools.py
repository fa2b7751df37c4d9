"""Static checks of one registered tool: name, description, annotations, schemas, secrets, examples.

These need no MCP session and no network; ``mcpea validate`` and the
standard tests of :mod:`mcpea_core.testing` both run them.

A tool is *safe to call* while validating when it is annotated read-only
and closed-world (``Annotations(read_only=True, open_world=False)``) and
its input model gives example arguments (``[{}]`` for a tool without
arguments)::

    class Lookup(BaseModel):
        model_config = ConfigDict(json_schema_extra={"examples": [{"code": "FR"}]})
        code: str = Field(description="ISO 3166 country code.")
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from ..errors import RegistrationError
from ..tools import Annotations, Tool, validate_tool_name
from .report import Check, failed, passed, warned
from .secrets import find_credentials, schema_credentials

__all__ = ["MIN_DESCRIPTION", "description_problem", "examples_of", "safe_examples", "tool_checks"]

MIN_DESCRIPTION = 20
_FILLER = {
    "a",
    "an",
    "the",
    "this",
    "that",
    "tool",
    "tools",
    "of",
    "for",
    "to",
    "by",
    "and",
    "or",
    "one",
    "it",
    "its",
    "in",
    "on",
    "with",
    "from",
    "as",
    "is",
    "s",
}


def tool_checks(tool: Tool, plugin: str, published_schema: dict[str, Any] | None = None) -> list[Check]:
    """Every static check of ``tool``; ``published_schema`` is the input schema clients see, if known."""
    schema = published_schema if published_schema is not None else tool.input_schema
    return [
        _name(tool, plugin),
        _description(tool, plugin),
        _annotations(tool),
        _schema("tool.input_schema", tool.name, schema),
        _output_schema(tool),
        _arguments_described(tool.name, schema),
        _secrets(tool, schema),
        _examples(tool),
    ]


def description_problem(name: str, plugin: str, description: str) -> str | None:
    """Why a description does not help the model choose and call the tool, or ``None``."""
    text = description.strip()
    if not text:
        return "the description is empty"
    words = {_stem(w) for w in re.findall(r"[a-z0-9]+", text.lower())} - _FILLER
    named = {_stem(w) for w in name.lower().split("_")} | {plugin.lower()}
    if words <= named:
        return f"the description only restates the name ({text!r}): say what it does, returns and needs"
    if len(text) < MIN_DESCRIPTION:
        return (
            f"the description is {len(text)} characters long (at least {MIN_DESCRIPTION}): say what the tool "
            "does, what it returns and when to use it"
        )
    return None


def examples_of(schema: dict[str, Any]) -> list[Any]:
    """The ``examples`` an input schema declares (pydantic: ``json_schema_extra={"examples": [...]}``)."""
    examples = schema.get("examples")
    return list(examples) if isinstance(examples, list) else []


def safe_examples(tool: Tool) -> list[dict[str, Any]]:
    """The argument sets with which ``tool`` may be called while validating (see the module docstring)."""
    hints = tool.annotations
    if not hints.read_only or hints.open_world:
        return []
    return [example for example in examples_of(tool.input_schema) if isinstance(example, dict)]


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def _name(tool: Tool, plugin: str) -> Check:
    try:
        validate_tool_name(tool.name, plugin)
    except RegistrationError as exc:
        return failed("tool.name", tool.name, str(exc))
    return passed("tool.name", tool.name, f"MCP name rules and {plugin}_<verb>_<noun>")


def _description(tool: Tool, plugin: str) -> Check:
    problem = description_problem(tool.name, plugin, tool.description)
    if problem:
        return failed("tool.description", tool.name, problem)
    return passed("tool.description", tool.name, f"{len(tool.description)} characters")


def _annotations(tool: Tool) -> Check:
    if not explicit_annotations(tool):
        return failed(
            "tool.annotations",
            tool.name,
            "no annotations given: pass annotations=Annotations(read_only=..., destructive=..., "
            "idempotent=..., open_world=...) (Annotations() itself, for a tool that really writes "
            "destructively to an open world)",
        )
    return passed("tool.annotations", tool.name, _hints(tool.annotations))


def explicit_annotations(tool: Tool) -> bool:
    """Whether the plugin gave annotations (the core records it when the tool is registered)."""
    return tool.explicit_annotations


def _hints(hints: Annotations) -> str:
    flags = [
        ("read-only", hints.read_only),
        ("destructive", hints.destructive and not hints.read_only),
        ("idempotent", hints.idempotent),
        ("open-world", hints.open_world),
    ]
    return ", ".join(label for label, on in flags if on) or "writes, non-destructive, closed world"


def _schema(check: str, subject: str, schema: dict[str, Any]) -> Check:
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]
    from jsonschema.exceptions import SchemaError  # type: ignore[import-untyped, unused-ignore]

    declared = schema.get("$schema")
    if declared is not None and "2020-12" not in str(declared):
        return failed(check, subject, f"$schema is {declared!r}; MCP tools use JSON Schema 2020-12")
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        return failed(check, subject, f"not valid JSON Schema 2020-12 at {where}: {exc.message}")
    if schema.get("type") != "object":
        return failed(check, subject, f'the schema\'s type must be "object", not {schema.get("type")!r}')
    return passed(check, subject, "valid JSON Schema 2020-12")


def _output_schema(tool: Tool) -> Check:
    schema = tool.output_schema
    if schema is None:
        return passed("tool.output_schema", tool.name, "no output schema (unstructured results)")
    return _schema("tool.output_schema", tool.name, schema)


def _arguments_described(subject: str, schema: dict[str, Any]) -> Check:
    properties = schema.get("properties") or {}
    bare = sorted(name for name, prop in properties.items() if not _described(prop, schema))
    if bare:
        return warned(
            "tool.arguments",
            subject,
            f"argument(s) without a description: {', '.join(bare)} (Field(description=...))",
        )
    return passed("tool.arguments", subject, f"{len(properties)} argument(s), all described")


def _described(prop: Any, schema: dict[str, Any]) -> bool:
    if not isinstance(prop, dict):
        return False
    if prop.get("description"):
        return True
    ref = prop.get("$ref")  # a nested model's docstring describes it
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = (schema.get("$defs") or {}).get(ref.removeprefix("#/$defs/"), {})
        return bool(isinstance(target, dict) and target.get("description"))
    return False


def _secrets(tool: Tool, schema: dict[str, Any]) -> Check:
    problems = [f"input schema {p}" for p in schema_credentials(schema)]
    if tool.output_schema is not None:
        problems += [f"output schema {p}" for p in schema_credentials(tool.output_schema)]
    problems += [f"description: looks like a {kind}" for kind in find_credentials(tool.description)]
    if problems:
        return failed("tool.secrets", tool.name, "; ".join(problems))
    return passed("tool.secrets", tool.name, "no credentials in defaults, examples or description")


def _examples(tool: Tool) -> Check:
    examples = examples_of(tool.input_schema)
    if not examples:
        return passed("tool.examples", tool.name, "no examples")
    problems: list[str] = []
    for index, example in enumerate(examples):
        problem = _example_problem(tool, example)
        if problem:
            problems.append(f"examples[{index}]: {problem}")
    if problems:
        return failed("tool.examples", tool.name, "; ".join(problems))
    return passed("tool.examples", tool.name, f"{len(examples)} example(s) valid")


def _example_problem(tool: Tool, example: Any) -> str | None:
    if not isinstance(example, dict):
        return f"an example must be an object of arguments, not {type(example).__name__}"
    if tool.input_schema_override is not None:
        from jsonschema import Draft202012Validator  # type: ignore[import-untyped, unused-ignore]

        error = next(iter(Draft202012Validator(tool.input_schema_override).iter_errors(example)), None)
        return (
            None
            if error is None
            else f"{'/'.join(map(str, error.absolute_path)) or '(arguments)'}: {error.message}"
        )
    try:
        tool.input_model.model_validate(example)
    except ValidationError as exc:
        from ..pipeline import field_problems

        return "; ".join(str(p) for p in field_problems(exc))
    return None
