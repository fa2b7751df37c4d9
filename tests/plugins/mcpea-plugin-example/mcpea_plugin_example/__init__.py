"""A test plugin exercising every hook of the plugin contract.

It records what the hub did to it in module-level lists so tests can check
that each hook ran, with what, and in which order.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

import anyio
from pydantic import BaseModel, Field, SecretStr

from mcpea_core import (
    Annotations,
    Prompt,
    PromptArgument,
    Resource,
    ResourceTemplate,
    ToolContext,
    ToolError,
    hookimpl,
)

EVENTS: deque[str] = deque(maxlen=1000)  # bounded: benchmarks call these tools thousands of times


class Settings(BaseModel):
    greeting: str = "Hello"
    api_key: SecretStr | None = None


class Echo(BaseModel):
    text: str = Field(description="What to echo back.")
    times: int = Field(default=1, ge=1, le=10, description="How many times.")


class EchoOut(BaseModel):
    echoed: str
    length: int


class Sleep(BaseModel):
    seconds: float = Field(ge=0, le=5)


class Fail(BaseModel):
    message: str


async def example_echo_text(params: Echo, ctx: ToolContext) -> EchoOut:
    """Echo the text back, `times` times. An async tool: runs on the event loop."""
    settings = ctx.settings
    prefix = settings.greeting if isinstance(settings, Settings) else "Hello"
    text = " ".join([params.text] * params.times)
    return EchoOut(echoed=f"{prefix}: {text}", length=len(text))


def example_block_sleep(params: Sleep) -> str:
    """Block the calling thread for `seconds`, like a slow synchronous vendor SDK."""
    time.sleep(params.seconds)
    return f"slept {params.seconds}"


async def example_report_progress(ctx: ToolContext) -> str:
    """Send three log messages and three progress notifications."""
    for step in range(3):
        await ctx.log("info", f"step {step}")
        await ctx.progress(step + 1, 3, f"step {step + 1} of 3")
        await anyio.sleep(0)
    return "done"


def example_fail_tool(params: Fail) -> str:
    """Fail with a ToolError carrying the given message."""
    raise ToolError(params.message)


def example_crash_tool() -> str:
    """Crash with an unexpected exception."""
    raise RuntimeError("internal detail that must not reach the model")


@hookimpl
def settings_model() -> type[BaseModel]:
    return Settings


@hookimpl
def register_tools(register: Any, settings: Settings | None) -> None:
    EVENTS.append("register_tools")
    register(example_echo_text, annotations=Annotations(read_only=True, idempotent=True, open_world=False))
    register(example_block_sleep, annotations=Annotations(read_only=True, open_world=False))
    register(example_report_progress, annotations=Annotations(read_only=True, open_world=False))
    register(example_fail_tool)
    register(example_crash_tool)


@hookimpl
def register_resources(register: Any) -> None:
    EVENTS.append("register_resources")
    register(Resource(uri="example://readme", name="readme", read=lambda: "Example plugin readme", mime_type="text/plain"))
    register(
        ResourceTemplate(
            uri_template="example://items/{item_id}",
            name="item",
            read=lambda item_id: {"id": item_id},
            mime_type="application/json",
            complete=lambda arg, value: [v for v in ("alpha", "beta", "gamma") if v.startswith(value)],
        )
    )


@hookimpl
def register_prompts(register: Any) -> None:
    EVENTS.append("register_prompts")
    register(
        Prompt(
            name="example_greet",
            description="Greet someone by name.",
            arguments=[PromptArgument(name="name", required=True)],
            render=lambda name: f"Please greet {name}.",
            complete=lambda arg, value: [n for n in ("Ada", "Alan", "Grace") if n.startswith(value)],
        )
    )


@hookimpl
async def startup(hub: Any) -> None:
    EVENTS.append("startup")


@hookimpl
def shutdown(hub: Any) -> None:
    EVENTS.append("shutdown")


@hookimpl(wrapper=True)
def wrap_tool_call(call: Any) -> Any:
    inner = yield
    call.extras.setdefault("wrapped_by", []).append("example")

    async def wrapped() -> Any:
        EVENTS.append(f"before:{call.name}")
        outcome = await inner
        EVENTS.append(f"after:{call.name}:{outcome.outcome}")
        return outcome

    return wrapped()


@hookimpl
def tool_visible(tool: Any, principal: Any) -> bool | None:
    if tool.name == "example_crash_tool" and principal.id == "hidden-from-crash":
        return False
    return None
