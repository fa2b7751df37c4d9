"""The [policy] section: parsing, validation, and defaults that change nothing."""

from __future__ import annotations

import tomllib

import pytest
from pydantic import ValidationError

from policy.support import policy_hub
from mcpea_core.policy import PolicySettings

pytestmark = pytest.mark.anyio

TOML = """
[policy]
read_only = true
allow = ["stripe_get_*", "github_*"]
deny = ["github_delete_*"]
confirm_destructive = true
confirm = ["github_merge_*"]
no_confirm = ["github_close_*"]
unconfirmed = "allow"

[[policy.rate_limits]]
tools = "stripe_create_*"
principal = "*"
per = "minute"
limit = 10

[[policy.rate_limits]]
tools = ["github_*", "stripe_*"]
principal = "svc:*"
per = "day"
limit = 1000
"""


def test_section_parses_from_toml() -> None:
    settings = PolicySettings.model_validate(tomllib.loads(TOML)["policy"])
    assert settings.read_only and settings.unconfirmed == "allow"
    assert settings.deny == ["github_delete_*"]
    first, second = settings.rate_limits
    assert first.tools == ["stripe_create_*"] and first.window == 60 and first.limit == 10
    assert second.principal == "svc:*" and second.window == 86400


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"rate_limits": [{"tools": "x_*", "per": "week", "limit": 1}]}, "per"),
        ({"rate_limits": [{"tools": "x_*", "limit": 0}]}, "limit"),
        ({"rate_limits": [{"tools": [], "limit": 1}]}, "tools"),
        ({"unconfirmed": "ask"}, "unconfirmed"),
        ({"allow": [""]}, "allow"),
        ({"read_onyl": True}, "read_onyl"),
    ],
)
def test_bad_settings_name_the_field(raw: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        PolicySettings.model_validate(raw)
    assert field in str(info.value)


async def test_defaults_change_nothing() -> None:
    hub = policy_hub()
    async with hub:
        assert [t.name for t in hub.visible_tools()] == list(hub.tools)
        for _ in range(3):
            result = await hub.call_tool("example_fail_tool", {"message": "ran"})
            assert result.content[0].text == "ran"  # type: ignore[union-attr]
