"""``mcpea new plugin NAME``: a complete, installable plugin package from the template shipped here.

The template (``template/*.tmpl``) holds a pyproject.toml wired to the
``mcpea`` entry-point group, a package with one example tool and a
settings model, tests built on :class:`mcpea_core.testing.ConnectorStandardTests`,
a README and ``py.typed``. Placeholders are ``{{name}}``, ``{{package}}``,
``{{title}}``, ``{{class_name}}``, ``{{env_prefix}}`` and ``{{core_version}}``.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from .._version import __version__
from ..errors import McpeaError

__all__ = ["FILES", "ScaffoldError", "check_name", "create_plugin", "render"]

_NAME = re.compile(r"^[a-z][a-z0-9]{0,31}$")
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")

# destination (relative to the new directory, itself formatted) -> template file
FILES = {
    "pyproject.toml": "pyproject.toml.tmpl",
    "README.md": "README.md.tmpl",
    "{package}/__init__.py": "plugin.py.tmpl",
    "{package}/py.typed": None,
    "tests/test_{name}.py": "test_plugin.py.tmpl",
}


class ScaffoldError(McpeaError):
    """The plugin cannot be created: a bad name, or the directory exists."""


def check_name(name: str) -> str:
    """The plugin's name, checked: lowercase letters and digits, starting with a letter, at most 32."""
    if not _NAME.fullmatch(name):
        hint = re.sub(r"[^a-z0-9]", "", name.lower())
        suggestion = f" (such as {hint!r})" if hint and _NAME.fullmatch(hint) else ""
        raise ScaffoldError(
            f"plugin name {name!r}: use lowercase letters and digits, starting with a letter, at most 32 "
            f"characters{suggestion}; it becomes mcpea-plugin-<name>, mcpea_plugin_<name> and "
            "<name>_<verb>_<noun>"
        )
    return name


def render(template: str, values: dict[str, str]) -> str:
    """Fill ``{{key}}`` placeholders; an unknown placeholder is a bug in the template, so it raises."""

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"template placeholder {{{{{key}}}}} has no value")
        return values[key]

    return _PLACEHOLDER.sub(fill, template)


def create_plugin(name: str, parent: Path) -> Path:
    """Create ``parent/mcpea-plugin-<name>/`` and return it; refuses an existing directory."""
    check_name(name)
    target = parent / f"mcpea-plugin-{name}"
    if target.exists():
        raise ScaffoldError(f"{target} already exists: choose another name or --dir, or remove it first")
    if not parent.is_dir():
        raise ScaffoldError(f"{parent} is not a directory")
    values = {
        "name": name,
        "package": f"mcpea_plugin_{name}",
        "title": name.capitalize(),
        "class_name": name.capitalize(),
        "env_prefix": name.upper(),
        "core_version": __version__,
    }
    templates = resources.files(__name__).joinpath("template")
    for destination, template in FILES.items():
        path = target / destination.format(**values)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = render(templates.joinpath(template).read_text(encoding="utf-8"), values) if template else ""
        path.write_text(text, encoding="utf-8")
    return target
