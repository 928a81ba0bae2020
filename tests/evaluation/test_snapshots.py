"""Snapshots: content-addressed, few-shot held out, exported for datasets and lighteval,
pushed only with a token and a reachable Hub."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from store import Store
from store.records import NewQuestion, Project
from workbench.errors import InvalidInput, NotFound, ServiceError
from workbench.settings import Settings
from workbench.snapshots import (
    TASK_FILE_NAME,
    build_snapshot,
    export_snapshot,
    push_snapshot,
    split_file,
)


def test_same_content_same_id_and_nothing_written_twice(store: Store, exam_project: Project):
    first = build_snapshot(store, exam_project, fewshot=2, seed=0)
    counts = store.table_counts()
    again = build_snapshot(store, exam_project, fewshot=2, seed=0)
    assert first.created and not again.created
    assert again.snapshot.id == first.snapshot.id
    assert store.table_counts() == counts
    assert (first.snapshot.question_count, first.snapshot.fewshot_count) == (28, 2)


def test_fewshot_split_is_held_out_and_seeded(store: Store, exam_project: Project):
    snap = build_snapshot(store, exam_project, fewshot=3, seed=1).snapshot
    test_ids = {i.question_id for i in store.snapshot_items(snap.id, "test")}
    shot_ids = {i.question_id for i in store.snapshot_items(snap.id, "fewshot")}
    assert len(shot_ids) == 3 and len(test_ids) == 27 and not test_ids & shot_ids
    other = build_snapshot(store, exam_project, fewshot=3, seed=2).snapshot
    assert other.id != snap.id
    assert {i.question_id for i in store.snapshot_items(other.id, "fewshot")} != shot_ids
    no_shots = build_snapshot(store, exam_project).snapshot
    assert no_shots.fewshot_count == 0 and no_shots.id not in (snap.id, other.id)


def test_an_edit_makes_a_new_snapshot_and_the_old_one_stays_frozen(
        store: Store, exam_project: Project):
    old = build_snapshot(store, exam_project).snapshot
    items = store.snapshot_items(old.id)
    target = items[0]
    store.record_review(target.question_id, "tester", "edit",
                        {"question": target.payload["question"] + " (revised)"})
    new = build_snapshot(store, exam_project).snapshot
    assert new.id != old.id
    assert store.snapshot_items(old.id)[0].payload == target.payload
    assert store.snapshot_items(new.id)[0].payload["question"].endswith("(revised)")


def test_items_carry_provenance_and_clusters(store: Store, exam_snapshot):
    payloads = [i.payload for i in store.snapshot_items(exam_snapshot.id)]
    demo = [p for p in payloads if p["source"] == "demo"]
    imported = [p for p in payloads if p["source"] == "import"]
    assert demo and imported
    assert all(p["cluster"] == f"chunk:{p['chunk_id']}" for p in demo if p["chunk_id"])
    assert all(p["cluster"] == f"question:{p['question_id']}" for p in imported)


def test_build_errors_are_clear(store: Store, project: Project, exam_project: Project):
    with pytest.raises(InvalidInput, match="no approved questions"):
        build_snapshot(store, project)
    with pytest.raises(InvalidInput, match="At least one question must stay"):
        build_snapshot(store, exam_project, fewshot=30)
    with pytest.raises(NotFound):
        store.snapshot("ffffffffffff")


def test_prefix_lookup(store: Store, exam_snapshot):
    assert store.snapshot(exam_snapshot.id[:6]).id == exam_snapshot.id


def test_export_is_a_dataset_folder_with_card_and_task_file(
        store: Store, exam_snapshot, tmp_path: Path):
    from datasets import load_dataset

    folder = export_snapshot(store, exam_snapshot.id, tmp_path / "out")
    ds = load_dataset(str(folder))
    assert set(ds) == {"test", "fewshot"}
    assert (len(ds["test"]), len(ds["fewshot"])) == (28, 2)
    row = ds["test"][0]
    item = store.snapshot_items(exam_snapshot.id, "test")[0].payload
    assert row["question"] == item["question"] and row["choices"] == item["options"]
    assert row["answer"] == item["answer_index"] and row["question_id"] == item["question_id"]
    card = (folder / "README.md").read_text()
    assert card.startswith("---\n") and "config_name: default" in card
    assert exam_snapshot.id in card and f"wb_{exam_snapshot.id}:mcf" in card
    source = (folder / TASK_FILE_NAME).read_text()
    tree = ast.parse(source)
    assert any(isinstance(n, ast.Assign) and n.targets[0].id == "TASKS_TABLE"  # type: ignore[attr-defined]
               for n in tree.body if isinstance(n, ast.Assign))
    assert not any(isinstance(n, ast.ImportFrom) and (n.module or "").startswith("workbench")
                   for n in ast.walk(tree))


def test_two_snapshots_exported_to_same_named_folders_load_their_own_rows(
        store: Store, exam_project: Project, tmp_path: Path):
    """datasets caches a folder by the file names in its card: ours carry the snapshot id."""
    from datasets import load_dataset

    small = build_snapshot(store, exam_project, fewshot=20).snapshot
    large = build_snapshot(store, exam_project, fewshot=1).snapshot
    first = export_snapshot(store, small.id, tmp_path / "a" / "exam")
    second = export_snapshot(store, large.id, tmp_path / "b" / "exam")
    assert len(load_dataset(str(first))["test"]) == 10
    assert len(load_dataset(str(second))["test"]) == 29


def test_export_refuses_a_folder_with_other_files_and_replaces_its_own(
        store: Store, exam_snapshot, tmp_path: Path):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(InvalidInput, match="not empty"):
        export_snapshot(store, exam_snapshot.id, busy)
    assert [p.name for p in busy.iterdir()] == ["notes.txt"]
    out = export_snapshot(store, exam_snapshot.id, tmp_path / "out")
    data = out / split_file(exam_snapshot.id, "test")
    data.write_text("tampered\n")
    export_snapshot(store, exam_snapshot.id, out)
    first = json.loads(data.read_text().splitlines()[0])
    assert first["id"] == 0
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]


def test_push_without_token_or_offline_fails_clearly_and_changes_nothing(
        store: Store, settings: Settings, exam_snapshot, monkeypatch: pytest.MonkeyPatch):
    from dataclasses import replace

    counts = store.table_counts()
    with pytest.raises(ServiceError, match="No Hugging Face token"):
        push_snapshot(store, settings, exam_snapshot.id, "me/exam")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ServiceError, match="Could not reach the Hugging Face Hub"):
        push_snapshot(store, replace(settings, hf_token="hf_not_a_real_token"),
                      exam_snapshot.id, "me/exam")
    with pytest.raises(InvalidInput, match="not a Hub repo id"):
        push_snapshot(store, settings, exam_snapshot.id, "no-owner")
    assert store.table_counts() == counts


def test_dataset_cli(cli, store: Store, exam_project: Project, tmp_path: Path):
    built = cli("dataset", "build", "--project", "exam", "--fewshot", "2", "--json")
    assert built.returncode == 0, built.stderr
    snap = json.loads(built.stdout)
    assert snap["created"] and snap["questions"] == 28
    # By hand: paired test, baseline 0.5, correlation 0, 5% level, 80% power. The difference
    # of two accuracies 0.5 and 0.5+d has variance 0.25 + (0.25 - d^2) = 0.5 - d^2 per
    # question, so d*sqrt(28)/sqrt(0.5 - d^2) = z(0.975) + z(0.8) = 1.95996 + 0.84162
    # = 2.80159 (the other tail adds ~1e-6). Squared: 28 d^2 = 7.84888 (0.5 - d^2), so
    # d^2 = 3.92444 / 35.84888 = 0.109472 and d = 0.33087: about 33.1 points.
    assert snap["detectable_difference"] == pytest.approx(0.33087, abs=1e-4)
    again = cli("dataset", "build", "--project", "exam", "--fewshot", "2")
    assert "Already built" in again.stdout and snap["id"] in again.stdout
    assert ("With 28 questions a paired comparison detects differences of about 33.1 points"
            in again.stdout)
    listed = json.loads(cli("dataset", "list", "--project", "exam", "--json").stdout)
    assert [s["id"] for s in listed] == [snap["id"]]
    out = cli("dataset", "export", "--snapshot", snap["id"][:8], "--to", str(tmp_path / "x"))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "x" / TASK_FILE_NAME).is_file()
    push = cli("dataset", "push", "--snapshot", snap["id"], "--repo-id", "me/exam")
    assert push.returncode == 1 and "HF_TOKEN" in push.stderr
    missing = cli("dataset", "build", "--project", "test-project")
    assert missing.returncode == 1, missing.stdout
    assert "No project named 'test-project'" in missing.stderr
    store.create_project("empty")
    empty = cli("dataset", "build", "--project", "empty")
    assert empty.returncode == 1, empty.stdout
    assert "Project 'empty' has no approved questions to freeze." in empty.stderr


def test_questions_added_later_do_not_change_an_existing_snapshot(
        store: Store, exam_snapshot, exam_project: Project):
    before = store.snapshot_items(exam_snapshot.id)
    store.add_questions([NewQuestion(exam_project.id, "New?", ["a", "b"], 0, status="approved")])
    assert store.snapshot_items(exam_snapshot.id) == before
