"""The hub remembers its plugins' secret settings and scrubs them from what leaves it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import BaseModel, SecretStr

from mcpea_core import Hub, HubConfig
from mcpea_core.pipeline import error_result
from mcpea_core.secrets import MASK, forget_all, remember, remember_settings, scrub


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    forget_all()
    yield
    forget_all()


def test_scrub_replaces_remembered_values_longest_first() -> None:
    remember("hunter2-long-secret")
    remember("hunter2")
    assert scrub("key=hunter2-long-secret, short=hunter2") == f"key={MASK}, short={MASK}"


def test_short_values_are_not_remembered() -> None:
    remember("abc")
    assert scrub("abc def") == "abc def"


def test_nested_secret_settings_are_remembered() -> None:
    class Inner(BaseModel):
        token: SecretStr

    class Outer(BaseModel):
        name: str
        inner: Inner
        keys: list[SecretStr]

    remember_settings(Outer(name="visible-name", inner=Inner(token="inner-token-1"), keys=["list-key-22"]))
    assert scrub("visible-name inner-token-1 list-key-22") == f"visible-name {MASK} {MASK}"


def test_loading_a_hub_remembers_plugin_secrets_and_error_results_scrub_them() -> None:
    config = HubConfig.model_validate({"plugins": {"example": {"api_key": "plainish-vendor-key-77"}}})
    Hub(config).load()
    result = error_result("vendor said: key plainish-vendor-key-77 is revoked; sk_test_abcdefghijklmnop12")
    text = result.content[0].text  # type: ignore[union-attr]
    assert "plainish-vendor-key-77" not in text and "sk_test_abcdefghijklmnop12" not in text
    assert MASK in text and result.is_error
