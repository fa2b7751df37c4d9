"""ConnectorStandardTests: run against a compliant plugin, failing usefully, and its skip guard."""

# ruff: noqa: RUF012  (a suite's attributes are class-level data by design)

from __future__ import annotations

import os
import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kit.support import compliant, run_pytest
from mcpea_core.testing import STANDARD_TESTS, ConnectorStandardTests

Install = Callable[..., Path]


@pytest.fixture(autouse=True)
def _kitstd_installed(install_plugin: Install) -> None:
    install_plugin("kitstd", compliant("kitstd"))


class TestCompliantPluginStandard(ConnectorStandardTests):
    """The standard tests themselves, collected here like in any plugin's suite."""

    plugin = "kitstd"
    settings = {"api_key": "test-key"}
    expected_tools = {"kitstd_get_country", "kitstd_create_refund"}
    example_calls = {"kitstd_get_country": [{"code": "DE"}, {"code": "FR"}]}
    invalid_calls = {"kitstd_get_country": ({"code": "FRA"}, "code")}
    destructive_tools = {"kitstd_create_refund"}
    lazy_modules = ("kitstd_vendor_sdk", "wave")


def test_every_standard_test_is_listed() -> None:
    assert STANDARD_TESTS == {
        "test_entry_point_loads",
        "test_names_follow_the_naming_chain",
        "test_expected_tools_are_registered",
        "test_tools_pass_validate_checks",
        "test_settings_pass_validate_checks",
        "test_annotations_are_explicit",
        "test_tools_are_listed_over_mcp",
        "test_vendor_sdks_are_imported_lazily",
        "test_example_calls_succeed",
        "test_invalid_arguments_name_the_field",
    }


def _suite(**attributes: Any) -> ConnectorStandardTests:
    defaults: dict[str, Any] = {
        "plugin": "kitstd",
        "settings": {"api_key": "test-key"},
        "expected_tools": {"kitstd_get_country", "kitstd_create_refund"},
        "destructive_tools": {"kitstd_create_refund"},
    }
    return type("Suite", (ConnectorStandardTests,), {**defaults, **attributes})()  # type: ignore[return-value]


def test_expected_tools_names_the_difference() -> None:
    suite = _suite(expected_tools={"kitstd_get_country", "kitstd_get_city"})
    with pytest.raises(
        AssertionError,
        match=re.escape(
            "expected but not registered: ['kitstd_get_city']; "
            "registered but not expected: ['kitstd_create_refund']"
        ),
    ):
        suite.test_expected_tools_are_registered()


def test_annotations_are_explicit_and_listed_tools_exist() -> None:
    _suite(destructive_tools=()).test_annotations_are_explicit()  # both tools pass annotations
    with pytest.raises(AssertionError, match="destructive_tools names 'kitstd_nothing', which is not registered"):
        _suite(destructive_tools={"kitstd_nothing"}).test_annotations_are_explicit()


def test_example_calls_report_failures_and_absence() -> None:
    with pytest.raises(
        AssertionError, match=r"kitstd_get_country\(\{'code': 'XX'\}\) failed: unknown country code XX"
    ):
        _suite(example_calls={"kitstd_get_country": {"code": "XX"}}).test_example_calls_succeed()
    with pytest.raises(AssertionError, match="example_calls names 'kitstd_nothing'"):
        _suite(example_calls={"kitstd_nothing": {}}).test_example_calls_succeed()


def test_invalid_arguments_cases_are_derived_from_the_schemas() -> None:
    suite = _suite()
    cases = {name: (arguments, fields) for name, arguments, fields in suite._invalid_calls(suite.load_hub())}
    assert cases == {
        "kitstd_get_country": ({}, ["code"]),
        "kitstd_create_refund": ({}, ["payment_id", "amount"]),
    }
    with pytest.raises(AssertionError, match=r"expected an error naming \['region'\]"):
        _suite(
            invalid_calls={"kitstd_get_country": ({"code": "FRA"}, "region")}
        ).test_invalid_arguments_name_the_field()


def test_vendor_sdk_imported_at_load_is_reported(install_plugin: Install) -> None:
    install_plugin("kiteager", "import wave\n" + compliant("kiteager"))
    suite = _suite(plugin="kiteager", lazy_modules=("wave",))
    with pytest.raises(AssertionError, match=r"loading plugin 'kiteager' imports \['wave'\]"):
        suite.test_vendor_sdks_are_imported_lazily()


def test_plugin_must_be_set() -> None:
    with pytest.raises(AssertionError, match="set plugin = '<name>'"):
        _suite(plugin="").test_entry_point_loads()


# --- the guard -----------------------------------------------------------------------------------


def test_overriding_a_standard_test_is_refused() -> None:
    with pytest.raises(
        TypeError, match=r"overrides the standard test test_example_calls_succeed: list it in"
    ):

        class TestSneaky(ConnectorStandardTests):
            def test_example_calls_succeed(self) -> None:
                pass


def test_marking_a_standard_test_skip_is_refused() -> None:
    class Base(ConnectorStandardTests):
        skipped_standard_tests = {"test_entry_point_loads": "replaced below"}

        @pytest.mark.skip(reason="flaky")
        def test_entry_point_loads(self) -> None:
            pass

    with pytest.raises(TypeError, match=r"test_entry_point_loads is marked skip/xfail"):

        class TestSub(Base):
            skipped_standard_tests: dict[str, str] = {}


def test_a_class_pytestmark_skip_is_refused() -> None:
    with pytest.raises(TypeError, match="is marked skip/xfail, which would drop the standard tests"):

        class TestMarked(ConnectorStandardTests):
            pytestmark = [pytest.mark.skip(reason="later")]


def test_listing_needs_a_known_test_and_a_reason() -> None:
    with pytest.raises(TypeError, match=r"names no standard test: \['test_typo'\]"):

        class TestTypo(ConnectorStandardTests):
            skipped_standard_tests = {"test_typo": "x"}

    with pytest.raises(TypeError, match=r"give a reason for \['test_entry_point_loads'\]"):

        class TestNoReason(ConnectorStandardTests):
            skipped_standard_tests = {"test_entry_point_loads": " "}


def test_a_listed_test_is_skipped_with_its_reason_or_replaced() -> None:
    class TestListed(ConnectorStandardTests):
        skipped_standard_tests = {
            "test_example_calls_succeed": "every tool needs the live API",
            "test_entry_point_loads": "replaced",
        }

        def test_entry_point_loads(self) -> None:
            """A replacement."""

    with pytest.raises(pytest.skip.Exception, match="every tool needs the live API"):
        TestListed().test_example_calls_succeed()
    assert TestListed.test_entry_point_loads.__doc__ == "A replacement."
    assert ConnectorStandardTests.test_example_calls_succeed.__name__ == "test_example_calls_succeed"


@pytest.mark.slow
def test_the_pytest_plugin_fails_skips_the_class_cannot_see(tmp_path: Path) -> None:
    """A class decorator or a skip inside a fixture only shows when the test runs: the plugin fails it."""
    (tmp_path / "test_suite.py").write_text(
        textwrap.dedent("""
        import pytest
        from mcpea_core.testing import ConnectorStandardTests

        @pytest.fixture(autouse=True)
        def sometimes(request):
            if request.node.name == "test_names_follow_the_naming_chain":
                pytest.skip("not today")

        @pytest.mark.skip(reason="decorated")
        class TestDecorated(ConnectorStandardTests):
            plugin = "example"

        class TestFixtureSkips(ConnectorStandardTests):
            plugin = "example"
            skipped_standard_tests = {name: "not under test here" for name in [
                "test_expected_tools_are_registered", "test_tools_pass_validate_checks",
                "test_settings_pass_validate_checks", "test_annotations_are_explicit",
                "test_tools_are_listed_over_mcp", "test_vendor_sdks_are_imported_lazily",
                "test_example_calls_succeed", "test_invalid_arguments_name_the_field"]}
    """)
    )
    done = run_pytest("-rfEs", "test_suite.py", cwd=str(tmp_path), env=dict(os.environ))
    out = done.stdout
    assert done.returncode == 1, out
    assert (
        "TestDecorated.test_entry_point_loads is a standard test and was skipped without being listed" in out
    )
    assert "TestFixtureSkips.test_names_follow_the_naming_chain is a standard test and was skipped" in out
    assert re.search(r"1 passed, 8 skipped, 11 errors", out), out
