"""A crash or an error mid-transaction leaves nothing half-written."""

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from store import Store
from store.records import ChunkSpan, NewDocument, NewQuestion

CRASHER = textwrap.dedent("""
    import sys, time
    from store import Store
    from store.records import NewQuestion
    store = Store(sys.argv[1])
    with store.transaction():
        store.add_questions([NewQuestion(int(sys.argv[2]), f"q{i}?", ["a","b","c","d"], 0)
                             for i in range(500)])
        print("inside", flush=True)
        time.sleep(60)
""")


def test_kill_9_inside_a_transaction_leaves_no_rows(tmp_path):
    path = tmp_path / "crash.db"
    with Store(path) as store:
        project = store.create_project("crash")
    proc = subprocess.Popen([sys.executable, "-c", CRASHER, str(path), str(project.id)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "inside"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    with Store(path) as store:
        assert store.table_counts()["questions"] == 0
        # and the store is writable again at once
        assert store.add_questions([NewQuestion(project.id, "after?", ["a", "b", "c", "d"], 1)])


def test_a_failing_chunk_insert_rolls_back_the_document(store, project):
    doc = NewDocument("x.txt", "x", "hash", "utf-8", 3, "abc")
    bad_chunks = [ChunkSpan(0, 0, 1, "a"), ChunkSpan(0, 1, 2, "b")]  # duplicate ordinal
    with pytest.raises(sqlite3.IntegrityError):
        store.add_document(project.id, doc, bad_chunks)
    counts = store.table_counts()
    assert counts["documents"] == 0 and counts["chunks"] == 0


def test_review_history_is_appended_never_overwritten(store, project):
    [qid] = store.add_questions([NewQuestion(project.id, "q?", ["a", "b", "c", "d"], 0)])
    store.record_review(qid, "ann", "answer", {"answer_index": 2, "status": "approved"})
    store.record_review(qid, "bob", "discard", {"status": "discarded"}, reason="ambiguous")
    history = store.question_reviews(qid)
    assert [r.action for r in history] == ["answer", "discard"]
    assert history[0].changes == {"answer_index": [0, 2], "status": ["pending", "approved"]}
    assert history[1].reason == "ambiguous"
    assert store.question(qid).status == "discarded"
    undo = store.undo_review(history[1].id, "bob")
    assert undo.status_after == "approved" and store.question(qid).status == "approved"
