"""The mcpea command line, run as a user would run it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from _support import mcpea_command
from mcpea_core import __version__
from mcpea_core.cli import main

COMMANDS = [[], ["serve"], ["plugins"], ["tools"], ["call"], ["config"], ["config", "claude-desktop"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "mcpea")
def test_every_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage: " in result.output
    assert len(result.output.splitlines()) > 5


def test_version() -> None:
    out = subprocess.run([mcpea_command(), "--version"], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == f"mcpea {__version__}"


def test_tools_json_lists_schemas() -> None:
    result = CliRunner().invoke(main, ["tools", "--json"])
    assert result.exit_code == 0, result.output
    tools = {t["name"]: t for t in json.loads(result.output)}
    assert tools["example_echo_text"]["plugin"] == "example"
    assert tools["example_echo_text"]["annotations"]["readOnlyHint"] is True
    assert tools["example_echo_text"]["inputSchema"]["required"] == ["text"]


def test_tools_table() -> None:
    result = CliRunner().invoke(main, ["tools"])
    assert result.exit_code == 0
    assert "example_echo_text" in result.output and "read-only" in result.output


def test_call_prints_the_result() -> None:
    result = CliRunner().invoke(main, ["call", "example_echo_text", "--json", '{"text": "cli"}'])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["structuredContent"] == {"echoed": "Hello: cli", "length": 3}


def test_call_tool_error_exits_1() -> None:
    result = CliRunner().invoke(main, ["call", "example_echo_text", "--json", '{"text": 1}'])
    assert result.exit_code == 1
    assert "text: Input should be a valid string" in json.loads(result.output)["content"][0]["text"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [("{nope", "--json is not valid JSON"), ("[1, 2]", "--json must be a JSON object")],
)
def test_call_bad_json_exits_2(arguments: str, message: str) -> None:
    result = CliRunner().invoke(main, ["call", "example_echo_text", "--json", arguments])
    assert result.exit_code == 2
    assert message in result.output


def test_call_unknown_tool() -> None:
    result = CliRunner().invoke(main, ["call", "example_nope_tool"])
    assert result.exit_code == 1
    assert "Unknown tool: 'example_nope_tool'" in result.output


def test_bad_config_exits_2_naming_file_and_key(tmp_path: Path) -> None:
    config = tmp_path / "mcpea.toml"
    config.write_text("[server]\nport = -1\n")
    result = CliRunner().invoke(main, ["tools", "--config", str(config)])
    assert result.exit_code == 2
    assert str(config) in result.output and "server.port" in result.output


def test_config_claude_desktop(tmp_path: Path) -> None:
    config = tmp_path / "mcpea.toml"
    config.write_text("")
    result = CliRunner().invoke(main, ["config", "claude-desktop", "--config", str(config)])
    entry = json.loads(result.output)["mcpServers"]["mcpea"]
    assert Path(entry["command"]).name == "mcpea" and Path(entry["command"]).is_absolute()
    assert entry["args"] == ["serve", "--transport", "stdio"]
    assert entry["env"] == {"MCPEA_CONFIG": str(config)}
    # The printed command really launches this hub.
    out = subprocess.run([entry["command"], "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0


def test_serve_port_in_use_is_a_clear_error() -> None:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    port = sock.getsockname()[1]
    try:
        out = subprocess.run(
            [mcpea_command(), "serve", "--transport", "http", "--port", str(port)],
            capture_output=True, text=True, timeout=60,
        )
    finally:
        sock.close()
    assert out.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in out.stderr
