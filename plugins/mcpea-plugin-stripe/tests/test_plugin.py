"""The plugin as the hub sees it: entry point, lazy SDK import, tools, schemas, annotations, README."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from mcpea_plugin_stripe import readme

from mcpea_core import Hub, HubConfig

TOOLS = {
    # name: (read_only, destructive, idempotent)
    "stripe_create_customer": (False, False, False),
    "stripe_get_customer": (True, False, True),
    "stripe_list_customers": (True, False, True),
    "stripe_update_customer": (False, True, True),
    "stripe_create_payment_intent": (False, False, False),
    "stripe_confirm_payment_intent": (False, True, False),
    "stripe_cancel_payment_intent": (False, True, True),
    "stripe_get_payment_intent": (True, False, True),
    "stripe_list_payment_intents": (True, False, True),
    "stripe_create_refund": (False, True, False),
    "stripe_list_refunds": (True, False, True),
    "stripe_create_invoice": (False, False, False),
    "stripe_finalize_invoice": (False, True, True),
    "stripe_list_invoices": (True, False, True),
    "stripe_list_products": (True, False, True),
    "stripe_create_price": (False, False, False),
    "stripe_list_subscriptions": (True, False, True),
    "stripe_cancel_subscription": (False, True, True),
    "stripe_get_balance": (True, False, True),
}


def load() -> Hub:
    return Hub(HubConfig.model_validate({"plugins": {"stripe": {"api_key": "sk_test_x"}}})).load()


def test_entry_point() -> None:
    (ep,) = [ep for ep in metadata.entry_points(group="mcpea") if ep.name == "stripe"]
    assert ep.value == "mcpea_plugin_stripe"
    assert ep.dist is not None and ep.dist.name == "mcpea-plugin-stripe"
    files = [str(f) for f in ep.dist.files or []]
    assert any(f.endswith("py.typed") for f in files) or (Path(readme.__file__).parent / "py.typed").exists()


def test_loading_the_plugin_does_not_import_stripe() -> None:
    code = (
        "import sys, time\n"
        "from mcpea_core import Hub, HubConfig\n"
        "hub = Hub(HubConfig.model_validate({'plugins': {'stripe': {'api_key': 'sk_test_x'}}})).load()\n"
        "assert len(hub.tools) == 19, sorted(hub.tools)\n"
        "print(sorted(m for m in sys.modules if m == 'stripe' or m.startswith('stripe.')))\n"
    )
    env = {"MCPEA_LOAD_PLUGINS": "stripe", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_every_tool_is_registered_with_its_annotations() -> None:
    hub = load()
    assert {name: t.plugin for name, t in hub.tools.items()} == dict.fromkeys(TOOLS, "stripe")
    for name, (read_only, destructive, idempotent) in TOOLS.items():
        hints = hub.tools[name].annotations
        assert (hints.read_only, hints.destructive, hints.idempotent, hints.open_world) == (
            read_only,
            destructive,
            idempotent,
            True,
        ), name


def test_every_argument_is_described_and_every_tool_too() -> None:
    hub = load()
    for name, tool in hub.tools.items():
        assert len(tool.description) > 40, name
        assert tool.is_async, f"{name} should use the SDK's async calls"
        for field, schema in tool.input_schema.get("properties", {}).items():
            assert schema.get("description"), f"{name}.{field} has no description"


def test_output_models_are_published() -> None:
    hub = load()
    for name, tool in hub.tools.items():
        assert tool.output_schema is not None, name
        json.dumps(tool.output_schema)
    assert "receipt" in hub.tools["stripe_create_refund"].output_schema["properties"]  # type: ignore[index]


def test_receipt_template_is_registered() -> None:
    assert list(load().templates) == ["stripe://receipts/{id}"]


def test_readme_table_is_current() -> None:
    current = readme.README.read_text(encoding="utf-8")
    assert readme.render(current) == current, (
        "README.md is stale: run python -m mcpea_plugin_stripe.readme --write"
    )
    for name in TOOLS:
        assert f"| `{name}` |" in current


def test_readme_check_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "README.md"
    stale.write_text(f"# x\n\n{readme.BEGIN}\n| old |\n{readme.END}\n", encoding="utf-8")
    monkeypatch.setattr(readme, "README", stale)
    assert readme.main(["--check"]) == 1
    assert readme.main(["--write"]) == 0
    assert readme.main(["--check"]) == 0
    assert "stripe_get_balance" in stale.read_text(encoding="utf-8")
