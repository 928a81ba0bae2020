"""The job machinery with the real detached runner process (the 'sleep' job kind)."""

from __future__ import annotations

import json
import os
import signal
from dataclasses import replace
from typing import Any

from store import Store
from store.records import Project
from workbench.jobs.launch import cancel_job, pid_alive, resume_job, start_job
from workbench.jobs.supervise import supervise_jobs, tail_log, wait_for_job
from workbench.settings import Settings


def test_job_runs_detached_to_done(store: Store, settings: Settings, project: Project) -> None:
    job = start_job(store, settings, "sleep", {"steps": 3, "seconds": 0.05}, project.id)
    assert job.state == "queued" and job.pid
    assert os.getpgid(job.pid) == job.pid  # its own process group (own session)
    done = wait_for_job(store, settings, job.id, poll_seconds=0.1)
    assert done.state == "done"
    assert (done.progress_done, done.progress_total) == (3, 3)
    assert done.result == {"steps": 3}
    assert done.attempts == 1
    assert any("started" in line for line in tail_log(done))


def test_kill_9_is_detected_and_resume_continues(
    store: Store, settings: Settings, project: Project, poll: Any
) -> None:
    job = start_job(store, settings, "sleep", {"steps": 40, "seconds": 0.1}, project.id)
    running = poll(store, job.id, lambda j: j.progress_done >= 3)
    os.kill(running.pid or 0, signal.SIGKILL)
    poll(store, job.id, lambda j: not pid_alive(j.pid))
    marked = supervise_jobs(store, settings)
    assert [j.id for j in marked] == [job.id]
    stopped = store.job(job.id)
    assert stopped.state == "interrupted"
    assert "resume" in (stopped.hint or "")
    kept = stopped.progress_done
    assert 3 <= kept < 40

    resumed = resume_job(store, settings, job.id)
    assert resumed.state == "queued"
    final = wait_for_job(store, settings, job.id, poll_seconds=0.1)
    assert final.state == "done" and final.attempts == 2
    log = "\n".join(tail_log(final))
    assert f"starting at step {kept}" in log  # continued, not restarted


def test_stale_heartbeat_marks_interrupted(store: Store, settings: Settings) -> None:
    # A job recorded as running by a process on another boot: its pid means nothing now,
    # only its old heartbeat tells it is dead.
    job = store.create_job("sleep", {"steps": 2})
    store.update_job(job.id, state="running", heartbeat_at="2020-01-01T00:00:00+00:00")
    fresh = store.create_job("sleep", {"steps": 2})
    store.update_job(fresh.id, state="running")
    store.heartbeat(fresh.id)
    marked = supervise_jobs(store, replace(settings, stale_after_seconds=60))
    assert [j.id for j in marked] == [job.id]
    assert store.job(job.id).state == "interrupted"
    assert "heartbeat" in (store.job(job.id).error or "")
    assert store.job(fresh.id).state == "running"


def test_cancel_stops_the_process_group_and_keeps_progress(
    store: Store, settings: Settings, project: Project, poll: Any
) -> None:
    job = start_job(store, settings, "sleep",
                    {"steps": 200, "seconds": 0.1, "child_seconds": 300}, project.id)
    poll(store, job.id, lambda j: j.progress_done >= 2)
    child_pid = int(next(line for line in tail_log(store.job(job.id))
                         if "child pid" in line).split()[-1])
    assert pid_alive(child_pid)
    cancel_job(store, settings, job.id)
    stopped = poll(store, job.id, lambda j: not j.active)
    assert stopped.state == "cancelled"
    assert stopped.progress_done >= 2
    poll(store, job.id, lambda j: not pid_alive(child_pid), limit=10)

    again = resume_job(store, settings, job.id)
    assert again.state == "queued"
    cancel_job(store, settings, job.id, force=True)
    assert store.job(job.id).state == "cancelled"


def test_cancel_of_a_queued_job_before_its_process_claims_it(store: Store, settings: Settings) -> None:
    job = store.create_job("sleep", {"steps": 1})
    cancelled = cancel_job(store, settings, job.id)
    assert cancelled.state == "cancelled"
    # The runner arriving late does not run it.
    from workbench.jobs.runner import run_job

    assert run_job(str(settings.store_path), job.id) == 0
    assert store.job(job.id).state == "cancelled"
    assert store.job(job.id).attempts == 0


def test_cli_jobs_verbs(cli, store: Store, settings: Settings, project: Project) -> None:  # type: ignore[no-untyped-def]
    job = start_job(store, settings, "sleep", {"steps": 2, "seconds": 0.05}, project.id)
    wait_for_job(store, settings, job.id, poll_seconds=0.1)

    listed = cli("jobs", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["id"] for r in rows] == [job.id] and rows[0]["state"] == "done"

    shown = cli("jobs", "show", str(job.id), "--json")
    assert json.loads(shown.stdout)["progress_done"] == 2
    assert "state: done" in cli("jobs", "show", str(job.id)).stdout
    assert "started" in cli("jobs", "logs", str(job.id)).stdout

    missing = cli("jobs", "show", "999")
    assert missing.returncode == 1 and "No job with id 999" in missing.stderr
    again = cli("jobs", "resume", str(job.id))
    assert again.returncode == 1 and "nothing to resume" in again.stderr
    done_cancel = cli("jobs", "cancel", str(job.id))
    assert done_cancel.returncode == 1 and "already done" in done_cancel.stderr


def test_cli_cancel_then_resume_wait(cli, store: Store, settings: Settings, poll: Any) -> None:  # type: ignore[no-untyped-def]
    job = start_job(store, settings, "sleep", {"steps": 30, "seconds": 0.1})
    poll(store, job.id, lambda j: j.progress_done >= 1)
    out = cli("jobs", "cancel", str(job.id))
    assert out.returncode == 0, out.stderr
    assert "cancelled" in out.stdout
    resumed = cli("jobs", "resume", str(job.id), "--wait")
    assert resumed.returncode == 0, resumed.stderr
    assert f"job {job.id} done 30/30" in resumed.stdout
    assert store.job(job.id).attempts == 2
