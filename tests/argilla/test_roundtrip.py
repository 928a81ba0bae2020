"""Push 1,000 questions through the CLI job, annotate a few hundred as other Argilla users
(submitted, discarded, draft, disagreeing), pull, check the store; push and pull again and
check that nothing is duplicated."""

from __future__ import annotations

import json

import pytest
from argilla_testkit import (
    ArgillaServer,
    add_questions,
    make_annotator,
    record_uuids,
    unique_project,
)

from store import Store
from workbench.argilla_sync.payload import LETTERS, record_id
from workbench.argilla_sync.probe import HttpProbe
from workbench.settings import Settings

pytestmark = [pytest.mark.argilla, pytest.mark.slow]
N = 1000


def _sync(cli, direction: str, project: str) -> dict:  # type: ignore[no-untyped-def]
    out = cli("argilla", direction, "--project", project, "--wait", "--json", timeout=900)
    assert out.returncode == 0, out.stdout + out.stderr
    data = json.loads(out.stdout)
    assert data["state"] == "done", data
    return dict(data["result"])


def test_push_annotate_pull_and_again(argilla_server: ArgillaServer,
                                      argilla_settings: Settings, argilla_store: Store, cli):
    store = argilla_store
    project = unique_project(store)
    ids = add_questions(store, project, N)
    q = {i: store.question(qid) for i, qid in enumerate(ids)}
    # A local reviewer's decisions before the push: approvals and discards.
    for i in range(300, 320):
        store.record_review(ids[i], "tester", "accept", {"status": "approved"}, origin="tui")
    for i in range(900, 910):
        store.record_review(ids[i], "tester", "discard", {"status": "discarded"}, origin="tui")

    pushed = _sync(cli, "push", project.name)
    assert pushed["sent"] == N and pushed["created_dataset"] is True
    dataset = pushed["dataset"]
    assert len(record_uuids(argilla_server, dataset)) == N

    owner = argilla_server.owner()
    ds = owner.datasets(dataset, workspace=argilla_server.workspace)
    shown = next(r for r in ds.records(batch_size=1000, with_suggestions=True)
                 if r.id == record_id(ids[905]))
    assert shown.metadata["status"] == "discarded"  # locally discarded: marked, not left out
    assert shown.fields["passage"].startswith("Paragraph")
    assert shown.suggestions["answer"].value == LETTERS[q[905].answer_index]
    assert shown.suggestions["answer"].agent == q[905].model_name

    ann1 = make_annotator(argilla_server, "ann1")
    ann2 = make_annotator(argilla_server, "ann2")

    def other(i: int) -> str:
        return LETTERS[(q[i].answer_index + 1) % 4]

    def rid(i: int) -> str:
        return record_id(ids[i])

    first: dict[str, tuple[str, str | None, str | None]] = {}
    for i in range(150):  # agrees with the suggestion
        first[rid(i)] = ("submitted", LETTERS[q[i].answer_index], None)
    for i in range(150, 200):  # picks another answer, with a comment
        first[rid(i)] = ("submitted", other(i), f"fixed {i}")
    for i in range(200, 240):
        first[rid(i)] = ("discarded", None, "ambiguous")
    for i in range(240, 260):
        first[rid(i)] = ("draft", other(i), None)
    for i in range(300, 305):  # disagrees with the local reviewer's approval
        first[rid(i)] = ("submitted", other(i), None)
    ann1.respond(dataset, first)
    second: dict[str, tuple[str, str | None, str | None]] = {}
    for i in range(20):  # a second annotator who agrees
        second[rid(i)] = ("submitted", LETTERS[q[i].answer_index], None)
    for i in range(150, 160):  # ... and disagrees with ann1 (answering later)
        second[rid(i)] = ("submitted", LETTERS[q[i].answer_index], None)
    ann2.respond(dataset, second)

    pulled = _sync(cli, "pull", project.name)
    decided = 150 + 50 + 40 + 5 + 20 + 10
    assert pulled["responses"] == decided
    assert pulled["applied"] == decided
    # Drafts alone do not even match the pull's query; they are checked in the store below.
    assert sorted(pulled["flagged"]) == sorted(
        [ids[i] for i in range(150, 160)] + [ids[i] for i in range(300, 305)])

    for i in range(150):
        assert store.question(ids[i]).status == "approved"
        assert store.question(ids[i]).answer_index == q[i].answer_index
    for i in range(160, 200):
        now = store.question(ids[i])
        assert (now.status, now.answer_letter) == ("approved", other(i))
        last = store.question_reviews(ids[i])[-1]
        assert (last.reviewer, last.origin, last.comment) == (ann1.username, "argilla",
                                                              f"fixed {i}")
    for i in range(150, 160):  # latest decision wins: ann2 answered after ann1
        assert store.question(ids[i]).answer_index == q[i].answer_index
        assert "disagreement" in store.question(ids[i]).flags
        reviewers = [r.reviewer for r in store.question_reviews(ids[i])]
        assert reviewers == [ann1.username, ann2.username]
    for i in range(200, 240):
        assert store.question(ids[i]).status == "discarded"
        assert store.question_reviews(ids[i])[-1].comment == "ambiguous"
    for i in range(240, 260):  # drafts are ignored
        assert store.question(ids[i]).status == "pending"
        assert store.question_reviews(ids[i]) == []
    for i in range(300, 305):
        assert store.question(ids[i]).answer_letter == other(i)
        assert "disagreement" in store.question(ids[i]).flags
    for i in list(range(20)) + list(range(160, 200)) + list(range(305, 320)):
        assert "disagreement" not in store.question(ids[i]).flags
    argilla_reviews = [r for rs in store.reviews_for_project(project.id).values() for r in rs
                       if r.origin == "argilla"]
    assert len(argilla_reviews) == decided
    assert store.argilla_counts(project.id, dataset).responses == decided

    # A local decision newer than the Argilla response wins over it on the next pulls.
    store.record_review(ids[200], "tester", "answer", {"status": "approved"}, origin="tui")

    again = _sync(cli, "push", project.name)
    changed = 150 + 50 + 40 + 5  # questions whose status, answer or flags changed
    assert again["sent"] == changed and again["created_dataset"] is False
    assert again["unchanged"] == N - again["sent"]
    probe = HttpProbe(argilla_settings)
    remote = probe.dataset(dataset, argilla_server.workspace)
    assert remote is not None and remote.records == N  # updated in place, none added
    reviews_before = store.table_counts()["reviews"]
    pulled_again = _sync(cli, "pull", project.name)
    assert pulled_again["applied"] == 0 and pulled_again["unchanged"] == decided
    assert store.table_counts()["reviews"] == reviews_before
    assert store.question(ids[200]).status == "approved"
    assert _sync(cli, "push", project.name)["sent"] == 0

    # An annotator changes their mind: only that response is applied.
    ann1.respond(dataset, {rid(201): ("submitted", LETTERS[q[201].answer_index], None)})
    latest = _sync(cli, "pull", project.name)
    assert latest["applied"] == 1 and latest["unchanged"] == decided - 1
    assert store.question(ids[201]).status == "approved"

    status = cli("argilla", "status", "--project", project.name, "--json")
    data = json.loads(status.stdout)
    assert data["pushed"] == N and data["remote_records"] == N
    assert data["annotated"] == 150 + 50 + 40 + 5  # distinct questions with responses

    # The API key is never written to the store or to the job logs.
    key = argilla_settings.argilla_api_key
    assert key
    for path in [argilla_settings.store_path, *argilla_settings.store_path.parent.glob("*.db-wal"),
                 *argilla_settings.jobs_dir.glob("*.log")]:
        assert key.encode() not in path.read_bytes(), path
