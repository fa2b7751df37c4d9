"""MkDocs hook: links from a page to repository files outside docs/ point at the repository.

Pages such as ``plugin-hooks.md`` link to source files (``../mcpea_core/hookspecs.py``)
and ``directory.md`` to plugin folders (``../plugins/mcpea-plugin-stripe``), so
that they work when read on GitHub. On the built site those files do not exist;
this hook rewrites such links to ``<repo_url>/blob/main/<path>`` (``tree`` for a
folder) and fails the build, in ``--strict`` mode, when the target is not in the
repository either. Links between pages are left to MkDocs, which checks them.
"""

from __future__ import annotations

import logging
import posixpath
import re
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.plugins.mcpea_repo_links")

# [text](target) and [text](target "title"), not images of other sites; fenced code is skipped.
_LINK = re.compile(r"(?<!\\)(\]\()([^)\s]+)((?:\s+\"[^\"]*\")?\))")
_FENCE = re.compile(r"^(\s*)(```|~~~)")
_BRANCH = "main"


def _rewrite(target: str, page_dir: str, docs_dir: Path, repo_root: Path, repo_url: str, page: str) -> str:
    if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith(("#", "/")):
        return target
    path, sep, anchor = target.partition("#")
    if not path:
        return target
    joined = posixpath.normpath(posixpath.join(page_dir, path))
    if not joined.startswith("../"):
        return target  # inside docs/: MkDocs validates it
    in_repo = posixpath.normpath(posixpath.join(docs_dir.relative_to(repo_root).as_posix(), joined))
    local = repo_root / in_repo
    if in_repo.startswith("../") or not local.exists():
        log.warning("Doc file '%s' links to '%s', which is not a file of the repository", page, target)
        return target
    kind = "tree" if local.is_dir() else "blob"
    return f"{repo_url.rstrip('/')}/{kind}/{_BRANCH}/{in_repo}{sep}{anchor}"


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    repo_url = config.get("repo_url")
    if not repo_url:
        return markdown
    docs_dir = Path(config["docs_dir"]).resolve()
    repo_root = Path(config["config_file_path"]).resolve().parent
    src = page.file.src_uri
    page_dir = posixpath.dirname(src)
    out: list[str] = []
    fence: str | None = None
    for line in markdown.splitlines(keepends=True):
        match = _FENCE.match(line)
        if match:
            marker = match.group(2)
            fence = None if fence == marker else (fence or marker)
            out.append(line)
            continue
        if fence is None and "](" in line:
            line = _LINK.sub(
                lambda m: (
                    m.group(1)
                    + _rewrite(m.group(2), page_dir, docs_dir, repo_root, repo_url, src)
                    + m.group(3)
                ),
                line,
            )
        out.append(line)
    return "".join(out)
