"""The floor plan: the store is the ground floor, the domain sits on it, the screens on top.

Imports are read with ``ast`` (every import, including those inside functions), so a
lazy import that goes the wrong way is caught as well as a top-level one.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The one arrow allowed to run up: the CLI's bare command starts the terminal app.
TUI_ENTRY = ("workbench/cli/__init__.py", "screens.app")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports, absolute, with its line number."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def top_package(module: str) -> str:
    return module.split(".", 1)[0]


def violations(package: str, forbidden: set[str],
               allowed: tuple[tuple[str, str], ...] = ()) -> list[str]:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for lineno, module in imported_modules(path):
            if top_package(module) in forbidden and (rel, module) not in allowed:
                bad.append(f"{rel}:{lineno} imports {module}")
    return bad


def test_store_imports_nothing_above_it() -> None:
    assert violations("store", {"workbench", "screens"}) == []


def test_domain_imports_no_screens_outside_the_tui_entry() -> None:
    assert violations("workbench", {"screens"}, allowed=(TUI_ENTRY,)) == []


def test_the_tui_entry_is_still_where_the_rule_says() -> None:
    # If the entry moves, the allowance above must move with it rather than go stale.
    entry = ROOT / TUI_ENTRY[0]
    assert TUI_ENTRY[1] in {module for _, module in imported_modules(entry)}


def test_the_check_sees_a_lazy_import_inside_a_function(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\n\ndef f():\n    from workbench.errors import NotFound\n")
    assert (4, "workbench.errors") in imported_modules(sample)
