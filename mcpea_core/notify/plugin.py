"""The notification plugin: route finished calls to channels through a durable outbox.

* **Enhance** (``tool_extra_arguments``): every tool gets an optional
  ``notify`` argument whose only allowed values are the configured channel
  names (nothing is added when no channel is configured, nor to a tool that
  has a ``notify`` argument of its own).
* **Wrap** (``wrap_tool_call``): when the call has ended, however it ended,
  the channels of the matching ``[[notify.routes]]`` and those the model
  named in ``notify`` each get one outbox entry (see :mod:`.payload`). The
  call's result is returned as soon as the entries are stored: delivery
  happens later, on the worker. Storing is bounded by ``enqueue_timeout``
  and fail-open: a broken outbox is logged, never the call's failure.
* **The outbox.** When ``[notify] outbox`` is not set and the hub's audit
  store is SQLite or PostgreSQL, the outbox is a table in the audit
  database and the entries are not enqueued here: they are left on the call
  (:class:`~.outbox.CallNotifications`) and the audit plugin, the wrapper
  outside this one, commits them in the same transaction as the call's end
  record. Otherwise (audit off, a JSON Lines trail, ``[notify] outbox``
  set) they go to a SQLite outbox of their own. So with the outbox in the
  audit database, a call whose end record cannot be written (a store that
  is down under ``on_failure = "allow"``) loses its notifications with it;
  set ``[notify] outbox`` to keep them apart.
* **Deliver** (``startup``/``shutdown``): a :class:`~.worker.DeliveryWorker`
  on its own thread sends the entries with retries and dead-letters.
* **Channels** (``register_channels``): the built-in kinds ``webhook`` and
  ``log``; other plugins add theirs through the same hook.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
from mcp.shared.exceptions import MCPError
from pydantic import BaseModel

from ..audit.plugin import AuditPlugin
from ..audit.redact import Redactor
from ..context import Outcome, ToolCall, ToolOutcome
from ..errors import ToolError
from ..hookspecs import hookimpl
from ..tools import Tool
from .channels import ChannelKinds
from .hookspecs import RegisterChannel
from .log_channel import LogChannel, LogSettings
from .outbox import OUTBOX_EXTRA, CallNotifications, Outbox
from .payload import build_entries
from .routing import NOTIFY_ARGUMENT, Router, arguments_model, requested_channels
from .settings import NotifySettings
from .sqlite_outbox import SQLiteOutbox
from .webhook import WebhookChannel, WebhookSettings
from .worker import DeliveryWorker, WorkerThread

if TYPE_CHECKING:
    from ..hub import Hub

__all__ = ["NotifyPlugin", "default_outbox_path", "notify_plugin"]

logger = logging.getLogger("mcpea.notify")


def default_outbox_path() -> Path:
    """``notify.sqlite3`` in the user state directory (next to the audit trail's default file)."""
    import platformdirs

    return Path(platformdirs.user_state_dir("mcpea")) / "notify.sqlite3"


def notify_plugin(settings: NotifySettings | None) -> NotifyPlugin | None:
    """The built-in notification plugin for these settings; ``None`` when no channel is configured."""
    if settings is None or not settings.channels:
        return None
    return NotifyPlugin(settings)


class NotifyPlugin:
    """Notifications for one :class:`NotifySettings`.

    ``outbox`` defaults to a :class:`SQLiteOutbox` at ``settings.outbox``;
    without either, it is chosen at start-up: the audit store's outbox when
    the hub has an :class:`~mcpea_core.audit.AuditPlugin` whose store keeps
    one, else a :class:`SQLiteOutbox` at :func:`default_outbox_path`.
    ``with_end_record=True`` (set by that choice, or by an embedder passing
    ``outbox=audit_plugin.notify_outbox()``) leaves each call's entries to
    the audit plugin to commit with the end record. ``worker_options`` are
    passed to :class:`DeliveryWorker` (``concurrency``, ``lease``, ...).
    """

    def __init__(
        self,
        settings: NotifySettings | None = None,
        *,
        outbox: Outbox | None = None,
        redactor: Redactor | None = None,
        enqueue_timeout: float = 5.0,
        worker_options: dict[str, Any] | None = None,
        with_end_record: bool = False,
    ) -> None:
        self.settings = settings or NotifySettings()
        self._outbox_given = outbox is not None or self.settings.outbox is not None
        self.outbox: Outbox = outbox or SQLiteOutbox(self.settings.outbox or default_outbox_path())
        self.with_end_record = with_end_record
        self.redactor = redactor or Redactor()
        self.enqueue_timeout = enqueue_timeout
        self.router = Router(self.settings.routes)
        self.arguments = arguments_model(self.settings.channel_names)
        self._worker_options = worker_options or {}
        self._runner: WorkerThread | None = None

    def __repr__(self) -> str:
        return f"NotifyPlugin({list(self.settings.channel_names)!r}, outbox={self.outbox!r})"

    @property
    def active(self) -> bool:
        return bool(self.settings.channels)

    # --- hooks -----------------------------------------------------------------------

    @hookimpl
    def register_channels(self, register: RegisterChannel) -> None:
        register("webhook", WebhookChannel, settings=WebhookSettings)
        register("log", LogChannel, settings=LogSettings)

    @hookimpl
    def tool_extra_arguments(self, tool: Tool) -> type[BaseModel] | None:
        if self.arguments is not None and NOTIFY_ARGUMENT in {
            *tool.input_model.model_fields,
            *tool.input_schema.get("properties", {}),
        }:
            logger.warning(
                "notify: tool %s has its own %r argument; it gets no notify choice",
                tool.name,
                NOTIFY_ARGUMENT,
            )
            return None
        return self.arguments

    @hookimpl
    async def startup(self, hub: Hub) -> None:
        if not self.active:
            return
        kinds = ChannelKinds()
        for plugin, impl in hub.host.implementations("register_channels"):
            hub.host.call_impl(impl, register=kinds.registrar(plugin), settings=hub.settings.get(plugin))
        channels = kinds.build(self.settings.channels, path=hub.config.source, strict=hub.strict)
        self._choose_outbox(hub)
        try:
            await self.outbox.open()
        except Exception as exc:
            if not self.with_end_record:
                raise
            # The audit store is down and its policy let the hub start (on_failure = "allow"): so do we.
            # The worker keeps trying to reach the outbox; calls' notifications go with their end records.
            logger.error("notify: the outbox in the audit store cannot be opened yet: %s", exc)
        runner = WorkerThread(
            DeliveryWorker(
                self.outbox,
                channels,
                self.settings.retry,
                **{
                    "lease": self.settings.retry.lease,
                    "delivery_timeout": self.settings.retry.delivery_timeout,
                    **self._worker_options,
                },
            )
        )
        await anyio.to_thread.run_sync(runner.start)
        self._runner = runner

    def _choose_outbox(self, hub: Hub) -> None:
        audits = [p for p in hub.host.pm.get_plugins() if isinstance(p, AuditPlugin)]
        audit_outbox = audits[0].notify_outbox() if audits else None
        if self.with_end_record and audit_outbox is None:
            logger.warning(
                "notify: no audit plugin keeps the outbox %r, so notifications are enqueued on their own",
                self.outbox,
            )
            self.with_end_record = False
        elif not self._outbox_given and audit_outbox is not None:
            self.outbox, self.with_end_record = audit_outbox, True
            earlier = default_outbox_path()
            if earlier.exists():
                logger.warning(
                    "notify: the outbox is now in the audit database, so what %s still holds is not "
                    "delivered; see `mcpea notify status --outbox %s`, and set [notify] outbox to it "
                    "until it is empty",
                    earlier,
                    earlier,
                )
        logger.info(
            "notify: outbox %r%s",
            self.outbox,
            ", written with each call's end record" if self.with_end_record else "",
        )

    @hookimpl
    async def shutdown(self, hub: Hub) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            if not await anyio.to_thread.run_sync(runner.stop):
                logger.error("notify: the delivery worker did not stop in time")
            await self.outbox.close()

    @hookimpl(wrapper=True)
    def wrap_tool_call(
        self, call: ToolCall
    ) -> Generator[None, Awaitable[ToolOutcome], Awaitable[ToolOutcome]]:
        if not self.active:
            return (yield)
        try:
            inner = yield
        except ToolError as exc:  # an inner wrapper refused the call before returning an awaitable
            return self._after_refusal(call, exc)
        return self._notified(call, inner)

    # --- the wrapped call ----------------------------------------------------------------

    async def _notified(self, call: ToolCall, inner: Awaitable[ToolOutcome]) -> ToolOutcome:
        try:
            outcome = await inner
        except BaseException as exc:
            with anyio.CancelScope(shield=True):
                await self.notify(call, _raised(exc), exc)
            raise
        await self.notify(call, outcome.outcome, outcome.error)
        return outcome

    async def _after_refusal(self, call: ToolCall, refusal: ToolError) -> ToolOutcome:
        await self.notify(call, "denied", refusal)
        raise refusal

    async def notify(self, call: ToolCall, outcome: Outcome, error: BaseException | None) -> None:
        """Queue the notifications of a finished call (never raises; bounded by ``enqueue_timeout``)."""
        try:
            requested = requested_channels(call.hub_params, self.arguments)
            channels = list(dict.fromkeys([*self.router.channels(call.name, outcome), *requested]))
            if not channels:
                return
            entries = build_entries(
                call, outcome, error, channels, requested=requested, redactor=self.redactor, now=time.time()
            )
            if self.with_end_record:  # the audit plugin commits them with the end record, then wakes us
                call.extras[OUTBOX_EXTRA] = CallNotifications(tuple(entries), self._wake)
                return
            with anyio.fail_after(self.enqueue_timeout):
                await self.outbox.enqueue(entries)
        except Exception:
            logger.exception(
                "notify: the notifications of call %s (%s) were not queued", call.call_id, call.name
            )
            return
        self._wake()

    def _wake(self) -> None:
        if self._runner is not None:
            self._runner.wake()


def _raised(exc: BaseException) -> Outcome:
    """The outcome of a call whose inner awaitable raised instead of returning an outcome."""
    if isinstance(exc, anyio.get_cancelled_exc_class()):
        return "cancelled"
    if isinstance(exc, ToolError):
        return "denied"
    return "tool_error" if isinstance(exc, MCPError) else "crash"
