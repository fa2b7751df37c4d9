"""Plugins that record what the hub did, for tests: every call (audit) and every notification.

Both are ordinary hub plugins, registered by the ``mcpea_hub`` fixture into
every hub it makes. They stand in for the real audit store and notification
system, which tests of a connector should not depend on.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Awaitable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread

from ..context import ToolCall, ToolOutcome
from ..errors import ToolError
from ..hookspecs import hookimpl

__all__ = ["AuditRecord", "AuditRecorder", "CaptureChannel", "NotificationRecorder", "NotificationRequest"]

_Wrapper = Generator[None, Awaitable[ToolOutcome], Awaitable[ToolOutcome]]


@dataclass(frozen=True)
class AuditRecord:
    """One finished call as an audit trail would keep it."""

    call_id: str
    tool: str
    plugin: str
    arguments: dict[str, Any]
    outcome: str
    principal: str
    transport: str
    error: str | None = None
    upstream: dict[str, list[str]] = field(default_factory=dict)
    hub_params: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def request_ids(self) -> list[str]:
        """The vendor request ids the connector reported (``ctx.report_upstream(request_id=...)``)."""
        return list(self.upstream.get("request_ids", []))

    @property
    def idempotency_keys(self) -> list[str]:
        return list(self.upstream.get("idempotency_keys", []))


def _hub_params(call: ToolCall) -> dict[str, dict[str, Any]]:
    return {plugin: model.model_dump(mode="json") for plugin, model in call.hub_params.items()}


def _record(call: ToolCall, outcome: str, error: BaseException | None) -> AuditRecord:
    return AuditRecord(
        call_id=call.call_id,
        tool=call.name,
        plugin=call.tool.plugin,
        arguments=copy.deepcopy({**call.arguments, **call.hub_arguments}),
        outcome=outcome,
        principal=call.principal.id,
        transport=call.transport,
        error=str(error) if error is not None else None,
        upstream=copy.deepcopy(call.upstream),
        hub_params=_hub_params(call),
    )


class _Records:
    """A read-only sequence of records, newest last."""

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._lock = threading.Lock()

    def _add(self, item: Any) -> None:
        with self._lock:
            self._items.append(item)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._items))

    def __getitem__(self, index: int) -> Any:
        return self._items[index]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class AuditRecorder(_Records):
    """Records every call that reaches the hub's pipeline: the outermost ``wrap_tool_call`` wrapper.

    ``records[i]`` is an :class:`AuditRecord`; ``for_tool(name)`` filters.
    Calls refused by a policy, invalid arguments and hidden tools are
    recorded too, as a real audit trail would.
    """

    def __iter__(self) -> Iterator[AuditRecord]:
        return super().__iter__()

    def __getitem__(self, index: int) -> AuditRecord:
        record: AuditRecord = super().__getitem__(index)
        return record

    def for_tool(self, name: str) -> list[AuditRecord]:
        return [record for record in self if record.tool == name]

    @property
    def last(self) -> AuditRecord:
        if not len(self):
            raise LookupError("no call has been recorded")
        return self[-1]

    @hookimpl(wrapper=True, tryfirst=True)
    def wrap_tool_call(self, call: ToolCall) -> _Wrapper:
        try:
            inner = yield
        except ToolError as exc:  # an inner wrapper refused before anything ran
            self._add(_record(call, "denied", exc))
            raise

        async def recorded() -> ToolOutcome:
            try:
                outcome = await inner
            except BaseException as exc:
                self._add(_record(call, "crash" if isinstance(exc, Exception) else "cancelled", exc))
                raise
            self._add(_record(call, outcome.outcome, outcome.error))
            return outcome

        return recorded()


@dataclass(frozen=True)
class NotificationRequest:
    """A finished call that asked plugins for something through ``tool_extra_arguments`` (``notify``)."""

    call_id: str
    tool: str
    outcome: str
    hub_params: dict[str, dict[str, Any]]

    @property
    def channels(self) -> tuple[str, ...]:
        """Every channel named by a ``notify`` argument, in the order given."""
        named: list[str] = []
        for params in self.hub_params.values():
            value = params.get("notify")
            for channel in value if isinstance(value, list | tuple) else [value]:
                if isinstance(channel, str) and channel not in named:
                    named.append(channel)
        return tuple(named)


class CaptureChannel:
    """A notification channel that delivers nowhere: it keeps each payload in its recorder.

    It follows :class:`mcpea_core.notify.channels.Channel`; the recorder
    offers it as the channel kind ``capture`` (``[notify.channels."capture:ops"]``)
    when the hub has the ``register_channels`` hook.
    """

    def __init__(self, name: str, recorder: NotificationRecorder) -> None:
        self.name = name
        self._recorder = recorder

    async def send(self, delivery: Any) -> None:
        self._recorder.delivered._add({"channel": self.name, **delivery.payload})
        with self._recorder._arrived:
            self._recorder._arrived.notify_all()

    async def aclose(self) -> None:
        return None


class NotificationRecorder:
    """What would be sent: calls' notification requests, and payloads delivered to ``capture`` channels.

    ``requested`` holds a :class:`NotificationRequest` for every call whose
    client passed hub arguments (such as ``notify``), whatever the routing
    configuration; ``delivered`` the payloads that reached a ``capture:*``
    channel, when the notification system runs in the hub.
    """

    def __init__(self) -> None:
        self.requested = _Records()
        self.delivered = _Records()
        self._arrived = threading.Condition()

    @property
    def channels(self) -> list[str]:
        """Every channel named by a request, in order (one entry per request and channel)."""
        return [channel for request in self.requested for channel in request.channels]

    async def wait_delivered(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until ``count`` payloads have been delivered (they arrive on the delivery worker's thread)."""

        def wait() -> bool:
            with self._arrived:
                return self._arrived.wait_for(lambda: len(self.delivered) >= count, timeout)

        if not await anyio.to_thread.run_sync(wait):
            raise TimeoutError(
                f"{len(self.delivered)} of {count} notification(s) delivered within {timeout}s"
            )
        return list(self.delivered)

    def channel(self, name: str, settings: Any = None) -> CaptureChannel:
        """The channel factory of kind ``capture``: ``factory(name, settings)``."""
        return CaptureChannel(name, self)

    def clear(self) -> None:
        self.requested.clear()
        self.delivered.clear()

    @hookimpl(wrapper=True)
    def wrap_tool_call(self, call: ToolCall) -> _Wrapper:
        inner = yield

        async def recorded() -> ToolOutcome:
            outcome = await inner
            if call.hub_arguments:
                self.requested._add(
                    NotificationRequest(call.call_id, call.name, outcome.outcome, _hub_params(call))
                )
            return outcome

        return recorded()

    def channel_plugin(self) -> object:
        """A plugin offering the ``capture`` channel kind through ``register_channels``."""
        recorder = self

        class CaptureChannels:
            @hookimpl
            def register_channels(self, register: Any) -> None:
                register("capture", recorder.channel)

        return CaptureChannels()
