"""registry.toml, the generated docs/directory.md, `mcpea registry` and `mcpea install`."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
from _support import ROOT
from click.testing import CliRunner

from mcpea_core.cli import main
from mcpea_core.errors import ConfigError
from mcpea_core.registry import (
    HEADER,
    check_registry,
    directory_path,
    install_command,
    load_registry,
    render_directory,
    search,
)


def test_directory_and_registry_are_current() -> None:
    """Fails when a plugin's pyproject.toml, registry.toml or docs/directory.md changed without the others."""
    registry = load_registry(ROOT / "registry.toml")
    problems = check_registry(registry)
    assert not problems, "registry.toml is stale:\n" + "\n".join(problems)
    current = (ROOT / "docs" / "directory.md").read_text(encoding="utf-8")
    assert current == render_directory(registry), (
        "docs/directory.md is stale: run `mcpea registry render-directory`"
    )


def test_first_party_plugins_are_registered() -> None:
    registry = load_registry(ROOT / "registry.toml")
    first_party = {e.name for e in registry.entries() if e.tier == "first-party"}
    assert {"stripe", "github", "slack", "keycloak"} <= first_party
    for entry in registry.entries():
        assert entry.distribution == f"mcpea-plugin-{entry.name}"
        assert entry.path == (
            f"plugins/mcpea-plugin-{entry.name}" if entry.tier == "first-party" else entry.path
        )


def test_the_directory_says_it_is_generated() -> None:
    text = render_directory(load_registry(ROOT / "registry.toml"))
    assert text.startswith(HEADER) and "DO NOT EDIT" in text.splitlines()[0]


# --- a repository of our own ---------------------------------------------------------------------

ENTRY = """
[plugins.{name}]
distribution = "mcpea-plugin-{name}"
package = "mcpea_plugin_{name}"
path = "{folder}/mcpea-plugin-{name}"
tier = "{tier}"
category = "testing"
api_maturity = "emerging"
description = "{description}"
min_core = "0.1"
"""

PYPROJECT = """
[project]
name = "mcpea-plugin-{name}"
dynamic = ["version"]
description = "{description}"
dependencies = ["mcpea-core>=0.1", "httpx"]
[project.entry-points.mcpea]
{name} = "mcpea_plugin_{name}"
[tool.hatch.version]
path = "mcpea_plugin_{name}/_version.py"
"""


def make_repo(root: Path, plugins: dict[str, str], entries: dict[str, str], tier: str = "contrib") -> Path:
    """A checkout with ``plugins`` ({name: pyproject description}) and registry ``entries`` (the same)."""
    folder = "plugins" if tier == "first-party" else "contrib"
    for name, description in plugins.items():
        package = root / folder / f"mcpea-plugin-{name}" / f"mcpea_plugin_{name}"
        package.mkdir(parents=True)
        (package / "_version.py").write_text('__version__ = "1.2.3"\n')
        (package.parent / "pyproject.toml").write_text(PYPROJECT.format(name=name, description=description))
    text = "".join(ENTRY.format(name=n, description=d, tier=tier, folder=folder) for n, d in entries.items())
    (root / "registry.toml").write_text(text)
    return root / "registry.toml"


def test_check_registry_names_each_disagreement(tmp_path: Path) -> None:
    file = make_repo(
        tmp_path,
        {"alpha": "Alpha connector.", "beta": "Beta connector."},
        {"alpha": "Alpha connector, old text.", "gamma": "Gamma connector."},
    )
    problems = check_registry(load_registry(file))
    assert problems == [
        "registry.toml [plugins.alpha] description differs from contrib/mcpea-plugin-alpha/pyproject.toml's: "
        "copy 'Alpha connector.'",
        "registry.toml [plugins.gamma] path: contrib/mcpea-plugin-gamma/pyproject.toml does not exist",
        "contrib/mcpea-plugin-beta has no entry in registry.toml: add [plugins.<name>] with "
        "path = 'contrib/mcpea-plugin-beta'",
    ]


def test_check_registry_core_requirement_and_tier_folder(tmp_path: Path) -> None:
    file = make_repo(tmp_path, {"alpha": "Alpha connector."}, {"alpha": "Alpha connector."})
    file.write_text(
        file.read_text()
        .replace('min_core = "0.1"', 'min_core = "0.2"')
        .replace('tier = "contrib"', 'tier = "first-party"')
    )
    problems = check_registry(load_registry(file))
    assert "a first-party plugin lives under plugins/, not 'contrib/mcpea-plugin-alpha'" in problems[0]
    assert (
        "min_core is '0.2' but contrib/mcpea-plugin-alpha/pyproject.toml requires mcpea-core>=0.1"
        in problems[1]
    )


def test_directory_uses_the_pyproject_version(tmp_path: Path) -> None:
    registry = load_registry(
        make_repo(tmp_path, {"alpha": "Alpha | connector."}, {"alpha": "Alpha | connector."})
    )
    text = render_directory(registry)
    assert (
        "| [alpha](../contrib/mcpea-plugin-alpha) | `mcpea-plugin-alpha` | 1.2.3 | testing | emerging "
        "| >=0.1 |" in text
    )
    assert "Alpha \\| connector." in text
    assert "## First-party plugins\n\nMaintained in this repository, under `plugins/`.\n\n_None yet._" in text
    assert directory_path(registry) == tmp_path / "docs" / "directory.md"


@pytest.mark.parametrize(
    ("edit", "key", "message"),
    [
        (('tier = "contrib"', 'tier = "community"'), "plugins.alpha.tier", "'first-party' or 'contrib'"),
        (
            ('package = "mcpea_plugin_alpha"', 'package = "alpha"'),
            "plugins.alpha",
            "package must be 'mcpea_plugin_alpha'",
        ),
        (('min_core = "0.1"', 'min_core = "latest"'), "plugins.alpha.min_core", "should match pattern"),
        (('min_core = "0.1"', 'min_core = "0.1"\nhomepage = "x"'), "plugins.alpha.homepage", "Extra inputs"),
        (("[plugins.alpha]", "[plugins.Alpha]"), "plugins.Alpha", "lowercase letters and digits"),
    ],
)
def test_a_bad_registry_names_the_key(tmp_path: Path, edit: tuple[str, str], key: str, message: str) -> None:
    file = make_repo(tmp_path, {}, {"alpha": "Alpha connector."})
    file.write_text(file.read_text().replace(*edit))
    with pytest.raises(ConfigError, match=message) as caught:
        load_registry(file)
    assert caught.value.key == key and caught.value.path == str(file)


def test_search_ranks_names_first(tmp_path: Path) -> None:
    registry = load_registry(
        make_repo(tmp_path, {}, {"alpha": "Talks to beta systems.", "beta": "Beta connector."})
    )
    assert [e.name for e in search(registry, "beta")] == ["beta", "alpha"]
    assert [e.name for e in search(registry, "beta systems")] == ["alpha"]
    assert search(registry, "nothing") == []


def test_install_from_the_checkout_or_the_index(tmp_path: Path) -> None:
    registry = load_registry(
        make_repo(
            tmp_path, {"alpha": "Alpha connector."}, {"alpha": "Alpha connector.", "beta": "Beta connector."}
        )
    )
    alpha_dir = str(tmp_path / "contrib" / "mcpea-plugin-alpha")
    assert install_command(registry, registry.get("alpha")) == [
        sys.executable,
        "-m",
        "pip",
        "install",
        "-e",
        alpha_dir,
    ]
    assert install_command(registry, registry.get("mcpea-plugin-alpha"), editable=False)[-1] == alpha_dir
    assert install_command(registry, registry.get("beta")) == [
        sys.executable,
        "-m",
        "pip",
        "install",
        "mcpea-plugin-beta",
    ]
    with pytest.raises(ConfigError, match="no plugin named 'alpah' in the registry; did you mean alpha"):
        registry.get("alpah")


# --- the commands ----------------------------------------------------------------------------------


def test_cli_list_search_show_json() -> None:
    runner = CliRunner()
    listed = json.loads(runner.invoke(main, ["registry", "list", "--json"]).output)
    assert {"stripe", "github", "slack", "keycloak"} <= {e["name"] for e in listed}
    found = json.loads(runner.invoke(main, ["registry", "search", "payments", "--json"]).output)
    assert found[0]["name"] == "stripe"
    shown = json.loads(runner.invoke(main, ["registry", "show", "stripe", "--json"]).output)
    assert shown["version"] and shown["install"].endswith(
        "-e " + str(ROOT / "plugins" / "mcpea-plugin-stripe")
    )
    table = runner.invoke(main, ["registry", "list", "--tier", "first-party"])
    assert table.exit_code == 0 and "keycloak" in table.output


def test_cli_search_without_match_exits_1() -> None:
    result = CliRunner().invoke(main, ["registry", "search", "nothing-like-this"])
    assert result.exit_code == 1 and "no plugin matches" in result.output


def test_cli_install_dry_run() -> None:
    result = CliRunner().invoke(main, ["install", "slack", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(f"-m pip install -e {ROOT / 'plugins' / 'mcpea-plugin-slack'}")
    unknown = CliRunner().invoke(main, ["install", "slak", "--dry-run"])
    assert unknown.exit_code == 2 and "did you mean slack" in unknown.output


def test_cli_install_from_the_index_when_not_in_a_checkout(tmp_path: Path) -> None:
    file = make_repo(tmp_path, {}, {"alpha": "Alpha connector."})
    result = CliRunner().invoke(main, ["install", "alpha", "--dry-run", "--registry", str(file)])
    assert result.output.strip().endswith("-m pip install mcpea-plugin-alpha")


def test_cli_render_directory_writes_and_checks(tmp_path: Path) -> None:
    file = make_repo(tmp_path, {"alpha": "Alpha connector."}, {"alpha": "Alpha connector."})
    (tmp_path / "docs").mkdir()
    stale = CliRunner().invoke(main, ["registry", "render-directory", "--check", "--registry", str(file)])
    assert stale.exit_code == 1 and "directory.md is stale" in stale.output
    written = CliRunner().invoke(main, ["registry", "render-directory", "--registry", str(file)])
    assert written.exit_code == 0 and (tmp_path / "docs" / "directory.md").exists()
    assert (
        CliRunner()
        .invoke(main, ["registry", "render-directory", "--check", "--registry", str(file)])
        .exit_code
        == 0
    )


def test_python_m_registry_check(tmp_path: Path) -> None:
    from mcpea_core.registry.__main__ import main as module_main

    file = make_repo(tmp_path, {"alpha": "Alpha connector."}, {"alpha": "Alpha connector."})
    (tmp_path / "docs").mkdir()
    assert module_main(["--check", str(file)]) == 1
    assert module_main([str(file)]) == 0
    assert module_main(["--check", str(file)]) == 0
    assert textwrap.dedent(HEADER) in (tmp_path / "docs" / "directory.md").read_text()


def test_find_registry_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mcpea_core.registry import find_registry, model

    assert find_registry() == ROOT / "registry.toml"  # running from the checkout
    monkeypatch.setenv("MCPEA_REGISTRY", str(tmp_path / "env.toml"))
    assert find_registry() == tmp_path / "env.toml"
    assert find_registry(tmp_path / "given.toml") == tmp_path / "given.toml"
    monkeypatch.delenv("MCPEA_REGISTRY")
    installed = tmp_path / "site-packages" / "mcpea_core" / "registry"
    installed.mkdir(parents=True)
    monkeypatch.setattr(model, "__file__", str(installed / "model.py"))  # as installed from the wheel
    with pytest.raises(ConfigError, match=r"no registry\.toml found"):
        find_registry()
    (installed / "registry.toml").write_text("")
    assert find_registry() == installed / "registry.toml"
