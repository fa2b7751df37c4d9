"""``mcpea.toml``: loading, validation and secret indirection.

The file is found from ``--config``, then ``MCPEA_CONFIG``; with neither the
hub runs on defaults. Layout::

    [hub]
    plugins = ["stripe", "github"]   # default: every installed plugin
    strict = false                   # a plugin that fails to load stops the hub

    [server]
    transport = "stdio"              # or "http"
    host = "127.0.0.1"
    port = 8765

    [plugins.stripe]                 # settings of one plugin, checked against its model
    api_key = { env = "STRIPE_API_KEY" }

A secret is never written in the file itself when it can be avoided:
``{ env = "NAME" }`` reads an environment variable and ``{ file = "/path" }``
a file (trailing newline stripped). Errors name the file, the dotted key and
the problem, never a secret's value.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from .audit.settings import AuditSettings
from .auth.settings import AuthSection
from .errors import ConfigError
from .secrets import remember, remember_settings
from .notify.settings import NotifySettings
from .policy.settings import PolicySettings

__all__ = ["HubConfig", "HubSection", "ServerSection", "load_config", "resolve_secrets", "validate_section"]

DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HubSection(_Section):
    plugins: list[str] | None = Field(
        default=None, description="Plugins to load (entry-point names); default every installed one."
    )
    strict: bool = Field(default=False, description="Fail start-up when a plugin cannot be loaded.")
    name: str = Field(default="mcpea", description="Server name announced to MCP clients.")


class ServerSection(_Section):
    transport: Literal["stdio", "http"] = "stdio"
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535)
    path: str = Field(default="/mcp", pattern=r"^/[A-Za-z0-9/_-]*$")
    stateless: bool = Field(default=False, description="Stateless Streamable HTTP: no sessions, no server push.")
    json_response: bool = Field(default=False, description="Answer POSTs with JSON instead of an SSE stream.")
    allowed_hosts: list[str] = Field(
        default_factory=list, description="Host headers accepted besides loopback (DNS-rebinding protection)."
    )
    allowed_origins: list[str] = Field(
        default_factory=list, description="Origin headers accepted besides loopback."
    )
    max_request_bytes: int = Field(default=DEFAULT_MAX_REQUEST_BYTES, gt=0)
    max_line_bytes: int = Field(default=DEFAULT_MAX_REQUEST_BYTES, gt=0, description="stdio: longest JSON line.")
    page_size: int = Field(default=100, ge=1, le=1000, description="Items per tools/resources/prompts page.")
    max_tool_threads: int = Field(
        default=100, ge=1, le=10_000, description="Worker threads for sync tools (blocking vendor SDKs)."
    )


class HubConfig(_Section):
    """The whole of ``mcpea.toml``. ``plugins`` holds the raw per-plugin tables."""

    hub: HubSection = Field(default_factory=HubSection)
    server: ServerSection = Field(default_factory=ServerSection)
    policy: PolicySettings = Field(default_factory=PolicySettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    auth: AuthSection | None = Field(
        default=None, description="Authentication and RBAC for the HTTP transport; absent: unauthenticated."
    )
    plugins: dict[str, dict[str, Any]] = Field(default_factory=dict)
    source: str | None = Field(default=None, exclude=True)

    def plugin_settings(self, name: str) -> dict[str, Any] | None:
        return self.plugins.get(name)


def _describe(error: ErrorDetails) -> tuple[str, str]:
    key = ".".join(str(part) for part in error["loc"])
    return key, error["msg"]


def _config_error(exc: ValidationError, path: str | None, prefix: str = "") -> ConfigError:
    problems = [_describe(e) for e in exc.errors(include_input=False, include_url=False)]
    first_key, first_msg = problems[0]
    extra = "".join(f"; {prefix}{k}: {m}" for k, m in problems[1:])
    return ConfigError(f"{first_msg}{extra}", path=path, key=f"{prefix}{first_key}")


def load_config(path: str | os.PathLike[str] | None = None) -> HubConfig:
    """Load and validate the configuration; ``None`` looks at ``MCPEA_CONFIG``, then uses defaults."""
    chosen = path if path is not None else os.environ.get("MCPEA_CONFIG") or None
    if chosen is None:
        return HubConfig()
    import tomllib  # here: a hub without a file never needs the parser

    file = Path(chosen)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("file not found", path=str(file)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=str(file)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path=str(file)) from None
    try:
        config = HubConfig.model_validate(data)
    except ValidationError as exc:
        raise _config_error(exc, str(file)) from None
    config.source = str(file)
    return config


def resolve_secrets(value: Any, *, path: str | None, key: str) -> Any:
    """Replace ``{env = ...}`` / ``{file = ...}`` tables by what they point at, recursively."""
    if isinstance(value, dict):
        if set(value) == {"env"}:
            name = value["env"]
            if not isinstance(name, str) or name not in os.environ:
                raise ConfigError(f"environment variable {name!r} is not set", path=path, key=key)
            remember(os.environ[name])  # given indirectly, so a secret: scrub it wherever text leaves
            return os.environ[name]
        if set(value) == {"file"}:
            file = Path(str(value["file"]))
            try:
                secret = file.read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as exc:
                raise ConfigError(f"cannot read secret file {str(file)!r}: {exc.strerror}", path=path, key=key) from None
            remember(secret)
            return secret
        return {k: resolve_secrets(v, path=path, key=f"{key}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_secrets(v, path=path, key=f"{key}[{i}]") for i, v in enumerate(value)]
    return value


def validate_section(model: type[BaseModel], raw: dict[str, Any] | None, *, path: str | None, key: str) -> BaseModel:
    """Validate one plugin's settings table against its model, resolving secrets first."""
    resolved = resolve_secrets(raw or {}, path=path, key=key)
    try:
        section = model.model_validate(resolved)
    except ValidationError as exc:
        raise _config_error(exc, path, prefix=f"{key}.") from None
    remember_settings(section)
    return section
