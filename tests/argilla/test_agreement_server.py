"""Several annotators on the real Argilla server: the push asks for N of them per record
(Argilla's task distribution), the pull computes their agreement (kappa for two, alpha for
three; the expected figures are worked out by hand in tests/argilla/test_agreement.py and
below), ``argilla status --json`` shows it, and the Review screen's adjudication queue holds
the questions they disagree on, each annotator's answer side by side."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from argilla_testkit import ArgillaServer, add_questions, make_annotator, unique_project
from textual.app import App
from textual.screen import Screen
from textual.widgets import Static

from screens.argilla import ArgillaScreen
from screens.base import JobsChanged
from screens.review import ReviewScreen
from store import QuestionFilter, Store
from workbench.argilla_sync.payload import record_id
from workbench.argilla_sync.pull import DISAGREEMENT, pull_project
from workbench.argilla_sync.push import push_project
from workbench.errors import InvalidInput
from workbench.jobs.watch import JobWatcher
from workbench.settings import Settings, load_settings

pytestmark = [pytest.mark.argilla]
QUEUE = QuestionFilter(adjudication=True)


def _min_submitted(server: ArgillaServer, dataset: str) -> int:
    found = server.owner().datasets(dataset, workspace=server.workspace)
    return int(found.settings.distribution.min_submitted)


class Host(App[None]):
    """The parts of the app shell a project screen uses, the real job watcher included."""

    def __init__(self, store: Store, settings: Settings, screen: Screen[None]) -> None:
        super().__init__()
        self.store = store
        self.settings = settings
        self.first = screen
        self.errors: list[BaseException] = []
        self.job_watcher = JobWatcher(settings, lambda seen: self.post_message(JobsChanged(seen)))

    def on_mount(self) -> None:
        self.push_screen(self.first)
        self.job_watcher.start()

    def on_jobs_changed(self, message: JobsChanged) -> None:
        if self.screen_stack:
            self.screen.post_message(JobsChanged(message.seen))

    def on_unmount(self) -> None:
        self.job_watcher.stop()

    def show_error(self, exc: BaseException, fatal: bool = False) -> None:
        self.errors.append(exc)


def _text(app: App[Any], selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def _until(pilot: Any, check: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out waiting for the screen"
        await pilot.pause(0.1)


async def test_three_annotators_alpha_status_and_adjudication(
        argilla_server: ArgillaServer, argilla_settings: Settings, argilla_store: Store,
        cli: Any) -> None:
    store = argilla_store
    project = unique_project(store)
    ids = add_questions(store, project, 5)  # answers A, B, C, D, A (index i % 4)

    out = cli("argilla", "push", "--project", project.name, "--annotators", "3", "--wait",
              "--json", timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    pushed = json.loads(out.stdout)["result"]
    assert (pushed["annotators"], pushed["created_dataset"]) == (3, True)
    dataset = pushed["dataset"]
    assert _min_submitted(argilla_server, dataset) == 3  # asked of the server, not our echo

    x, y, z = (make_annotator(argilla_server, n) for n in ("x", "y", "z"))
    # u1 A,A,A; u2 A,B; u3 B,B,B; u4 A,B,B (the table of test_krippendorff_alpha_hand_worked:
    # alpha = 1/3). Question 5 has one answer only: not pairable, left out.
    rid = [record_id(i) for i in ids]
    x.respond(dataset, {rid[0]: ("submitted", "A", None), rid[1]: ("submitted", "A", "says A"),
                        rid[2]: ("submitted", "B", None), rid[3]: ("submitted", "A", None),
                        rid[4]: ("submitted", "C", None)})
    y.respond(dataset, {rid[0]: ("submitted", "A", None), rid[1]: ("submitted", "B", None),
                        rid[2]: ("submitted", "B", None), rid[3]: ("submitted", "B", None)})
    z.respond(dataset, {rid[0]: ("submitted", "A", None), rid[2]: ("submitted", "B", None),
                        rid[3]: ("submitted", "B", None)})

    pulled = pull_project(store, argilla_settings, project)
    assert pulled.applied == 12  # 5 + 4 + 3 responses
    assert sorted(pulled.flagged) == [ids[1], ids[3]]
    found = pulled.agreement
    assert found is not None
    assert (found["statistic"], found["records"], found["annotators"]) == (
        "krippendorff_alpha", 4, 3)
    assert found["value"] == pytest.approx(1 / 3)
    assert found["low"] <= 1 / 3 <= found["high"] and found["low"] < found["high"]

    status = cli("argilla", "status", "--project", project.name, "--json")
    assert status.returncode == 0, status.stderr
    shown = json.loads(status.stdout)
    assert shown["annotators_per_record"] == 3
    assert shown["agreement"]["value"] == pytest.approx(1 / 3)
    assert shown["agreement"]["low"] == found["low"]  # seeded: the same interval as the pull
    text = cli("argilla", "status", "--project", project.name)
    assert "annotators 3 per record" in text.stdout
    assert "Krippendorff's alpha 0.33" in text.stdout

    # The adjudication queue: the two disagreements, decided in the Review screen.
    assert store.question_ids(project.id, QUEUE) == [ids[1], ids[3]]
    app = Host(store, argilla_settings, ReviewScreen(project))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("j")
        await _until(pilot, lambda: app.screen.current is not None  # type: ignore[attr-defined]
                     and app.screen.current.id == ids[1], 10)  # type: ignore[attr-defined]
        assert "adjudication queue" in _text(app, "#review-status")
        assert "view 2" in _text(app, "#review-status")
        answers = _text(app, "#review-annotators")
        assert f"{x.username}: A \"says A\"" in answers and f"{y.username}: B" in answers
        assert z.username not in answers  # z did not answer this one
        await pilot.press("a")  # the adjudicator picks A
        await _until(pilot, lambda: app.screen.current.id == ids[3], 10)  # type: ignore[attr-defined]
        assert "view 1" in _text(app, "#review-status")
        await pilot.press("x")  # ... and discards the other
        await pilot.press("2")  # reason "ambiguous", no note
        await _until(pilot, lambda: store.question(ids[3]).status == "discarded", 10)
        assert app.errors == []

    adjudicated = store.latest_review(ids[1])
    assert adjudicated is not None
    assert (adjudicated.reviewer, adjudicated.origin, adjudicated.action) == (
        "tester", "tui", "answer")
    assert (store.question(ids[1]).status, store.question(ids[1]).answer_letter) == (
        "approved", "A")
    assert store.question_ids(project.id, QUEUE) == []

    # Pulling again changes nothing: the adjudicator's decisions stand.
    again = pull_project(store, argilla_settings, project)
    assert (again.applied, again.unchanged) == (0, 12)
    assert store.question_ids(project.id, QUEUE) == []
    assert DISAGREEMENT in store.question(ids[1]).flags  # the annotators still disagree
    # An annotator who answers again, later, sends the question back to the queue.
    y.respond(dataset, {rid[1]: ("submitted", "C", None)})
    pull_project(store, argilla_settings, project)
    assert store.question_ids(project.id, QUEUE) == [ids[1]]
    assert store.question(ids[1]).answer_letter == "C"


async def test_two_annotators_kappa_and_annotators_setting(
        argilla_server: ArgillaServer, argilla_settings: Settings, argilla_store: Store,
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = argilla_store
    project = unique_project(store)
    ids = add_questions(store, project, 5)
    monkeypatch.setenv("WORKBENCH_ARGILLA_ANNOTATORS", "2")
    settings = load_settings()
    pushed = push_project(store, settings, project)
    assert pushed.annotators == 2
    assert _min_submitted(argilla_server, pushed.dataset) == 2

    ann, bob = make_annotator(argilla_server, "ann"), make_annotator(argilla_server, "bob")
    rid = [record_id(i) for i in ids]
    # (A,A), (B,B), (A,B), (B,B), (discarded,discarded): p_o = 4/5; ann: A 2, B 2, d 1;
    # bob: A 1, B 3, d 1; p_e = (2*1 + 2*3 + 1*1)/25 = 9/25;
    # kappa = (20/25 - 9/25) / (16/25) = 11/16 = 0.6875
    ann.respond(pushed.dataset, {rid[0]: ("submitted", "A", None),
                                 rid[1]: ("submitted", "B", None),
                                 rid[2]: ("submitted", "A", None),
                                 rid[3]: ("submitted", "B", None),
                                 rid[4]: ("discarded", None, "off topic")})
    bob.respond(pushed.dataset, {rid[0]: ("submitted", "A", None),
                                 rid[1]: ("submitted", "B", None),
                                 rid[2]: ("submitted", "B", None),
                                 rid[3]: ("submitted", "B", None),
                                 rid[4]: ("discarded", None, "off topic")})
    pulled = pull_project(store, settings, project)
    assert pulled.agreement is not None
    assert pulled.agreement["statistic"] == "cohen_kappa"
    assert pulled.agreement["value"] == pytest.approx(11 / 16)
    assert (pulled.agreement["records"], pulled.agreement["annotators"]) == (5, 2)
    assert store.sync_values(project.id)["agreement"] == pulled.agreement
    assert store.question_ids(project.id, QUEUE) == [ids[2]]
    app = Host(store, settings, ArgillaScreen(project))
    async with app.run_test(size=(100, 30)) as pilot:
        await _until(pilot, lambda: "Connected to" in _text(app, "#connection"), 30)
        counts = _text(app, "#counts")
        assert "Annotators  2 per record" in counts
        assert "Cohen's kappa 0.69 (95% " in counts and "2 annotators, 5 records" in counts

    # The choice stays with the project; a push may change it; below 1 is refused.
    monkeypatch.delenv("WORKBENCH_ARGILLA_ANNOTATORS")
    plain = load_settings()
    assert push_project(store, plain, project).annotators == 2
    assert push_project(store, plain, project, annotators=4).annotators == 4
    assert _min_submitted(argilla_server, pushed.dataset) == 4
    assert push_project(store, plain, project).annotators == 4
    with pytest.raises(InvalidInput, match="1 or more"):
        push_project(store, plain, project, annotators=0)
    assert _min_submitted(argilla_server, pushed.dataset) == 4
