"""What `pip install mcpea-plugin-stripe` does for a user, and that every package builds its sdist and wheel.

The install test builds wheels of mcpea-core and mcpea-plugin-stripe from this
checkout, installs them from those files into a fresh virtual environment
(no editable installs; their dependencies come from the package index), and
runs that environment's own `mcpea`. It needs the package index and takes a
few minutes, so it is marked slow; without the index it skips, saying so.

The build test builds an sdist of the core and of every plugin under
plugins/ and contrib/, then a wheel from the unpacked sdist (as pip does when
it installs from an sdist), and checks that wheel holds the same files as one
built straight from the source tree: nothing a wheel needs is missing from
the sdist.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from _support import ROOT, mcpea_command

STRIPE = ROOT / "plugins" / "mcpea-plugin-stripe"
INSTALL_TIMEOUT = 900
TEST_KEY = "sk_test_" + "mcpeawheeltest" * 2  # shaped like a test-mode key; never sent anywhere

pytestmark = pytest.mark.slow


def run(
    command: list[str | Path], *, timeout: float = 300, **options: object
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # type: ignore[call-overload,no-any-return]
        [str(c) for c in command], capture_output=True, text=True, timeout=timeout, **options
    )


def projects() -> list[Path]:
    """The core and every plugin with a pyproject.toml under plugins/ and contrib/."""
    found = [ROOT]
    for tier in ("plugins", "contrib"):
        found += sorted(p.parent for p in (ROOT / tier).glob("*/pyproject.toml"))
    return found


def _project_id(path: Path) -> str:
    return "mcpea-core" if path == ROOT else path.name


# --- installing the wheels into a fresh environment -------------------------------------------------


@dataclass
class FreshEnv:
    root: Path
    bin: Path
    work: Path
    core_version: str
    stripe_version: str

    def env(self, **extra: str) -> dict[str, str]:
        """The user's shell in that environment: nothing of this checkout or of the test run leaks in."""
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("MCPEA_", "PYTHON", "VIRTUAL_ENV", "PYTEST", "COV_"))
        }
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.root)
        env["HOME"] = str(self.work / "home")
        env["XDG_STATE_HOME"] = str(self.work / "state")  # the audit trail's and outbox's default files
        env["NO_COLOR"] = "1"
        env.update(extra)
        return env

    def mcpea(self, *args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
        extra = {"MCPEA_CONFIG": str(config)} if config is not None else {}
        return run([self.bin / "mcpea", *args], env=self.env(**extra), cwd=self.work, timeout=120)


def _wheel_version(wheel: Path) -> str:
    return wheel.name.split("-")[1]


def _index_unreachable(tmp: Path) -> str | None:
    """Why the package index cannot be used from here, or ``None`` when it can."""
    probe = run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "--dest",
            tmp,
            "mcp>=2.3,<3",
        ],
        timeout=180,
    )
    if probe.returncode == 0:
        return None
    lines = [line for line in probe.stderr.strip().splitlines() if line.strip()]
    return lines[-1] if lines else f"pip download exited {probe.returncode}"


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FreshEnv]:
    base = tmp_path_factory.mktemp("fresh")
    wheels = base / "wheels"
    built = run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "-q",
            "-w",
            wheels,
            ROOT,
            STRIPE,
        ],
    )
    assert built.returncode == 0, built.stderr
    (core,) = wheels.glob("mcpea_core-*.whl")
    (stripe,) = wheels.glob("mcpea_plugin_stripe-*.whl")

    unreachable = _index_unreachable(base / "probe")
    if unreachable is not None:
        pytest.skip(f"the package index is unreachable, so dependencies cannot be installed: {unreachable}")

    venv = base / "venv"
    created = run([sys.executable, "-m", "venv", venv], timeout=180)
    assert created.returncode == 0, created.stderr
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    work = base / "work"
    (work / "home").mkdir(parents=True)
    env = FreshEnv(venv, bin_dir, work, _wheel_version(core), _wheel_version(stripe))
    installed = run(
        [
            bin_dir / "python",
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--find-links",
            wheels,
            core,
            stripe,
        ],
        timeout=INSTALL_TIMEOUT,
        env=env.env(),
        cwd=work,
    )
    assert installed.returncode == 0, (
        f"pip install failed:\n{installed.stdout[-5000:]}\n{installed.stderr[-5000:]}"
    )
    yield env


def test_the_wheels_are_what_is_installed(fresh_env: FreshEnv) -> None:
    """No editable install, no path into this checkout: the environment runs the wheels' own files."""
    out = run(
        [
            fresh_env.bin / "python",
            "-c",
            "import json, mcpea_core, mcpea_plugin_stripe; "
            "print(json.dumps([mcpea_core.__file__, mcpea_plugin_stripe.__file__]))",
        ],
        env=fresh_env.env(),
        cwd=fresh_env.work,
    )
    assert out.returncode == 0, out.stderr
    for module_file in json.loads(out.stdout):
        path = Path(module_file).resolve()
        assert path.is_relative_to(fresh_env.root.resolve()), f"{path} is not in the fresh environment"
    check = run([fresh_env.bin / "python", "-m", "pip", "check"], env=fresh_env.env(), cwd=fresh_env.work)
    assert check.returncode == 0, f"pip check:\n{check.stdout}{check.stderr}"


def test_version(fresh_env: FreshEnv) -> None:
    out = fresh_env.mcpea("--version")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"mcpea {fresh_env.core_version}"


def _plugins(out: subprocess.CompletedProcess[str]) -> dict[str, dict[str, object]]:
    assert out.returncode == 0, out.stderr
    return {p["name"]: p for p in json.loads(out.stdout)}


def test_stripe_is_found_and_waits_for_its_settings(fresh_env: FreshEnv) -> None:
    """Installed without a [plugins.stripe] table: listed as failed, "not configured", naming the key."""
    plugins = _plugins(fresh_env.mcpea("plugins", "--json"))
    assert {name for name, p in plugins.items() if p["status"] != "builtin"} == {"stripe"}
    stripe = plugins["stripe"]
    assert stripe["status"] == "failed"
    assert stripe["distribution"] == "mcpea-plugin-stripe"
    assert stripe["version"] == fresh_env.stripe_version
    assert "not configured" in str(stripe["error"])
    assert "plugins.stripe.api_key" in str(stripe["error"])


@pytest.fixture(scope="module")
def stripe_config(fresh_env: FreshEnv) -> Path:
    config = fresh_env.work / "mcpea.toml"
    config.write_text(f'[plugins.stripe]\napi_key = "{TEST_KEY}"\n', encoding="utf-8")
    return config


def test_stripe_tools_are_served(fresh_env: FreshEnv, stripe_config: Path) -> None:
    plugins = _plugins(fresh_env.mcpea("plugins", "--json", config=stripe_config))
    assert plugins["stripe"]["status"] == "loaded", plugins["stripe"]
    out = fresh_env.mcpea("tools", "--json", config=stripe_config)
    assert out.returncode == 0, out.stderr
    tools = json.loads(out.stdout)
    names = [tool["name"] for tool in tools]
    assert {"stripe_get_balance", "stripe_create_customer", "stripe_create_refund"} <= set(names)
    assert all(tool["plugin"] == "stripe" and tool["name"].startswith("stripe_") for tool in tools)
    assert all(tool["inputSchema"].get("type") == "object" for tool in tools)
    assert sorted(names) == sorted(plugins["stripe"]["tools"])  # type: ignore[arg-type]

    # The same tools as the development install of the same sources (editable, in this test's environment).
    dev_env = {k: v for k, v in os.environ.items() if not k.startswith("MCPEA_")}
    dev_env.update(MCPEA_LOAD_PLUGINS="stripe", MCPEA_CONFIG=str(stripe_config), MCPEA_AUDIT_STORE="off")
    dev = run([mcpea_command(), "tools", "--json"], env=dev_env, cwd=fresh_env.work, timeout=120)
    assert dev.returncode == 0, dev.stderr
    assert json.loads(dev.stdout) == tools


def test_install_and_registry_work_outside_a_checkout(fresh_env: FreshEnv) -> None:
    """The wheel carries the registry: `mcpea install NAME` installs mcpea-plugin-NAME from the index."""
    out = fresh_env.mcpea("install", "github", "--dry-run")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-3:] == ["pip", "install", "mcpea-plugin-github"]
    assert out.stdout.split()[0].startswith(str(fresh_env.bin))  # this environment's own interpreter
    listed = fresh_env.mcpea("registry", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert "stripe" in {entry["name"] for entry in json.loads(listed.stdout)}


# --- every package builds an sdist and a wheel, and the sdist is complete ---------------------------


def _hatchling_build(project: Path, target: str, out: Path) -> Path:
    built = run([sys.executable, "-m", "hatchling", "build", "-t", target, "-d", out], cwd=project)
    assert built.returncode == 0, (
        f"{_project_id(project)}: hatchling build -t {target} failed:\n{built.stderr}"
    )
    pattern = "*.tar.gz" if target == "sdist" else "*.whl"
    (artifact,) = out.glob(pattern)
    return artifact


def _wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return {name for name in archive.namelist() if not name.endswith(".dist-info/RECORD")}


@pytest.mark.parametrize("project", projects(), ids=_project_id)
def test_sdist_and_wheel_build(project: Path, tmp_path: Path) -> None:
    sdist = _hatchling_build(project, "sdist", tmp_path / "sdist")
    wheel = _hatchling_build(project, "wheel", tmp_path / "wheel")
    name = re.sub(r"[-_.]+", "_", _project_id(project))
    assert sdist.name.startswith(f"{name}-") and wheel.name.startswith(f"{name}-")

    with tarfile.open(sdist) as archive:
        members = archive.getnames()
        assert all(not Path(m).is_absolute() and ".." not in Path(m).parts for m in members)
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4
            archive.extractall(tmp_path / "unpacked", filter="data")
        else:
            archive.extractall(tmp_path / "unpacked")
    (unpacked,) = (tmp_path / "unpacked").iterdir()
    assert (unpacked / "pyproject.toml").is_file() and (unpacked / "PKG-INFO").is_file()
    assert not [m for m in members if "__pycache__" in m or m.endswith(".pyc")]

    from_sdist = _hatchling_build(unpacked, "wheel", tmp_path / "wheel-from-sdist")
    assert from_sdist.name == wheel.name
    missing = sorted(_wheel_files(wheel) - _wheel_files(from_sdist))
    assert missing == [], f"{_project_id(project)}: the wheel built from the sdist lacks {missing}"
    assert _wheel_files(from_sdist) == _wheel_files(wheel)


def test_every_plugin_directory_is_a_package() -> None:
    """A plugin directory without pyproject.toml cannot be built or installed (nor tested by ./dev setup)."""
    missing = [
        d.relative_to(ROOT).as_posix()
        for tier in ("plugins", "contrib")
        for d in sorted((ROOT / tier).iterdir())
        if d.is_dir() and d.name.startswith("mcpea-plugin-") and not (d / "pyproject.toml").is_file()
    ]
    assert missing == []
