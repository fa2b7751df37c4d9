"""Tool-name globs (``fnmatch`` syntax, case-sensitive), compiled once."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence

__all__ = ["GlobSet"]


class GlobSet:
    """A list of globs; :meth:`first_match` says which one matched, for error messages."""

    def __init__(self, globs: Sequence[str]) -> None:
        self.globs = tuple(globs)
        self._any = re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in self.globs)) if globs else None

    def __bool__(self) -> bool:
        return bool(self.globs)

    def matches(self, name: str) -> bool:
        return self._any is not None and self._any.match(name) is not None

    def first_match(self, name: str) -> str | None:
        if not self.matches(name):
            return None
        return next(g for g in self.globs if fnmatch.fnmatchcase(name, g))
