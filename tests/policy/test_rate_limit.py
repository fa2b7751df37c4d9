"""Rate limits: per principal and tool, a retry time on refusal, an injected clock instead of sleeps."""

from __future__ import annotations

import pytest

from policy.support import FakeClock, Outermost, policy_hub, text
from mcpea_core import Hub, PolicyDenied, Principal

pytestmark = pytest.mark.anyio

ALICE = Principal(id="alice", kind="user")
BOB = Principal(id="bob", kind="user")


def limited(clock: FakeClock, *extra: tuple[str, object], limit: int = 2, **rule: object) -> Hub:
    return policy_hub(
        *extra, clock=clock, rate_limits=[{"tools": "example_echo_*", "per": "minute", "limit": limit, **rule}]
    )


async def echo(hub: Hub, who: Principal = ALICE) -> str | None:
    """Call example_echo_text; the refusal text, or None when it ran."""
    result = await hub.call_tool("example_echo_text", {"text": "x"}, principal=who)
    return text(result) if result.is_error else None


async def test_the_call_past_the_limit_is_refused_with_a_retry_time() -> None:
    clock, outer = FakeClock(), Outermost()
    async with limited(clock, ("outer", outer)) as hub:
        assert await echo(hub) is None
        clock.now += 15
        assert await echo(hub) is None
        clock.now += 1
        refused = await echo(hub)
    assert refused == (
        "Tool 'example_echo_text' is refused by policy 'rate_limit': principal 'alice' may call it at most "
        "2 times per minute (policy.rate_limits[0]). Retry in 44 s, "
        "or raise policy.rate_limits[0].limit to permit more calls."
    )
    denial = outer.seen[-1]
    assert denial.outcome == "denied"
    assert isinstance(denial.error, PolicyDenied) and denial.error.policy == "rate_limit"
    assert denial.error.retry_after == 44


async def test_the_window_slides() -> None:
    clock = FakeClock()
    async with limited(clock) as hub:
        assert await echo(hub) is None
        clock.now += 30
        assert await echo(hub) is None
        clock.now += 29.95
        assert await echo(hub) is not None
        clock.now += 0.05  # the first call leaves the window
        assert await echo(hub) is None
        assert await echo(hub) is not None
        clock.now += 30  # the second one leaves it
        assert await echo(hub) is None


async def test_refused_calls_do_not_count() -> None:
    clock = FakeClock()
    async with limited(clock, limit=1) as hub:
        assert await echo(hub) is None
        for _ in range(5):
            clock.now += 10
            assert await echo(hub) is not None
        clock.now += 10
        assert await echo(hub) is None


async def test_principals_and_tools_have_their_own_windows() -> None:
    clock = FakeClock()
    async with limited(clock, limit=1, tools="example_*") as hub:
        assert await echo(hub, ALICE) is None
        assert await echo(hub, ALICE) is not None
        assert await echo(hub, BOB) is None
        other = await hub.call_tool("example_report_progress", {}, principal=ALICE)
        unmatched = await hub.call_tool("example_block_sleep", {"seconds": 0}, principal=ALICE)
        assert not other.is_error and not unmatched.is_error
        assert (await hub.call_tool("example_block_sleep", {"seconds": 0}, principal=ALICE)).is_error


async def test_principal_glob_and_the_strictest_rule() -> None:
    clock = FakeClock()
    hub = policy_hub(
        clock=clock,
        rate_limits=[
            {"tools": "example_echo_*", "principal": "svc:*", "per": "second", "limit": 1},
            {"tools": "example_*", "per": "hour", "limit": 3},
        ],
    )
    robot = Principal(id="svc:robot", kind="service")
    async with hub:
        assert await echo(hub, robot) is None
        refused = await echo(hub, robot)
        assert refused is not None and "at most once per second (policy.rate_limits[0])" in refused
        clock.now += 1
        assert await echo(hub, robot) is None
        assert await echo(hub, ALICE) is None  # rule 0 does not apply to alice
        clock.now += 1
        assert await echo(hub, robot) is None  # robot's third call: rule 1 is now full for robot
        clock.now += 1
        refused = await echo(hub, robot)
        assert refused is not None and "3 times per hour (policy.rate_limits[1]). Retry in 3597 s" in refused


async def test_limits_apply_to_mcp_clients() -> None:
    clock = FakeClock()
    async with limited(clock, limit=1).client() as client:
        first = await client.call_tool("example_echo_text", {"text": "x"})
        second = await client.call_tool("example_echo_text", {"text": "x"})
    assert not first.is_error
    assert second.is_error and "policy 'rate_limit'" in text(second) and "Retry in 60 s" in text(second)


def test_idle_windows_are_forgotten() -> None:
    clock = FakeClock()
    from mcpea_core.policy import RateLimitRule
    from mcpea_core.policy.rate_limit import RateLimiter

    limiter = RateLimiter([RateLimitRule(tools=["t_*"], per="second", limit=1)], clock=clock)
    for n in range(1024):
        assert limiter.admit("t_x", f"user{n}") is None
    clock.now += 2
    assert limiter.admit("t_x", "latecomer") is None
    assert len(limiter._windows) == 1
