"""Routes by tool glob and outcome, and the `notify` argument's model."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mcpea_core.notify.routing import Router, arguments_model, requested_channels
from mcpea_core.notify.settings import NotifySettings


def router() -> Router:
    settings = NotifySettings.model_validate(
        {
            "channels": {"webhook:ops": {}, "log:audit": {}, "webhook:finance": {}},
            "routes": [
                {"tools": ["stripe_*"], "outcomes": ["success", "tool_error"], "channels": ["webhook:ops"]},
                {"tools": ["stripe_create_refund"], "channels": ["webhook:finance", "webhook:ops"]},
                {"tools": ["*"], "outcomes": ["crash"], "channels": ["log:audit"]},
            ],
        }
    )
    return Router(settings.routes)


@pytest.mark.parametrize(
    ("tool", "outcome", "expected"),
    [
        ("stripe_get_balance", "success", ["webhook:ops"]),
        ("stripe_get_balance", "denied", []),
        ("stripe_create_refund", "denied", ["webhook:finance", "webhook:ops"]),
        ("stripe_create_refund", "success", ["webhook:ops", "webhook:finance"]),
        ("github_create_issue", "success", []),
        ("github_create_issue", "crash", ["log:audit"]),
        ("Stripe_get_balance", "success", []),  # globs are case-sensitive
    ],
)
def test_routes_match_tool_glob_and_outcome(tool: str, outcome: str, expected: list[str]) -> None:
    assert router().channels(tool, outcome) == expected  # type: ignore[arg-type]


def test_no_channels_no_argument() -> None:
    assert arguments_model([]) is None


def test_notify_takes_configured_names_only() -> None:
    model = arguments_model(["log:audit", "webhook:ops"])
    assert model is not None
    assert model.model_validate({}).notify is None  # type: ignore[attr-defined]
    assert model.model_validate({"notify": "webhook:ops"}).notify == ["webhook:ops"]  # type: ignore[attr-defined]
    both = model.model_validate({"notify": ["webhook:ops", "log:audit"]})
    assert requested_channels({"notify": both}, model) == ["webhook:ops", "log:audit"]
    for bad in ("https://evil.example/hook", ["webhook:ops", "webhook:evil"], [], 3):
        with pytest.raises(ValidationError):
            model.model_validate({"notify": bad})


def test_requested_channels_ignores_other_plugins_params() -> None:
    names = ["log:audit", "webhook:ops"]
    mine, other = arguments_model(names), arguments_model(names)
    assert mine is not None and other is not None
    assert requested_channels({"someone": other.model_validate({"notify": "log:audit"})}, mine) == []
    twice = mine.model_validate({"notify": ["log:audit", "log:audit"]})
    assert requested_channels({"notify": twice}, mine) == ["log:audit"]
