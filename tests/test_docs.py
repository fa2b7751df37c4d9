"""The documentation matches the code.

* The site builds: ``mkdocs build --strict`` (every nav target exists, every
  link between pages and every anchor resolves, every link to a repository
  file outside docs/ names a file that exists).
* Every ``mcpea ...`` command shown in README.md and docs/*.md (in shell code
  blocks and in inline code) names real commands and real options, resolved
  on the click command tree of ``mcpea_core.cli.main``; every command is
  shown somewhere.
* docs/configuration.md documents every section and key of ``mcpea.toml``
  (the fields of ``HubConfig``, recursively, and the built-in notification
  channel kinds) with the model's default, and no key the models lack.
* Every TOML example of a hub configuration parses and validates.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import shlex
import subprocess
import sys
import tomllib
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from _support import ROOT
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from mcpea_core.cli import main
from mcpea_core.config import HubConfig

DOCS = ROOT / "docs"
CONFIGURATION = DOCS / "configuration.md"


def documentation_files() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


# --- (a) the site builds ----------------------------------------------------------------------------


def _mkdocs_command() -> list[str]:
    return [sys.executable, "-m", "mkdocs"]


def _mkdocs_env() -> dict[str, str]:
    env = dict(os.environ)
    env["NO_MKDOCS_2_WARNING"] = "1"  # mkdocs-material's end-of-life banner
    return env


requires_mkdocs = pytest.mark.skipif(
    importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("material") is None,
    reason="mkdocs and mkdocs-material are not installed (pip install -e '.[docs]'; CI installs them)",
)


@requires_mkdocs
@pytest.mark.slow
def test_site_builds_strict(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            *_mkdocs_command(),
            "build",
            "--strict",
            "--config-file",
            str(ROOT / "mkdocs.yml"),
            "--site-dir",
            str(tmp_path / "site"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=_mkdocs_env(),
    )
    assert out.returncode == 0, f"mkdocs build --strict failed:\n{out.stdout}\n{out.stderr}"
    assert (tmp_path / "site" / "index.html").is_file()
    assert (tmp_path / "site" / "configuration" / "index.html").is_file()


def _nav_files(nav: Any) -> Iterator[str]:
    if isinstance(nav, str):
        yield nav
    elif isinstance(nav, list):
        for item in nav:
            yield from _nav_files(item)
    elif isinstance(nav, dict):
        for value in nav.values():
            yield from _nav_files(value)


def test_every_page_is_in_the_nav_and_every_nav_entry_exists() -> None:
    """The quick half of what the strict build checks, for machines without mkdocs."""

    class Loader(yaml.SafeLoader):
        pass

    # mkdocs.yml may use !!python/name tags (material's emoji extension); none are needed here.
    Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)
    in_nav = set(_nav_files(config["nav"]))
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md") if "_hooks" not in p.parts}
    assert sorted(in_nav - pages) == [], "nav entries without a page under docs/"
    assert sorted(pages - in_nav) == [], "pages under docs/ missing from the nav in mkdocs.yml"


@requires_mkdocs
@pytest.mark.slow
def test_strict_build_catches_a_link_to_a_missing_repository_file(tmp_path: Path) -> None:
    """The repo-links hook turns ../file links into repository URLs, and warns (fails) on missing ones."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "exists.py").write_text("# a repository file\n")
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    config = config.replace("docs/_hooks/repo_links.py", str(DOCS / "_hooks" / "repo_links.py"))
    config = config[: config.index("\nnav:")] + "\nnav:\n  - Home: index.md\n"
    (tmp_path / "mkdocs.yml").write_text(config)

    def build(page: str) -> subprocess.CompletedProcess[str]:
        (tmp_path / "docs" / "index.md").write_text(page)
        return subprocess.run(
            [*_mkdocs_command(), "build", "--strict", "--site-dir", str(tmp_path / "site")],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            env=_mkdocs_env(),
        )

    good = build("# Home\n\nSee [the file](../exists.py).\n")
    assert good.returncode == 0, good.stderr
    html = (tmp_path / "site" / "index.html").read_text()
    assert 'href="https://github.com/mc-pea/mc-pea/blob/main/exists.py"' in html
    bad = build("# Home\n\nSee [the file](../missing.py).\n")
    assert bad.returncode != 0
    assert "missing.py" in bad.stderr


# --- (b) every command shown exists -----------------------------------------------------------------

SHELL_LANGUAGES = {"", "bash", "sh", "shell", "console", "zsh", "text", "sh-session"}
COMMAND_PREFIXES = {"$", "sudo", "exec", "env", "time", "command", "nohup"}
OPERATOR_CHARS = set("();<>|&")
ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
FENCE = re.compile(r"^\s*(```+|~~~+)\s*([\w+-]*)")
INLINE = re.compile(r"(?<!`)`(mcpea(?:[ \n][^`]*)?)`(?!`)")


@dataclass(frozen=True)
class Shown:
    """One ``mcpea`` invocation shown in the documentation."""

    where: str
    argv: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.where}: mcpea {shlex.join(self.argv)}"


def _tokens(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return list(lexer)


def _invocations(tokens: list[str]) -> Iterator[tuple[str, ...]]:
    """The arguments of each ``mcpea`` in command position (after env assignments, pipes, ``&&``...)."""
    at_start = True
    current: list[str] | None = None
    for token in tokens:
        if token and set(token) <= OPERATOR_CHARS:  # shlex's punctuation: |, &&, ;, (, ), redirections
            if current is not None:
                yield tuple(current)
            current, at_start = None, True
            continue
        if current == [] and token.startswith("="):
            current, at_start = None, False  # `mcpea = "..."`: an entry point or a setting, not a command
        elif current is not None:
            current.append(token)
        elif at_start and (ENV_ASSIGNMENT.match(token) or token in COMMAND_PREFIXES):
            continue
        elif at_start and (token == "mcpea" or token.endswith("/mcpea")):
            current = []
        else:
            at_start = False
    if current is not None:
        yield tuple(current)


def _logical_lines(lines: list[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    """Join backslash continuations and lines inside an open quote."""
    buffer, first = "", 0
    for lineno, line in lines:
        if not buffer:
            first = lineno
        if line.rstrip().endswith("\\"):
            buffer += line.rstrip()[:-1] + " "
            continue
        buffer += line
        try:
            _tokens(buffer)
        except ValueError:  # an open quote: the command goes on on the next line
            buffer += "\n"
            continue
        yield first, buffer
        buffer = ""
    if buffer:
        yield first, buffer


def shown_commands() -> list[Shown]:
    found: list[Shown] = []
    for path in documentation_files():
        name = path.relative_to(ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        fence: str | None = None
        block: list[tuple[int, str]] = []
        prose: list[str] = []
        for lineno, line in enumerate(text.splitlines(), 1):
            match = FENCE.match(line)
            if fence is None and match:
                fence, language, block = match.group(1), match.group(2).lower(), []
                prose.append("")
                continue
            if fence is not None:
                if line.strip().startswith(fence) and not line.strip()[len(fence) :].strip():
                    if language in SHELL_LANGUAGES:
                        for first, logical in _logical_lines(block):
                            found += [
                                Shown(f"{name}:{first}", argv) for argv in _invocations(_tokens(logical))
                            ]
                    fence = None
                else:
                    block.append((lineno, line))
                prose.append("")
                continue
            prose.append(line)
        joined = "\n".join(prose)
        for match in INLINE.finditer(joined):
            lineno = joined.count("\n", 0, match.start()) + 1
            for argv in _invocations(_tokens(match.group(1))):
                found.append(Shown(f"{name}:{lineno}", argv))
    return found


def _option(command: click.Command, name: str) -> click.Option | None:
    for param in command.params:
        if isinstance(param, click.Option) and name in (*param.opts, *param.secondary_opts):
            return param
    return None


def _placeholder(value: str) -> bool:
    return not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", value)


def check_invocation(argv: tuple[str, ...]) -> tuple[list[str], str]:
    """Problems with one invocation, and the command path it resolved to."""
    command: click.Command = main
    path = ["mcpea"]
    problems: list[str] = []
    positionals = 0
    i = 0
    while i < len(argv):
        token = argv[i]
        i += 1
        if token in ("-h", "--help"):
            break
        if token == "--":
            break
        if token.startswith("-") and token != "-":
            name, has_value, value = token.partition("=")
            option = _option(command, name)
            if option is None:
                known = sorted(o for p in command.params if isinstance(p, click.Option) for o in p.opts)
                problems.append(
                    f"`{' '.join(path)}` has no option {name} (it has: {', '.join(known) or 'none'})"
                )
                continue
            if option.is_flag or option.count:
                if has_value:
                    problems.append(f"`{' '.join(path)} {name}` is a flag and takes no value")
                continue
            if not has_value:
                if i >= len(argv):
                    problems.append(f"`{' '.join(path)} {name}` needs a value")
                    break
                value = argv[i]
                i += 1
            if isinstance(option.type, click.Choice) and not _placeholder(value):
                choices = ", ".join(map(str, option.type.choices))
                if value not in option.type.choices:
                    problems.append(f"`{' '.join(path)} {name} {value}`: not one of {choices}")
            continue
        if isinstance(command, click.Group) and positionals == 0:
            if re.fullmatch(r"[A-Z][A-Z_]*|<[^>]*>|\[[^\]]*\]|\.\.\.", token):
                break  # `mcpea COMMAND --help`: a placeholder for any command
            context = click.Context(command)  # get_command, not .commands: some groups load on first use
            sub = command.get_command(context, token)
            if sub is None:
                commands = ", ".join(command.list_commands(context))
                problems.append(f"`{' '.join(path)}` has no command {token!r} (it has: {commands})")
                break
            command = sub
            path.append(token)
            continue
        positionals += 1
    if not isinstance(command, click.Group):
        arguments = [p for p in command.params if isinstance(p, click.Argument)]
        most = sum(math.inf if p.nargs < 0 else p.nargs for p in arguments)
        if positionals > most:
            problems.append(f"`{' '.join(path)}` takes at most {most} argument(s), {positionals} shown")
    return problems, " ".join(path)


def test_the_documentation_shows_commands() -> None:
    """Guards the parser: if it found nothing, the next test would pass without checking anything."""
    shown = shown_commands()
    assert len(shown) >= 40, [str(s) for s in shown]
    assert any(s.argv[:2] == ("serve", "--transport") for s in shown)
    assert any(s.argv[:2] == ("auth", "hash-key") for s in shown)


def test_every_command_shown_exists() -> None:
    problems = []
    for shown in shown_commands():
        found, _ = check_invocation(shown.argv)
        problems += [f"{shown.where}: {problem}  [{shown}]" for problem in found]
    assert problems == [], "\n".join(problems)


def _leaf_commands(command: click.Command, path: tuple[str, ...] = ("mcpea",)) -> Iterator[str]:
    if isinstance(command, click.Group):
        context = click.Context(command)
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            assert sub is not None, name
            yield from _leaf_commands(sub, (*path, name))
    else:
        yield " ".join(path)


def test_every_command_is_shown_somewhere() -> None:
    shown = {check_invocation(s.argv)[1] for s in shown_commands()}
    missing = sorted(set(_leaf_commands(main)) - shown)
    assert missing == [], f"commands no page of the documentation shows: {missing}"


def test_the_checker_catches_mistakes() -> None:
    assert check_invocation(("serve", "--transport", "http"))[0] == []
    assert check_invocation(("serve", "--transport", "carrier-pigeon"))[0]
    assert check_invocation(("serve", "--no-such-option"))[0]
    assert check_invocation(("no-such-command",))[0]
    assert check_invocation(("auth", "hash-key", "--generate", "--id", "ci-bot"))[0] == []
    assert check_invocation(("tools", "extra"))[0]
    assert [tuple(x) for x in _invocations(_tokens('printf %s "$K" | mcpea auth hash-key'))] == [
        ("auth", "hash-key")
    ]
    assert list(_invocations(_tokens("MCPEA_LOAD_PLUGINS= mcpea tools"))) == [("tools",)]
    assert list(_invocations(_tokens("npx @modelcontextprotocol/inspector mcpea serve"))) == []
    assert list(_invocations(_tokens('mcpea = "mcpea_core.testing.pytest_plugin"'))) == []
    assert check_invocation(("COMMAND", "--help"))[0] == []


# --- (c) configuration.md documents every key -------------------------------------------------------

HEADING = re.compile(r"^(#{2,6})\s+.*?`(\[\[?[^`]+?\]\]?)`")
ROW = re.compile(r"^\|\s*`([A-Za-z0-9_]+)`\s*\|")


def _submodel(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model a field holds (unwrapping ``X | None`` and ``list[X]``), and whether it is a list of them."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                return _submodel(arg)
    if origin is list:
        model, _ = _submodel(typing.get_args(annotation)[0])
        return model, model is not None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None, False


def _channel_kinds() -> dict[str, type[BaseModel]]:
    """The channel kinds the built-in notification plugin registers, with their settings models."""
    from mcpea_core.notify.plugin import NotifyPlugin

    kinds: dict[str, type[BaseModel]] = {}

    def register(kind: str, factory: object, *, settings: type[BaseModel]) -> None:
        kinds[kind] = settings

    NotifyPlugin.register_channels(object.__new__(NotifyPlugin), register)
    return kinds


def expected_sections() -> dict[str, type[BaseModel]]:
    """``[section]`` / ``[[section]]`` headings configuration.md must have, with the model of each."""
    sections: dict[str, type[BaseModel]] = {}

    def walk(prefix: str, model: type[BaseModel], many: bool) -> None:
        sections[f"[[{prefix}]]" if many else f"[{prefix}]"] = model
        for name, field in model.model_fields.items():
            sub, sub_many = _submodel(field.annotation)
            if sub is not None and not field.exclude:
                walk(f"{prefix}.{name}", sub, sub_many)

    for name, field in HubConfig.model_fields.items():
        sub, many = _submodel(field.annotation)
        if sub is not None:
            walk(name, sub, many)
    for kind, model in _channel_kinds().items():
        sections[f'[notify.channels."{kind}:<name>"]'] = model
    return sections


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML spelling for {value!r}")


def expected_default(field: FieldInfo) -> str | None:
    """How the Default column must start; ``None``: a table of its own, documented in its section."""
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return None
    if value is None:
        return "*unset*"
    return f"`{_toml(value)}`"


def documented_sections(text: str) -> dict[str, dict[str, str]]:
    """``{heading: {key: default cell}}`` from the tables under each `[section]` heading."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    in_fence = False
    for line in text.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if line.startswith("#"):
            match = HEADING.match(line)
            current = sections.setdefault(match.group(2), {}) if match else None
            continue
        row = ROW.match(line)
        if current is not None and row:
            cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
            assert len(cells) == 4, (
                f"configuration.md: a row needs key | type | default | description: {line}"
            )
            current[row.group(1)] = cells[2]
    return sections


def test_configuration_documents_every_section_and_key() -> None:
    documented = documented_sections(CONFIGURATION.read_text(encoding="utf-8"))
    expected = expected_sections()
    problems: list[str] = []
    for heading, model in expected.items():
        rows = documented.get(heading)
        if rows is None:
            problems.append(f"no section `{heading}` ({model.__name__})")
            continue
        fields = {name: field for name, field in model.model_fields.items() if not field.exclude}
        for name in sorted(set(fields) - set(rows)):
            problems.append(f"`{heading}` does not document `{name}`")
        for name in sorted(set(rows) - set(fields)):
            problems.append(f"`{heading}` documents `{name}`, which {model.__name__} does not have")
        for name in sorted(set(rows) & set(fields)):
            default = expected_default(fields[name])
            if default is not None and not rows[name].startswith(default):
                problems.append(
                    f"`{heading}` `{name}`: the default is {default}, the page says {rows[name]!r}"
                )
    stale = sorted(set(documented) - set(expected) - {"[plugins.<name>]"})
    problems += [f"section `{heading}` documents no section of HubConfig" for heading in stale]
    if "[plugins.<name>]" not in documented and "plugins" in HubConfig.model_fields:
        problems.append("no section `[plugins.<name>]`")
    assert problems == [], "docs/configuration.md is out of date:\n" + "\n".join(problems)


def test_the_configuration_check_sees_every_section() -> None:
    headings = set(expected_sections())
    assert {
        "[hub]",
        "[server]",
        "[policy]",
        "[[policy.rate_limits]]",
        "[notify]",
        "[notify.retry]",
        "[[notify.routes]]",
        "[auth]",
        "[auth.oauth]",
        "[[auth.api_keys]]",
        "[auth.rbac]",
    } <= headings
    assert '[notify.channels."webhook:<name>"]' in headings


def test_environment_variables_of_the_code_are_documented() -> None:
    text = CONFIGURATION.read_text(encoding="utf-8")
    from mcpea_core.audit.settings import AUDIT_STORE_ENV

    for variable in ("MCPEA_CONFIG", "MCPEA_LOAD_PLUGINS", AUDIT_STORE_ENV):
        assert f"`{variable}`" in text


# --- TOML examples validate ------------------------------------------------------------------------

# Snippets show one part of a configuration; these errors only say that another part is elsewhere.
SNIPPET_TOLERATED = ("not configured under [notify.channels]", "configure auth.oauth, or at least one")
SECRET_PLACEHOLDER = "placeholder-secret-0123456789abcdef"


def _fenced_blocks(path: Path) -> Iterator[tuple[int, str, str]]:
    """``(line, language, text)`` of each fenced code block."""
    fence: str | None = None
    block: list[str] = []
    start, language = 0, ""
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = FENCE.match(line)
        if fence is None and match:
            fence, language, block, start = match.group(1), match.group(2).lower(), [], lineno
        elif fence is not None and line.strip() == fence:
            yield start, language, "\n".join(block)
            fence = None
        elif fence is not None:
            block.append(line)


def toml_examples() -> Iterator[tuple[str, str]]:
    """TOML code blocks, and ``*.toml`` files of Kubernetes ConfigMaps in YAML blocks."""
    for path in documentation_files():
        name = path.relative_to(ROOT).as_posix()
        for start, language, text in _fenced_blocks(path):
            if language == "toml":
                yield f"{name}:{start}", text
            elif language in ("yaml", "yml"):
                for document in yaml.safe_load_all(text):
                    if isinstance(document, dict) and document.get("kind") == "ConfigMap":
                        for key, value in (document.get("data") or {}).items():
                            if key.endswith(".toml"):
                                yield f"{name}:{start} ({key})", value


def _without_secrets(value: Any) -> Any:
    """``{ env = ... }`` / ``{ file = ... }`` replaced by a placeholder, as if resolved."""
    if isinstance(value, dict):
        if set(value) in ({"env"}, {"file"}):
            return SECRET_PLACEHOLDER
        return {k: _without_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def _plugin_settings_models() -> dict[str, type[BaseModel]]:
    """The settings model of each installed plugin module that has a ``settings_model`` hook."""
    from importlib.metadata import entry_points

    models: dict[str, type[BaseModel]] = {}
    for ep in entry_points(group="mcpea"):
        try:
            hook = getattr(ep.load(), "settings_model", None)
            model = hook() if callable(hook) else None
        except Exception:  # a broken plugin is its own tests' business
            continue
        if isinstance(model, type) and issubclass(model, BaseModel):
            models[ep.name] = model
    return models


def _validate(model: type[BaseModel], data: Any, where: str, key: str) -> list[str]:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return [
            f"{where}: {'.'.join([key, *map(str, e['loc'])]).strip('.')}: {e['msg']}"
            for e in exc.errors(include_url=False)
            if not any(part in e["msg"] for part in SNIPPET_TOLERATED)
        ]
    return []


def test_toml_examples_are_valid_configurations() -> None:
    """Every example of mcpea.toml validates, with its channel tables and installed plugins' tables."""
    kinds = _channel_kinds()
    plugins = _plugin_settings_models()
    problems: list[str] = []
    checked = 0
    for where, text in toml_examples():
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            problems.append(f"{where}: not valid TOML: {exc}")
            continue
        if not data or not set(data) <= set(HubConfig.model_fields):
            continue  # not a hub configuration (a plugin's pyproject.toml, ...)
        checked += 1
        problems += _validate(HubConfig, data, where, "")
        for channel, table in data.get("notify", {}).get("channels", {}).items():
            kind = kinds.get(channel.split(":", 1)[0])
            if kind is not None:
                problems += _validate(kind, _without_secrets(table), where, f'notify.channels."{channel}"')
        for plugin, table in data.get("plugins", {}).items():
            if plugin in plugins:
                problems += _validate(plugins[plugin], _without_secrets(table), where, f"plugins.{plugin}")
    assert checked >= 15
    assert problems == [], "\n".join(problems)
