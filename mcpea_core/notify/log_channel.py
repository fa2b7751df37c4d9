"""The ``log`` channel: each notification as one line on the ``mcpea.notify`` logger.

::

    [notify.channels."log:audit"]
    level = "info"          # debug, info, warning or error

The line is the channel name and the notification's JSON, for log shippers
that already collect the hub's logs.
"""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .channels import Delivery

__all__ = ["LogChannel", "LogSettings"]

logger = logging.getLogger("mcpea.notify")


class LogSettings(BaseModel):
    """A ``log:<name>`` channel's table in ``[notify.channels]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    level: Literal["debug", "info", "warning", "error"] = "info"


class LogChannel:
    """Writes notifications to the ``mcpea.notify`` logger; never fails."""

    def __init__(self, name: str, settings: LogSettings) -> None:
        self.name = name
        self.level = logging.getLevelNamesMapping()[settings.level.upper()]

    def __repr__(self) -> str:
        return f"LogChannel({self.name!r})"

    async def send(self, delivery: Delivery) -> None:
        logger.log(self.level, "%s %s", self.name, delivery.body.decode())

    async def aclose(self) -> None:
        return None
