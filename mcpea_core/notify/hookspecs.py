"""The notification hook now lives in :mod:`mcpea_core.hookspecs`, the one contract file.

Re-exported here for code written against the earlier location.
"""

from ..hookspecs import RegisterChannel, register_channels

__all__ = ["RegisterChannel", "register_channels"]
