"""What a plugin's own ``pyproject.toml`` says: name, version, description, entry point, core requirement."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import PluginError
from ..plugins import ENTRY_POINT_GROUP
from .model import Entry, Registry

__all__ = ["PluginProject", "check_registry", "project_of", "read_project", "source_directories"]

_VERSION = re.compile(r"""^__version__\s*=\s*["']([^"']+)["']""", re.M)
_CORE_MIN = re.compile(r"^mcpea[-_.]core\s*(?:\[[^\]]*\])?\s*(?P<spec>[^;]*)", re.I)
SOURCE_FOLDERS = ("plugins", "contrib")


@dataclass(frozen=True)
class PluginProject:
    """The parts of a plugin's ``pyproject.toml`` the registry must agree with."""

    directory: Path
    name: str
    version: str | None
    description: str
    core_requirement: str | None
    entry_points: dict[str, str] = field(default_factory=dict)

    @property
    def min_core(self) -> str | None:
        """The lower bound of its ``mcpea-core>=X`` requirement."""
        if self.core_requirement is None:
            return None
        match = re.search(r">=\s*([0-9][0-9.]*)", self.core_requirement)
        return match.group(1) if match else None


def read_project(directory: Path) -> PluginProject:
    """Read ``directory/pyproject.toml`` (a dynamic version from hatch's version file)."""
    file = directory / "pyproject.toml"
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PluginError(f"{directory}: no pyproject.toml (is this a plugin source directory?)") from None
    except tomllib.TOMLDecodeError as exc:
        raise PluginError(f"{file}: not valid TOML: {exc}") from None
    project: dict[str, Any] = data.get("project", {})
    return PluginProject(
        directory=directory,
        name=str(project.get("name", "")),
        version=_version(directory, project, data.get("tool", {})),
        description=str(project.get("description", "")),
        core_requirement=next(
            (
                m.group("spec").strip()
                for dep in project.get("dependencies", [])
                if (m := _CORE_MIN.match(dep))
            ),
            None,
        ),
        entry_points=dict(project.get("entry-points", {}).get(ENTRY_POINT_GROUP, {})),
    )


def _version(directory: Path, project: dict[str, Any], tool: dict[str, Any]) -> str | None:
    if "version" in project:
        return str(project["version"])
    path = tool.get("hatch", {}).get("version", {}).get("path")
    if "version" in project.get("dynamic", []) and path and (directory / path).is_file():
        match = _VERSION.search((directory / path).read_text(encoding="utf-8"))
        return match.group(1) if match else None
    return None


def source_directories(root: Path) -> list[Path]:
    """Every plugin source directory in the repository: ``plugins/*``, ``contrib/*`` with pyproject.toml."""
    return sorted(p.parent for folder in SOURCE_FOLDERS for p in (root / folder).glob("*/pyproject.toml"))


def project_of(entry: Entry, root: Path | None) -> PluginProject | None:
    """The entry's project, when it has a source directory with a pyproject.toml here."""
    if root is None or entry.path is None or not (root / entry.path / "pyproject.toml").is_file():
        return None
    return read_project(root / entry.path)


def check_registry(registry: Registry) -> list[str]:
    """Every disagreement between ``registry.toml`` and the plugins' own ``pyproject.toml`` files.

    Each problem names the entry, the field and both values, so the fix is
    obvious; an empty list means the registry is current.
    """
    root = registry.root
    problems: list[str] = []
    for entry in registry.entries():
        where = f"registry.toml [plugins.{entry.name}]"
        if entry.path is not None:
            folder = "plugins/" if entry.tier == "first-party" else "contrib/"
            if not entry.path.startswith(folder):
                problems.append(
                    f"{where} path: a {entry.tier} plugin lives under {folder}, not {entry.path!r}"
                )
            if root is not None and not (root / entry.path / "pyproject.toml").is_file():
                problems.append(f"{where} path: {entry.path}/pyproject.toml does not exist")
        project = project_of(entry, root)
        if project is not None:
            problems += _disagreements(where, entry, project)
    if root is not None:
        listed = {entry.path for entry in registry.plugins.values()}
        for directory in source_directories(root):
            relative = directory.relative_to(root).as_posix()
            if relative not in listed:
                problems.append(
                    f"{relative} has no entry in registry.toml: add [plugins.<name>] with path = {relative!r}"
                )
    return problems


def _disagreements(where: str, entry: Entry, project: PluginProject) -> list[str]:
    source = f"{entry.path}/pyproject.toml"
    problems: list[str] = []
    if project.name != entry.distribution:
        problems.append(f"{where} distribution is {entry.distribution!r} but {source} names {project.name!r}")
    if project.description != entry.description:
        problems.append(f"{where} description differs from {source}'s: copy {project.description!r}")
    if project.entry_points.get(entry.name) != entry.package:
        problems.append(
            f"{where}: {source} must declare [project.entry-points.mcpea] {entry.name} = {entry.package!r} "
            f"(it has {project.entry_points or 'none'})"
        )
    if project.version is None:
        problems.append(
            f"{where}: {source} has no version (static, or dynamic through [tool.hatch.version] path)"
        )
    if project.min_core != entry.min_core:
        problems.append(
            f"{where} min_core is {entry.min_core!r} but {source} requires "
            f"{'mcpea-core' + project.core_requirement if project.core_requirement else 'no mcpea-core'}: "
            f'make them agree (dependencies = ["mcpea-core>={entry.min_core}", ...])'
        )
    return problems
