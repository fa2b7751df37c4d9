"""``ConnectorStandardTests``: the contract tests every connector's test suite inherits.

A plugin's tests subclass it and fill in a few attributes::

    class TestAcme(ConnectorStandardTests):
        plugin = "acme"
        settings = {"api_key": "test-key", "api_base": "http://127.0.0.1:4010"}
        expected_tools = {"acme_get_invoice", "acme_list_invoices"}
        example_calls = {"acme_get_invoice": {"invoice_id": "in_1"}}
        lazy_modules = ("acme_sdk",)

A subclass cannot silently drop a standard test: overriding one, or marking
it skip or xfail, is refused unless it is listed with a reason in
``skipped_standard_tests = {"test_x": "why"}``. A listed test that is not
overridden is skipped with that reason; a listed test that is overridden
runs the override. The class refuses at definition time what it can see
there; the ``mcpea`` pytest plugin fails a standard test that ends skipped
any other way (a class decorator, a module ``pytestmark``, a fixture).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

import anyio

from ..hub import Hub
from ..tools import Tool
from ..validate.runner import list_all_tools, naming_checks, settings_model_of
from ..validate.settings import settings_checks
from ..validate.target import entry_point, isolated_hub
from ..validate.tools import explicit_annotations, safe_examples, tool_checks
from .probe import imported_at_load

__all__ = ["STANDARD_TESTS", "ConnectorStandardTests", "unlisted_skip"]

T = TypeVar("T")
Arguments = Mapping[str, Any]
_SKIP_MARKS = {"skip", "skipif", "xfail"}


class ConnectorStandardTests:
    """Standard tests of one connector plugin; subclass it and set the attributes below.

    * ``plugin``: the plugin's name (its entry point in the ``mcpea`` group).
    * ``settings``: its ``[plugins.<name>]`` table for the tests (point it
      at a test double, never at production credentials).
    * ``expected_tools``: the names of every tool it registers with those settings.
    * ``example_calls``: ``{tool: arguments}`` (or a list of argument sets)
      that must succeed with those settings. Tools annotated read-only and
      closed-world with ``examples`` on their input model are called too.
    * ``invalid_calls``: ``{tool: (arguments, field)}``: bad arguments and
      the field the error must name; tools with required arguments are
      also called without them automatically.
    * ``destructive_tools``: tools allowed to be registered without
      annotations (the defaults: destructive, open world); prefer passing
      ``annotations=Annotations()`` explicitly.
    * ``lazy_modules``: vendor SDK modules that loading the plugin must not import.
    * ``skipped_standard_tests``: ``{"test_x": "reason"}``.
    """

    plugin: ClassVar[str] = ""
    settings: ClassVar[Mapping[str, Any] | None] = None
    expected_tools: ClassVar[Collection[str] | None] = None
    example_calls: ClassVar[Mapping[str, Arguments | Sequence[Arguments]]] = {}
    invalid_calls: ClassVar[Mapping[str, tuple[Arguments, str]]] = {}
    destructive_tools: ClassVar[Collection[str]] = ()
    lazy_modules: ClassVar[Sequence[str]] = ()
    skipped_standard_tests: ClassVar[Mapping[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _guard(cls)

    # --- helpers ----------------------------------------------------------------------

    def load_hub(self) -> Hub:
        """A hub with only this plugin, loaded (not started) with ``settings``."""
        return isolated_hub(self._name(), self.settings).load()

    def plugin_tools(self, hub: Hub) -> list[Tool]:
        return [tool for tool in hub.tools.values() if tool.plugin == self._name()]

    def with_client(self, action: Callable[[Hub, Any], Awaitable[T]]) -> T:
        """Run ``await action(hub, client)`` with a started hub and an in-memory MCP client."""

        async def run() -> T:
            hub = self.load_hub()
            async with hub, hub.client() as client:
                return await action(hub, client)

        return anyio.run(run)

    def _name(self) -> str:
        if not self.plugin:
            raise AssertionError(
                f"{type(self).__name__}: set plugin = '<name>' (the plugin's entry-point name)"
            )
        return self.plugin

    # --- standard tests ---------------------------------------------------------------

    def test_entry_point_loads(self) -> None:
        ep = entry_point(self._name())
        assert ep.load() is not None, f"{ep.value} loaded as None"

    def test_names_follow_the_naming_chain(self) -> None:
        checks = naming_checks(self._name(), entry_point(self._name()))
        assert not [c for c in checks if c.status == "fail"], "\n".join(c.detail for c in checks)

    def test_expected_tools_are_registered(self) -> None:
        registered = sorted(tool.name for tool in self.plugin_tools(self.load_hub()))
        assert self.expected_tools is not None, f"set expected_tools = {set(registered)!r}"
        missing = sorted(set(self.expected_tools) - set(registered))
        unexpected = sorted(set(registered) - set(self.expected_tools))
        assert not missing and not unexpected, (
            f"expected but not registered: {missing}; registered but not expected: {unexpected}"
        )

    def test_tools_pass_validate_checks(self) -> None:
        hub = self.load_hub()
        problems = [
            f"{check.subject}: {check.check}: {check.detail}"
            for tool in self.plugin_tools(hub)
            for check in tool_checks(tool, self._name(), hub.published_schema(tool))
            if check.status == "fail"
        ]
        assert not problems, "\n".join(problems)

    def test_settings_pass_validate_checks(self) -> None:
        model = settings_model_of(self._name(), entry_point(self._name()).load())
        problems = [c.detail for c in settings_checks(self._name(), model) if c.status == "fail"]
        assert not problems, "\n".join(problems)

    def test_annotations_are_explicit(self) -> None:
        tools = {tool.name: tool for tool in self.plugin_tools(self.load_hub())}
        problems = [
            f"destructive_tools names {n!r}, which is not registered"
            for n in self.destructive_tools
            if n not in tools
        ]
        for name, tool in tools.items():
            if not explicit_annotations(tool) and name not in self.destructive_tools:
                problems.append(
                    f"{name}: no annotations given: pass annotations=Annotations(...) "
                    "(Annotations() for a tool that writes destructively to an open world)"
                )
        assert not problems, "\n".join(problems)

    def test_tools_are_listed_over_mcp(self) -> None:
        async def listed(hub: Hub, client: Any) -> dict[str, Any]:
            return {tool.name: tool for tool in await list_all_tools(client)}

        wire = self.with_client(listed)
        registered = {tool.name for tool in self.plugin_tools(self.load_hub())}
        assert registered <= set(wire), f"not listed over MCP: {sorted(registered - set(wire))}"
        bare = sorted(name for name in registered if wire[name].annotations is None)
        assert not bare, f"listed without annotations: {bare}"

    def test_vendor_sdks_are_imported_lazily(self) -> None:
        imported = (
            imported_at_load(self._name(), self.settings, self.lazy_modules) if self.lazy_modules else []
        )
        assert not imported, (
            f"loading plugin {self._name()!r} imports {imported}: import vendor SDKs inside the tool "
            "functions, not at module level"
        )

    def test_example_calls_succeed(self) -> None:
        calls = self._example_calls()
        assert calls, (
            "no example calls: set example_calls = {tool: arguments} (with settings pointing at a test "
            "double), "
            "or list test_example_calls_succeed in skipped_standard_tests with the reason"
        )

        async def run(hub: Hub, client: Any) -> list[str]:
            problems: list[str] = []
            for name, arguments in calls:
                if name not in hub.tools:
                    problems.append(f"example_calls names {name!r}, which is not registered")
                    continue
                result = await client.call_tool(name, dict(arguments))
                if result.is_error:
                    problems.append(f"{name}({dict(arguments)}) failed: {_text(result)}")
            return problems

        problems = self.with_client(run)
        assert not problems, "\n".join(problems)

    def test_invalid_arguments_name_the_field(self) -> None:
        async def run(hub: Hub, client: Any) -> list[str]:
            problems: list[str] = []
            for name, arguments, fields in self._invalid_calls(hub):
                result = await client.call_tool(name, dict(arguments))
                text = _text(result)
                lines = [line.strip() for line in text.splitlines()]
                unnamed = [f for f in fields if not any(line.startswith(f"- {f}") for line in lines)]
                if not result.is_error or unnamed:
                    problems.append(
                        f"{name}({dict(arguments)}): expected an error naming {unnamed}, got: {text!r}"
                    )
            return problems

        problems = self.with_client(run)
        assert not problems, "\n".join(problems)

    # --- what the tests call ----------------------------------------------------------

    def _example_calls(self) -> list[tuple[str, Arguments]]:
        calls: list[tuple[str, Arguments]] = []
        for name, given in self.example_calls.items():
            for arguments in [given] if isinstance(given, Mapping) else list(given):
                calls.append((name, arguments))
        for tool in self.plugin_tools(self.load_hub()):
            calls += [
                (tool.name, example) for example in safe_examples(tool) if (tool.name, example) not in calls
            ]
        return calls

    def _invalid_calls(self, hub: Hub) -> list[tuple[str, Arguments, list[str]]]:
        cases = [(name, arguments, [field]) for name, (arguments, field) in self.invalid_calls.items()]
        for tool in self.plugin_tools(hub):
            if tool.name in self.invalid_calls:
                continue
            schema = hub.published_schema(tool)
            required = [str(f) for f in schema.get("required", [])]
            if required:
                cases.append((tool.name, {}, required))
                continue
            field = next(
                (n for n, p in (schema.get("properties") or {}).items() if _rejects_objects(p)), None
            )
            if field is not None:
                cases.append((tool.name, {field: {"mcpea-invalid": True}}, [field]))
        return cases


STANDARD_TESTS: frozenset[str] = frozenset(n for n in vars(ConnectorStandardTests) if n.startswith("test_"))


def _rejects_objects(prop: Any) -> bool:
    """Whether a property's schema surely refuses a JSON object (scalars, arrays and null only)."""
    if not isinstance(prop, dict):
        return False
    options = prop.get("anyOf", [prop])
    types = [option.get("type") for option in options if isinstance(option, dict)]
    allowed = {"string", "integer", "number", "boolean", "array", "null"}
    return bool(types) and len(types) == len(options) and all(t in allowed for t in types)


def _text(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


def _marks(marks: object) -> set[str]:
    """The names of pytest marks (a ``pytestmark`` value: one mark or a list)."""
    return {getattr(mark, "name", "") for mark in (marks if isinstance(marks, list) else [marks])}


def _guard(cls: type[ConnectorStandardTests]) -> None:
    skipped = dict(cls.skipped_standard_tests)
    unknown = sorted(set(skipped) - STANDARD_TESTS)
    if unknown:
        raise TypeError(
            f"{cls.__name__}.skipped_standard_tests names no standard test: {unknown} "
            f"(the standard tests: {sorted(STANDARD_TESTS)})"
        )
    blank = sorted(name for name, reason in skipped.items() if not str(reason).strip())
    if blank:
        raise TypeError(f"{cls.__name__}.skipped_standard_tests: give a reason for {blank}")
    if _marks(cls.__dict__.get("pytestmark", [])) & _SKIP_MARKS and not STANDARD_TESTS <= set(skipped):
        raise TypeError(
            f"{cls.__name__} is marked skip/xfail, which would drop the standard tests: list each in "
            "skipped_standard_tests with a reason instead"
        )
    for name in sorted(STANDARD_TESTS):
        if name in skipped:
            if name not in cls.__dict__ and getattr(cls, name) is vars(ConnectorStandardTests)[name]:
                setattr(cls, name, _skipping(name, skipped[name]))
            continue
        if name in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} overrides the standard test {name}: list it in "
                f"skipped_standard_tests = {{{name!r}: 'reason'}} to replace it"
            )
        if _marks(getattr(getattr(cls, name), "pytestmark", [])) & _SKIP_MARKS:
            raise TypeError(
                f"{cls.__name__}: the standard test {name} is marked skip/xfail: list it in "
                f"skipped_standard_tests = {{{name!r}: 'reason'}} instead"
            )


def _skipping(name: str, reason: str) -> Callable[[Any], None]:
    def skipped(self: Any) -> None:
        import pytest

        pytest.skip(f"standard test skipped by {type(self).__name__}: {reason}")

    skipped.__name__ = skipped.__qualname__ = name
    skipped.__doc__ = f"Skipped: {reason}"
    return skipped


def unlisted_skip(cls: type | None, test_name: str) -> str | None:
    """Why a standard test that ended skipped must fail instead, or ``None`` when the skip is listed."""
    if cls is None or not issubclass(cls, ConnectorStandardTests) or test_name not in STANDARD_TESTS:
        return None
    if test_name in cls.skipped_standard_tests:
        return None
    return (
        f"{cls.__name__}.{test_name} is a standard test and was skipped without being listed: add "
        f"skipped_standard_tests = {{{test_name!r}: 'reason'}} to {cls.__name__}"
    )
