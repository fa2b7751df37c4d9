"""The Prism stand-in itself: it starts, accepts a valid request and rejects an invalid one."""

from __future__ import annotations

import httpx

from doubles.prism import prism, violations


def test_prism_validates_against_stripes_description() -> None:
    with prism("stripe") as base:
        ok = httpx.get(f"{base}/v1/customers", headers={"Authorization": "Bearer sk_test_x"}, timeout=30)
        bad = httpx.post(
            f"{base}/v1/payment_intents",
            data={"amount": "not-a-number"},
            headers={"Authorization": "Bearer sk_test_x"},
            timeout=30,
        )
    assert ok.status_code == 200 and ok.json()["object"] == "list"
    assert bad.status_code in (400, 422)
    assert any("amount" in v or "currency" in v for v in violations(bad.headers))
