"""``mcpea auth``: helpers for configuring authentication (``main.add_command(auth_group)``)."""

from __future__ import annotations

import re
import sys

import click

from .keys import generate_key, hash_key

__all__ = ["auth_group"]


@click.group(name="auth")
def auth_group() -> None:
    """Authentication helpers for `mcpea serve --transport http`."""


@auth_group.command(name="hash-key")
@click.option("--generate", is_flag=True, help="Make a new random key, print it once, and its hash.")
@click.option("--id", "key_id", default=None, help="Print a ready [[auth.api_keys]] entry with this id.")
def hash_key_command(generate: bool, key_id: str | None) -> None:
    """Print the SHA-256 of an API key, for [[auth.api_keys]] sha256 in mcpea.toml.

    The key is read from standard input (prompted for, without echo, on a
    terminal), never from the command line, where shell history would keep
    it. Only the hash goes into the config file.

    \b
    Examples:
      mcpea auth hash-key --generate --id ci-bot
      printf %s "$KEY" | mcpea auth hash-key
    """
    if key_id is not None and not re.fullmatch(r"[A-Za-z0-9_.@-]{1,64}", key_id):
        raise click.BadParameter("letters, digits and _ . @ - only (at most 64)", param_hint="--id")
    if generate:
        key = generate_key()
        click.echo(f"key (shown once; give it to the client): {key}", err=True)
    elif sys.stdin.isatty():
        key = click.prompt("API key", hide_input=True)
    else:
        key = sys.stdin.read()
    if not key.strip():
        raise click.UsageError("no key given on standard input")
    if len(key.strip()) < 20:
        click.echo("warning: short keys can be guessed; use --generate for a random one", err=True)
    digest = hash_key(key)
    if key_id is None:
        click.echo(digest)
    else:
        click.echo(f'[[auth.api_keys]]\nid = "{key_id}"\nsha256 = "{digest}"\nroles = []')
