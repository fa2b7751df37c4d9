"""`mcpea new plugin`: the generated package, and that it installs, lists, validates and passes its tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from _support import ROOT, mcpea_command
from click.testing import CliRunner

from kit.support import run_pytest
from mcpea_core import __version__
from mcpea_core.cli import main
from mcpea_core.scaffold import FILES, ScaffoldError, check_name, create_plugin, render


@pytest.mark.parametrize("name", ["acme", "a", "s3", "x" * 32])
def test_good_names(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("Acme", "'acme'"),
        ("acme-cloud", "'acmecloud'"),
        ("acme_cloud", "'acmecloud'"),
        ("3d", None),
        ("", None),
        ("x" * 33, None),
    ],
)
def test_bad_names_are_refused_with_a_suggestion(name: str, hint: str | None) -> None:
    with pytest.raises(ScaffoldError, match="lowercase letters and digits") as caught:
        check_name(name)
    assert (f"such as {hint}" in str(caught.value)) if hint else ("such as" not in str(caught.value))


def test_the_package_has_every_file(tmp_path: Path) -> None:
    target = create_plugin("acme", tmp_path)
    assert target == tmp_path / "mcpea-plugin-acme"
    created = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert created == sorted(d.format(name="acme", package="mcpea_plugin_acme") for d in FILES)
    pyproject = tomllib.loads((target / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == "mcpea-plugin-acme"
    assert pyproject["project"]["entry-points"]["mcpea"] == {"acme": "mcpea_plugin_acme"}
    assert f"mcpea-core>={__version__}" in pyproject["project"]["dependencies"]
    assert pyproject["build-system"]["build-backend"] == "hatchling.build"
    for path in target.rglob("*"):
        if path.is_file():
            assert "{{" not in path.read_text(), path
            if path.suffix == ".py":
                compile(path.read_text(), str(path), "exec")
    assert (target / "mcpea_plugin_acme" / "py.typed").read_text() == ""
    code = (target / "mcpea_plugin_acme" / "__init__.py").read_text()
    assert "def acme_greet_person(params: GreetPerson, ctx: ToolContext) -> Greeting:" in code
    assert "SecretStr" in code and "json_schema_extra" in code and "Annotations(read_only=True" in code
    assert (
        "class TestAcmeStandard(ConnectorStandardTests):" in (target / "tests" / "test_acme.py").read_text()
    )


def test_an_existing_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mcpea-plugin-acme").mkdir()
    with pytest.raises(ScaffoldError, match="already exists"):
        create_plugin("acme", tmp_path)
    with pytest.raises(ScaffoldError, match="is not a directory"):
        create_plugin("acme", tmp_path / "missing")


def test_render_refuses_unknown_placeholders() -> None:
    assert render("{{name}}-{{name}}", {"name": "a"}) == "a-a"
    with pytest.raises(KeyError, match=r"placeholder \{\{title\}\} has no value"):
        render("{{title}}", {"name": "a"})


def test_cli_new_plugin(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["new", "plugin", "acme", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (
        f"created {tmp_path / 'mcpea-plugin-acme'}" in result.output
        and "mcpea validate acme" in result.output
    )
    again = CliRunner().invoke(main, ["new", "plugin", "acme", "--dir", str(tmp_path)])
    assert again.exit_code == 1 and "already exists" in again.output
    bad = CliRunner().invoke(main, ["new", "plugin", "Acme!", "--dir", str(tmp_path)])
    assert bad.exit_code == 1 and "such as 'acme'" in bad.output


@pytest.mark.slow
def test_the_core_wheel_ships_the_template(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    (wheel,) = tmp_path.glob("mcpea_core-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    template = ROOT / "mcpea_core" / "scaffold" / "template"
    assert {f"mcpea_core/scaffold/template/{p.name}" for p in template.iterdir()} <= names


@pytest.mark.slow
def test_a_generated_plugin_installs_lists_validates_and_passes_its_tests(tmp_path: Path) -> None:
    name = f"kitgen{os.getpid()}"
    target = create_plugin(name, tmp_path)
    pip = [sys.executable, "-m", "pip"]
    quiet = ["-q", "--disable-pip-version-check"]
    install = subprocess.run(
        [*pip, "install", *quiet, "--no-deps", "--no-build-isolation", "-e", str(target)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr
    try:
        env = {**os.environ, "MCPEA_LOAD_PLUGINS": name}
        env.pop("MCPEA_CONFIG", None)
        listed = subprocess.run(
            [mcpea_command(), "plugins", "--json"], env=env, capture_output=True, text=True, timeout=120
        )
        assert listed.returncode == 0, listed.stderr
        (info,) = [p for p in json.loads(listed.stdout) if p["name"] == name]
        assert (info["status"], info["distribution"], info["tools"]) == (
            "loaded",
            f"mcpea-plugin-{name}",
            [f"{name}_greet_person"],
        )
        for argument in (name, str(target)):
            report = subprocess.run(
                [mcpea_command(), "validate", argument, "--json"],
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert report.returncode == 0, report.stdout + report.stderr
            checks = json.loads(report.stdout)["reports"][0]["checks"]
            assert [c["status"] for c in checks if c["status"] != "pass"] == []
            assert {
                "check": "mcp.call",
                "status": "pass",
                "subject": f"{name}_greet_person",
                "detail": "example {'name': 'Ada'} succeeded",
            } in checks
        tests = run_pytest("-rA", cwd=str(target), env=env)
        assert tests.returncode == 0, tests.stdout + tests.stderr
        assert "12 passed" in tests.stdout, tests.stdout
    finally:
        subprocess.run(
            [*pip, "uninstall", *quiet, "-y", f"mcpea-plugin-{name}"], capture_output=True, timeout=300
        )
