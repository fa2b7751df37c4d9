"""README's first command runs scripts/demo.py: it must keep working, end to end."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from _support import ROOT


def test_demo_scripted_session() -> None:
    pytest.importorskip("localstripe", reason="localstripe comes with mcpea-plugin-stripe[test]: run ./dev setup")
    pytest.importorskip("mcpea_plugin_stripe", reason="the Stripe plugin is not installed: run ./dev setup")
    env = {k: v for k, v in os.environ.items() if k not in ("MCPEA_LOAD_PLUGINS", "MCPEA_AUDIT_STORE")}
    env["COLUMNS"] = "200"
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), "--port", "0", "--no-serve"],
        capture_output=True, text=True, timeout=180, env=env,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    text = " ".join(out.stdout.split())
    assert "MC-PEA hub with the Stripe plugin at http://127.0.0.1:" in text
    assert "1. tools/list -> 19 Stripe tools" in text
    assert "- amount: Input should be a valid integer" in text
    assert "5. stripe_confirm_payment_intent -> status succeeded" in text
    assert "Stripe payment receipt" in text and "Amount: EUR 20.00" in text
    # Both calls asked for notify: both reached the webhook with a valid signature.
    assert "stripe_create_payment_intent success call" in text
    assert "stripe_confirm_payment_intent success call" in text
    # The audit trail shows each call's outcome and its idempotency key.
    assert "invalid_input" in text and text.count("mcpea-") >= 4
