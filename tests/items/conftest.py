"""The evaluation tests' exam project, snapshot and second model, for item analysis on real
runs."""

from __future__ import annotations

from tests.evaluation.conftest import (  # noqa: F401  (fixtures)
    exam_project,
    exam_snapshot,
    isolated_datasets_cache,
    random_model,
)
