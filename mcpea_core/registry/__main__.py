"""``python -m mcpea_core.registry [--check] [REGISTRY]``: regenerate docs/directory.md, or check it."""

from __future__ import annotations

import sys

from . import check_registry, directory_path, load_registry, render_directory


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [arg for arg in argv if arg != "--check"]
    registry = load_registry(paths[0] if paths else None)
    problems = check_registry(registry)
    for problem in problems:
        print(f"registry: {problem}", file=sys.stderr)
    target = directory_path(registry)
    text = render_directory(registry)
    if check:
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            print(f"{target} is stale: run `mcpea registry render-directory`", file=sys.stderr)
            return 1
        return 1 if problems else 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
