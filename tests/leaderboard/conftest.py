"""Fixtures of the leaderboard tests; helpers live in synthetic_runs.py."""

from __future__ import annotations

import pytest
from synthetic_runs import make_questions

from store import Store
from store.records import Project


@pytest.fixture
def questions(store: Store, project: Project) -> list[int]:
    return make_questions(store, project, 40)
