"""Annotation through the endpoints the web UI's buttons call (Submit, Discard, Save draft,
changing an answer, Clear; and Submit in the bulk view). Pull turns them into reviews. On the
dev stack this needs scripts/argilla_dev_app.py (the in-memory search engine refuses the
scripted index updates the server makes for these calls)."""

from __future__ import annotations

import pytest
from argilla_testkit import (
    ArgillaServer,
    add_questions,
    make_annotator,
    record_uuids,
    unique_project,
)

from store import Store
from workbench.argilla_sync.client import ArgillaClient
from workbench.argilla_sync.payload import LETTERS, record_id
from workbench.argilla_sync.pull import pull_project
from workbench.argilla_sync.push import push_project
from workbench.settings import Settings

pytestmark = [pytest.mark.argilla]


def _answer(letter: str, status: str) -> dict[str, object]:
    return {"values": {"answer": {"value": letter}}, "status": status}


def test_web_ui_buttons_become_reviews(argilla_server: ArgillaServer,
                                       argilla_settings: Settings, argilla_store: Store):
    store = argilla_store
    project = unique_project(store)
    ids = add_questions(store, project, 5)
    pushed = push_project(store, argilla_settings, project)
    uuids = record_uuids(argilla_server, pushed.dataset)
    ann = make_annotator(argilla_server, "webui")
    q = [store.question(i) for i in ids]
    other = [LETTERS[(x.answer_index + 1) % 4] for x in q]

    def record(i: int) -> str:
        return str(uuids[record_id(ids[i])])

    first = ann.web_ui("POST", f"records/{record(0)}/responses", _answer(other[0], "submitted"))
    ann.web_ui("PUT", f"responses/{first['id']}", _answer(LETTERS[q[0].answer_index], "submitted"))
    ann.web_ui("POST", f"records/{record(1)}/responses", {"values": {}, "status": "discarded"})
    ann.web_ui("POST", f"records/{record(2)}/responses", _answer(other[2], "draft"))
    cleared = ann.web_ui("POST", f"records/{record(3)}/responses", _answer(other[3], "submitted"))
    ann.web_ui("DELETE", f"responses/{cleared['id']}")
    ann.web_ui("POST", "me/responses/bulk", {"items": [  # the bulk view's Submit
        {**_answer(other[4], "submitted"), "record_id": record(4)}]})

    answered = {r["external_id"] for r in ArgillaClient(argilla_settings).answered_records(
        argilla_server.owner().datasets(pushed.dataset, workspace=argilla_server.workspace).id)}
    assert answered == {record_id(ids[0]), record_id(ids[1]), record_id(ids[4])}  # the index saw every change

    result = pull_project(store, argilla_settings, project)
    assert (result.applied, result.drafts_ignored) == (3, 0)
    assert store.question(ids[0]).status == "approved"
    assert store.question(ids[0]).answer_index == q[0].answer_index  # the changed answer won
    latest = store.latest_review(ids[0])
    assert latest is not None and (latest.reviewer, latest.origin) == (ann.username, "argilla")
    assert store.question(ids[1]).status == "discarded"
    assert [store.question(i).status for i in ids[2:4]] == ["pending", "pending"]
    assert store.question(ids[4]).answer_index == LETTERS.index(other[4])
