"""The job kind ``model_checks`` (see workbench.jobs.kinds). Params: ``project_id``,
``judge`` (a registered model's name), ``checks`` (open-book, options-only), ``question_ids``
(optional; default every pending and approved question), ``seed``, ``rounds``,
``formulation`` (mcf or cloze) and ``batch_size``. Results and flags are committed a batch of questions at a time; a resumed
job skips the questions it already checked."""

from __future__ import annotations

import time
from typing import Any

from store.checks import ModelCheckResult
from store.records import Question
from workbench.errors import BackendUnavailable, InvalidInput, NotFound
from workbench.jobs.context import JobContext
from workbench.quality.model_checks import (
    CHECKS,
    DEFAULT_ROUNDS,
    OPEN_BOOK,
    PROMPT_VERSIONS,
    CheckItem,
    CheckPlan,
    CheckVerdict,
    decide,
    flags_after,
    plan_check,
)

QUESTIONS_PER_BATCH = 8


def check_items(store: Any, questions: list[Question]) -> tuple[list[CheckItem], int]:
    """The questions as check items with their source passage, and how many have no key
    (they cannot be checked)."""
    items, no_key = [], 0
    passages: dict[int, str | None] = {}
    for q in questions:
        if q.answer_index is None or not 0 <= q.answer_index < len(q.options):
            no_key += 1
            continue
        passage = None
        if q.chunk_id is not None:
            if q.chunk_id not in passages:
                try:
                    passages[q.chunk_id] = store.chunk(q.chunk_id).text
                except NotFound:
                    passages[q.chunk_id] = None
            passage = passages[q.chunk_id]
        items.append(CheckItem(q.id, q.question, list(q.options), q.answer_index, passage))
    return items, no_key


def select_questions(store: Any, project_id: int, question_ids: list[int] | None
                     ) -> list[Question]:
    """The given questions of the project, or every pending and approved one."""
    if question_ids:
        found = []
        for qid in question_ids:
            q = store.question(int(qid))
            if q.project_id != project_id:
                raise InvalidInput(f"Question {qid} is not in this project.")
            found.append(q)
        return found
    return [q for q in store.list_questions(project_id) if q.status in ("pending", "approved")]


def run_model_checks_job(ctx: JobContext) -> dict[str, Any]:
    """Score the judge on every selected question and store verdicts and flags."""
    from workbench.backends.registry import backend_for, scorable_formulations

    params = ctx.params
    project = ctx.store.project_by_id(int(params["project_id"]))
    judge = ctx.store.model(str(params["judge"]))
    checks = [c for c in CHECKS if c in (params.get("checks") or CHECKS)]
    seed, rounds = int(params.get("seed", 0)), int(params.get("rounds", DEFAULT_ROUNDS))
    formulation = str(params.get("formulation") or "mcf")
    items, no_key = check_items(ctx.store, select_questions(
        ctx.store, project.id, params.get("question_ids")))
    done = ctx.store.job_checked_question_ids(ctx.job.id)
    todo = [i for i in items if i.question_id not in done]
    total = len(items)
    ctx.progress(total - len(todo), total, f"loading judge {judge.name}")
    supported, why = scorable_formulations(judge, ctx.settings)
    if formulation not in supported:  # a judge that only writes answers (generative) too
        raise BackendUnavailable(
            f"The judge '{judge.name}' cannot return log-likelihoods: "
            f"{why or backend_for(judge, ctx.settings).why_no_formulations()}.",
            "Pick a judge whose backend scores log-likelihoods (transformers, or vllm / a "
            "server with prompt log-probabilities).")
    backend = backend_for(judge, ctx.settings)
    backend.check()
    backend.open(ctx.log, ctx.job.id)
    counts: dict[str, int] = {c: 0 for c in checks}
    flagged: dict[str, int] = {c: 0 for c in checks}
    no_passage = 0
    started = time.perf_counter()
    try:
        from workbench.quality.scoring import JudgeScorer

        workdir = ctx.settings.jobs_dir / f"job-{ctx.job.id}"
        workdir.mkdir(parents=True, exist_ok=True)
        scorer = JudgeScorer(backend, workdir, ctx.log,
                              batch_size=int(params.get("batch_size", 8)), seed=seed)
        revision = backend.revision()
        load_s = time.perf_counter() - started
        ctx.log(f"judge {judge.name} loaded in {load_s:.1f} s; {len(todo)} questions to check")
        scoring_started = time.perf_counter()
        for start in range(0, len(todo), QUESTIONS_PER_BATCH):
            batch = todo[start : start + QUESTIONS_PER_BATCH]
            plans: list[CheckPlan] = []
            for item in batch:
                for kind in checks:
                    plan = plan_check(item, kind, seed, rounds, formulation)
                    if plan is None:
                        no_passage += kind == OPEN_BOOK
                    else:
                        plans.append(plan)
            prompts = [p for plan in plans for p in plan.prompts]
            conts = [c for plan in plans for c in plan.continuations]
            scores = scorer.score(prompts, conts) if prompts else []
            verdicts: dict[int, list[CheckVerdict]] = {}
            at = 0
            for plan in plans:
                verdict = decide(plan, scores[at : at + len(plan.prompts)])
                at += len(plan.prompts)
                verdicts.setdefault(plan.item.question_id, []).append(verdict)
                counts[plan.kind] += 1
                flagged[plan.kind] += verdict.flagged
            current = ctx.store.question_flags(list(verdicts))
            new_flags = {qid: flags_after(current.get(qid, []), vs)
                         for qid, vs in verdicts.items()}
            ctx.store.record_model_checks(
                [_result(v, formulation, project.id, judge.name, revision, ctx.job.id)
                 for vs in verdicts.values() for v in vs],
                {qid: f for qid, f in new_flags.items() if f != sorted(current.get(qid, []))})
            done_now = total - len(todo) + start + len(batch)
            ctx.progress(done_now, total, f"{done_now}/{total} questions checked")
        scoring_s = time.perf_counter() - scoring_started
        scorer.close()
    finally:
        backend.close()
    per_min = 60 * len(todo) / scoring_s if todo and scoring_s > 0 else None
    summary = ", ".join(f"{flagged[c]} of {counts[c]} {c} flagged" for c in checks)
    ctx.log(f"checked {len(todo)} questions with {judge.name}: {summary}")
    return {"judge": judge.name, "judge_revision": revision, "checks": checks,
            "questions": total, "checked": len(todo), "no_key": no_key,
            "no_passage": no_passage, "results": counts, "flagged": flagged,
            "seed": seed, "rounds": rounds, "formulation": formulation, "load_s": load_s, "scoring_s": scoring_s,
            "questions_per_minute": per_min,
            "prompt_versions": {c: f"{PROMPT_VERSIONS[c]}/{formulation}" for c in checks}}


def _result(v: CheckVerdict, formulation: str, project_id: int, judge: str, revision: str,
            job_id: int) -> ModelCheckResult:
    return ModelCheckResult(
        question_id=v.question_id, project_id=project_id, check_kind=v.kind, judge=judge,
        prompt_version=f"{PROMPT_VERSIONS[v.kind]}/{formulation}", seed=v.seed, key_index=v.key,
        choice_index=v.choice, key_hits=v.key_hits, trials=v.trials,
        key_probability=v.key_probability, p_value=v.p_value, flagged=v.flagged,
        judge_revision=revision, job_id=job_id, details=v.details(),
    )
