"""The audit plugin: a start record before every tool call runs, an end record after it.

It is a ``wrap_tool_call`` wrapper marked ``tryfirst`` so it sits outside
every other wrapper: it sees every call, including those that policies
refuse or that fail validation. The start record is durable (committed, or
written to SQLite's journal) before the inner awaitable is awaited, so
nothing runs that was not recorded first; the
end record is written however the call ends (a result, an error result, an
exception, cancellation), and the exception is then re-raised.

``on_failure`` is the one failure policy (STYLE.md rule 7):

* ``"deny"`` (fail closed, the default): when the start record cannot be
  written, the call is not run and the client gets an error result saying
  the audit trail is unavailable; a store that cannot be opened stops the
  hub at start-up.
* ``"allow"`` (fail open): the failure is logged and the call runs anyway.

An end record that cannot be written is logged either way: the call has
already had its effect, so refusing its result would only hide it. A write
that times out may still be committed later; a call refused that way can then
appear in ``verify`` as started and never finished (it never ran).

Notifications: when the store keeps the notification outbox
(:class:`~.store.OutboxStore`), the notification plugin leaves a call's
outbox entries in ``call.extras["outbox"]`` and the end record is written
together with them, in one transaction: they exist exactly when it does. The
store calls the entries' ``committed`` callback (which wakes the delivery
worker) once that transaction is committed.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable, Generator, Sequence
from typing import TYPE_CHECKING, Any, Literal

import anyio
from mcp.shared.exceptions import MCPError

from .._ids import record_id
from ..context import Outcome, ToolCall, ToolOutcome
from ..errors import PolicyDenied, ToolError
from ..hookspecs import hookimpl
from ..notify.outbox import OUTBOX_EXTRA, CallNotifications
from ..pipeline import error_result
from .record import DRAFT_FIELDS, AuditRecord, Draft, record_from_draft
from .redact import Redactor
from .store import AuditStore, AuditStoreError, OutboxStore, default_store_url, store_from_url

if TYPE_CHECKING:
    from ..hub import Hub
    from ..notify.outbox import Outbox, OutboxEntry

__all__ = ["AuditPlugin", "AuditUnavailable", "OnFailure", "default_hub_instance"]

logger = logging.getLogger("mcpea.audit")

OnFailure = Literal["deny", "allow"]
_MAX_ERROR_TEXT = 2000
_CALL_FIELDS = slice(4, 11)  # what a call's start and end records share: tool ... session
assert DRAFT_FIELDS[_CALL_FIELDS] == (
    "tool", "principal", "hub", "plugin", "plugin_version", "transport", "session"
)  # fmt: skip


class AuditUnavailable(PolicyDenied):
    """The start record of a call could not be written, so the call was refused (``on_failure="deny"``)."""

    def __init__(self) -> None:
        super().__init__(
            "The hub's audit trail is unavailable, so this call was not run and had no effect. "
            "Retry later; if it keeps failing, the hub's operator must check the audit store.",
            policy="audit",
        )


def default_hub_instance() -> str:
    """``host:pid:random``: tells apart hub processes writing to one store."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def _raising(exc: BaseException) -> ToolOutcome:
    raise exc


async def _then_true(wait: Awaitable[None]) -> bool:
    await wait
    return True


def _discard(awaitable: Awaitable[ToolOutcome]) -> None:
    close = getattr(awaitable, "close", None)
    if callable(close):  # a coroutine never awaited: close it rather than leave a RuntimeWarning
        close()


class AuditPlugin:
    """Writes an audit record before and after every tool call.

    ``store`` is an :class:`~.store.AuditStore`, a store URL, or ``None`` for
    the default SQLite file; it is opened at ``startup`` and closed at
    ``shutdown``. ``timeout`` bounds each write, so a hung store fails the
    policy instead of hanging calls.
    """

    def __init__(
        self,
        store: AuditStore | str | None = None,
        *,
        on_failure: OnFailure = "deny",
        hub_instance: str | None = None,
        redactor: Redactor | None = None,
        timeout: float = 10.0,
    ) -> None:
        if on_failure not in ("deny", "allow"):
            raise ValueError(f"on_failure must be 'deny' or 'allow', not {on_failure!r}")
        self.store = store if isinstance(store, AuditStore) else store_from_url(store or default_store_url())
        self.on_failure: OnFailure = on_failure
        self.hub_instance = hub_instance or default_hub_instance()
        self.redactor = redactor or Redactor()
        self.timeout = timeout
        self._versions: dict[str, str | None] = {}
        self._open_attempted = False
        self._accept: Callable[[Draft, Sequence[OutboxEntry], Callable[[], None] | None], Any] | None = None
        self._open_lock = anyio.Lock()

    def __repr__(self) -> str:
        return f"AuditPlugin({self.store!r}, on_failure={self.on_failure!r})"

    def notify_outbox(self) -> Outbox | None:
        """The notification outbox kept in this plugin's store (``None``: the store keeps none)."""
        return self.store.notify_outbox() if isinstance(self.store, OutboxStore) else None

    # --- hooks ---------------------------------------------------------------

    @hookimpl
    async def startup(self, hub: Hub) -> None:
        self._versions = {name: info.version for name, info in hub.host.infos.items()}
        await self._open(raise_on_deny=True)

    async def _open(self, *, raise_on_deny: bool) -> None:
        """Open the store once: at start-up, or on the first call of a hub that was never started."""
        async with self._open_lock:
            if self._open_attempted:
                return
            self._open_attempted = True
            try:
                with anyio.fail_after(self.timeout, shield=True):
                    await self.store.open()
                if getattr(self.store, "appends_at_once", False):
                    self._accept = getattr(self.store, "accept", None)
            except Exception as exc:
                if raise_on_deny and self.on_failure == "deny":
                    raise
                logger.error("audit store %r cannot be opened: %s", self.store, exc)

    @hookimpl
    async def shutdown(self, hub: Hub) -> None:
        await self.store.close()

    @hookimpl(wrapper=True, tryfirst=True)
    def wrap_tool_call(
        self, call: ToolCall
    ) -> Generator[None, Awaitable[ToolOutcome], Awaitable[ToolOutcome]]:
        try:
            inner = yield
        except Exception as exc:  # an inner wrapper refused or failed before returning an awaitable
            return self._audited(call, _raising(exc))
        return self._audited(call, inner)

    # --- the audited call ------------------------------------------------------

    async def _audited(self, call: ToolCall, inner: Awaitable[ToolOutcome]) -> ToolOutcome:
        if not self._open_attempted:  # Hub.execute on a hub whose startup hooks never ran
            await self._open(raise_on_deny=False)
        started = time.perf_counter_ns()
        start = self._start_draft(call)
        written = self._write(start)
        if written is not True and written is not False:  # an awaitable: the store wants us to wait
            written = await written
        if not written and self.on_failure == "deny":
            _discard(inner)
            refusal = AuditUnavailable()
            return ToolOutcome(error_result(str(refusal)), "denied", refusal)
        try:
            outcome = await inner
        except anyio.get_cancelled_exc_class():
            await self._end(call, start, started, "cancelled", None)
            raise
        except (ToolError, MCPError) as exc:
            kind: Outcome = "denied" if isinstance(exc, ToolError) else "tool_error"
            await self._end(call, start, started, kind, exc)
            raise
        except BaseException as exc:
            await self._end(call, start, started, "crash", exc)
            raise
        written = self._write_end(call, self._end_draft(call, start, started, outcome.outcome, outcome.error))
        if written is not True and written is not False:
            await written
        return outcome

    async def _end(
        self, call: ToolCall, start: Draft, started: int, outcome: Outcome, error: BaseException | None
    ) -> None:
        """Write the end record of a call that raised."""
        written = self._write_end(call, self._end_draft(call, start, started, outcome, error))
        if written is not True and written is not False:
            await written

    def _write_end(self, call: ToolCall, draft: Draft) -> bool | Awaitable[bool]:
        """Write the end record with the notifications the notification plugin left on the call."""
        handed = call.extras.pop(OUTBOX_EXTRA, None) if call.extras else None
        if not isinstance(handed, CallNotifications) or not handed.entries:
            return self._write(draft)
        if not isinstance(self.store, OutboxStore):  # the hub hands entries over only to such a store
            logger.error(
                "audit: %s keeps no notification outbox: %d notification(s) of call %s are lost",
                self.store,
                len(handed.entries),
                call.call_id,
            )
            return self._write(draft)
        return self._write(draft, handed)

    def _write(self, draft: Draft, handed: CallNotifications | None = None) -> bool | Awaitable[bool]:
        """Write a record: ``True`` when written, ``False`` when it failed, or an awaitable of either.

        A journaled store (``appends_at_once``: SQLite's default) takes the draft at once,
        without a coroutine in between (this runs twice per tool call); it may ask the caller
        to wait for its writer thread (backpressure). Any other store gets the record through
        :meth:`_append_waiting`, shielded from cancellation and bounded by ``timeout``.
        """
        accept = self._accept
        if accept is None:
            return self._append_waiting(draft, handed)
        entries, committed = (handed.entries, handed.committed) if handed is not None else ((), None)
        try:
            wait = accept(draft, entries, committed)
        except Exception as exc:
            self._log_failure(draft, entries, exc)
            return False
        return True if wait is None else _then_true(wait)

    async def _append_waiting(self, draft: Draft, handed: CallNotifications | None) -> bool:
        entries, committed = (handed.entries, handed.committed) if handed is not None else ((), None)
        try:
            with anyio.fail_after(self.timeout, shield=True):
                await self._append(record_from_draft(draft), entries, committed)
        except Exception as exc:
            self._log_failure(draft, entries, exc)
            return False
        return True

    def _log_failure(self, draft: Draft, entries: Sequence[OutboxEntry], exc: Exception) -> None:
        phase, call_id, tool = draft[1], draft[2], draft[4]
        if phase == "end":
            consequence = "its outcome is missing from the audit trail"
            if entries:
                consequence += f", and its {len(entries)} notification(s) with it"
        elif self.on_failure == "deny":
            consequence = "the call is refused"
        else:
            consequence = "the call runs unaudited (on_failure=allow)"
        logger.error(
            "audit: could not write the %s record of call %s (%s); %s: %s",
            phase,
            call_id,
            tool,
            consequence,
            "timed out" if isinstance(exc, TimeoutError) else exc,
            exc_info=not isinstance(exc, AuditStoreError | TimeoutError),
        )

    async def _append(
        self, record: AuditRecord, entries: Sequence[OutboxEntry], committed: Callable[[], None] | None
    ) -> None:
        if record.phase == "start":
            await self.store.append_start(record)
        elif entries:
            assert isinstance(self.store, OutboxStore)
            await self.store.append_end(record, notifications=entries, committed=committed)
        else:
            await self.store.append_end(record)

    # The fields of a draft (record.DRAFT_FIELDS), in order: id, phase, call_id, time, tool,
    # principal, hub, plugin, plugin_version, transport, session, arguments, outcome,
    # error_class, error_message, duration_ms, upstream.

    def _start_draft(self, call: ToolCall) -> Draft:
        tool = call.tool
        return (
            record_id(), "start", call.call_id, time.time_ns(), tool.name,
            call.principal.id, self.hub_instance, tool.plugin, self._versions.get(tool.plugin),
            call.transport, call.session_id, self._arguments(call), None, None, None, None, {},
        )  # fmt: skip

    def _end_draft(
        self, call: ToolCall, start: Draft, started: int, outcome: Outcome, error: BaseException | None
    ) -> Draft:
        """The end record of ``call``, whose start record is ``start``: the fields of the call it copies."""
        upstream = call.upstream
        text = self.redactor.text
        return (
            record_id(), "end", start[2], time.time_ns(), *start[_CALL_FIELDS], None, outcome,
            _class_name(error) if error is not None else None,
            self.redactor.text(str(error))[:_MAX_ERROR_TEXT] if error is not None else None,
            (time.perf_counter_ns() - started) // 1000 / 1000,  # ms to the microsecond; round() costs more
            {kind: [text(v) for v in values] for kind, values in upstream.items()} if upstream else {},
        )  # fmt: skip

    def _arguments(self, call: ToolCall) -> dict[str, Any]:
        try:
            return self.redactor.arguments(call.arguments, call.tool.input_schema)
        except Exception:  # never store what could not be redacted
            logger.exception(
                "audit: the arguments of call %s (%s) could not be redacted", call.call_id, call.name
            )
            return {"[unredactable]": True}


def _class_name(error: BaseException) -> str:
    cls = type(error)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
