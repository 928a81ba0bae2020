"""Evaluation you can watch and resume (issue #19): live per-request progress, runs that stop
with their job, and a resume that scores nothing twice and equals an uninterrupted run.

The real job process on the bundled model, killed with SIGKILL at two points: while the
model loads, and after the first chunk of requests was scored.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

import pytest

from store import Store
from store.records import EvalRun, Project
from workbench.bundled_model import BUNDLED_MODEL
from workbench.evaluation.plan import RunOptions, check_request, start_evaluation
from workbench.evaluation.request_tap import CHUNK
from workbench.evaluation.status import job_run_status
from workbench.jobs.launch import resume_job
from workbench.jobs.supervise import supervise_jobs, tail_log, wait_for_job
from workbench.settings import Settings

TASKS = ("project:mcf", "project:cloze")


def _start(store: Store, settings: Settings, project: Project, force: bool) -> Any:
    request = check_request(store, project, [BUNDLED_MODEL], "latest", [],
                            RunOptions(formulations=("mcf", "cloze"), force=force))
    return start_evaluation(store, settings, request)


def _runs(store: Store, job_id: int) -> dict[str, EvalRun]:
    return {r.task: r for r in store.job_eval_runs(job_id)}


def _samples(store: Store, runs: dict[str, EvalRun]) -> dict[str, list[tuple[Any, ...]]]:
    return {task: [(s.sample_index, s.question_id, s.prediction_index, s.logprobs, s.correct)
                   for s in store.sample_results(run.id)] for task, run in runs.items()}


def _kill_and_check(store: Store, settings: Settings, job_id: int) -> None:
    """SIGKILL the job; the supervisor marks it and its runs interrupted, with one message."""
    pid = store.job(job_id).pid
    assert pid
    os.kill(pid, signal.SIGKILL)
    wait_for_job(store, settings, job_id, poll_seconds=0.1)
    job = store.job(job_id)
    assert job.state == "interrupted"
    runs = _runs(store, job_id)
    assert set(runs) == set(TASKS)
    errors = {r.error for r in runs.values()}
    assert len(errors) == 1 and all(r.state == "interrupted" for r in runs.values())
    (error,) = errors
    assert error and f"workbench jobs resume {job_id}" in error and "kept" in error
    assert {s.state for s in job_run_status(store, job)} == {"interrupted"}


def test_chunks_are_cut_the_same_whatever_order_lighteval_lists_the_tasks_in() -> None:
    # lighteval's registry keeps the requested tasks in a set: their order changes from one
    # process to the next. A resume must cut the same chunks as the killed attempt did.
    from lighteval.tasks.requests import Doc

    from workbench.evaluation.request_tap import RequestTap

    def docs(task: str, n: int) -> list[Doc]:
        return [Doc(query=f"{task} q{i}", choices=["A", "B"], gold_index=0, id=str(i),
                    task_name=task) for i in range(n)]

    tap = RequestTap(model=None, identity="m", cache=None, on_scored=lambda c: None, chunk=3)
    one = docs("t:mcf|0", 4) + docs("t:cloze|0", 5)
    other = docs("t:cloze|0", 5) + docs("t:mcf|0", 4)

    def cut(requests: list[Doc]) -> list[list[str]]:
        return [[f"{requests[i].task_name} {requests[i].id}" for i in chunk]
                for chunk in tap._chunks(requests)]

    assert cut(one) == cut(other) == [
        ["t:cloze|0 0", "t:cloze|0 1", "t:cloze|0 2"], ["t:cloze|0 3", "t:cloze|0 4"],
        ["t:mcf|0 0", "t:mcf|0 1", "t:mcf|0 2"], ["t:mcf|0 3"]]
    assert tap._key("loglikelihood", [one[0]]) == tap._key("loglikelihood", [other[5]])


def test_a_dead_job_interrupts_its_runs_at_once_with_one_message(
        store: Store, settings: Settings, exam_project: Project, exam_snapshot: Any) -> None:
    request = check_request(store, exam_project, [BUNDLED_MODEL], "latest", [],
                            RunOptions(formulations=("mcf", "cloze")))
    job = store.create_job("eval", request.to_params(), exam_project.id)
    store.mark_job_running(job.id, 2**22 + 12345)  # no such process
    mcf = store.create_eval_run(exam_project.id, BUNDLED_MODEL, "project:mcf", {}, "a",
                                snapshot_id=exam_snapshot.id, job_id=job.id)
    store.set_eval_progress({mcf.id: ("scoring", 7, 30)})
    job = store.job(job.id)
    # Before: one run scoring, the other not reached yet.
    assert [s.line() for s in job_run_status(store, job)] == [
        f"{BUNDLED_MODEL} / project:mcf: scoring 7/30",
        f"{BUNDLED_MODEL} / project:cloze: waiting"]
    assert [j.id for j in supervise_jobs(store, settings)] == [job.id]
    run = store.eval_run(mcf.id)
    assert (run.state, run.scored, run.samples) == ("interrupted", 7, 30)
    assert run.error == (f"Interrupted: the job stopped unexpectedly (its process is gone). "
                         f"'workbench jobs resume {job.id}' continues it; what was scored is kept.")
    assert store.eval_runs(exam_project.id, state="running") == []


@pytest.mark.slow
@pytest.mark.timeout(1800)  # two full evaluation jobs and a resume (minutes on 2 busy cores)
def test_a_killed_evaluation_resumes_without_rescoring_and_equals_an_uninterrupted_run(
        store: Store, settings: Settings, exam_project: Project, exam_snapshot: Any,
        poll: Any) -> None:
    questions = exam_snapshot.question_count  # the test split (few-shot examples apart)
    # The reference: one uninterrupted run of both formulations.
    reference = _start(store, settings, exam_project, force=False)
    done = wait_for_job(store, settings, reference.id, poll_seconds=0.2)
    assert done.state == "done", tail_log(done)[-20:]
    # Progress counted requests: both formulations, every question, all scored.
    assert (done.progress_done, done.progress_total) == (2 * questions, 2 * questions)
    expected = _samples(store, _runs(store, reference.id))
    assert all(len(v) == questions for v in expected.values())
    assert all(r.phase == "done" and r.scored == r.samples == questions
               for r in _runs(store, reference.id).values())

    # Killed after the first chunk of requests was scored.
    job = _start(store, settings, exam_project, force=True)
    poll(store, job.id, lambda j: any(r.scored > 0 for r in store.job_eval_runs(j.id))
         or not j.active, limit=600)
    running = store.job(job.id)
    assert running.active, tail_log(running)[-20:]
    first = min(CHUNK, questions)  # a chunk holds one task's requests
    assert running.progress_total == 2 * questions
    assert first <= running.progress_done < 2 * questions
    assert any(s.state.startswith("scoring ") for s in job_run_status(store, running))
    _kill_and_check(store, settings, job.id)
    killed_runs = {t: r.id for t, r in _runs(store, job.id).items()}

    resume_job(store, settings, job.id)
    final = wait_for_job(store, settings, job.id, poll_seconds=0.2)
    assert final.state == "done", tail_log(final)[-20:]
    runs = _runs(store, job.id)
    assert {t: r.id for t, r in runs.items()} == killed_runs  # continued, not started anew
    assert all(r.state == "done" and r.error is None for r in runs.values())
    reused = {r.repro["requests_reused_from_earlier_attempt"] for r in runs.values()}
    assert reused == {first}
    assert f"{first} requests scored by an earlier attempt were reused" in "\n".join(
        tail_log(final, 400))
    assert _samples(store, runs) == expected


@pytest.mark.slow
def test_an_evaluation_killed_while_its_model_loads_resumes_from_the_start(
        store: Store, settings: Settings, exam_project: Project, exam_snapshot: Any,
        poll: Any) -> None:
    job = _start(store, settings, exam_project, force=False)
    poll(store, job.id, lambda j: any(r.phase == "loading" for r in store.job_eval_runs(j.id))
         or not j.active, limit=600)
    assert store.job(job.id).active
    assert {s.state for s in job_run_status(store, store.job(job.id))} == {"loading"}
    _kill_and_check(store, settings, job.id)
    resume_job(store, settings, job.id)
    final = wait_for_job(store, settings, job.id, poll_seconds=0.2)
    assert final.state == "done", tail_log(final)[-20:]
    runs = _runs(store, job.id)
    assert all(r.state == "done" for r in runs.values())
    assert {r.repro["requests_reused_from_earlier_attempt"] for r in runs.values()} == {0}
    assert not Path(settings.jobs_dir / f"job-{job.id}-chunks.sqlite").exists()
