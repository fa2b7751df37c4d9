"""``[plugins.stripe]`` in mcpea.toml.

::

    [plugins.stripe]
    api_key = { env = "STRIPE_API_KEY" }   # sk_test_... or a restricted rk_test_... key
    # api_base = "http://127.0.0.1:12111"  # a proxy or a test double
    # allow_live = true                    # needed for sk_live_ / rk_live_ keys
    # max_network_retries = 2

A live-mode key without ``allow_live = true`` stops the hub at start-up; the
error names the setting, never the key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, ValidationInfo, field_validator

if TYPE_CHECKING:
    from .state import State

__all__ = ["LIVE_KEY_REFUSED", "Settings", "is_live_key"]

LIVE_KEY_REFUSED = (
    "api_key is a live-mode Stripe key (sk_live_/rk_live_): it moves real money, so it is refused "
    "unless allow_live = true is set in [plugins.stripe]"
)


def is_live_key(key: str) -> bool:
    return key.startswith(("sk_live_", "rk_live_"))


class Settings(BaseModel):
    """Settings of the Stripe connector."""

    model_config = ConfigDict(extra="forbid")

    api_key: SecretStr = Field(
        description="Stripe secret key (sk_test_...) or restricted key (rk_test_...); write it as "
        '{ env = "STRIPE_API_KEY" } or { file = "/run/secrets/stripe" }.'
    )
    api_base: str | None = Field(
        default=None,
        pattern=r"^https?://\S+$",
        description="Base URL of the Stripe API, for a proxy or a test double; default Stripe's own.",
    )
    allow_live: bool = Field(
        default=False,
        validate_default=True,
        description="Accept a live-mode key (sk_live_/rk_live_). Off by default: test mode only.",
    )
    max_network_retries: int = Field(
        default=2,
        ge=0,
        le=5,
        description="Retries the Stripe SDK makes itself on connection errors, 409 and 5xx. Safe for "
        "writes: every POST carries the call's idempotency key.",
    )
    timeout: float = Field(default=30.0, gt=0, le=300, description="Seconds to wait for one HTTP request.")

    _state: State | None = PrivateAttr(default=None)

    @field_validator("api_key")
    @classmethod
    def _secret_not_publishable(cls, key: SecretStr) -> SecretStr:
        if key.get_secret_value().startswith("pk_"):
            raise ValueError(
                "api_key is a publishable key (pk_...), which cannot call Stripe's API: give a secret "
                "(sk_test_...) or restricted (rk_test_...) key"
            )
        return key

    @field_validator("allow_live")
    @classmethod
    def _refuse_live_keys(cls, allow_live: bool, info: ValidationInfo) -> bool:
        key: Any = info.data.get("api_key")
        if isinstance(key, SecretStr) and is_live_key(key.get_secret_value()) and not allow_live:
            raise ValueError(LIVE_KEY_REFUSED)
        return allow_live

    @property
    def state(self) -> State:
        """What the connector keeps per hub: the SDK client and the receipts."""
        if self._state is None:
            from .state import State

            self._state = State(self)
        return self._state
