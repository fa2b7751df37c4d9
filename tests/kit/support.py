"""Plugins for the plugin-kit tests (imported as kit.support)."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

# A plugin that passes every check: settings documented, a secret without a default, one tool safe to
# call (read-only, closed world, with examples) and one destructive tool whose SDK loads lazily.
COMPLIANT = '''
from pydantic import BaseModel, ConfigDict, Field, SecretStr
from mcpea_core import Annotations, ToolContext, UpstreamError, hookimpl

class Settings(BaseModel):
    """Settings of the test connector."""
    api_key: SecretStr = Field(description="The vendor API key.")
    region: str = Field(default="eu", description="Where the vendor keeps the data.")

class Lookup(BaseModel):
    """Arguments of {name}_get_country."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={{"examples": [{{"code": "FR"}}]}})
    code: str = Field(min_length=2, max_length=2, description="ISO 3166 alpha-2 country code, such as FR.")

class Country(BaseModel):
    """A country."""
    name: str = Field(description="The country's English name.")

class Refund(BaseModel):
    """Arguments of {name}_create_refund."""
    payment_id: str = Field(description="The payment to refund.")
    amount: int = Field(gt=0, description="Amount in cents.")

COUNTRIES = {{"FR": "France", "DE": "Germany"}}

def {name}_get_country(params: Lookup, ctx: ToolContext) -> Country:
    """Look up a country's English name from its ISO 3166 alpha-2 code."""
    ctx.report_upstream(request_id="req_" + params.code)
    if params.code not in COUNTRIES:
        raise UpstreamError(f"unknown country code {{params.code}}", status=404)
    return Country(name=COUNTRIES[params.code])

def {name}_create_refund(params: Refund) -> str:
    """Refund part or all of a payment to the customer's card; it cannot be undone."""
    import {name}_vendor_sdk  # noqa: F401  (never installed: the tool is never called in tests)
    return "refunded"

@hookimpl
def settings_model():
    return Settings

@hookimpl
def register_tools(register):
    register({name}_get_country, annotations=Annotations(read_only=True, idempotent=True, open_world=False))
    register({name}_create_refund, annotations=Annotations(destructive=True))
'''


def compliant(name: str) -> str:
    """The source of a compliant plugin called ``name``."""
    return COMPLIANT.format(name=name)


def plugin_with(name: str, body: str, register: str, settings: str = "") -> str:
    """A plugin module: imports, ``body`` (models, functions), and ``register_tools`` calling ``register``."""
    hooks = f"@hookimpl\ndef settings_model():\n    return {settings}\n\n" if settings else ""
    return (
        "from pydantic import BaseModel, ConfigDict, Field, SecretStr\n"
        "from mcpea_core import Annotations, ToolContext, hookimpl\n\n"
        f"{body}\n\n{hooks}@hookimpl\ndef register_tools(register):\n"
        + "".join(f"    {line}\n" for line in register.strip().splitlines())
    ).replace("{name}", name)


def pytest_plugin_options() -> list[str]:
    """``-p`` for the mcpea pytest plugin, unless its pytest11 entry point is installed already."""
    registered = any(
        ep.value == "mcpea_core.testing.pytest_plugin" for ep in metadata.entry_points(group="pytest11")
    )
    return [] if registered else ["-p", "mcpea_core.testing.pytest_plugin"]


def run_pytest(*args: str, cwd: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """pytest in a fresh interpreter, with the mcpea plugin, no cache, quiet."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        *pytest_plugin_options(),
        *args,
    ]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
