"""mcpea.toml: validation errors name the file, the key and the problem; secrets stay secret."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mcpea_core import ConfigError, Hub, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mcpea.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_file() -> None:
    config = load_config()
    assert config.server.transport == "stdio" and config.server.port == 8765
    assert config.hub.plugins is None


def test_file_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, '[server]\ntransport = "http"\nport = 9000\n[hub]\nplugins = ["example"]\n')
    monkeypatch.setenv("MCPEA_CONFIG", str(path))
    config = load_config()
    assert (config.server.transport, config.server.port, config.hub.plugins) == ("http", 9000, ["example"])
    assert config.source == str(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found") as info:
        load_config(tmp_path / "nope.toml")
    assert str(tmp_path / "nope.toml") in str(info.value)


def test_bad_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[server\nport = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML") as info:
        load_config(path)
    assert str(path) in str(info.value)


def test_bad_value_names_key_and_problem(tmp_path: Path) -> None:
    path = write(tmp_path, '[server]\nport = "eighty"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.key == "server.port"
    assert str(path) in str(info.value) and "valid integer" in str(info.value)


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "[server]\nprot = 80\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.key == "server.prot" and "Extra inputs are not permitted" in str(info.value)


def test_plugin_settings_validate_against_the_plugin_model(tmp_path: Path) -> None:
    path = write(tmp_path, '[plugins.example]\ngreeting = ["not", "a", "string"]\n')
    with pytest.raises(ConfigError) as info:
        Hub(path).load()
    assert info.value.key == "plugins.example.greeting"
    assert str(path) in str(info.value)


def test_settings_for_a_plugin_without_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_dist: Callable[..., Path]
) -> None:
    make_dist("plain", "from mcpea_core import hookimpl\n")
    monkeypatch.setenv("MCPEA_LOAD_PLUGINS", "plain")
    path = write(tmp_path, "[plugins.plain]\nx = 1\n")
    with pytest.raises(ConfigError, match="takes no settings") as info:
        Hub(path).load()
    assert info.value.key == "plugins.plain"


def test_secret_from_env_missing_names_variable_not_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXAMPLE_API_KEY", raising=False)
    path = write(tmp_path, '[plugins.example]\napi_key = { env = "EXAMPLE_API_KEY" }\n')
    with pytest.raises(ConfigError) as info:
        Hub(path).load()
    assert info.value.key == "plugins.example.api_key"
    assert "EXAMPLE_API_KEY" in str(info.value) and "is not set" in str(info.value)


def test_secret_from_file(tmp_path: Path) -> None:
    secret = tmp_path / "key"
    secret.write_text("sk_test_canary123\n")
    path = write(tmp_path, f'[plugins.example]\napi_key = {{ file = "{secret}" }}\n')
    hub = Hub(path).load()
    api_key = hub.settings["example"].api_key  # type: ignore[union-attr]
    assert api_key.get_secret_value() == "sk_test_canary123"
    assert "sk_test_canary123" not in repr(hub.settings["example"])


def test_invalid_secret_value_is_not_echoed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREETING", "x")
    path = write(tmp_path, '[plugins.example]\ngreeting = { env = "GREETING" }\napi_key = 12345\n')
    with pytest.raises(ConfigError) as info:
        Hub(path).load()
    assert "12345" not in str(info.value) and info.value.key == "plugins.example.api_key"


def test_unconfigured_plugin_with_required_settings_is_left_out(
    monkeypatch: pytest.MonkeyPatch, make_dist: Callable[..., Path]
) -> None:
    make_dist(
        "needy",
        '''
        from pydantic import BaseModel, SecretStr
        from mcpea_core import hookimpl

        class Settings(BaseModel):
            token: SecretStr

        @hookimpl
        def settings_model():
            return Settings

        def needy_get_thing() -> str:
            """Return a thing that needs the token."""
            return "x"

        @hookimpl
        def register_tools(register):
            register(needy_get_thing)
        ''',
    )
    monkeypatch.setenv("MCPEA_LOAD_PLUGINS", "needy,example")
    hub = Hub().load()
    info = {i.name: i for i in hub.plugins()}["needy"]
    assert info.status == "failed"
    assert "not configured" in (info.error or "") and "plugins.needy.token" in (info.error or "")
    assert "needy_get_thing" not in hub.tools and "example_echo_text" in hub.tools
    with pytest.raises(ConfigError, match="plugins.needy.token"):
        Hub(strict=True).load()


def test_settings_for_a_plugin_that_is_not_installed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write(tmp_path, "[plugins.strpie]\napi_key = 'x'\n")
    Hub(path).load()
    assert "no installed plugin is called 'strpie'" in caplog.text
    with pytest.raises(ConfigError, match="no installed plugin is called 'strpie'") as info:
        Hub(path, strict=True).load()
    assert info.value.key == "plugins.strpie"
