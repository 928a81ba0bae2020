"""Item analysis: what several models' runs on one snapshot say about each question, and which
questions flipped between two runs (regression tracking). Free of Textual; the CLI and the
screens both call it.

Per question, over the models that ran the snapshot's task (each model's latest finished run):

- **difficulty**: the share of models that got it right (classical test theory's *p*);
- **discrimination**: the *corrected item-total* point-biserial correlation: the Pearson
  correlation, across models, between the question's outcome (1 right, 0 wrong) and the
  model's number right on the *other* questions. Leaving the question out of the total keeps
  it from correlating with itself (the uncorrected figure is biased upwards, badly so when
  the exam is short). It is undefined (None) when every model got the question right, every
  one got it wrong, or the models' totals on the other questions are all equal.

Questions every model gets right, every model gets wrong, or that *anti-discriminate* (the
models that do well elsewhere fail them, weak ones pass: discrimination at or below
``ANTI_DISCRIMINATION``) are listed; ``apply_item_flags`` turns the lists into question
flags so that Review can filter on them. A wrong key often shows as "every model wrong" or as
anti-discrimination, a give-away as "every model right".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from store.records import EvalRun, Project, SampleResult
from workbench.errors import InvalidInput, NotFound
from workbench.results import stats
from workbench.results.leaderboard import Key, pair, run_scores, sample_key, settings_difference

EVERY_MODEL_RIGHT = "every-model-right"
EVERY_MODEL_WRONG = "every-model-wrong"
ANTI_DISCRIMINATING = "anti-discriminating"
ITEM_FLAGS = (EVERY_MODEL_RIGHT, EVERY_MODEL_WRONG, ANTI_DISCRIMINATING)
FLAG_MEANINGS = {
    EVERY_MODEL_RIGHT: "every model got it right: it separates no model (too easy, or the "
                       "answer is given away)",
    EVERY_MODEL_WRONG: "every model got it wrong: check the key first, then whether the "
                       "passage supports the answer",
    ANTI_DISCRIMINATING: "models that do well on the rest fail it and weak ones pass: often a "
                         "wrong or ambiguous key",
}
# A correlation this low (or lower) is read as anti-discrimination, not noise around zero.
ANTI_DISCRIMINATION = -0.2
# Below this many models a correlation rests on too few points to mean much.
FEW_MODELS = 5
DISCRIMINATION_NAME = ("corrected item-total point-biserial correlation (the question's outcome "
                       "against each model's number right on the other questions)")


def point_biserial(item: Sequence[float], totals: Sequence[float]) -> float | None:
    """Pearson correlation of a 0/1 item with totals; None when either does not vary."""
    n = len(item)
    if n != len(totals):
        raise InvalidInput(f"An item and its totals need the same models: {n} vs {len(totals)}.")
    if n < 2:
        return None
    mx, my = sum(item) / n, sum(totals) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(item, totals, strict=True))
    sxx = sum((x - mx) ** 2 for x in item)
    syy = sum((y - my) ** 2 for y in totals)
    if sxx <= 0 or syy <= 0:
        return None
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


@dataclass(frozen=True)
class ModelTotal:
    model: str
    run: EvalRun
    right: int  # questions right among the analysed ones
    items: int

    @property
    def accuracy(self) -> float:
        return self.right / self.items if self.items else 0.0


@dataclass(frozen=True)
class ItemStats:
    key: Key
    question_id: int | None
    position: int  # the sample index in the runs (the snapshot's test-split order)
    question: str
    outcomes: dict[str, float]  # model -> 1.0 right / 0.0 wrong
    difficulty: float  # share of models right
    discrimination: float | None  # corrected item-total point-biserial; None if undefined

    @property
    def right(self) -> int:
        return sum(1 for v in self.outcomes.values() if v >= 0.5)

    @property
    def category(self) -> str | None:
        """The list the question is on (a flag name), or None when it looks fine."""
        if self.difficulty >= 1.0:
            return EVERY_MODEL_RIGHT
        if self.difficulty <= 0.0:
            return EVERY_MODEL_WRONG
        if self.discrimination is not None and self.discrimination <= ANTI_DISCRIMINATION:
            return ANTI_DISCRIMINATING
        return None


@dataclass(frozen=True)
class ItemAnalysis:
    """One task (e.g. ``project:mcf``) of one snapshot, over two or more models."""

    project: Project
    snapshot_id: str
    task: str
    models: list[ModelTotal]
    items: list[ItemStats]
    left_out: int  # questions not answered by every model's run (e.g. a --limit run)
    settings_differ: list[str] = field(default_factory=list)

    def listed(self, category: str) -> list[ItemStats]:
        return [i for i in self.items if i.category == category]

    @property
    def mean_difficulty(self) -> float | None:
        return sum(i.difficulty for i in self.items) / len(self.items) if self.items else None

    @property
    def mean_discrimination(self) -> float | None:
        values = [i.discrimination for i in self.items if i.discrimination is not None]
        return sum(values) / len(values) if values else None

    @property
    def warnings(self) -> list[str]:
        out = []
        if len(self.models) < FEW_MODELS:
            out.append(f"{self.task}: only {len(self.models)} models; each discrimination rests "
                       f"on {len(self.models)} points and is rough below {FEW_MODELS} models.")
        if self.settings_differ:
            out.append(f"{self.task}: the runs' settings differ ({', '.join(self.settings_differ)});"
                       " the figures mix the models with their settings.")
        if self.left_out:
            out.append(f"{self.task}: {self.left_out} questions were not answered by every run "
                       "and are left out.")
        return out


def _latest_runs_by_task(store: Any, project: Project, snapshot_id: str
                         ) -> dict[str, dict[str, EvalRun]]:
    by_task: dict[str, dict[str, EvalRun]] = {}
    for run in store.eval_runs(project.id, state="done"):
        if run.snapshot_id == snapshot_id:
            by_task.setdefault(run.task, {})[run.model_name] = run  # oldest first: latest wins
    return by_task


def default_snapshot(store: Any, project: Project) -> str:
    """The newest snapshot on which two or more models have finished runs of one task."""
    for snap in store.snapshots(project.id):
        if any(len(m) >= 2 for m in _latest_runs_by_task(store, project, snap.id).values()):
            return str(snap.id)
    raise NotFound(f"No snapshot of project '{project.name}' has been evaluated by two or more "
                   "models.",
                   "Item analysis compares models: evaluate a second model on the snapshot "
                   "('workbench eval run --model ...').")


def analyse_items(store: Any, project: Project, snapshot_id: str | None = None,
                  task: str | None = None) -> list[ItemAnalysis]:
    """Item analysis of every task of the snapshot (default: the newest one two models ran)
    that two or more models ran, or of ``task`` alone."""
    if snapshot_id is None:
        snapshot_id = default_snapshot(store, project)
    else:
        snapshot_id = str(store.snapshot(snapshot_id).id)
    by_task = _latest_runs_by_task(store, project, snapshot_id)
    if task is not None:
        if task not in by_task:
            raise NotFound(f"Task '{task}' was not run on snapshot {snapshot_id[:12]}.",
                           f"Tasks run on it: {', '.join(sorted(by_task)) or 'none'}.")
        by_task = {task: by_task[task]}
    ready = {t: runs for t, runs in by_task.items() if len(runs) >= 2}
    if not ready:
        ran = sorted({m for runs in by_task.values() for m in runs})
        raise NotFound(
            f"Item analysis needs two or more models on snapshot {snapshot_id[:12]}; "
            f"{len(ran)} ran it ({', '.join(ran) or 'none'}).",
            "Evaluate another model on this snapshot ('workbench eval run --model ...').")
    ids = [r.id for runs in ready.values() for r in runs.values()]
    samples = store.samples_for_runs(ids)
    texts = {item.question_id: str(item.payload.get("question", ""))
             for item in store.snapshot_items(snapshot_id, "test")}
    out = []
    for t in sorted(ready, key=str.casefold):
        runs = ready[t]
        models = sorted(runs, key=str.casefold)
        analysis = item_statistics(project, snapshot_id, t,
                                   {m: (runs[m], samples[runs[m].id]) for m in models}, texts)
        if analysis.items:
            out.append(analysis)
    if not out:
        raise NotFound("The runs share no per-sample results to analyse.",
                       "Rerun the evaluations; they stored no samples.")
    return out


def item_statistics(project: Project, snapshot_id: str, task: str,
                    runs: dict[str, tuple[EvalRun, list[SampleResult]]],
                    texts: dict[int | None, str] | None = None) -> ItemAnalysis:
    """The figures for one task from each model's run and per-sample results (model order
    as given). Only the questions every run answered are analysed."""
    by_model = {m: {sample_key(s): s for s in samples} for m, (_, samples) in runs.items()}
    models = list(runs)
    first = by_model[models[0]]
    shared = [k for k in first if all(k in by_model[m] for m in models[1:])]
    union = set().union(*(set(v) for v in by_model.values()))
    right = {m: {k: 1.0 if by_model[m][k].correct >= 0.5 else 0.0 for k in shared}
             for m in models}
    totals = {m: sum(right[m].values()) for m in models}
    items = []
    for k in shared:
        sample = first[k]
        outcome = {m: right[m][k] for m in models}
        x = [outcome[m] for m in models]
        corrected = [totals[m] - outcome[m] for m in models]
        items.append(ItemStats(
            key=k, question_id=sample.question_id, position=sample.sample_index,
            question=(texts or {}).get(sample.question_id, ""), outcomes=outcome,
            difficulty=sum(x) / len(x), discrimination=point_biserial(x, corrected),
        ))
    items.sort(key=lambda i: i.position)
    settings = [runs[m][0].settings for m in models]
    differ = sorted({k for s in settings[1:] for k in settings_difference(settings[0], s)})
    return ItemAnalysis(
        project=project, snapshot_id=snapshot_id, task=task,
        models=[ModelTotal(m, runs[m][0], int(totals[m]), len(shared)) for m in models],
        items=items, left_out=len(union) - len(shared), settings_differ=differ,
    )


# -- flags ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FlagChanges:
    """What ``apply_item_flags`` did: question ids per flag added or removed."""

    added: dict[str, list[int]]
    removed: dict[str, list[int]]
    unflaggable: int  # listed items with no stored question (built-in tasks)


def wanted_item_flags(analyses: Iterable[ItemAnalysis]) -> tuple[dict[int, set[str]], int]:
    """Per analysed question id, the item flags its figures call for (empty: none), and how
    many listed items have no question to flag."""
    wanted: dict[int, set[str]] = {}
    unflaggable = 0
    for analysis in analyses:
        for item in analysis.items:
            if item.question_id is None:
                unflaggable += item.category is not None
                continue
            flags = wanted.setdefault(item.question_id, set())
            if item.category is not None:
                flags.add(item.category)
    return wanted, unflaggable


def apply_item_flags(store: Any, analyses: Sequence[ItemAnalysis]) -> FlagChanges:
    """Send the listed questions to Review: each analysed question gets the item flags its
    figures call for and loses those they no longer do (a third model may clear a flag).
    Other flags (near-duplicate, disagreement, ...) are kept. Flags never change a status."""
    wanted, unflaggable = wanted_item_flags(analyses)
    current = store.question_flags(list(wanted))
    added: dict[str, list[int]] = {}
    removed: dict[str, list[int]] = {}
    new_flags: dict[int, list[str]] = {}
    for qid, flags in current.items():
        have = set(flags) & set(ITEM_FLAGS)
        want = wanted[qid]
        if have == want:
            continue
        for f in sorted(want - have):
            added.setdefault(f, []).append(qid)
        for f in sorted(have - want):
            removed.setdefault(f, []).append(qid)
        new_flags[qid] = sorted((set(flags) - set(ITEM_FLAGS)) | want)
    store.replace_question_flags(new_flags)
    return FlagChanges(added, removed, unflaggable)


# -- regression tracking: questions that flipped between two runs ------------------------------
BROKE, FIXED = "broke", "fixed"


@dataclass(frozen=True)
class Flip:
    key: Key
    question_id: int | None
    position: int
    direction: str  # "broke": right before, wrong after; "fixed": the other way
    before: SampleResult
    after: SampleResult


@dataclass(frozen=True)
class RunFlips:
    """Run ``before`` against run ``after`` of the same task, question by question."""

    before: EvalRun
    after: EvalRun
    shared: int
    flips: list[Flip]
    paired: stats.PairedDifference | None  # after minus before, on the shared questions
    settings_differ: dict[str, tuple[Any, Any]]

    @property
    def broke(self) -> list[Flip]:
        return [f for f in self.flips if f.direction == BROKE]

    @property
    def fixed(self) -> list[Flip]:
        return [f for f in self.flips if f.direction == FIXED]

    @property
    def warnings(self) -> list[str]:
        out = []
        if self.before.model_name != self.after.model_name:
            out.append(f"the runs are of different models ({self.before.model_name} and "
                       f"{self.after.model_name}).")
        if self.settings_differ:
            shown = ", ".join(f"{k} ({a!r} vs {b!r})" for k, (a, b) in self.settings_differ.items())
            out.append(f"the runs' settings differ: {shown}.")
        if self.before.snapshot_id != self.after.snapshot_id:
            out.append(f"the runs used different snapshots; only the {self.shared} shared "
                       "questions are compared.")
        return out


def runs_of_model(store: Any, project: Project, model: str, task: str | None = None
                  ) -> list[EvalRun]:
    """A model's finished runs in the project, newest first (optionally one task only)."""
    runs = store.eval_runs(project.id, state="done", model_name=model, task=task)
    return list(reversed(runs))


def run_flips(store: Any, before_id: int, after_id: int) -> RunFlips:
    """The questions whose outcome changed from run ``before_id`` to run ``after_id``."""
    if before_id == after_id:
        raise InvalidInput("Pick two different runs.", f"Both are run {before_id}.")
    before, after = store.eval_run(before_id), store.eval_run(after_id)
    for run in (before, after):
        if run.state != "done":
            raise InvalidInput(f"Run {run.id} is {run.state}, not finished.",
                               "Only finished runs have per-sample results to compare.")
    if before.project_id != after.project_id:
        raise InvalidInput("The two runs belong to different projects.")
    if before.task != after.task:
        raise InvalidInput(f"Run {before.id} is on task '{before.task}', run {after.id} on "
                           f"'{after.task}'.", "Compare two runs of the same task.")
    loaded = store.samples_for_runs([before.id, after.id])
    sb, sa = loaded[before.id], loaded[after.id]
    after_by_key = {sample_key(s): s for s in sa}
    flips = []
    shared = 0
    for b in sb:
        a = after_by_key.get(sample_key(b))
        if a is None:
            continue
        shared += 1
        was, now = b.correct >= 0.5, a.correct >= 0.5
        if was != now:
            flips.append(Flip(sample_key(b), b.question_id, b.sample_index,
                              BROKE if was else FIXED, b, a))
    paired = pair(run_scores(after, sa), run_scores(before, sb)) if shared else None
    differ = {k: (before.settings.get(k), after.settings.get(k))
              for k in settings_difference(before.settings, after.settings)}
    return RunFlips(before, after, shared, flips, paired, differ)


# -- JSON -------------------------------------------------------------------------------------
def item_json(item: ItemStats) -> dict[str, Any]:
    return {"question_id": item.question_id, "position": item.position,
            "question": item.question, "difficulty": item.difficulty,
            "discrimination": item.discrimination, "right": item.right,
            "models": len(item.outcomes), "outcomes": item.outcomes, "listed": item.category}


def analysis_json(a: ItemAnalysis) -> dict[str, Any]:
    return {
        "task": a.task, "snapshot": a.snapshot_id, "warnings": a.warnings,
        "models": [{"model": m.model, "run": m.run.id, "right": m.right, "items": m.items,
                    "accuracy": m.accuracy} for m in a.models],
        "items_analysed": len(a.items), "left_out": a.left_out,
        "mean_difficulty": a.mean_difficulty, "mean_discrimination": a.mean_discrimination,
        "listed": {c: [i.question_id if i.question_id is not None else f"#{i.position}"
                       for i in a.listed(c)] for c in ITEM_FLAGS},
        "items": [item_json(i) for i in a.items],
    }


def to_json(analyses: Sequence[ItemAnalysis]) -> dict[str, Any]:
    return {"project": analyses[0].project.name if analyses else None,
            "snapshot": analyses[0].snapshot_id if analyses else None,
            "discrimination": DISCRIMINATION_NAME,
            "anti_discrimination_threshold": ANTI_DISCRIMINATION,
            "flag_meanings": FLAG_MEANINGS,
            "analyses": [analysis_json(a) for a in analyses]}


def flips_json(f: RunFlips) -> dict[str, Any]:
    p = f.paired
    return {
        "before": {"run": f.before.id, "model": f.before.model_name,
                   "created_at": f.before.created_at},
        "after": {"run": f.after.id, "model": f.after.model_name,
                  "created_at": f.after.created_at},
        "task": f.before.task, "shared": f.shared, "warnings": f.warnings,
        "broke": len(f.broke), "fixed": len(f.fixed),
        "difference": None if p is None else p.difference,
        "test": None if p is None else p.test.name,
        "p_value": None if p is None else p.test.p_value,
        "flips": [{"question_id": x.question_id, "position": x.position,
                   "direction": x.direction, "before_choice": x.before.prediction_index,
                   "after_choice": x.after.prediction_index, "gold": x.before.gold_index}
                  for x in f.flips],
    }
