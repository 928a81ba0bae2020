"""Fixtures of the review tests (data and helpers live in review_helpers.py)."""

from __future__ import annotations

import pytest
from review_helpers import ReviewData, add_review_data

from store import Store
from store.records import Project


@pytest.fixture
def review_data(store: Store, project: Project) -> ReviewData:
    return add_review_data(store, project)
