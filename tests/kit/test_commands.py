"""The plugin-kit commands are documented and cost `mcpea --help` nothing."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from mcpea_core.cli import main

COMMANDS = [
    ["new"],
    ["new", "plugin"],
    ["validate"],
    ["registry"],
    ["registry", "list"],
    ["registry", "search"],
    ["registry", "show"],
    ["registry", "render-directory"],
    ["install"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_kit_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output and len(result.output.splitlines()) > 5


def test_the_cli_imports_no_kit_module_until_a_command_runs() -> None:
    code = (
        "import json, sys\n"
        "import mcpea_core.cli\n"
        "kit = ('mcpea_core.scaffold', 'mcpea_core.validate', 'mcpea_core.registry', 'mcpea_core.testing',"
        " 'jsonschema')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(kit))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
