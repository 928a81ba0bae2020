"""A project holding the demo corpus, and the bundled models registered."""

from __future__ import annotations

from dataclasses import replace

import pytest

from store import Store
from store.records import Project
from workbench.bundled_model import register_bundled_models
from workbench.demo import corpus_dir
from workbench.docs import import_paths
from workbench.settings import Settings


@pytest.fixture
def corpus_project(store: Store, settings: Settings, project: Project) -> Project:
    """The test project with the bundled demo documents imported, cut in short chunks (short
    prompts keep the model's work in tests small)."""
    small = replace(settings, chunk_size=400, chunk_overlap=40)
    report = import_paths(store, project.id, [corpus_dir()], small)
    assert report.imported, report.skipped
    register_bundled_models(store)
    return project
