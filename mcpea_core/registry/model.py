"""``registry.toml``: where it is, what an entry holds, and loading it with errors that name the key."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import ConfigError

__all__ = ["REGISTRY_FILE", "Entry", "Registry", "find_registry", "load_registry"]

REGISTRY_FILE = "registry.toml"
_NAME = re.compile(r"^[a-z][a-z0-9]*$")

Tier = Literal["first-party", "contrib"]
Maturity = Literal["existing", "expanding", "emerging"]


class Entry(BaseModel):
    """One plugin in the registry; ``name`` is its entry-point name (the table's key)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(default="", description="The plugin's entry-point name (the [plugins.<name>] key).")
    distribution: str = Field(description="Its distribution on the package index: mcpea-plugin-<name>.")
    package: str = Field(description="Its import package: mcpea_plugin_<name>.")
    path: str | None = Field(
        default=None, description="Its source directory in this repository, if it has one."
    )
    tier: Tier = Field(description="first-party (maintained here) or contrib (community).")
    category: str = Field(pattern=r"^[a-z][a-z0-9-]*$", description="What kind of service it connects.")
    api_maturity: Maturity = Field(description="The vendor API's maturity: existing, expanding or emerging.")
    description: str = Field(min_length=1, description="Its pyproject.toml description, verbatim.")
    min_core: str = Field(pattern=r"^\d+(\.\d+)*$", description="The oldest mcpea-core it supports.")

    @model_validator(mode="after")
    def _naming_chain(self) -> Entry:
        if self.name:
            expected = {"distribution": f"mcpea-plugin-{self.name}", "package": f"mcpea_plugin_{self.name}"}
            for key, value in expected.items():
                if getattr(self, key) != value:
                    raise ValueError(
                        f"{key} must be {value!r} (the naming chain), not {getattr(self, key)!r}"
                    )
        return self


class Registry(BaseModel):
    """The whole of ``registry.toml``; ``source`` is the file it came from."""

    model_config = ConfigDict(extra="forbid")

    plugins: dict[str, Entry] = Field(default_factory=dict)
    source: Path | None = Field(default=None, exclude=True)

    @property
    def root(self) -> Path | None:
        """The directory entries' ``path`` values are relative to."""
        return self.source.parent if self.source is not None else None

    def entries(self) -> list[Entry]:
        return sorted(self.plugins.values(), key=lambda e: (e.tier != "first-party", e.name))

    def get(self, name: str) -> Entry:
        """The entry for a plugin or distribution name; ``ConfigError`` suggesting close names."""
        wanted = name.strip().lower()
        for entry in self.plugins.values():
            if wanted in (entry.name, entry.distribution, entry.package):
                return entry
        import difflib

        close = difflib.get_close_matches(wanted, list(self.plugins), n=3)
        hint = (
            f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(sorted(self.plugins))}"
        )
        raise ConfigError(
            f"no plugin named {name!r} in the registry{hint}", path=str(self.source or REGISTRY_FILE)
        )


def find_registry(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``explicit``, else ``$MCPEA_REGISTRY``, else the checkout's ``registry.toml``, else a packaged copy."""
    chosen = explicit or os.environ.get("MCPEA_REGISTRY")
    if chosen:
        return Path(chosen)
    here = Path(__file__).resolve().parent
    for candidate in (here.parent.parent / REGISTRY_FILE, here / REGISTRY_FILE):
        if candidate.is_file():
            return candidate
    raise ConfigError(
        "no registry.toml found: not running from a checkout and none is packaged; pass --registry PATH "
        "or set MCPEA_REGISTRY"
    )


def load_registry(path: str | os.PathLike[str] | None = None) -> Registry:
    """Load and validate the registry; errors name the file, the key and the problem."""
    file = find_registry(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("file not found", path=str(file)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=str(file)) from None
    plugins = data.get("plugins")
    if isinstance(plugins, dict):
        for name, table in plugins.items():
            if not _NAME.fullmatch(name):
                raise ConfigError(
                    "a plugin name is lowercase letters and digits", path=str(file), key=f"plugins.{name}"
                )
            if isinstance(table, dict):
                if "name" in table:
                    raise ConfigError(
                        "remove it: the table's key is the plugin's name",
                        path=str(file),
                        key=f"plugins.{name}.name",
                    )
                table["name"] = name
    try:
        registry = Registry.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_input=False, include_url=False)[0]
        key = ".".join(str(part) for part in error["loc"])
        raise ConfigError(error["msg"], path=str(file), key=key) from None
    registry.source = file.resolve()
    return registry
