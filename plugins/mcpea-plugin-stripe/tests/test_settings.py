"""[plugins.stripe]: validation, live keys refused unless allowed, never echoed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from mcpea_plugin_stripe.settings import Settings
from pydantic import SecretStr

from mcpea_core import ConfigError, Hub, HubConfig

pytestmark = pytest.mark.anyio

LIVE = "sk_live_51Hx9ZZ0000secretsecret"


def load(**settings: Any) -> Hub:
    return Hub(HubConfig.model_validate({"plugins": {"stripe": settings}})).load()


@pytest.mark.parametrize("key", [LIVE, "rk_live_51Hx9ZZ0000restricted"])
def test_a_live_key_stops_start_up_without_echoing_it(key: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(api_key=key)
    message = str(info.value)
    assert info.value.key == "plugins.stripe.allow_live"
    assert "live-mode" in message and "allow_live = true" in message
    assert key not in message and key[8:] not in message


def test_a_live_key_is_accepted_when_allowed() -> None:
    hub = load(api_key=LIVE, allow_live=True)
    settings = hub.settings["stripe"]
    assert isinstance(settings, Settings) and settings.allow_live
    assert LIVE not in repr(settings) and LIVE not in str(settings.model_dump())


def test_a_live_key_from_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_KEY_FOR_TEST", LIVE)
    with pytest.raises(ConfigError) as info:
        load(api_key={"env": "STRIPE_KEY_FOR_TEST"})
    assert LIVE not in str(info.value)


async def test_a_live_key_that_skipped_validation_is_refused_at_call_time(
    make_hub: Callable[..., Hub], call: Any
) -> None:
    hub = make_hub()
    hub.settings["stripe"] = Settings.model_construct(
        api_key=SecretStr(LIVE), api_base=None, allow_live=False, max_network_retries=0, timeout=5.0
    )
    _, outcome = await call(hub, "stripe_get_balance", {})
    assert outcome.outcome == "tool_error"
    text = outcome.result.content[0].text
    assert "live-mode" in text and LIVE not in text


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({}, "plugins.stripe.api_key"),
        ({"api_key": "sk_test_x", "max_network_retries": 9}, "plugins.stripe.max_network_retries"),
        ({"api_key": "sk_test_x", "api_base": "ftp://example"}, "plugins.stripe.api_base"),
        ({"api_key": "sk_test_x", "apikey": "typo"}, "plugins.stripe.apikey"),
        ({"api_key": "pk_test_publishable"}, "plugins.stripe.api_key"),
    ],
)
def test_bad_settings_name_the_key(settings: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(**settings)
    assert info.value.key == key


def test_defaults() -> None:
    settings = Settings.model_validate({"api_key": "sk_test_x"})
    assert (settings.api_base, settings.allow_live, settings.max_network_retries) == (None, False, 2)


async def test_the_sdk_client_gets_the_settings(make_hub: Callable[..., Hub]) -> None:
    hub = make_hub(api_base="http://127.0.0.1:9", max_network_retries=3)
    settings = hub.settings["stripe"]
    assert isinstance(settings, Settings)
    client = settings.state.connection.client()
    options = client._requestor._options  # the SDK keeps them here
    assert options.max_network_retries == 3
    assert options.base_addresses["api"] == "http://127.0.0.1:9"
    assert type(client._requestor._client).__name__ == "HTTPXClient"
    assert settings.state.connection.client() is client  # one client per hub and event loop
    await hub.start()
    await hub.stop()
