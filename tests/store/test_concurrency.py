"""Three processes writing at once for 10 s: no 'database is locked', no lost row."""

import json
import subprocess
import sys
import textwrap

import pytest

from store import Store

WRITER = textwrap.dedent("""
    import json, sys, time
    from store import Store
    from store.records import NewQuestion
    path, project_id, tag, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
    store = Store(path)
    written, reviews, errors = 0, 0, []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            ids = store.add_questions([NewQuestion(project_id, f"{tag}-{written}-{i}?",
                                                   ["a", "b", "c", "d"], 0) for i in range(3)])
            written += len(ids)
            store.record_review(ids[0], tag, "accept", {"status": "approved"})
            reviews += 1
            store.project_stats(project_id)  # readers interleave with writers
        except Exception as exc:
            errors.append(repr(exc))
    print(json.dumps({"written": written, "reviews": reviews, "errors": errors}))
""")


@pytest.mark.slow
def test_three_writers_for_ten_seconds_lose_nothing(tmp_path):
    path = tmp_path / "busy.db"
    with Store(path) as store:
        project = store.create_project("busy")
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(project.id), f"w{i}", "10"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for i in range(3)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out))
    assert all(r["errors"] == [] for r in results), [r["errors"][:3] for r in results]
    with Store(path) as store:
        counts = store.table_counts()
        approved = store.question_status_counts(project.id).get("approved", 0)
    assert counts["questions"] == sum(r["written"] for r in results) > 0
    assert counts["reviews"] == sum(r["reviews"] for r in results) == approved
    assert all(r["written"] > 0 for r in results)
