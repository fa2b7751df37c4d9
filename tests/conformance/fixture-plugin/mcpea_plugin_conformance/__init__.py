"""Fixtures for the official MCP conformance suite, as an MC-PEA plugin.

The suite (``@modelcontextprotocol/conformance``) calls tools, resources and
prompts by fixed names and checks what they return; the expected payloads
follow the suite's scenario descriptions and the Python SDK's "everything
server". Everything here goes through MC-PEA's public plugin API: tools get a
:class:`~mcpea_core.ToolContext` for logging, progress, sampling, elicitation
and SSE polling, so the whole hub pipeline (hooks, audit, policies) sits
between the suite and these functions.

Load it alone with ``MCPEA_LOAD_PLUGINS=conformance mcpea serve --transport http``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import anyio
import mcp_types as types
from pydantic import BaseModel, ConfigDict, Field

from mcpea_core import (
    Annotations,
    Prompt,
    PromptArgument,
    PromptMessage,
    Resource,
    ResourceTemplate,
    ToolContext,
    ToolError,
    hookimpl,
)

__all__ = [
    "ERROR_MESSAGE",
    "JSON_SCHEMA_2020_12_INPUT_SCHEMA",
    "SIMPLE_TEXT",
    "STATIC_TEXT",
    "TEST_AUDIO_BASE64",
    "TEST_IMAGE_BASE64",
]

# A 1x1 PNG and a tiny WAV, as the everything server uses.
TEST_IMAGE_BASE64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
TEST_AUDIO_BASE64 = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA="

SIMPLE_TEXT = "This is a simple text response for testing."
ERROR_MESSAGE = "This tool intentionally returns an error for testing"
STATIC_TEXT = "This is the content of the static text resource."
WATCHED_TEXT = "Watched resource content"

# Every fixture only reads; none touches the outside world.
READ_ONLY = Annotations(read_only=True, idempotent=True, open_world=False)
INTERACTIVE = Annotations(read_only=True, open_world=False)


def _image() -> types.ImageContent:
    return types.ImageContent(type="image", data=TEST_IMAGE_BASE64, mime_type="image/png")


# --- Content tools ---------------------------------------------------------


def test_simple_text() -> str:
    """Tests simple text content response."""
    return SIMPLE_TEXT


def test_image_content() -> list[types.ContentBlock]:
    """Tests image content response (a 1x1 PNG)."""
    return [_image()]


def test_audio_content() -> list[types.ContentBlock]:
    """Tests audio content response (a tiny WAV, mimeType audio/wav)."""
    return [types.AudioContent(type="audio", data=TEST_AUDIO_BASE64, mime_type="audio/wav")]


def test_embedded_resource() -> list[types.ContentBlock]:
    """Tests embedded resource content response."""
    return [
        types.EmbeddedResource(
            type="resource",
            resource=types.TextResourceContents(
                uri="test://embedded-resource",
                mime_type="text/plain",
                text="This is an embedded resource content.",
            ),
        )
    ]


def test_multiple_content_types() -> list[types.ContentBlock]:
    """Tests response with multiple content types (text, image, embedded resource)."""
    return [
        types.TextContent(type="text", text="Multiple content types test:"),
        _image(),
        types.EmbeddedResource(
            type="resource",
            resource=types.TextResourceContents(
                uri="test://mixed-content-resource",
                mime_type="application/json",
                text=json.dumps({"test": "data", "value": 123}),
            ),
        ),
    ]


def test_error_handling() -> str:
    """Tests error response handling: always fails with an isError result carrying a message."""
    raise ToolError(ERROR_MESSAGE)


# --- Notifications during a call --------------------------------------------


async def test_tool_with_logging(ctx: ToolContext) -> str:
    """Tests a tool that emits log messages (three at level info) during execution."""
    for message in ("Tool execution started", "Tool processing data", "Tool execution completed"):
        await ctx.log("info", message, logger="conformance")
        await anyio.sleep(0.05)
    return "Tool with logging executed successfully"


async def test_tool_with_progress(ctx: ToolContext) -> str:
    """Tests a tool that reports progress notifications (0, 50, 100 of 100)."""
    for step in (0, 50, 100):
        await ctx.progress(step, 100, f"Completed step {step} of 100")
        if step < 100:
            await anyio.sleep(0.05)
    return "Progress reported: 0, 50, 100 of 100"


async def test_reconnection(ctx: ToolContext) -> str:
    """Tests SSE polling (SEP-1699): closes the call's SSE stream mid-call, then finishes."""
    await ctx.log("info", "Before disconnect", logger="conformance")
    await ctx.close_sse_stream()
    await anyio.sleep(0.2)  # the client reconnects with Last-Event-ID meanwhile
    await ctx.log("info", "After reconnect", logger="conformance")
    return "Reconnection test completed"


# --- Requests to the client ---------------------------------------------------


class SamplingInput(BaseModel):
    prompt: str = Field(description="The prompt to send to the client's LLM.")


async def test_sampling(params: SamplingInput, ctx: ToolContext) -> str:
    """Tests server-initiated sampling: asks the client's LLM to complete the prompt."""
    result = await ctx.sample(params.prompt, max_tokens=100)
    if result is None:
        raise ToolError("The client does not support sampling.")
    content = result.content
    text = content.text if isinstance(content, types.TextContent) else f"[{content.type} content]"
    return f"LLM response: {text}"


class ElicitationInput(BaseModel):
    message: str = Field(description="The message to show the user.")


class UserInfo(BaseModel):
    """What test_elicitation asks the user for."""

    username: str = Field(description="User's response")
    email: str = Field(description="User's email address")


def _content_json(result: types.ElicitResult) -> str:
    return json.dumps(result.content or {}) if result.action == "accept" else "{}"


async def test_elicitation(params: ElicitationInput, ctx: ToolContext) -> str:
    """Tests server-initiated elicitation: asks the user for a username and an email address."""
    result = await ctx.elicit(params.message, UserInfo)
    if result is None:
        raise ToolError("The client does not support elicitation.")
    return f"User response: action={result.action}, content={_content_json(result)}"


SEP1034_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "User name", "default": "John Doe"},
        "age": {"type": "integer", "description": "User age", "default": 30},
        "score": {"type": "number", "description": "User score", "default": 95.5},
        "status": {
            "type": "string",
            "description": "User status",
            "enum": ["active", "inactive", "pending"],
            "default": "active",
        },
        "verified": {"type": "boolean", "description": "Verification status", "default": True},
    },
}


async def test_elicitation_sep1034_defaults(ctx: ToolContext) -> str:
    """Tests elicitation with default values for every primitive type (SEP-1034)."""
    result = await ctx.elicit("Please provide user information", SEP1034_SCHEMA)
    if result is None:
        raise ToolError("The client does not support elicitation.")
    return f"Elicitation result: action={result.action}, content={_content_json(result)}"


SEP1330_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "untitledSingle": {
            "type": "string",
            "description": "Simple enum without titles",
            "enum": ["active", "inactive", "pending"],
        },
        "titledSingle": {
            "type": "string",
            "description": "Enum with titled options (oneOf)",
            "oneOf": [
                {"const": "low", "title": "Low Priority"},
                {"const": "medium", "title": "Medium Priority"},
                {"const": "high", "title": "High Priority"},
            ],
        },
        "untitledMulti": {
            "type": "array",
            "description": "Multi-select without titles",
            "items": {"type": "string", "enum": ["read", "write", "execute"]},
        },
        "titledMulti": {
            "type": "array",
            "description": "Multi-select with titled options",
            "items": {
                "anyOf": [
                    {"const": "feature", "title": "New Feature"},
                    {"const": "bug", "title": "Bug Fix"},
                    {"const": "docs", "title": "Documentation"},
                ]
            },
        },
        "legacyEnum": {
            "type": "string",
            "description": "Legacy enum with enumNames",
            "enum": ["small", "medium", "large"],
            "enumNames": ["Small Size", "Medium Size", "Large Size"],
        },
    },
    "required": ["untitledSingle", "titledSingle", "untitledMulti", "titledMulti", "legacyEnum"],
}


async def test_elicitation_sep1330_enums(ctx: ToolContext) -> str:
    """Tests elicitation with every enum schema variant of SEP-1330 (titled, untitled, multi, legacy)."""
    result = await ctx.elicit("Please select values using different enum schema types", SEP1330_SCHEMA)
    if result is None:
        raise ToolError("The client does not support elicitation.")
    return f"Elicitation completed: action={result.action}, content={_content_json(result)}"


# --- JSON Schema 2020-12 (SEP-1613) ------------------------------------------

JSON_SCHEMA_2020_12_INPUT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {
        "address": {
            "$anchor": "addressDef",
            "type": "object",
            "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        }
    },
    "properties": {
        "name": {"type": "string"},
        "address": {"$ref": "#/$defs/address"},
        "contactMethod": {"type": "string", "enum": ["phone", "email"]},
        "phone": {"type": "string"},
        "email": {"type": "string"},
    },
    "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
    "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
    "then": {"required": ["phone"]},
    "else": {"required": ["email"]},
    "additionalProperties": False,
}


class Address(BaseModel):
    model_config = ConfigDict(extra="allow")

    street: str | None = None
    city: str | None = None


class Contact(BaseModel):
    """Loose validation model behind the published 2020-12 schema (which is what clients see)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str | None = None
    address: Address | None = None
    contact_method: str | None = Field(default=None, alias="contactMethod")
    phone: str | None = None
    email: str | None = None


def json_schema_2020_12_tool(params: Contact) -> str:
    """Tests JSON Schema 2020-12 keyword preservation ($schema, $defs, allOf, if/then/else) in tools/list."""
    return f"json_schema_2020_12_tool: {params.model_dump_json(by_alias=True, exclude_none=True)}"


# --- Hooks --------------------------------------------------------------------


@hookimpl
def register_tools(register: Any) -> None:
    content_tools: tuple[Callable[..., Any], ...] = (
        test_simple_text,
        test_image_content,
        test_audio_content,
        test_embedded_resource,
        test_multiple_content_types,
        test_error_handling,
    )
    interactive_tools: tuple[Callable[..., Any], ...] = (
        test_tool_with_logging,
        test_tool_with_progress,
        test_reconnection,
        test_sampling,
        test_elicitation,
        test_elicitation_sep1034_defaults,
        test_elicitation_sep1330_enums,
    )
    for fn in content_tools:
        register(fn, external_name=True, annotations=READ_ONLY)
    for fn in interactive_tools:
        register(fn, external_name=True, annotations=INTERACTIVE)
    register(
        json_schema_2020_12_tool,
        external_name=True,
        annotations=READ_ONLY,
        input_schema=JSON_SCHEMA_2020_12_INPUT_SCHEMA,
    )


def _template_data(id: str) -> str:
    return json.dumps({"id": id, "templateTest": True, "data": f"Data for ID: {id}"})


@hookimpl
def register_resources(register: Any) -> None:
    register(
        Resource(
            uri="test://static-text",
            name="static-text",
            description="A static text resource for testing.",
            mime_type="text/plain",
            read=lambda: STATIC_TEXT,
        )
    )
    register(
        Resource(
            uri="test://static-binary",
            name="static-binary",
            description="A static binary resource (a 1x1 PNG) for testing.",
            mime_type="image/png",
            read=lambda: base64.b64decode(TEST_IMAGE_BASE64),
        )
    )
    register(
        ResourceTemplate(
            uri_template="test://template/{id}/data",
            name="template-data",
            description="A resource template with parameter substitution.",
            mime_type="application/json",
            read=_template_data,
        )
    )
    register(
        Resource(
            uri="test://watched-resource",
            name="watched-resource",
            description="A resource clients can subscribe to for updates.",
            mime_type="text/plain",
            read=lambda: WATCHED_TEXT,
            subscribable=True,
        )
    )


def _prompt_with_embedded_resource(resourceUri: str) -> list[PromptMessage]:
    return [
        PromptMessage(
            role="user",
            content=types.EmbeddedResource(
                type="resource",
                resource=types.TextResourceContents(
                    uri=resourceUri, mime_type="text/plain", text="Embedded resource content for testing."
                ),
            ),
        ),
        PromptMessage(role="user", content="Please process the embedded resource above."),
    ]


@hookimpl
def register_prompts(register: Any) -> None:
    register(
        Prompt(
            name="test_simple_prompt",
            description="A simple prompt without arguments.",
            render=lambda: "This is a simple prompt for testing.",
        )
    )
    register(
        Prompt(
            name="test_prompt_with_arguments",
            description="A prompt with two required arguments.",
            arguments=[
                PromptArgument(name="arg1", description="First test argument", required=True),
                PromptArgument(name="arg2", description="Second test argument", required=True),
            ],
            render=lambda arg1, arg2: f"Prompt with arguments: arg1='{arg1}', arg2='{arg2}'",
        )
    )
    register(
        Prompt(
            name="test_prompt_with_embedded_resource",
            description="A prompt that includes an embedded resource.",
            arguments=[
                PromptArgument(name="resourceUri", description="URI of the resource to embed", required=True)
            ],
            render=_prompt_with_embedded_resource,
        )
    )
    register(
        Prompt(
            name="test_prompt_with_image",
            description="A prompt that includes image content.",
            render=lambda: [
                PromptMessage(role="user", content=_image()),
                PromptMessage(role="user", content="Please analyze the image above."),
            ],
        )
    )
