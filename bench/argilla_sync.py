"""Push + pull of N questions (default 10,000) against a real Argilla server: workbench's
incremental sync versus the seed's approach (build every record, log them all in one call,
read every record back), over two sync rounds in the same run.

Round 1: nothing on the server yet. Between rounds, an annotator answers some records and
a local reviewer changes some questions. Round 2: sync again. The annotations themselves
are not timed. Prints seconds per step and the ratio seed / workbench.

Where the time goes: the server validates every record it receives (most of it), so round
1 costs both approaches about the same server work. Workbench sends its batches
``WORKBENCH_ARGILLA_PARALLEL`` (2) at a time, which a server with several workers
(``scripts/argilla-dev`` starts ``ARGILLA_DEV_WORKERS``, 2) validates side by side; against
a single-worker server round 1 is about 1.0x. Round 2 sends only what changed.

    eval "$(scripts/argilla-dev start)"
    .venv/bin/python bench/argilla_sync.py [--questions 10000] [--annotated 500] [--changed 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from store import Store  # noqa: E402
from store.records import NewQuestion, Project  # noqa: E402
from workbench.argilla_sync.client import ArgillaClient  # noqa: E402
from workbench.argilla_sync.payload import build_payload, record_id  # noqa: E402
from workbench.argilla_sync.pull import pull_project  # noqa: E402
from workbench.argilla_sync.push import push_project  # noqa: E402
from workbench.settings import Settings, load_settings  # noqa: E402


def make_questions(store: Store, project: Project, n: int) -> list[int]:
    return store.add_questions(
        NewQuestion(project.id, f"Benchmark question {i}: which option is right?",
                    [f"option {i}-{k}" for k in range(4)], i % 4, model_name="bench-model")
        for i in range(n)
    )


def annotate(client: ArgillaClient, dataset: Any, ids: list[str], user_id: Any) -> None:
    """One annotator submits the second option on these records (not timed)."""
    import argilla as rg

    wanted = set(ids)
    records = [r for r in dataset.records(batch_size=1000, with_responses=False)
               if r.id in wanted]
    for r in records:
        r.responses.add(rg.Response("answer", "B", user_id=user_id, status="submitted"))
    dataset.records.log(records, batch_size=500)


def seed_sync(client: ArgillaClient, dataset: Any, store: Store, project: Project) -> float:
    """The seed's way: build every record, log them in one call, read everything back."""
    import argilla as rg

    started = time.perf_counter()
    items = store.argilla_push_items(project.id, "seed")
    records = []
    for item in items:
        p = build_payload(item)
        records.append(rg.Record(id=p.record_id, fields=p.fields, metadata=p.metadata,
                                 suggestions=[rg.Suggestion("answer", p.suggestion, agent=p.agent)]))
    dataset.records.log(records)
    read_back = list(dataset.records(with_responses=True, with_suggestions=True))
    assert len(read_back) == len(records)
    return time.perf_counter() - started


def make_annotator(client: ArgillaClient, workspace: Any) -> Any:
    import argilla as rg

    user = rg.User(username=f"bench-{uuid.uuid4().hex[:6]}", password="bench-pass",
                   role="admin", client=client.rg).create()
    user.add_to_workspace(workspace)
    return user


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--annotated", type=int, default=500)
    parser.add_argument("--changed", type=int, default=200)
    args = parser.parse_args()
    settings: Settings = load_settings()
    if not settings.argilla_api_url:
        print("Start a server first: eval \"$(scripts/argilla-dev start)\"", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings.with_store(Path(tmp) / "bench.db")
        store = Store(settings.store_path)
        tag = uuid.uuid4().hex[:6]
        ours_project = store.create_project(f"bench-ours-{tag}")
        seed_project = store.create_project(f"bench-seed-{tag}")
        ours_ids = make_questions(store, ours_project, args.questions)
        seed_ids = make_questions(store, seed_project, args.questions)
        client = ArgillaClient(settings)
        annotator = make_annotator(client, client.workspace)
        seed_ds = client.create_dataset(f"workbench-bench-seed-{tag}", 4)
        rounds: list[tuple[float, float, float]] = []
        for round_no in (1, 2):
            t0 = time.perf_counter()
            pushed = push_project(store, settings, ours_project)
            t1 = time.perf_counter()
            pulled = pull_project(store, settings, ours_project)
            t2 = time.perf_counter()
            seed_seconds = seed_sync(client, seed_ds, store, seed_project)
            rounds.append((t1 - t0, t2 - t1, seed_seconds))
            print(f"round {round_no}: workbench push {t1 - t0:7.1f} s ({pushed.sent} sent),"
                  f" pull {t2 - t1:6.1f} s ({pulled.applied} applied);"
                  f" seed log+read {seed_seconds:7.1f} s", flush=True)
            if round_no == 1:  # between the rounds: annotations and local changes
                lo, hi = 0, args.annotated
                ours_ds = client.find_dataset(pushed.dataset)
                annotate(client, ours_ds, [record_id(i) for i in ours_ids[lo:hi]], annotator.id)
                annotate(client, seed_ds, [record_id(i) for i in seed_ids[lo:hi]], annotator.id)
                for ids in (ours_ids, seed_ids):
                    for qid in ids[-args.changed:]:
                        store.record_review(qid, "bench", "answer",
                                            {"status": "approved", "answer_index": 2})
        ours = sum(r[0] + r[1] for r in rounds)
        seed = sum(r[2] for r in rounds)
        first = rounds[0][2] / (rounds[0][0] + rounds[0][1])
        second = rounds[1][2] / (rounds[1][0] + rounds[1][1])
        print(f"questions {args.questions}, annotated {args.annotated}, changed {args.changed},"
              f" batches in flight {settings.argilla_parallel}")
        print(f"workbench total {ours:.1f} s, seed total {seed:.1f} s,"
              f" speed-up {seed / ours:.2f}x (round 1 {first:.2f}x, round 2 {second:.2f}x);"
              f" goal >= 2x")
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
