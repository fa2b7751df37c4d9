"""`mcpea validate`: each check passes on a compliant plugin and fails, naming the problem, when broken."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from kit.support import compliant, plugin_with
from mcpea_core.cli import main
from mcpea_core.validate import Report, validate_plugin, validate_target
from mcpea_core.validate.secrets import find_credentials, looks_like_secret_name, schema_credentials
from mcpea_core.validate.target import Target, resolve_targets
from mcpea_core.validate.tools import description_problem

Install = Callable[..., Path]


def statuses(report: Report, check: str) -> dict[str, str]:
    return {c.subject: c.status for c in report.checks if c.check == check}


def detail(report: Report, check: str, subject: str) -> str:
    return next(c.detail for c in report.checks if c.check == check and c.subject == subject)


def test_a_compliant_plugin_passes_every_check(install_plugin: Install) -> None:
    install_plugin("kitgood", compliant("kitgood"))
    report = validate_plugin("kitgood")
    assert report.ok, [c for c in report.checks if c.status != "pass"]
    warnings = [(c.check, c.subject) for c in report.checks if c.status == "warn"]
    assert warnings == [("package.typed", "kitgood")]  # make_dist ships no py.typed
    checks = {c.check for c in report.checks}
    assert {
        "naming.distribution",
        "naming.package",
        "entry_point.loads",
        "settings.documented",
        "settings.secrets",
        "hub.load",
        "tool.name",
        "tool.description",
        "tool.annotations",
        "tool.input_schema",
        "tool.output_schema",
        "tool.secrets",
        "tool.examples",
        "mcp.list_tools",
        "mcp.call",
    } <= checks
    assert "placeholders (secrets, documented examples) for api_key" in detail(report, "hub.load", "kitgood")
    assert detail(report, "mcp.call", "kitgood_get_country") == "example {'code': 'FR'} succeeded"
    assert "kitgood_create_refund" not in statuses(report, "mcp.call")  # not safe: never called


def test_configured_settings_are_used_instead_of_placeholders(install_plugin: Install) -> None:
    install_plugin("kitgood", compliant("kitgood"))
    report = validate_plugin("kitgood", {"api_key": "k", "region": "us"})
    assert detail(report, "hub.load", "kitgood") == "2 tool(s) registered with configured settings"
    bad = validate_plugin("kitgood", {"api_key": "k", "region": 5})
    assert not bad.ok and "plugins.kitgood.region" in detail(bad, "hub.load", "kitgood")


def test_unknown_plugin_names_the_installed_ones() -> None:
    report = validate_plugin("nosuchplugin")
    assert not report.ok
    assert "no installed plugin named 'nosuchplugin'" in detail(report, "entry_point.loads", "nosuchplugin")
    assert "example" in detail(report, "entry_point.loads", "nosuchplugin")


def test_an_entry_point_that_fails_to_import(install_plugin: Install) -> None:
    install_plugin("kitbroken", "import kitbroken_missing_sdk\n")
    report = validate_plugin("kitbroken")
    assert statuses(report, "entry_point.loads") == {"kitbroken": "fail"}
    assert "ModuleNotFoundError" in detail(report, "entry_point.loads", "kitbroken")


def test_the_naming_chain(install_plugin: Install) -> None:
    install_plugin("kitchain", compliant("kitother"), entry_point="kitother")
    report = validate_plugin("kitother")
    assert detail(report, "naming.distribution", "kitother") == (
        "distribution is 'mcpea-plugin-kitchain'; expected 'mcpea-plugin-kitother'"
    )
    assert "imports 'mcpea_plugin_kitchain'; expected 'mcpea_plugin_kitother'" in detail(
        report, "naming.package", "kitother"
    )


def test_descriptions_must_say_more_than_the_name(install_plugin: Install) -> None:
    body = '''
def {name}_get_invoice() -> str:
    """Get invoice."""
    return "x"

def {name}_list_invoices() -> str:
    """Lists them."""
    return "x"
'''
    register = """
register({name}_get_invoice, annotations=Annotations(read_only=True))
register({name}_list_invoices, annotations=Annotations(read_only=True))
"""
    install_plugin("kitdesc", plugin_with("kitdesc", body, register))
    report = validate_plugin("kitdesc")
    assert "only restates the name" in detail(report, "tool.description", "kitdesc_get_invoice")
    assert "11 characters long (at least 20)" in detail(report, "tool.description", "kitdesc_list_invoices")


@pytest.mark.parametrize(
    ("description", "problem"),
    [
        ("", "empty"),
        ("Get the invoices.", "restates"),
        ("Acme: get invoice", "restates"),
        ("List by customer.", "characters long"),
        ("Fetch one invoice by its id, with its lines and totals.", None),
    ],
)
def test_description_problem(description: str, problem: str | None) -> None:
    found = description_problem("acme_get_invoice", "acme", description)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_missing_annotations_fail(install_plugin: Install) -> None:
    body = '''
def {name}_delete_record() -> str:
    """Delete the record permanently; there is no undo."""
    return "x"
'''
    install_plugin("kitnote", plugin_with("kitnote", body, "register({name}_delete_record)"))
    report = validate_plugin("kitnote")
    assert statuses(report, "tool.annotations") == {"kitnote_delete_record": "fail"}
    assert "no annotations given" in detail(report, "tool.annotations", "kitnote_delete_record")
    assert not report.ok


def test_schemas_must_be_valid_json_schema_2020_12(install_plugin: Install) -> None:
    body = '''
def {name}_get_thing() -> str:
    """Return the thing, as text, for the model to read."""
    return "x"
'''
    register = """
register({name}_get_thing, annotations=Annotations(read_only=True),
         input_schema={"type": "object", "properties": {"x": {"type": "nonsense"}}})
"""
    install_plugin("kitschema", plugin_with("kitschema", body, register))
    report = validate_plugin("kitschema")
    message = detail(report, "tool.input_schema", "kitschema_get_thing")
    assert message.startswith("not valid JSON Schema 2020-12 at properties/x/type:"), message


def test_secrets_in_defaults_examples_and_settings(install_plugin: Install) -> None:
    body = '''
class Settings(BaseModel):
    """Settings."""
    token: SecretStr = Field(default=SecretStr("hunter2"), description="The token.")
    region: str = "eu"

class Args(BaseModel):
    """Arguments."""
    model_config = ConfigDict(json_schema_extra={"examples": [{"key": "ghp_0123456789abcdefghijABCDEFGHIJ"}]})
    key: str = Field(default="sk_live_0123456789abcdef", description="A key.")
    client_secret: str = Field(default="s3cr3t", description="A secret.")

def {name}_get_thing(params: Args) -> str:
    """Return the thing, as text, for the model to read."""
    return "x"
'''
    install_plugin(
        "kitsecret",
        plugin_with(
            "kitsecret",
            body,
            "register({name}_get_thing, annotations=Annotations(read_only=True))",
            settings="Settings",
        ),
    )
    report = validate_plugin("kitsecret")
    tool = detail(report, "tool.secrets", "kitsecret_get_thing")
    assert "input schema examples: looks like a GitHub token" in tool
    assert "input schema properties.key.default: looks like a Stripe key" in tool
    assert "properties.client_secret.default: a secret-named field has a non-empty default" in tool
    assert "ghp_0123" not in tool and "sk_live_0123" not in tool  # kinds and places, never values
    assert "token: a secret field has a non-empty default" in detail(report, "settings.secrets", "kitsecret")
    assert "without a description: region" in detail(report, "settings.documented", "kitsecret")
    assert not report.ok


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("sk_test_4eC39HqLyjWDarjtT1zdp7dc", ["Stripe key"]),
        ("rk_live_abcdefghij0123", ["Stripe key"]),
        ("ghp_abcdefghijABCDEFGHIJ0123456789", ["GitHub token"]),
        ("github_pat_11ABCDEFG0123456789_abcdef", ["GitHub fine-grained token"]),
        ("xoxb-123456789012-abcdefABCDEF", ["Slack token"]),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTYifQ.abcDEF123_-x", ["JSON Web Token"]),
        ("AKIAIOSFODNN7EXAMPLE", ["AWS access key id"]),
        ("-----BEGIN RSA PRIVATE KEY-----", ["private key"]),
        ("sk_test_...", []),
        ("Stripe secret key (sk_live_/rk_live_)", []),
        ("xoxb-...", []),
        ("cus_123", []),
    ],
)
def test_find_credentials(text: str, kinds: list[str]) -> None:
    assert find_credentials({"nested": [text]}) == kinds


def test_secret_names_and_schema_walk() -> None:
    assert looks_like_secret_name("api_key") and looks_like_secret_name("bot_token")
    assert looks_like_secret_name("password") and not looks_like_secret_name("token_type")
    schema = {
        "type": "object",
        "properties": {"default": {"type": "string"}},
        "$defs": {"Inner": {"properties": {"x": {"examples": ["xoxp-1234567890-abcdef"]}}}},
    }
    assert schema_credentials(schema) == ["$defs.Inner.properties.x.examples: looks like a Slack token"]


def test_examples_must_validate(install_plugin: Install) -> None:
    body = '''
class Args(BaseModel):
    """Arguments."""
    model_config = ConfigDict(json_schema_extra={"examples": [{"count": "many"}, ["not", "an", "object"]]})
    count: int = Field(description="How many.")

def {name}_list_things(params: Args) -> str:
    """List up to `count` things, newest first, as text."""
    return "x"
'''
    install_plugin(
        "kitex",
        plugin_with("kitex", body, "register({name}_list_things, annotations=Annotations(read_only=True))"),
    )
    report = validate_plugin("kitex")
    message = detail(report, "tool.examples", "kitex_list_things")
    assert "examples[0]: count: Input should be a valid integer" in message
    assert "examples[1]: an example must be an object of arguments, not list" in message


def test_a_safe_tool_whose_example_fails(install_plugin: Install) -> None:
    install_plugin("kitfail", compliant("kitfail").replace('{"code": "FR"}', '{"code": "XX"}'))
    report = validate_plugin("kitfail")
    assert "returned an error: unknown country code XX" in detail(report, "mcp.call", "kitfail_get_country")
    assert not report.ok


def test_a_path_must_be_installed_from_that_directory(tmp_path: Path, install_plugin: Install) -> None:
    install_plugin("kitgood", compliant("kitgood"))
    source = tmp_path / "mcpea-plugin-kitgood"
    source.mkdir()
    (source / "pyproject.toml").write_text(
        '[project]\nname = "mcpea-plugin-kitgood"\n'
        '[project.entry-points.mcpea]\nkitgood = "mcpea_plugin_kitgood"\n'
    )
    (target,) = resolve_targets(str(source))
    assert target.name == "kitgood" and target.source == source.resolve()
    report = validate_target(target)
    assert statuses(report, "source.installed") == {"kitgood": "warn"}  # installed, but from elsewhere
    other = Target("kitgood", source.resolve(), replace(target.project, name="mcpea-plugin-somethingelse"))
    assert "pip install -e" in detail(validate_target(other), "source.installed", "kitgood")


def test_resolve_targets(tmp_path: Path) -> None:
    assert [t.name for t in resolve_targets("example")] == ["example"]
    assert "example" in [t.name for t in resolve_targets(None, cwd=tmp_path)]  # no plugin here: all installed
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "not-a-plugin"\n')
    from mcpea_core.errors import PluginError

    with pytest.raises(PluginError, match=r"no \[project.entry-points.mcpea\] table"):
        resolve_targets(".", cwd=tmp_path)


def test_cli_json_and_exit_codes(install_plugin: Install) -> None:
    install_plugin("kitgood", compliant("kitgood"))
    good = CliRunner().invoke(main, ["validate", "kitgood", "--json"])
    assert good.exit_code == 0, good.output
    data = json.loads(good.output)
    assert data["ok"] is True and data["reports"][0]["plugin"] == "kitgood"
    bad = CliRunner().invoke(main, ["validate", "nosuchplugin"])
    assert bad.exit_code == 1
    assert "entry_point.loads" in bad.output and "not compliant" in bad.output


def test_cli_reads_settings_from_the_config(install_plugin: Install, tmp_path: Path) -> None:
    install_plugin("kitgood", compliant("kitgood"))
    config = tmp_path / "mcpea.toml"
    config.write_text('[plugins.kitgood]\napi_key = "k"\nregion = "us"\n')
    result = CliRunner().invoke(main, ["validate", "kitgood", "--config", str(config), "--json"])
    checks = json.loads(result.output)["reports"][0]["checks"]
    assert any(c["check"] == "hub.load" and "configured settings" in c["detail"] for c in checks)
