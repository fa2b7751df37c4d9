"""MC-PEA community connector for Twilio SendGrid, on the official ``sendgrid`` SDK.

Tools (``sendgrid_<verb>_<noun>``, listed in the README's table) send an
e-mail from the configured sender and read the account's statistics. The
``email`` notification channel sends the hub's tool-call notifications as
e-mails (``[notify.channels."email:ops"]``).

What it adds to the SDK: addresses checked before any request, SendGrid's
answers translated into the hub's errors (never carrying the API key), the
message id reported to the audit record, and a recipient cap per call.

Configure it under ``[plugins.sendgrid]`` (see :mod:`.settings`). Nothing
here imports ``sendgrid``: the SDK loads on the first request.

Written with the public plugin kit only (``mcpea_core`` and
``mcpea_core.testing``); the one exception is named in :mod:`.channel`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from mcpea_core import hookimpl

from ._version import __version__
from .settings import Settings
from .tools import TOOLS

__all__ = ["TOOLS", "Settings", "__version__", "register_channels", "register_tools", "settings_model"]

# mcpea_core exports no type for the register callbacks; these say what is used of them.
Register = Callable[..., Any]


@hookimpl
def settings_model() -> type[BaseModel]:
    return Settings


@hookimpl
def register_tools(register: Register) -> None:
    for spec in TOOLS:
        register(spec.fn, **spec.options())


# optionalhook: register_channels belongs to the notification system, which may be absent or disabled.
@hookimpl(optionalhook=True)
def register_channels(register: Register, settings: BaseModel | None) -> None:
    """Contribute the ``email`` channel kind: ``[notify.channels."email:<name>"]``."""
    if not isinstance(settings, Settings):
        return
    from .channel import KIND, ChannelSettings, channel_factory

    register(KIND, channel_factory(settings), settings=ChannelSettings)
