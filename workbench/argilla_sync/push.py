"""Push: send the project's new and changed questions to its Argilla dataset.

Each record carries the question's stable id, so pushing again updates instead of
duplicating; a content hash per question (argilla_links) skips what the server already shows.
Batches are recorded as they land, so a push cut short resumes where it stopped.

The server validates every record (most of a push's time), so batches go out
``settings.argilla_parallel`` at a time: a server with several workers validates them side
by side; a single worker takes them in turn, at no cost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from typing import Any

from store import Store
from store.base import utc_now
from store.records import Project
from workbench.argilla_sync import errors
from workbench.argilla_sync.payload import RecordPayload, build_payload, label_count
from workbench.argilla_sync.target import dataset_name_for, known_dataset_id
from workbench.errors import InvalidInput
from workbench.settings import Settings

Progress = Callable[[int, int, str], None]
Log = Callable[[str], None]
DEFAULT_BATCH = 250


@dataclass(frozen=True)
class PushResult:
    dataset: str
    workspace: str
    total: int  # questions that belong in Argilla
    sent: int  # new or changed, sent in this push
    unchanged: int
    skipped: int  # more options than the dataset has labels
    created_dataset: bool
    annotators: int = 1  # submitted responses the dataset asks for per record

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def push_project(
    store: Store, settings: Settings, project: Project, *, batch_size: int = DEFAULT_BATCH,
    recreate: bool = False, dataset_name: str | None = None, parallel: int | None = None,
    annotators: int | None = None, progress: Progress | None = None, log: Log | None = None,
) -> PushResult:
    """Send new and changed questions; ServiceError (store unchanged) when the server is
    unreachable, refuses the key, lacks the workspace, or lost the dataset.

    ``annotators``: submitted responses wanted per record; by default what this project's
    dataset was pushed with, else ``settings.argilla_annotators``, else what an existing
    dataset already asks for (1 for a new one). InvalidInput when below 1."""
    from workbench.argilla_sync.client import MAX_BATCH, ArgillaClient

    say = log or (lambda _m: None)
    wanted = requested_annotators(store, settings, project, annotators)
    name = dataset_name or dataset_name_for(store, project)
    client = ArgillaClient(settings)
    dataset = client.find_dataset(name)
    pushed_before = store.argilla_link_count(project.id, name) > 0
    known_id = known_dataset_id(store, project, name)
    replaced = dataset is not None and known_id is not None and str(dataset.id) != known_id
    if pushed_before and (dataset is None or replaced) and not recreate:
        raise errors.dataset_deleted(name, project.name)
    if recreate:
        say(f"forgetting {store.forget_argilla_links(project.id)} pushed records")

    items = store.argilla_push_items(project.id, name)
    created = dataset is None
    if dataset is None:
        say(f"creating dataset '{name}' in workspace '{client.workspace_name}'")
        dataset = client.create_dataset(name, label_count(items), wanted or 1)
    labels = client.label_count(dataset)
    per_record = client.annotators(dataset)
    if wanted is not None and wanted != per_record:
        say(f"asking for {wanted} annotators per record (was {per_record})")
        client.set_annotators(dataset, wanted)
        per_record = wanted
    store.set_sync_values(project.id, {
        "dataset_name": name, "dataset_id": str(dataset.id),
        "workspace": client.workspace_name, "annotators": per_record,
    })

    to_send: list[RecordPayload] = []
    unchanged = skipped = 0
    for item in items:
        if len(item.question.options) > labels:
            skipped += 1
            continue
        payload = build_payload(item)
        if payload.content_hash == item.pushed_hash:
            unchanged += 1
        else:
            to_send.append(payload)
    if skipped:
        say(f"skipping {skipped} questions with more than {labels} options")
    say(f"{len(to_send)} to send, {unchanged} unchanged")

    size = max(1, min(batch_size, MAX_BATCH))
    batches = [to_send[start:start + size] for start in range(0, len(to_send), size)]
    sent = 0
    if progress:
        progress(0, len(to_send), f"0/{len(to_send)} records sent")
    for batch in send_batches(lambda b: client.upsert(dataset, b), batches,
                              parallel or settings.argilla_parallel):
        store.mark_argilla_pushed(
            project.id, name, [(p.question_id, p.record_id, p.content_hash) for p in batch])
        sent += len(batch)
        if progress:
            progress(sent, len(to_send), f"{sent}/{len(to_send)} records sent")

    result = PushResult(name, client.workspace_name, len(items), sent, unchanged, skipped,
                        created, per_record)
    store.set_sync_values(project.id, {"last_push_at": utc_now(), "last_push": result.as_dict()})
    return result


def requested_annotators(
    store: Store, settings: Settings, project: Project, annotators: int | None,
) -> int | None:
    """Annotators per record this push asks for: the caller's, else the project's stored
    choice, else the setting; None leaves an existing dataset as it is."""
    for value in (annotators, store.sync_values(project.id).get("annotators"),
                  settings.argilla_annotators):
        if value is not None:
            if int(value) < 1:
                raise InvalidInput(
                    f"Annotators per record must be 1 or more, not {value}.",
                    "Pass --annotators N with N >= 1 (or fix WORKBENCH_ARGILLA_ANNOTATORS).")
            return int(value)
    return None


def send_batches(
    send: Callable[[list[RecordPayload]], None], batches: list[list[RecordPayload]],
    parallel: int,
) -> Iterator[list[RecordPayload]]:
    """Send batches, up to ``parallel`` at once, and yield each one once it has landed (in
    the caller's thread, so the store is only touched there). After a failure no new batch
    starts; those in flight finish and are yielded if they land; then the first error is
    raised."""
    queue = iter(batches)
    error: BaseException | None = None
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        in_flight: dict[Future[None], list[RecordPayload]] = {}

        def start_next() -> None:
            batch = next(queue, None)
            if batch is not None:
                in_flight[pool.submit(send, batch)] = batch

        for _ in range(max(1, parallel)):
            start_next()
        while in_flight:
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                batch = in_flight.pop(future)
                if future.exception() is not None:
                    error = error or future.exception()
                    continue
                yield batch
                if error is None:
                    start_next()
    if error is not None:
        raise error
