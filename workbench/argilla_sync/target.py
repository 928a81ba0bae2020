"""Which Argilla dataset a project syncs with: its name (configurable, stored with the
project's sync facts) and the server id it had when last pushed. Store reads only."""

from __future__ import annotations

from store import Store
from store.records import Project
from workbench.argilla_sync.payload import default_dataset_name


def dataset_name_for(store: Store, project: Project) -> str:
    """The configured dataset name, else ``workbench-<project slug>``."""
    name = store.sync_values(project.id).get("dataset_name")
    return str(name) if name else default_dataset_name(project.name)


def known_dataset_id(store: Store, project: Project, name: str) -> str | None:
    """The server id the dataset had at the last push, when it was this name."""
    state = store.sync_values(project.id)
    if state.get("dataset_name") != name:
        return None
    value = state.get("dataset_id")
    return str(value) if value else None
