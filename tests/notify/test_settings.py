"""The [notify] section: channel names, routes, retry settings, and channel tables checked by their kind."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from mcpea_core.errors import ConfigError, PluginLoadError, RegistrationError
from mcpea_core.notify.channels import ChannelKind, ChannelKinds
from mcpea_core.notify.log_channel import LogChannel, LogSettings
from mcpea_core.notify.settings import NotifySettings, RetrySettings
from mcpea_core.notify.webhook import WebhookChannel, WebhookSettings


def test_defaults_configure_nothing() -> None:
    settings = NotifySettings()
    assert settings.channels == {} and settings.routes == [] and settings.channel_names == ()
    assert (settings.retry.max_attempts, settings.retry.base_backoff, settings.retry.max_backoff) == (
        5,
        5.0,
        300.0,
    )


@pytest.mark.parametrize("name", ["webhook:ops", "log:audit", "slack:#payments", "my-kind_2:a.b/c"])
def test_valid_channel_names(name: str) -> None:
    assert NotifySettings.model_validate({"channels": {name: {}}}).channel_names == (name,)


@pytest.mark.parametrize("name", ["ops", "Webhook:ops", "webhook:", ":ops", "webhook:has space", "9kind:x"])
def test_invalid_channel_names_are_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="must be <kind>:<name>"):
        NotifySettings.model_validate({"channels": {name: {}}})


def test_routes_take_one_or_many_and_default_to_every_tool_and_outcome() -> None:
    settings = NotifySettings.model_validate(
        {
            "channels": {"log:audit": {}},
            "routes": [
                {"channels": "log:audit"},
                {"tools": "stripe_*", "outcomes": "crash", "channels": ["log:audit"]},
            ],
        }
    )
    every, one = settings.routes
    assert every.tools == ["*"] and len(every.outcomes) == 6
    assert one.tools == ["stripe_*"] and one.outcomes == ["crash"]


def test_a_route_must_name_configured_channels() -> None:
    with pytest.raises(
        ValidationError, match=r"routes\[0\] names channel\(s\) not configured .*webhook:nope"
    ):
        NotifySettings.model_validate(
            {"channels": {"log:audit": {}}, "routes": [{"channels": ["webhook:nope"]}]}
        )


@pytest.mark.parametrize(
    "retry",
    [{"max_attempts": 0}, {"base_backoff": 0}, {"base_backoff": 10, "max_backoff": 1}, {"jitter": True}],
)
def test_bad_retry_settings(retry: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        RetrySettings.model_validate(retry)


def builtin_kinds() -> ChannelKinds:
    kinds = ChannelKinds()
    register = kinds.registrar("notify")
    register("webhook", WebhookChannel, settings=WebhookSettings)
    register("log", LogChannel, settings=LogSettings)
    return kinds


def test_channel_tables_are_validated_by_their_kind_with_secret_indirection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPS_SECRET", "from-the-environment-123")
    channels = builtin_kinds().build(
        {
            "webhook:ops": {
                "url": "https://ops.example.com/h",
                "secret": {"env": "OPS_SECRET"},
                "timeout": 5,
            },
            "log:audit": {"level": "warning"},
        },
        path="mcpea.toml",
        strict=True,
    )
    webhook = channels["webhook:ops"]
    assert isinstance(webhook, WebhookChannel)
    assert webhook.settings.secret.get_secret_value() == "from-the-environment-123"
    assert "from-the-environment" not in repr(webhook.settings)
    assert isinstance(channels["log:audit"], LogChannel)


def test_a_missing_secret_names_the_file_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPS_SECRET", raising=False)
    with pytest.raises(ConfigError) as caught:
        builtin_kinds().build(
            {"webhook:ops": {"url": "https://x.example", "secret": {"env": "OPS_SECRET"}}},
            path="mcpea.toml",
            strict=True,
        )
    assert caught.value.path == "mcpea.toml"
    assert caught.value.key == 'notify.channels."webhook:ops".secret'
    assert "OPS_SECRET" in str(caught.value)


def test_a_bad_channel_table_names_the_field() -> None:
    with pytest.raises(ConfigError) as caught:
        builtin_kinds().build({"webhook:ops": {"url": "ftp://x", "secret": "short"}}, path=None, strict=True)
    assert caught.value.key in ('notify.channels."webhook:ops".url', 'notify.channels."webhook:ops".secret')
    with pytest.raises(ConfigError, match="Extra inputs"):
        builtin_kinds().build({"log:audit": {"colour": "red"}}, path=None, strict=True)


def test_an_unknown_kind_is_fatal_when_strict_and_logged_otherwise(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(PluginLoadError, match="no loaded plugin provides the kind 'slack'"):
        builtin_kinds().build({"slack:#payments": {}}, path=None, strict=True)
    assert builtin_kinds().build({"slack:#payments": {}, "log:a": {}}, path=None, strict=False).keys() == {
        "log:a"
    }
    assert "stay pending" in caplog.text


def test_kinds_are_checked_when_registered() -> None:
    kinds = builtin_kinds()
    with pytest.raises(
        RegistrationError, match="'webhook' is registered by both plugin 'notify' and plugin 'other'"
    ):
        kinds.add(ChannelKind("webhook", WebhookChannel, WebhookSettings, "other"))
    with pytest.raises(RegistrationError, match="lowercase"):
        kinds.add(ChannelKind("Slack", WebhookChannel, WebhookSettings, "other"))
