"""Choosing the store: URLs, the [audit] settings, MCPEA_AUDIT_STORE and the default location."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpea_core.audit import AuditSettings, audit_plugin, store_from_url
from mcpea_core.audit.jsonl import JsonlStore
from mcpea_core.audit.postgres import PostgresStore
from mcpea_core.audit.sqlite import SQLiteStore
from mcpea_core.audit.store import default_store_url
from mcpea_core.errors import ConfigError


def test_urls_name_their_store() -> None:
    sqlite = store_from_url("sqlite:///var/lib/mcpea/audit.db?synchronous=full")
    assert isinstance(sqlite, SQLiteStore)
    assert (sqlite.path, sqlite.synchronous) == (Path("/var/lib/mcpea/audit.db"), "FULL")
    relative = store_from_url("sqlite:audit.db")
    assert isinstance(relative, SQLiteStore) and relative.path == Path("audit.db")
    jsonl = store_from_url("jsonl:///var/log/mcpea/audit.jsonl")
    assert isinstance(jsonl, JsonlStore) and jsonl.path == Path("/var/log/mcpea/audit.jsonl")
    for url in ("postgresql://u@h/db", "postgres://u@h/db"):
        assert isinstance(store_from_url(url), PostgresStore)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mysql://u:pw@h/db", "unknown audit store URL 'h/db'"),
        ("sqlite://relative/x.db", "absolute path"),
        ("sqlite:", "no path"),
        ("sqlite:///x.db?synchronous=OFF", "synchronous must be one of"),
        ("sqlite:///x.db?journal=delete", "unknown sqlite audit store option"),
        ("jsonl:///x.jsonl?fsync=no", "takes no options"),
    ],
)
def test_bad_urls_are_config_errors_without_secrets(url: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem) as info:
        store_from_url(url)
    assert "pw" not in str(info.value)


def test_the_default_store_is_sqlite_in_the_user_state_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("MCPEA_AUDIT_STORE")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_store_url() == f"sqlite://{tmp_path / 'mcpea' / 'audit.sqlite3'}"
    plugin = audit_plugin()
    assert plugin is not None and isinstance(plugin.store, SQLiteStore)
    assert plugin.store.path == tmp_path / "mcpea" / "audit.sqlite3"
    assert plugin.on_failure == "deny"


def test_settings_and_the_environment_choose_the_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MCPEA_AUDIT_STORE")
    settings = AuditSettings(store="jsonl:///tmp/a.jsonl", on_failure="allow", timeout=2)
    plugin = audit_plugin(settings)
    assert plugin is not None and isinstance(plugin.store, JsonlStore)
    assert (plugin.on_failure, plugin.timeout) == ("allow", 2)
    monkeypatch.setenv("MCPEA_AUDIT_STORE", "sqlite:///tmp/b.db")
    plugin = audit_plugin(settings)
    assert plugin is not None and isinstance(plugin.store, SQLiteStore)
    monkeypatch.setenv("MCPEA_AUDIT_STORE", "off")
    assert audit_plugin(settings) is None


def test_settings_refuse_unknown_keys() -> None:
    with pytest.raises(ValueError, match="extra"):
        AuditSettings.model_validate({"store": "sqlite:x", "fail_open": True})
