"""Helpers for the policy tests (imported as policy.support, tests/ being on sys.path): a tool with a visible side effect, a fake clock, an outer recorder."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from mcpea_core import Annotations, Hub, ToolOutcome, hookimpl
from mcpea_core.policy import PolicyPlugin, PolicySettings


class Item(BaseModel):
    item_id: str


class Shop:
    """A plugin whose destructive tool leaves a trace, to prove whether it ran."""

    def __init__(self) -> None:
        self.deleted: list[str] = []

    @hookimpl
    def register_tools(self, register: Any) -> None:
        def shop_delete_item(params: Item) -> str:
            """Delete an item for good."""
            self.deleted.append(params.item_id)
            return f"deleted {params.item_id}"

        def shop_get_item(params: Item) -> str:
            """Read an item."""
            return params.item_id

        register(shop_delete_item, annotations=Annotations(destructive=True))
        register(shop_get_item, annotations=Annotations(read_only=True))


class Outermost:
    """Stands in for audit: a tryfirst wrapper recording how each call ended."""

    def __init__(self) -> None:
        self.seen: list[ToolOutcome] = []

    @hookimpl(wrapper=True, tryfirst=True)
    def wrap_tool_call(self, call: Any) -> Any:
        inner = yield

        async def record() -> ToolOutcome:
            outcome: ToolOutcome = await inner
            self.seen.append(outcome)
            return outcome

        return record()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def policy_hub(*plugins: tuple[str, object], clock: FakeClock | None = None, **settings: Any) -> Hub:
    """A hub with the example plugin, the given extra plugins and a policy built from ``settings``."""
    policy = PolicyPlugin(PolicySettings.model_validate(settings), **({"clock": clock} if clock else {}))
    return Hub(plugins=[*plugins, ("policy", policy)])


def text(result: Any) -> str:
    return str(result.content[0].text)
