"""What the Argilla screen and ``workbench argilla status`` show: the local side from the
store, the server side from plain HTTP calls (no SDK), and the last sync jobs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from store import Store
from store.argilla import ArgillaCounts
from store.records import Job, Project
from workbench.argilla_sync.agreement import Agreement
from workbench.argilla_sync.probe import HttpProbe, RemoteDataset, ServerInfo
from workbench.argilla_sync.target import dataset_name_for
from workbench.errors import ServiceError
from workbench.settings import Settings

SYNC_KINDS = ("argilla_push", "argilla_pull")


@dataclass(frozen=True)
class LocalView:
    project: str
    dataset: str
    counts: ArgillaCounts
    last_push_at: str | None
    last_pull_at: str | None
    last_push: dict[str, Any] | None
    last_pull: dict[str, Any] | None
    running: Job | None  # a push or pull job in progress
    last_failed: Job | None  # the latest sync job, when it failed
    annotators: int | None = None  # annotators per record the dataset asks for (last push)
    agreement: Agreement | None = None  # between annotators, as of the last pull

    def agreement_lines(self) -> list[tuple[str, str]]:
        """(label, text) lines the screen and ``argilla status`` show about annotators and
        agreement; none before the first push or pull that knows them."""
        lines = []
        if self.annotators is not None:
            lines.append(("annotators", f"{self.annotators} per record"))
        if self.agreement is not None:
            lines.append(("agreement", self.agreement.describe()))
        return lines


@dataclass(frozen=True)
class RemoteView:
    server: ServerInfo | None
    dataset: RemoteDataset | None
    error: ServiceError | None

    def pending_pull(self, local: LocalView) -> int | None:
        """Annotated records on the server not yet pulled (a lower bound: changed
        responses to already pulled records are not counted)."""
        if self.dataset is None:
            return None
        return max(self.dataset.annotated - local.counts.annotated, 0)


def local_view(store: Store, project: Project) -> LocalView:
    name = dataset_name_for(store, project)
    state = store.sync_values(project.id)
    jobs = [j for j in store.list_jobs(project.id, limit=50) if j.kind in SYNC_KINDS]
    running = next((j for j in jobs if j.active), None)
    latest_done = next((j for j in jobs if not j.active), None)
    failed = latest_done if latest_done is not None and latest_done.state != "done" else None
    return LocalView(
        project.name, name, store.argilla_counts(project.id, name),
        state.get("last_push_at"), state.get("last_pull_at"), state.get("last_push"),
        state.get("last_pull"), running, failed, state.get("annotators"),
        Agreement(**state["agreement"]) if state.get("agreement") else None,
    )


def remote_view(settings: Settings, dataset_name: str) -> RemoteView:
    """Ask the server; a ServiceError is returned (not raised) so it can be shown."""
    try:
        probe = HttpProbe(settings)
        server = probe.server_info()
        return RemoteView(server, probe.dataset(dataset_name, server.workspace), None)
    except ServiceError as exc:
        return RemoteView(None, None, exc)
