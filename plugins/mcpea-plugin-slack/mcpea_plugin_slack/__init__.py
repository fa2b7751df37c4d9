"""MC-PEA connector for Slack, wrapping slack_sdk's ``AsyncWebClient``.

Tools (``slack_<verb>_<noun>``, listed in the README's table) post, edit,
delete and schedule messages (text and Block Kit), add reactions, list
channels, read channel history and threads, look users up by id or email
and upload files. What it adds to the SDK:

* slack_sdk's own retry handlers, configured: connection resets, and 429s
  retried after Retry-After up to ``max_retry_wait``; longer waits fail the
  call with ``RateLimited`` instead of stalling it;
* Slack's error codes become hub errors that say what to do next
  (``channel_not_found``, ``not_in_channel``, ...), never carrying the token;
* Slack's request ids go to the audit record;
* a ``slack`` notification channel: any tool call's notification as a
  readable Block Kit message linking to its audit record.

Configure it under ``[plugins.slack]`` (see :mod:`.settings`). Nothing here
imports ``slack_sdk``: the SDK loads on the first call. The tools are
registered by reference (:mod:`.tools`), so their modules load when the hub
first needs them, not when it starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from mcpea_core import hookimpl

from ._version import __version__
from .settings import Settings
from .tools import TOOLS

if TYPE_CHECKING:
    from mcpea_core.hookspecs import RegisterTool
    from mcpea_core.notify.hookspecs import RegisterChannel

__all__ = ["TOOLS", "Settings", "__version__", "register_channels", "register_tools", "settings_model"]


@hookimpl
def settings_model() -> type[BaseModel]:
    return Settings


@hookimpl
def register_tools(register: RegisterTool) -> None:
    for spec in TOOLS:
        register(spec.fn, annotations=spec.annotations)


# optionalhook: register_channels belongs to the notification plugin, which may be blocked or absent.
@hookimpl(optionalhook=True)
def register_channels(register: RegisterChannel, settings: BaseModel | None) -> None:
    """Contribute the ``slack`` channel kind: ``[notify.channels."slack:#name"]``."""
    if not isinstance(settings, Settings):
        return
    from .channel import ChannelSettings, channel_factory

    register("slack", channel_factory(settings), settings=ChannelSettings)
