"""The 'generate' job: for each planned chunk, N questions written by the model, validated,
retried a bounded number of times, and committed chunk by chunk.

Every item has the key ``chunk{chunk_id}-n{i}``; the store ignores a key the job already
committed, and a resumed job skips those keys, so kill -9 and resume lose nothing and do
nothing twice. A chunk's near-duplicate flags (on its questions and on the stored questions
they repeat) are committed in the same transaction as its questions. Rejected output is committed too (status 'rejected', with its reason and
raw text): it counts as done, and the rejection rate is part of the result.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Any

from store.records import Chunk, Model, NewQuestion
from workbench.backends.base import GenerationOptions
from workbench.backends.registry import backend_for
from workbench.generation.dedup import NEAR_DUPLICATE, DuplicateIndex
from workbench.generation.option_order import place_options
from workbench.generation.validation import DraftQuestion, Rejected, check_output
from workbench.jobs.context import JobContext


def item_key(chunk_id: int, n: int) -> str:
    return f"chunk{chunk_id}-n{n}"


def item_seed(seed: int, key: str, attempt: int) -> int:
    """A per-item, per-attempt seed derived from the job's seed (stable across resumes)."""
    digest = hashlib.sha256(f"{seed}:{key}:{attempt}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


@dataclass
class _Outcome:
    key: str
    n: int
    draft: DraftQuestion | None = None
    reason: str | None = None
    kind: str | None = None  # the rejection's kind, counted in the summary
    raw: str | None = None
    attempts: int = 0


def _write_chunk(ctx: JobContext, writer: Any, chunk: Chunk, language: str, pending: list[int],
                 per_chunk: int, seed: int, max_attempts: int) -> list[_Outcome]:
    """Generate, validate and retry the chunk's pending items; nothing is stored here."""
    outcomes = {n: _Outcome(item_key(chunk.id, n), n) for n in pending}
    todo = list(pending)
    for attempt in range(max_attempts):
        if not todo:
            break
        rows = [{"passage": chunk.text, "language": language, "number": n + 1,
                 "total": per_chunk} for n in todo]
        seeds = [item_seed(seed, outcomes[n].key, attempt) for n in todo]
        raws = writer.write(rows, seeds, between=ctx.check_cancelled)
        retry = []
        for n, raw in zip(todo, raws, strict=True):
            out = outcomes[n]
            out.raw, out.attempts = raw, attempt + 1
            try:
                out.draft, out.reason = check_output(raw or "", chunk.text), None
            except Rejected as exc:
                out.reason, out.kind = exc.reason, exc.kind
                retry.append(n)
        if retry:
            ctx.log(f"chunk {chunk.id}: {len(retry)} invalid on attempt {attempt + 1}: "
                    + "; ".join(outcomes[n].reason or "" for n in retry))
        todo = retry
        ctx.check_cancelled()
    return [outcomes[n] for n in pending]


def _to_questions(ctx: JobContext, chunk: Chunk, outcomes: list[_Outcome], model: Model,
                  language: str, accepted_before: int) -> list[NewQuestion]:
    p = ctx.params
    common = dict(
        project_id=p["project_id"], document_id=chunk.document_id, chunk_id=chunk.id,
        model_name=model.name, backend=model.backend, prompt_version=p["prompt_version"],
        seed=p["seed"], job_id=ctx.job.id, language=language,
    )
    questions, k = [], accepted_before
    for out in outcomes:
        if out.draft is not None:
            options, answer = place_options(out.draft, p["seed"], k, out.key)
            k += 1
            questions.append(NewQuestion(
                question=out.draft.question, options=options, answer_index=answer,
                explanation=out.draft.explanation, status="pending", item_key=out.key,
                raw_output=out.raw, quote=out.draft.quote, **common,
            ))
        else:
            questions.append(NewQuestion(
                question="", options=[], answer_index=None, status="rejected",
                item_key=out.key, raw_output=out.raw, rejection_kind=out.kind,
                rejection_reason=f"{out.reason} (after {out.attempts} "
                                 f"attempt{'s' if out.attempts != 1 else ''})",
                **common,
            ))
    return questions


def _mark_near_duplicates(index: DuplicateIndex, questions: list[NewQuestion]
                          ) -> tuple[list[NewQuestion], dict[int, list[str]]]:
    """The chunk's questions with the near-duplicate flag set where they nearly duplicate a
    stored question or each other, and the stored questions that must get the flag too.

    Nothing is stored here: the caller commits both in one transaction, so the flags cannot
    be lost between the questions' commit and theirs (a resumed job skips committed items
    and would never flag them again)."""
    batch = DuplicateIndex(index.threshold)  # this chunk's questions, keyed by position
    marked: set[int] = set()
    stored: set[int] = set()
    for i, q in enumerate(questions):
        if q.status == "rejected":
            continue
        earlier = index.matches(q.question)
        twins = batch.add(i, q.question)
        if earlier or twins:
            marked.update([i, *twins])
            stored.update(earlier)
    out = [replace(q, flags=sorted({*q.flags, NEAR_DUPLICATE})) if i in marked else q
           for i, q in enumerate(questions)]
    return out, {qid: [NEAR_DUPLICATE] for qid in sorted(stored)}


def _summary(ctx: JobContext, model: Model) -> dict[str, Any]:
    counts = ctx.store.job_question_counts(ctx.job.id)
    rejected = counts.get("rejected", 0)
    total = sum(counts.values())
    return {
        "questions": total - rejected, "rejected": rejected, "items": total,
        "rejection_rate": round(rejected / total, 4) if total else 0.0,
        "rejections": ctx.store.job_rejection_kinds(ctx.job.id),
        "model": model.name, "backend": model.backend,
        "prompt_version": ctx.params["prompt_version"], "seed": ctx.params["seed"],
    }


def _progress_message(ctx: JobContext) -> str:
    """'3 questions, 5 rejected (no-quote 3, not-json 2)': the job's line in the Jobs
    screen and in '--wait' output, with the rejections counted by kind."""
    counts = ctx.store.job_question_counts(ctx.job.id)
    rejected = counts.get("rejected", 0)
    total = sum(counts.values())
    message = f"{total - rejected} questions, {rejected} rejected"
    if rejected:
        kinds = ctx.store.job_rejection_kinds(ctx.job.id)
        message += " (" + ", ".join(f"{kind} {n}" for kind, n in kinds.items()) + ")"
    return message


def run_generation_job(ctx: JobContext) -> dict[str, Any]:
    """Job kind 'generate' (parameters made by ``workbench.generation.launch``)."""
    p = ctx.params
    m = p["model"]
    model = Model(0, m["name"], m["backend"], m["location"], m.get("params", {}), False, "")
    per_chunk, seed = int(p["per_chunk"]), int(p["seed"])
    chunks = [ctx.store.chunk(cid) for cid in p["chunk_ids"]]
    total = len(chunks) * per_chunk
    done_keys = ctx.store.job_item_keys(ctx.job.id)
    done = sum(1 for c in chunks for n in range(per_chunk) if item_key(c.id, n) in done_keys)
    ctx.log(f"{len(chunks)} chunks x {per_chunk} = {total} items; {done} already committed")
    ctx.progress(done, total, "loading model")
    if done == total:
        return _summary(ctx, model)

    backend = backend_for(model, ctx.settings)
    backend.check()
    options = GenerationOptions(max_new_tokens=int(p["max_new_tokens"]),
                                temperature=float(p["temperature"]))
    from workbench.generation.writer import QuestionWriter

    backend.open(ctx.log, ctx.job.id)  # a managed vLLM model: lease its server
    writer = QuestionWriter(backend, options, p["prompt_version"], seed)
    try:
        writer.load(ctx.log)
    except BaseException:
        backend.close()
        raise
    ctx.log(f"model {model.name} loaded ({model.backend}"
            f"{', JSON-schema guided' if backend.guided else ''})")

    languages = {d.id: d.language for d in ctx.store.list_documents(p["project_id"])}
    index = DuplicateIndex()
    for q in ctx.store.list_questions(p["project_id"]):
        index.add(q.id, q.question)
    accepted = ctx.store.job_question_counts(ctx.job.id)
    accepted_count = sum(v for s, v in accepted.items() if s != "rejected")
    ctx.progress(done, total, _progress_message(ctx))
    try:
        for chunk in chunks:
            pending = [n for n in range(per_chunk) if item_key(chunk.id, n) not in done_keys]
            if not pending:
                continue
            language = languages.get(chunk.document_id, "en")
            outcomes = _write_chunk(ctx, writer, chunk, language, pending, per_chunk, seed,
                                    int(p["max_attempts"]))
            questions = _to_questions(ctx, chunk, outcomes, model, language, accepted_count)
            questions, flag_stored = _mark_near_duplicates(index, questions)
            newly = [qid for qid in flag_stored
                     if NEAR_DUPLICATE not in ctx.store.question(qid).flags]
            new_ids = ctx.store.add_questions(questions, flag_existing=flag_stored)
            # every pending key was new, so the ids line up with the questions
            for qid, new in zip(new_ids, questions, strict=True):
                if new.status != "rejected":
                    index.add(qid, new.question)
            accepted_count += sum(1 for q in questions if q.status != "rejected")
            flagged = len(newly) + sum(1 for q in questions if NEAR_DUPLICATE in q.flags)
            done += len(pending)
            ctx.log(f"chunk {chunk.id}: committed {len(pending)} items"
                    + (f", {flagged} near-duplicate flags" if flagged else ""))
            ctx.progress(done, total, _progress_message(ctx))
    finally:
        writer.close()
        backend.close()
    return _summary(ctx, model)
