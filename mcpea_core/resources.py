"""Resources, resource templates and prompts that plugins contribute.

These are plain descriptions plus a function; the server turns them into MCP
wire types. Read functions may be sync (run in a worker thread) or async.

A resource read returns ``str`` (text), ``bytes`` (sent as a base64 blob) or
a list of :class:`Contents`. A prompt returns a ``str`` (one user message) or
a list of :class:`PromptMessage`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Contents",
    "Prompt",
    "PromptArgument",
    "PromptMessage",
    "Resource",
    "ResourceTemplate",
]

Completer = Callable[[str, str], Sequence[str]]
"""``(argument_name, partial_value) -> suggestions`` for ``completion/complete``."""


@dataclass(frozen=True)
class Contents:
    """One part of a resource read: text or binary data at a URI."""

    uri: str
    text: str | None = None
    blob: bytes | None = None
    mime_type: str | None = None


@dataclass(frozen=True)
class Resource:
    """A fixed resource at ``uri``; ``read()`` returns its contents."""

    uri: str
    name: str
    read: Callable[[], Any]
    description: str | None = None
    mime_type: str | None = None
    subscribable: bool = False
    plugin: str = ""


@dataclass(frozen=True)
class ResourceTemplate:
    """Resources addressed by an RFC 6570 level-1 template such as ``stripe://receipts/{id}``.

    ``read(**variables)`` receives the template's variables by name.
    """

    uri_template: str
    name: str
    read: Callable[..., Any]
    description: str | None = None
    mime_type: str | None = None
    complete: Completer | None = None
    plugin: str = ""

    def match(self, uri: str) -> dict[str, str] | None:
        """The template's variables if ``uri`` matches it, else ``None``."""
        return _groups(self.uri_template, uri)


_VAR = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@functools.lru_cache(maxsize=256)
def _template_regex(template: str) -> re.Pattern[str]:
    parts = _VAR.split(template)
    pattern = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/]+)" for i, p in enumerate(parts))
    return re.compile(pattern)


def _groups(template: str, uri: str) -> dict[str, str] | None:
    match = _template_regex(template).fullmatch(uri)
    return match.groupdict() if match else None


@dataclass(frozen=True)
class PromptArgument:
    name: str
    description: str | None = None
    required: bool = False


@dataclass(frozen=True)
class PromptMessage:
    """One message of a rendered prompt. ``content`` is text, or an MCP content block."""

    role: Literal["user", "assistant"]
    content: Any


@dataclass(frozen=True)
class Prompt:
    """A prompt template; ``render(**arguments)`` returns its messages."""

    name: str
    description: str
    render: Callable[..., Any]
    arguments: Sequence[PromptArgument] = field(default_factory=tuple)
    complete: Completer | None = None
    plugin: str = ""
