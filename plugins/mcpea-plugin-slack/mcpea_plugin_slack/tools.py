"""Every tool of the connector, in the order they are registered and documented.

Listed by reference: loading the plugin imports none of the tool modules
(nor builds their models); the hub imports a module when it first needs one
of its tools.
"""

from __future__ import annotations

from mcpea_core import Annotations

from .spec import READ, ToolSpec

__all__ = ["TOOLS"]

TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec("messages", "slack_post_message", Annotations(destructive=False, title="Post a Slack message")),
    ToolSpec(
        "messages",
        "slack_update_message",
        Annotations(destructive=True, idempotent=True, title="Edit a Slack message"),
    ),
    ToolSpec(
        "messages",
        "slack_delete_message",
        Annotations(destructive=True, idempotent=True, title="Delete a Slack message"),
    ),
    ToolSpec(
        "messages", "slack_schedule_message", Annotations(destructive=False, title="Schedule a Slack message")
    ),
    ToolSpec(
        "messages",
        "slack_add_reaction",
        Annotations(destructive=False, idempotent=True, title="React to a Slack message"),
    ),
    ToolSpec("conversations", "slack_list_channels", READ),
    ToolSpec("conversations", "slack_read_channel_history", READ),
    ToolSpec("conversations", "slack_read_thread_replies", READ),
    ToolSpec("users", "slack_get_user", READ),
    ToolSpec("users", "slack_find_user_by_email", READ),
    ToolSpec("files", "slack_upload_file", Annotations(destructive=False, title="Upload a file to Slack")),
)
