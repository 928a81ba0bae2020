"""The project screens by name: which module holds each, its key on the dashboard, its title.

Screens are imported on first use (``workbench.lazy_import``), so the app starts without loading
every screen. Both the app (routing, command palette) and the dashboard (its keys) read
this table; neither imports the other for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.screen import Screen

from workbench.lazy_import import import_target

# name -> (module, class, key on the dashboard, title)
PROJECT_SCREENS: dict[str, tuple[str, str, str, str]] = {
    "documents": ("screens.documents", "DocumentsScreen", "d", "Documents"),
    "generate": ("screens.generate", "GenerateScreen", "g", "Generate"),
    "review": ("screens.review", "ReviewScreen", "r", "Review"),
    "argilla": ("screens.argilla", "ArgillaScreen", "a", "Argilla"),
    "evaluate": ("screens.evaluate", "EvaluateScreen", "e", "Evaluate"),
    "leaderboard": ("screens.leaderboard", "LeaderboardScreen", "l", "Leaderboard"),
    "compare": ("screens.compare", "CompareScreen", "c", "Compare"),
    "jobs": ("screens.jobs", "JobsScreen", "j", "Jobs"),
}


def project_screen_class(name: str) -> Callable[..., Screen[Any]]:
    """The screen class registered as ``name`` (its module imported now); project screens
    take the project first, then their own keyword arguments."""
    module_name, class_name, _key, _title = PROJECT_SCREENS[name]
    screen_cls: Callable[..., Screen[Any]] = import_target(f"{module_name}:{class_name}")
    return screen_cls
