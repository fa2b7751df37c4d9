"""The three shapes of a tool's call to GitHub, each translating errors and reporting request ids.

- :func:`fetch_one`: one object (a get, or what a create/merge answered);
- :func:`fetch_page`: one page of a PyGithub ``PaginatedList``;
- :func:`request`: a documented request sent through PyGithub's requester, where
  a PyGithub method does not fit (the toolset modules say why, case by case).

Each takes a zero-argument callable so that building the PyGithub objects
happens inside the error translation too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from mcpea_core import ToolContext

from .client import github_client, payload, report
from .common import Page, page_of
from .errors import upstream

__all__ = ["fetch_one", "fetch_page", "given", "request"]

T = TypeVar("T")
P = TypeVar("P", bound=Page[Any])


def fetch_one(ctx: ToolContext, convert: Callable[[dict[str, Any]], T], action: Callable[[], Any]) -> T:
    """``convert`` of the object ``action`` returns.

    ``raw_data`` completes a lazy object (the one GET of a get tool) and is
    free on an object built from a response (what a create returns).
    """
    with upstream(ctx):
        obj = action()
        data = obj.raw_data
    report(ctx, obj)
    return convert(data)


def fetch_page(
    ctx: ToolContext,
    model: type[P],
    convert: Callable[[dict[str, Any]], Any],
    page: int,
    listing: Callable[[], Any],
) -> P:
    """Page ``page`` (from 1) of the ``PaginatedList`` that ``listing`` returns, as ``model``."""
    with upstream(ctx):
        items: Sequence[Any] = listing().get_page(page - 1)
    report(ctx, *items[:1])
    return page_of(model, [convert(payload(item)) for item in items], page, ctx)


def request(ctx: ToolContext, verb: str, url: str, **options: Any) -> Any:
    """GitHub's JSON answer to ``verb url`` (a path under the API root), sent by PyGithub's requester."""
    gh = github_client(ctx)
    with upstream(ctx):
        headers, data = gh.requester.requestJsonAndCheck(verb, url, **options)
    report(ctx, headers)
    return data


def given(**values: Any) -> dict[str, Any]:
    """The keyword arguments that were given: ``None`` and empty lists mean "leave it to GitHub"."""
    return {key: value for key, value in values.items() if value is not None and value != []}
