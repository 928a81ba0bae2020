"""Two models side by side: per task scores, the paired difference and its test, the
questions each got right, and the detail of one question. Free of Textual.

A comparison of runs whose settings differ (chat template, few-shot, seed, ...) puts a
warning first: the difference then mixes the models with their settings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from store.records import EvalRun, Project, SampleResult
from workbench.errors import InvalidInput, NotFound
from workbench.results import stats
from workbench.results.leaderboard import (
    IDENTITY_SETTINGS,
    RunScores,
    average_difference,
    formulations_of,
    mixed_formulations_warning,
    pair,
    run_scores,
    sample_key,
    settings_difference,
)

CATEGORIES = ("both", "only_a", "only_b", "neither")
CATEGORY_TITLES = {"both": "both right", "only_a": "only A right", "only_b": "only B right",
                   "neither": "neither right"}


@dataclass(frozen=True)
class PowerFigures:
    """What the sample size allows, at the observed accuracies and correlation."""

    detectable: float | None  # smallest difference detectable at 80% power, 5% level
    needed: int | None  # questions needed to separate the two observed accuracies
    more: int | None  # of which not yet in the set


SETTINGS_WARNING = ("the runs' settings differ: {}. The difference mixes the models with their "
                    "settings; rerun with the same settings to compare the models alone.")


@dataclass(frozen=True)
class TaskComparison:
    task: str
    a: RunScores
    b: RunScores
    paired: stats.PairedDifference | None
    settings_differ: dict[str, tuple[Any, Any]]
    only_in_a: int
    only_in_b: int
    power: PowerFigures

    @property
    def settings_text(self) -> str:
        """'chat_template (True vs False), fewshot (0 vs 3)' or ''."""
        return ", ".join(f"{k} ({_show(a)} vs {_show(b)})"
                         for k, (a, b) in self.settings_differ.items())

    @property
    def warnings(self) -> list[str]:
        out = []
        if self.settings_differ:
            out.append(f"{self.task}: {SETTINGS_WARNING.format(self.settings_text)}")
        if self.a.run.snapshot_id != self.b.run.snapshot_id:
            out.append(f"{self.task}: the runs used different snapshots; only the "
                       f"{0 if self.paired is None else self.paired.n} shared questions "
                       "are compared.")
        elif self.only_in_a or self.only_in_b:
            out.append(f"{self.task}: {self.only_in_a} questions only in A's run and "
                       f"{self.only_in_b} only in B's are left out of the paired test.")
        if self.paired is not None and stats.few_clusters(self.paired.clusters):
            out.append(f"{self.task}: only {self.paired.clusters} source clusters; clustered "
                       f"errors are rough with fewer than {stats.FEW_CLUSTERS}.")
        return out

    @property
    def verdict(self) -> str:
        if self.paired is None:
            return "no shared questions"
        if not self.paired.significant:
            return "no significant difference"
        return "A better" if self.paired.difference > 0 else "B better"


@dataclass(frozen=True)
class Comparison:
    project: Project
    model_a: str
    model_b: str
    tasks: list[TaskComparison]
    overall: stats.PooledDifference | None
    cluster_by: str
    samples: dict[int, dict[Any, SampleResult]]

    @property
    def formulation_warnings(self) -> list[str]:
        """One line when the overall difference averages several formulations."""
        found = formulations_of(run for t in self.tasks for run in (t.a.run, t.b.run))
        if self.overall is None or len(found) < 2:
            return []
        return [mixed_formulations_warning(found, "The tasks averaged")]

    @property
    def warnings(self) -> list[str]:
        return self.formulation_warnings + [w for t in self.tasks for w in t.warnings]

    def warning_lines(self) -> list[str]:
        """The warnings with tasks that differ in the same settings folded into one line."""
        grouped: dict[str, list[str]] = {}
        for t in self.tasks:
            if t.settings_differ:
                grouped.setdefault(t.settings_text, []).append(t.task)
        lines = self.formulation_warnings + [
            f"{', '.join(tasks)}: {SETTINGS_WARNING.format(text)}"
            for text, tasks in grouped.items()]
        for t in self.tasks:
            lines += [w for w in t.warnings if not (t.settings_differ and w.startswith(
                f"{t.task}: the runs' settings differ"))]
        return lines

    def task(self, name: str) -> TaskComparison:
        for t in self.tasks:
            if t.task == name:
                return t
        raise NotFound(f"Task '{name}' is not in this comparison.",
                       f"Tasks: {', '.join(t.task for t in self.tasks)}.")


def _show(value: Any) -> str:
    return "unset" if value is None else repr(value) if isinstance(value, str) else str(value)


def _power(n: int, acc_a: float, acc_b: float, paired: stats.PairedDifference | None
           ) -> PowerFigures:
    if paired is None or n < 1:
        return PowerFigures(None, None, None)
    corr = paired.correlation if paired.correlation is not None else 0.0
    corr = min(max(corr, -0.99), 0.99)
    deff = paired.design_effect
    baseline = min(max((acc_a + acc_b) / 2, 0.01), 0.99)
    detectable = stats.detectable_difference(n, baseline, corr, design_effect=deff)
    needed: int | None = None
    if 0 < acc_a < 1 and 0 < acc_b < 1 and acc_a != acc_b:
        needed = stats.questions_needed(acc_a, acc_b, corr, design_effect=deff)
    return PowerFigures(detectable, needed, None if needed is None else max(0, needed - n))


def compare_models(
    store: Any, project: Project, model_a: str, model_b: str, task: str | None = None,
    cluster_by: str = "passage",
) -> Comparison:
    """Compare the latest finished runs of two models on every task both ran (or one)."""
    if model_a == model_b:
        raise InvalidInput("Pick two different models to compare.",
                           f"Both are '{model_a}'.")
    runs: dict[str, dict[str, EvalRun]] = {model_a: {}, model_b: {}}
    for run in store.eval_runs(project.id, state="done"):
        if run.model_name in runs:
            runs[run.model_name][run.task] = run  # oldest first, so the latest wins
    for model in (model_a, model_b):
        if not runs[model]:
            raise NotFound(f"Model '{model}' has no finished evaluation in project "
                           f"'{project.name}'.",
                           "Run one with 'workbench eval run' or from the Evaluate screen.")
    shared = sorted(runs[model_a].keys() & runs[model_b].keys(), key=str.casefold)
    if task is not None:
        if task not in shared:
            raise NotFound(
                f"Task '{task}' was not run on both models.",
                f"{model_a}: {', '.join(sorted(runs[model_a])) or 'none'}; "
                f"{model_b}: {', '.join(sorted(runs[model_b])) or 'none'}.")
        shared = [task]
    if not shared:
        raise NotFound(f"'{model_a}' and '{model_b}' have no task in common.",
                       "Evaluate both models on the same task first.")
    ids = [runs[m][t].id for t in shared for m in (model_a, model_b)]
    loaded = store.samples_for_runs(ids, cluster_by=cluster_by, details=True)
    samples = {rid: {sample_key(s): s for s in loaded[rid]} for rid in ids}
    comparisons = []
    for t in shared:
        ra, rb = runs[model_a][t], runs[model_b][t]
        if not loaded[ra.id] or not loaded[rb.id]:
            continue
        sa = run_scores(ra, loaded[ra.id], unparsed_count(loaded[ra.id]))
        sb = run_scores(rb, loaded[rb.id], unparsed_count(loaded[rb.id]))
        paired = pair(sa, sb)
        diff_keys = settings_difference(ra.settings, rb.settings)
        n = 0 if paired is None else paired.n
        comparisons.append(TaskComparison(
            task=t, a=sa, b=sb, paired=paired,
            settings_differ={k: (ra.settings.get(k), rb.settings.get(k)) for k in diff_keys},
            only_in_a=len(sa.outcomes.keys() - sb.outcomes.keys()),
            only_in_b=len(sb.outcomes.keys() - sa.outcomes.keys()),
            power=_power(n, sa.accuracy.value, sb.accuracy.value, paired),
        ))
    if not comparisons:
        raise NotFound("The runs hold no per-sample results to compare.",
                       "Rerun the evaluations; they stored no samples.")
    overall = None
    if len(comparisons) > 1:
        overall = average_difference({c.task: c.a for c in comparisons},
                                     {c.task: c.b for c in comparisons})
    return Comparison(project, model_a, model_b, comparisons, overall, cluster_by, samples)


def unparsed_count(samples: list[SampleResult]) -> int | None:
    """Written replies with no answer read from them; None for a log-likelihood run."""
    if not any(s.reply is not None for s in samples):
        return None
    return sum(s.unparsed for s in samples)


# -- per question ------------------------------------------------------------------------------
@dataclass(frozen=True)
class QuestionOutcome:
    task: str
    key: Any
    question_id: int | None
    category: str
    a: SampleResult
    b: SampleResult


def short_test_name(name: str) -> str:
    """'mid-p', 'chi²', 'z' or 'cl-z' (clustered) for narrow tables."""
    if name == stats.CLUSTERED_Z:
        return "cl-z"
    return "mid-p" if "mid-p" in name else "chi²" if "chi-square" in name else "z"


def category(a: float, b: float) -> str:
    ra, rb = a >= 0.5, b >= 0.5
    return "both" if ra and rb else "only_a" if ra else "only_b" if rb else "neither"


def question_outcomes(comparison: Comparison, task: str, which: str | None = None
                      ) -> list[QuestionOutcome]:
    """The shared questions of a task in sample order, optionally one category only."""
    if which is not None and which not in CATEGORIES:
        raise InvalidInput(f"Unknown category '{which}'.", f"Use one of {', '.join(CATEGORIES)}.")
    tc = comparison.task(task)
    sa, sb = comparison.samples[tc.a.run.id], comparison.samples[tc.b.run.id]
    out = []
    for key, a in sa.items():
        b = sb.get(key)
        if b is None:
            continue
        cat = category(a.correct, b.correct)
        if which is None or cat == which:
            out.append(QuestionOutcome(task, key, a.question_id, cat, a, b))
    return out


@dataclass(frozen=True)
class QuestionDetail:
    outcome: QuestionOutcome
    question: str
    options: list[str]
    gold_index: int | None

    def probabilities(self, logprobs: list[float]) -> list[float]:
        """Per-option probabilities renormalised over the options (softmax of logprobs)."""
        if not logprobs:
            return []
        top = max(logprobs)
        exps = [math.exp(x - top) for x in logprobs]
        total = sum(exps)
        return [e / total for e in exps]


def question_detail(store: Any, comparison: Comparison, outcome: QuestionOutcome
                    ) -> QuestionDetail:
    """The question as the models saw it (the snapshot's frozen copy when there is one),
    with both models' choices and per-option logprobs."""
    tc = comparison.task(outcome.task)
    text, options = "(question text not stored)", []
    payload = None
    snap = tc.a.run.snapshot_id
    if snap is not None and outcome.question_id is not None:
        for item in store.snapshot_items(snap):
            if item.question_id == outcome.question_id:
                payload = item.payload
                break
    if payload is not None:
        text, options = payload.get("question", text), list(payload.get("options", []))
    elif outcome.question_id is not None:
        try:
            q = store.question(outcome.question_id)
            text, options = q.question, q.options
        except NotFound:
            pass
    gold = outcome.a.gold_index if outcome.a.gold_index is not None else outcome.b.gold_index
    return QuestionDetail(outcome, text, options, gold)


# -- JSON -------------------------------------------------------------------------------------
def task_json(tc: TaskComparison) -> dict[str, Any]:
    p = tc.paired
    body: dict[str, Any] = {
        "task": tc.task,
        "warnings": tc.warnings,
        "settings_differ": {k: list(v) for k, v in tc.settings_differ.items()},
        "settings_a": {k: v for k, v in tc.a.run.settings.items() if k not in IDENTITY_SETTINGS},
        "settings_b": {k: v for k, v in tc.b.run.settings.items() if k not in IDENTITY_SETTINGS},
        "run_a": tc.a.run.id, "run_b": tc.b.run.id,
        "accuracy_a": tc.a.accuracy.value, "accuracy_b": tc.b.accuracy.value,
        "stderr_a": tc.a.accuracy.best_stderr, "stderr_b": tc.b.accuracy.best_stderr,
        "unparsed_a": tc.a.unparsed, "unparsed_b": tc.b.unparsed,
    }
    if p is not None:
        body.update({
            "n": p.n, "difference": p.difference, "stderr": p.stderr,
            "clustered_stderr": p.clustered_stderr, "clusters": p.clusters,
            "design_effect": p.design_effect, "interval": list(p.interval),
            "correlation": p.correlation, "test": p.test.name, "statistic": p.test.statistic,
            "p_value": p.test.p_value, "significant": p.significant,
            "counts": {"both": p.both, "only_a": p.only_a, "only_b": p.only_b,
                       "neither": p.neither},
        })
    body.update({
        "verdict": tc.verdict,
        "detectable_difference": tc.power.detectable,
        "questions_needed": tc.power.needed,
        "more_questions_needed": tc.power.more,
    })
    return body


def to_json(c: Comparison) -> dict[str, Any]:
    overall = None
    if c.overall is not None:
        o = c.overall
        overall = {"difference": o.difference, "stderr": o.stderr, "interval": list(o.interval),
                   "tasks": o.tasks, "clusters": o.clusters, "test": o.test.name,
                   "statistic": o.test.statistic, "p_value": o.test.p_value}
    return {"project": c.project.name, "model_a": c.model_a, "model_b": c.model_b,
            "warnings": c.warnings, "cluster_by": c.cluster_by,
            "tasks": [task_json(t) for t in c.tasks], "overall": overall}
