"""The plugin as the hub sees it: the kit's standard contract tests, the README table, the import rules."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import pytest
from mcpea_plugin_sendgrid import readme

from mcpea_core.testing import ConnectorStandardTests

PACKAGE = Path(readme.__file__).resolve().parent


class TestSendgridStandard(ConnectorStandardTests):
    """Every standard test of mcpea_core.testing, against the local SendGrid stand-in."""

    plugin = "sendgrid"
    expected_tools: ClassVar[set[str]] = {"sendgrid_send_email", "sendgrid_get_stats"}
    example_calls: ClassVar[dict[str, Any]] = {
        "sendgrid_send_email": {"to": ["ops@example.com"], "subject": "Standard test", "text": "Hello."},
        "sendgrid_get_stats": {"start_date": date.today().isoformat()},
    }
    invalid_calls: ClassVar[dict[str, Any]] = {
        "sendgrid_send_email": ({"to": ["not an address"], "subject": "s", "text": "t"}, "to.0"),
    }
    # Not email_validator: loading validates from_email with it, as it should.
    lazy_modules = ("sendgrid", "python_http_client")

    @pytest.fixture(autouse=True)
    def _settings_of_the_stand_in(self, fake_sendgrid: Any, settings_for: Any) -> Iterator[None]:
        # The kit reads `settings` as a class attribute, but the stand-in's port is only known now.
        self.settings = settings_for(fake_sendgrid)  # type: ignore[misc]
        yield


def test_the_readme_table_is_current() -> None:
    current = readme.README.read_text(encoding="utf-8")
    assert readme.render(current) == current, (
        "README.md is stale: run python -m mcpea_plugin_sendgrid.readme --write"
    )
    assert readme.main(["--check"]) == 0


# The one import outside the public kit, and why: see mcpea_plugin_sendgrid.channel._delivery_error.
ALLOWED_EXCEPTIONS = {("channel.py", "mcpea_core.notify")}


def _mcpea_imports(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        yield from (name for name in names if name.split(".")[0] == "mcpea_core")


def test_only_the_public_kit_is_imported() -> None:
    """Community plugins use ``mcpea_core`` (top level) and ``mcpea_core.testing``, nothing deeper."""
    found = {
        (path.name, module)
        for path in [*PACKAGE.glob("*.py"), *PACKAGE.parent.glob("tests/*.py")]
        for module in _mcpea_imports(path)
        if module not in ("mcpea_core", "mcpea_core.testing")
    }
    assert found == ALLOWED_EXCEPTIONS
