"""The plugin registry: ``registry.toml``, the generated ``docs/directory.md`` and ``mcpea install``.

``registry.toml`` lists every known plugin with what the packages cannot
say themselves (tier, category, the vendor API's maturity); everything
else (name, version, description) comes from each plugin's own
``pyproject.toml``, and :func:`check_registry` reports where the two
disagree. ``python -m mcpea_core.registry`` regenerates the directory.
"""

from .directory import DIRECTORY_FILE, HEADER, directory_path, render_directory
from .install import install_command
from .model import REGISTRY_FILE, Entry, Registry, find_registry, load_registry
from .projects import PluginProject, check_registry, read_project
from .views import details, entries_table, search

__all__ = [
    "DIRECTORY_FILE",
    "HEADER",
    "REGISTRY_FILE",
    "Entry",
    "PluginProject",
    "Registry",
    "check_registry",
    "details",
    "directory_path",
    "entries_table",
    "find_registry",
    "install_command",
    "load_registry",
    "read_project",
    "render_directory",
    "search",
]
