"""The leaderboard: models x tasks with error bars, averages, ties with the leader, stale
cells and exports. Free of Textual; the CLI and the Leaderboard screen both use it.

Loading (``load_leaderboard_data``) reads every finished run's per-sample results once and
computes its accuracy; ``build_leaderboard`` then filters, averages, marks ties and sorts
from cached figures, so re-sorting and re-filtering stay fast.

A cell is a model's latest finished run on a task. It is *stale* when that run used an
older snapshot than the project's latest. A model is *tied* with a column's leader when the
paired test on their shared questions is not significant at 5% after Holm's adjustment for
the comparisons made in that column (``stats.paired_difference`` picks the test: McNemar, or
a z-test on the clustered error when clustering widens it, the same one Compare shows).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from store.records import EvalRun, Project, SampleResult
from workbench.errors import InvalidInput, WorkbenchError
from workbench.results import stats

AVERAGE = "average"
MODEL = "model"
# Settings that name the model rather than change how it is scored.
IDENTITY_SETTINGS = frozenset({"model", "model_name", "model_id", "model_path", "model_args"})
# Shown on the leaderboard, in this order, when present.
SHOWN_SETTINGS = ("formulation", "fewshot", "seed", "chat_template", "system_prompt",
                  "dtype", "backend", "limit")

Key = Hashable
# A difference from the leader: one task's paired difference or an average's.
Versus = stats.PairedDifference | stats.PooledDifference
EXPORT_FORMATS = ("md", "csv", "json")


def formulation_of(run: EvalRun) -> str | None:
    """How a run's questions were put to the model ('mcf', 'cloze', 'generative',
    'generative-reasoning', as in the task's name); None for a built-in task."""
    formulation = run.settings.get("formulation")
    if not formulation:
        return None
    return f"{formulation}-reasoning" if run.settings.get("reasoning") else str(formulation)


def formulations_of(runs: Iterable[EvalRun]) -> list[str]:
    """The distinct formulations of these runs, sorted."""
    return sorted({f for run in runs if (f := formulation_of(run)) is not None})


def mixed_formulations_warning(found: list[str], what: str) -> str:
    """The warning for an average over several formulations of the same questions."""
    return (f"{what} mix formulations ({', '.join(found)}): each asks the same questions "
            "differently, so an average (and its marks) compares formulations as well as "
            f"models. Filter to one (e.g. task:{found[-1]}) to compare like for like.")


def sample_key(s: SampleResult) -> Key:
    """How samples of two runs are paired: by question id, else by position."""
    return ("q", s.question_id) if s.question_id is not None else ("i", s.sample_index)


@dataclass(frozen=True)
class RunScores:
    """One finished run reduced to what tables and tests need."""

    run: EvalRun
    accuracy: stats.Accuracy
    outcomes: dict[Key, float]
    clusters: dict[Key, Hashable | None]
    # Generative runs: replies with no answer read from them (scored wrong); else None.
    unparsed: int | None = None


def run_scores(run: EvalRun, samples: list[SampleResult],
               unparsed: int | None = None) -> RunScores:
    """Accuracy with i.i.d. and clustered errors, plus per-question outcomes for pairing."""
    scores = [s.correct for s in samples]
    clusters = [s.cluster for s in samples]
    keys = [sample_key(s) for s in samples]
    return RunScores(run, stats.accuracy(scores, clusters, keys),
                     dict(zip(keys, scores, strict=True)), dict(zip(keys, clusters, strict=True)),
                     unparsed)


def settings_difference(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Setting names whose values differ between two runs (model identity excluded)."""
    keys = (a.keys() | b.keys()) - IDENTITY_SETTINGS
    return sorted(k for k in keys if a.get(k) != b.get(k))


def pair(x: RunScores, y: RunScores) -> stats.PairedDifference | None:
    """Paired difference x - y on the questions both runs answered (None if none shared)."""
    common = [k for k in x.outcomes if k in y.outcomes]
    if not common:
        return None
    return stats.paired_difference(
        [x.outcomes[k] for k in common], [y.outcomes[k] for k in common],
        [x.clusters.get(k) for k in common], common,
    )


# -- loading -------------------------------------------------------------------------------
@dataclass
class LeaderboardData:
    """Everything loaded from the store, plus caches of paired tests."""

    project: Project
    cells: dict[tuple[str, str], RunScores]
    runs: dict[tuple[str, str], list[EvalRun]]
    latest_snapshot: str | None
    snapshot_times: dict[str, str]
    cluster_by: str = "passage"
    _pairs: dict[tuple[int, int], stats.PairedDifference | None] = field(default_factory=dict)
    # Keyed by run ids, so they stay right whatever the filter: averages and their tests.
    _averages: dict[tuple[int, ...], stats.Pooled] = field(default_factory=dict)
    _average_vs: dict[tuple[tuple[int, ...], tuple[int, ...]], Versus | None] = field(
        default_factory=dict)
    _settings_diffs: dict[tuple[int, int], tuple[str, ...]] = field(default_factory=dict)
    models: list[str] = field(init=False)
    tasks: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.models = sorted({m for m, _ in self.cells}, key=str.casefold)
        self.tasks = sorted({t for _, t in self.cells}, key=str.casefold)

    def is_stale(self, run: EvalRun) -> bool:
        return (run.snapshot_id is not None and self.latest_snapshot is not None
                and run.snapshot_id != self.latest_snapshot)

    def settings_differ(self, x: RunScores, y: RunScores) -> tuple[str, ...]:
        key = (x.run.id, y.run.id)
        if key not in self._settings_diffs:
            self._settings_diffs[key] = tuple(settings_difference(x.run.settings,
                                                                  y.run.settings))
        return self._settings_diffs[key]

    def paired(self, x: RunScores, y: RunScores) -> stats.PairedDifference | None:
        key = (x.run.id, y.run.id)
        if key not in self._pairs:
            self._pairs[key] = pair(x, y)
        return self._pairs[key]


def load_leaderboard_data(store: Any, project: Project, cluster_by: str = "passage"
                          ) -> LeaderboardData:
    """Read the project's finished runs and their per-sample results."""
    done: list[EvalRun] = store.eval_runs(project.id, state="done")
    runs: dict[tuple[str, str], list[EvalRun]] = {}
    for run in done:
        runs.setdefault((run.model_name, run.task), []).append(run)
    latest = {key: rs[-1] for key, rs in runs.items()}
    ids = [r.id for r in latest.values()]
    samples = store.samples_for_runs(ids, cluster_by=cluster_by)
    unparsed = store.unparsed_counts(ids)
    cells = {key: run_scores(run, samples[run.id], unparsed.get(run.id))
             for key, run in latest.items() if samples[run.id]}
    snaps = store.snapshots(project.id)
    return LeaderboardData(
        project=project, cells=cells, runs=runs,
        latest_snapshot=snaps[0].id if snaps else None,
        snapshot_times={s.id: s.created_at for s in snaps}, cluster_by=cluster_by,
    )


# -- the table -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    model: str
    task: str
    scores: RunScores
    stale: bool
    best: bool = False
    leader: bool = False
    tied_with_leader: bool | None = None
    p_vs_leader: float | None = None
    settings_differ: tuple[str, ...] = ()
    vs_leader: stats.PairedDifference | None = None  # the leader minus this model

    @property
    def accuracy(self) -> stats.Accuracy:
        return self.scores.accuracy

    @property
    def run(self) -> EvalRun:
        return self.scores.run


@dataclass(frozen=True)
class Row:
    model: str
    cells: dict[str, Cell]
    average: stats.Pooled | None
    partial: bool
    leader: bool = False
    tied_with_leader: bool | None = None
    p_vs_leader: float | None = None
    vs_leader: Versus | None = None  # the leader's average minus this model's

    @property
    def stale(self) -> bool:
        return any(c.stale for c in self.cells.values())

    def value(self, column: str) -> float | None:
        if column == AVERAGE:
            return None if self.average is None else self.average.value
        cell = self.cells.get(column)
        return None if cell is None else cell.accuracy.value


@dataclass(frozen=True)
class Leaderboard:
    project: str
    tasks: list[str]
    rows: list[Row]
    latest_snapshot: str | None
    cluster_by: str
    sort_by: str
    descending: bool
    mixed_settings: dict[str, list[str]]

    @property
    def comparisons(self) -> int:
        """Paired tests against the average's leader (one per other model)."""
        return sum(1 for r in self.rows if r.p_vs_leader is not None)

    def settings_warnings(self) -> list[str]:
        """One line per distinct set of differing settings, naming its tasks."""
        grouped: dict[tuple[str, ...], list[str]] = {}
        for task, keys in self.mixed_settings.items():
            grouped.setdefault(tuple(keys), []).append(task)
        return [f"Runs differ in {', '.join(keys)} on {', '.join(tasks)}: compare like for like."
                for keys, tasks in grouped.items()]

    def cluster_warnings(self) -> list[str]:
        """One line naming the tasks whose clustered errors rest on too few clusters."""
        fewest: dict[str, int] = {}
        for row in self.rows:
            for task, cell in row.cells.items():
                k = cell.accuracy.clusters
                if k is not None and stats.few_clusters(k):
                    fewest[task] = min(fewest.get(task, k), k)
        if not fewest:
            return []
        tasks = ", ".join(f"{t} ({k})" for t, k in sorted(fewest.items()))
        return [f"Few source {self.cluster_by}s on {tasks}: clustered errors are rough with "
                f"fewer than {stats.FEW_CLUSTERS}; add questions from more {self.cluster_by}s."]

    def formulation_warnings(self) -> list[str]:
        """One line when the averages (and their marks) span several formulations."""
        found = formulations_of(cell.run for row in self.rows for cell in row.cells.values())
        return [mixed_formulations_warning(found, "The averages")] if len(found) > 1 else []

    def warnings(self) -> list[str]:
        """Everything a reader must know before trusting the marks: formulations, settings,
        clusters."""
        return self.formulation_warnings() + self.settings_warnings() + self.cluster_warnings()

    def cluster_counts(self) -> dict[str, tuple[int, int]]:
        """Per task, the fewest and most clusters its cells' errors rest on (tasks without
        cluster information are left out)."""
        counts: dict[str, tuple[int, int]] = {}
        for row in self.rows:
            for task, cell in row.cells.items():
                k = cell.accuracy.clusters
                if k is None:
                    continue
                lo, hi = counts.get(task, (k, k))
                counts[task] = (min(lo, k), max(hi, k))
        return {t: counts[t] for t in self.tasks if t in counts}

    def clusters_text(self) -> str | None:
        """'10 source passages per task' or 'source passages per task: facts 10, quiz 6-8'."""
        counts = self.cluster_counts()
        if not counts:
            return None
        shown = {f"{lo}" if lo == hi else f"{lo}-{hi}" for lo, hi in counts.values()}
        if len(shown) == 1:
            return f"{shown.pop()} source {self.cluster_by}s per task"
        return f"source {self.cluster_by}s per task: " + ", ".join(
            f"{t} {lo}" if lo == hi else f"{t} {lo}-{hi}" for t, (lo, hi) in counts.items())

    def comparisons_in(self, column: str) -> int:
        """Paired tests against the leader made in a column (the average's too)."""
        if column == AVERAGE:
            return self.comparisons
        return sum(1 for r in self.rows
                   if column in r.cells and r.cells[column].p_vs_leader is not None)

    @property
    def note(self) -> str | None:
        """What a reader must know about the tie marks when many models are compared."""
        k = self.comparisons
        if k < 2:
            return None
        return (f"{k} comparisons with the leader (and per task): p-values are Holm-adjusted "
                "for multiple comparisons; '=' means no significant difference at 5%.")

    def cell(self, model: str, task: str) -> Cell | None:
        for r in self.rows:
            if r.model == model:
                return r.cells.get(task)
        return None


Mark = tuple[bool | None, float | None, stats.PairedDifference | None]


def _tie_marks(
    data: LeaderboardData, leader: RunScores, others: list[tuple[str, RunScores]]
) -> dict[str, Mark]:
    """Holm-adjusted paired tests of each other model against the leader, in one column:
    (tied, adjusted p, the leader minus the model)."""
    tested: list[tuple[str, stats.PairedDifference]] = []
    marks: dict[str, Mark] = {}
    pairs, lead_id = data._pairs, leader.run.id
    for model, scores in others:
        key = (lead_id, scores.run.id)
        # The cache read inline: this runs once per cell on every filter change.
        diff = pairs[key] if key in pairs else data.paired(leader, scores)
        if diff is None:
            marks[model] = (None, None, None)
        else:
            tested.append((model, diff))
    adjusted = stats.holm([d.test.p_value for _, d in tested])
    for (model, diff), p in zip(tested, adjusted, strict=True):
        marks[model] = (p >= stats.ALPHA, p, diff)
    return marks


def shared_questions(run: EvalRun) -> str | None:
    """Which questions a run is on, for averages: runs on one snapshot share its questions
    (and their clusters); a run without a snapshot stands alone."""
    return run.snapshot_id


def _average(data: LeaderboardData, scores: list[RunScores]) -> stats.Pooled:
    key = tuple(s.run.id for s in scores)
    if key not in data._averages:
        data._averages[key] = stats.pooled_average(
            [s.accuracy for s in scores], [shared_questions(s.run) for s in scores])
    return data._averages[key]


def average_difference(
    leader: dict[str, RunScores], other: dict[str, RunScores], paired: Any = pair,
) -> stats.PooledDifference | None:
    """Average over the shared tasks of (leader - other); tasks whose runs are on the same
    snapshots are correlated through their clusters."""
    diffs = [(t, paired(leader[t], other[t])) for t in leader if t in other]
    diffs = [(t, d) for t, d in diffs if d is not None]
    if not diffs:
        return None
    shares: list[tuple[str, str] | None] = []
    for t, _ in diffs:
        a, b = shared_questions(leader[t].run), shared_questions(other[t].run)
        shares.append(None if a is None or b is None else (a, b))
    return stats.pooled_difference([d for _, d in diffs], shares)


def _average_vs(
    data: LeaderboardData, leader: dict[str, RunScores], other: dict[str, RunScores],
) -> Versus | None:
    """The leader's average minus another model's, with its test; one shared task uses that
    task's own paired test so the column and the average agree."""
    shared = [t for t in leader if t in other]
    key = (tuple(leader[t].run.id for t in shared), tuple(other[t].run.id for t in shared))
    if key in data._average_vs:
        return data._average_vs[key]
    d: Versus | None
    if len(shared) == 1:
        d = data.paired(leader[shared[0]], other[shared[0]])
    else:
        d = average_difference(
            {t: leader[t] for t in shared}, {t: other[t] for t in shared}, data.paired)
    data._average_vs[key] = d
    return d


def _matches(name: str, needle: str | None) -> bool:
    return not needle or needle.casefold() in name.casefold()


def parse_filter(text: str) -> tuple[str | None, str | None]:
    """'llama task:med' -> (model substring 'llama', task substring 'med')."""
    models, tasks = [], []
    for word in text.split():
        if word.casefold().startswith("task:"):
            tasks.append(word[5:])
        else:
            models.append(word)
    return (" ".join(models) or None, " ".join(tasks) or None)


def build_leaderboard(
    data: LeaderboardData, model_filter: str | None = None, task_filter: str | None = None,
    sort_by: str = AVERAGE, descending: bool | None = None,
) -> Leaderboard:
    """The table for the visible models and tasks, sorted by a column (a task name,
    'average' or 'model'). Substring filters are case-insensitive."""
    tasks = [t for t in data.tasks if _matches(t, task_filter)]
    models = [m for m in data.models if _matches(m, model_filter)]
    if sort_by not in (AVERAGE, MODEL, *data.tasks):
        raise InvalidInput(f"There is no column '{sort_by}' to sort by.",
                           f"Sort by 'average', 'model' or a task: {', '.join(data.tasks)}.")
    by_model: dict[str, dict[str, RunScores]] = {
        m: {t: data.cells[(m, t)] for t in tasks if (m, t) in data.cells} for m in models
    }
    by_model = {m: cells for m, cells in by_model.items() if cells}
    models = [m for m in models if m in by_model]

    # Per task: best value, leader, ties, settings that differ.
    cells: dict[str, dict[str, Cell]] = {m: {} for m in models}
    mixed: dict[str, list[str]] = {}
    for t in tasks:
        column = [(m, by_model[m][t]) for m in models if t in by_model[m]]
        if not column:
            continue
        # The leader: highest accuracy, the earliest run among equals.
        lead_model, lead = column[0]
        best = lead.accuracy.value
        for m, s in column:
            value = s.accuracy.value
            if value > best or (value == best and s.run.id < lead.run.id):
                lead_model, lead, best = m, s, value
        marks = _tie_marks(data, lead, [(m, s) for m, s in column if m != lead_model])
        keys: set[str] = set()
        lead_id, diffs, latest = lead.run.id, data._settings_diffs, data.latest_snapshot
        for m, s in column:
            run = s.run
            diff = diffs.get((lead_id, run.id))  # inline cache reads: once per cell
            if diff is None:
                diff = data.settings_differ(lead, s)
            if diff:
                keys.update(diff)
            tied, p, versus = marks.get(m, (None, None, None))
            stale = (run.snapshot_id is not None and latest is not None
                     and run.snapshot_id != latest)  # data.is_stale(run), inline
            cells[m][t] = Cell(m, t, s, stale, s.accuracy.value == best, m == lead_model,
                               tied, p, diff, versus)
        if keys:
            mixed[t] = sorted(keys)

    averages = {m: _average(data, [by_model[m][t] for t in tasks if t in by_model[m]])
                for m in models}
    partial = {m: len(by_model[m]) < len(tasks) for m in models}
    complete = [m for m in models if not partial[m]] or models
    row_marks: dict[str, tuple[bool | None, float | None, Versus | None]] = {}
    lead_row = max(complete, key=lambda m: averages[m].value) if complete else None
    if lead_row is not None:
        tested = [(m, _average_vs(data, by_model[lead_row], by_model[m]))
                  for m in models if m != lead_row]
        ps = [d.test.p_value for _, d in tested if d is not None]
        adjusted = iter(stats.holm(ps))
        for m, d in tested:
            if d is None:
                row_marks[m] = (None, None, None)
            else:
                q = next(adjusted)
                row_marks[m] = (q >= stats.ALPHA, q, d)

    rows = []
    for m in models:
        tied, p, row_vs = row_marks.get(m, (None, None, None))
        rows.append(Row(m, cells[m], averages[m], partial[m], m == lead_row, tied, p, row_vs))
    if descending is None:
        descending = sort_by != MODEL
    rows = sort_rows(rows, sort_by, descending)
    return Leaderboard(data.project.name, tasks, rows, data.latest_snapshot, data.cluster_by,
                       sort_by, descending, mixed)


def resort(board: Leaderboard, column: str, descending: bool) -> Leaderboard:
    """The same table in another order (no statistics recomputed)."""
    if column not in (AVERAGE, MODEL, *board.tasks):
        raise InvalidInput(f"There is no column '{column}' to sort by.")
    return replace(board, rows=sort_rows(board.rows, column, descending), sort_by=column,
                   descending=descending)


def sort_rows(rows: list[Row], column: str, descending: bool) -> list[Row]:
    """Sort by a column; rows without a value go last either way; ties by model name."""
    if column == MODEL:
        return sorted(rows, key=lambda r: r.model.casefold(), reverse=descending)
    have = [r for r in rows if r.value(column) is not None]
    missing = [r for r in rows if r.value(column) is None]
    have.sort(key=lambda r: r.model.casefold())
    have.sort(key=lambda r: r.value(column) or 0.0, reverse=descending)
    return have + sorted(missing, key=lambda r: r.model.casefold())


# -- history of a cell -----------------------------------------------------------------------
@dataclass(frozen=True)
class HistoryPoint:
    run: EvalRun
    accuracy: stats.Accuracy
    snapshot_created_at: str | None
    stale: bool


def cell_history(store: Any, data: LeaderboardData, model: str, task: str) -> list[HistoryPoint]:
    """Every finished run of a model on a task, oldest first, with its score."""
    runs = data.runs.get((model, task), [])
    samples = store.samples_for_runs([r.id for r in runs], cluster_by=data.cluster_by)
    return [
        HistoryPoint(r, run_scores(r, samples[r.id]).accuracy,
                     data.snapshot_times.get(r.snapshot_id or ""), data.is_stale(r))
        for r in runs if samples[r.id]
    ]


# -- text -------------------------------------------------------------------------------------
def pct(x: float) -> str:
    return f"{100 * x:.1f}"


@lru_cache(maxsize=1 << 16)
def _plus_minus(value: float, stderr: float) -> str:
    # Cached: a leaderboard re-formats the same few thousand scores on every filter change.
    return f"{pct(value)}±{pct(stderr)}"


def unparsed_text(unparsed: int | None) -> str:
    """' ?3' beside a generative run's accuracy: 3 replies had no answer read from them."""
    return f" ?{unparsed}" if unparsed else ""


def cell_text(cell: Cell) -> str:
    """'63.2±2.1' plus marks: = tied with the leader, † stale, ! settings differ; then
    ' ?N' when N written replies had no answer read from them (generative)."""
    acc = cell.scores.accuracy
    text = _plus_minus(acc.value, acc.best_stderr)
    if cell.tied_with_leader or cell.stale or cell.settings_differ:
        text += ("=" if cell.tied_with_leader else "") + ("†" if cell.stale else "") + (
            "!" if cell.settings_differ else "")
    return text + unparsed_text(cell.scores.unparsed)


def average_text(row: Row) -> str:
    if row.average is None:
        return ""
    marks = ("=" if row.tied_with_leader else "") + ("*" if row.partial else "")
    return f"{pct(row.average.value)}±{pct(row.average.stderr)}{marks}"


LEGEND = ("±: standard error (clustered by source {by}); bold: best; =: not significantly "
          "different from the leader; †: run on an older snapshot; !: settings differ from "
          "the leader's; *: average over fewer tasks.")


def verdict_text(tied: bool | None, p: float | None, versus: Versus | None,
                 comparisons: int) -> str:
    """How a model stands against the leader, in the words the screens and exports use:
    'tied with the leader (p=0.317): leader +25.0 [-24.0, 74.0], clustered z-test'.

    The mark ('tied' or 'below') follows the Holm-adjusted p; with one comparison that is
    the pair's own test, whose 95% interval excludes 0 exactly when it is significant. With
    several, the interval is the pair's alone and its own p is given beside the adjusted one.
    """
    if tied is None or p is None:
        return ""
    text = "tied with the leader" if tied else "below the leader"
    if versus is None:
        return f"{text} (p={p:.3g})"
    lo, hi = versus.interval
    if comparisons > 1:
        text += (f" (Holm p={p:.3g} over {comparisons} tests; this pair alone "
                 f"p={versus.test.p_value:.3g})")
    else:
        text += f" (p={p:.3g})"
    return (f"{text}: leader {versus.difference * 100:+.1f} points, 95% CI "
            f"[{pct(lo)}, {pct(hi)}], {versus.test.name}")


def detail_lines(board: Leaderboard, model: str, column: str) -> list[str]:
    """What the Leaderboard screen says about the selected cell: its score with the interval
    and the clusters it rests on, how it stands against the leader, its settings; then the
    board's warnings and its note on multiple comparisons."""
    lines: list[str] = []
    row = next((r for r in board.rows if r.model == model), None)
    cell = None if row is None else row.cells.get(column)
    if cell is not None:
        acc = cell.accuracy
        lo, hi = acc.interval
        source = "" if acc.clusters is None else (
            f" from {acc.clusters} source {board.cluster_by}s")
        wid = ""
        if acc.clustered_stderr is not None:
            wid = (f"; clustering widened it from ±{pct(acc.stderr)}" if acc.widened
                   else f"; i.i.d. ±{pct(acc.stderr)}")
        lines.append(f"{model} on {column}: {pct(acc.value)}% of {acc.n}{source}, 95% CI "
                     f"[{pct(lo)}, {pct(hi)}]{wid}")
        if cell.scores.unparsed is not None:
            lines.append(f"{cell.scores.unparsed} of {acc.n} written replies unparsed (no "
                         "answer read from them; scored wrong)")
        status = []
        if cell.leader:
            status.append("leader")
        elif cell.tied_with_leader is not None:
            status.append(verdict_text(cell.tied_with_leader, cell.p_vs_leader,
                                       cell.vs_leader, board.comparisons_in(column)))
        if cell.stale:
            status.append("stale: run on an older snapshot")
        if cell.settings_differ:
            status.append("settings differ from the leader's: " + ", ".join(cell.settings_differ))
        lines.append(" · ".join(status + [settings_summary(cell.run.settings)]))
    elif row is not None and column == AVERAGE and row.average is not None:
        avg = row.average
        lo, hi = avg.interval
        source = "" if avg.clusters is None else f" over {avg.clusters} source {board.cluster_by}s"
        state = "leader" if row.leader else verdict_text(
            row.tied_with_leader, row.p_vs_leader, row.vs_leader, board.comparisons)
        lines.append(f"{model}: average of {avg.tasks} tasks {pct(avg.value)}%, pooled 95% CI "
                     f"[{pct(lo)}, {pct(hi)}]{source}" + (f" · {state}" if state else ""))
    lines += [f"⚠ {w}" for w in board.warnings()]
    if board.note:
        lines.append(board.note)
    return lines


def settings_summary(settings: dict[str, Any]) -> str:
    """One line of the settings that change numbers, e.g. 'chat_template=False fewshot=0'."""
    shown = [f"{k}={settings[k]}" for k in SHOWN_SETTINGS if k in settings]
    rest = sorted(k for k in settings if k not in SHOWN_SETTINGS and k not in IDENTITY_SETTINGS)
    shown += [f"{k}={settings[k]}" for k in rest]
    return " ".join(shown)


def table_rows(board: Leaderboard) -> Iterable[list[str]]:
    """Plain text rows: model, average, one column per task."""
    for row in board.rows:
        yield [row.model, average_text(row)] + [
            cell_text(row.cells[t]) if t in row.cells else "" for t in board.tasks]


def to_markdown(board: Leaderboard) -> str:
    header = ["Model", "Average", *board.tasks]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row, texts in zip(board.rows, table_rows(board), strict=True):
        cells = [_md_escape(texts[0])] + [
            f"**{txt}**" if (t in row.cells and row.cells[t].best) else txt
            for t, txt in zip(board.tasks, texts[2:], strict=True)]
        lines.append("| " + " | ".join([cells[0], texts[1], *cells[1:]]) + " |")
    lines += ["", LEGEND.format(by=board.cluster_by)]
    clusters = board.clusters_text()
    if clusters:
        lines.append(f"Clustered errors rest on {clusters}.")
    if board.note:
        lines.append(board.note)
    lines += board.warnings()
    return "\n".join(lines) + "\n"


def export_text(board: Leaderboard, fmt: str) -> str:
    """The board as Markdown ('md'), CSV ('csv') or JSON ('json'), as written to a file."""
    if fmt == "md":
        return to_markdown(board)
    if fmt == "csv":
        return to_csv(board)
    if fmt == "json":
        return json.dumps(to_json(board), indent=2, default=str) + "\n"
    raise InvalidInput(f"Unknown export format '{fmt}'.",
                       f"Use one of {', '.join(EXPORT_FORMATS)}.")


def write_export(board: Leaderboard, fmt: str, folder: Path, stamp: str) -> Path:
    """Write the board to ``folder/leaderboard-<project>-<stamp>.<fmt>``; returns the path.
    A folder that cannot be written is a WorkbenchError with the reason."""
    path = folder / f"leaderboard-{board.project}-{stamp}.{fmt}"
    text = export_text(board, fmt)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise WorkbenchError(f"Could not write {path}: {exc.strerror or exc}.",
                           "Check that the exports folder is writable.") from exc
    return path


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


CSV_FIELDS = ["model", "task", "accuracy", "stderr", "clustered_stderr", "ci_low", "ci_high",
              "n", "clusters", "best", "tied_with_leader", "p_vs_leader", "stale", "snapshot_id",
              "run_id", "settings"]


def to_csv(board: Leaderboard) -> str:
    """One line per cell, plus an 'average' line per model."""
    out = io.StringIO()
    w = csv.DictWriter(out, CSV_FIELDS, lineterminator="\n")
    w.writeheader()
    for row in board.rows:
        if row.average is not None:
            lo, hi = row.average.interval
            w.writerow({"model": row.model, "task": AVERAGE, "accuracy": row.average.value,
                        "stderr": row.average.stderr, "ci_low": lo, "ci_high": hi,
                        "n": "", "clusters": _opt(row.average.clusters),
                        "tied_with_leader": _opt(row.tied_with_leader),
                        "p_vs_leader": _opt(row.p_vs_leader)})
        for t in board.tasks:
            if t in row.cells:
                d = cell_json(row.cells[t])
                lo, hi = d.pop("interval")
                d["settings"] = json.dumps(d["settings"], sort_keys=True)
                w.writerow({"model": row.model, "task": t, "ci_low": lo, "ci_high": hi,
                            **{k: _opt(v) for k, v in d.items() if k in CSV_FIELDS}})
    return out.getvalue()


def _opt(v: Any) -> Any:
    return "" if v is None else v


def cell_json(cell: Cell) -> dict[str, Any]:
    acc = cell.accuracy
    return {
        "accuracy": acc.value, "stderr": acc.stderr, "clustered_stderr": acc.clustered_stderr,
        "interval": list(acc.interval), "n": acc.n, "clusters": acc.clusters,
        "clustering_widened": acc.widened, "settings": cell.run.settings,
        "stale": cell.stale, "snapshot_id": cell.run.snapshot_id, "run_id": cell.run.id,
        "best": cell.best, "leader": cell.leader, "tied_with_leader": cell.tied_with_leader,
        "p_vs_leader": cell.p_vs_leader, "settings_differ_from_leader": list(cell.settings_differ),
        "unparsed": cell.scores.unparsed,
    }


def to_json(board: Leaderboard) -> dict[str, Any]:
    rows = []
    for row in board.rows:
        avg = None
        if row.average is not None:
            avg = {"accuracy": row.average.value, "stderr": row.average.stderr,
                   "interval": list(row.average.interval), "tasks": row.average.tasks,
                   "clusters": row.average.clusters, "partial": row.partial}
        rows.append({
            "model": row.model, "average": avg, "leader": row.leader,
            "tied_with_leader": row.tied_with_leader, "p_vs_leader": row.p_vs_leader,
            "cells": {t: cell_json(c) for t, c in row.cells.items()},
        })
    return {"project": board.project, "tasks": board.tasks, "cluster_by": board.cluster_by,
            "latest_snapshot": board.latest_snapshot, "sort_by": board.sort_by,
            "comparisons": board.comparisons, "note": board.note,
            "mixed_settings": board.mixed_settings, "warnings": board.warnings(), "rows": rows}


def to_rich_table(board: Leaderboard) -> Any:
    """A Rich Table for the CLI (Rich is light; no Textual)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"Leaderboard: {board.project}", caption=LEGEND.format(by=board.cluster_by))
    table.add_column("Model", no_wrap=True)
    table.add_column("Average", justify="right", no_wrap=True)
    for t in board.tasks:
        table.add_column(t, justify="right", no_wrap=True)
    for row, texts in zip(board.rows, table_rows(board), strict=True):
        cells = [Text(texts[0], style="bold" if row.leader else ""), Text(texts[1])]
        for t, txt in zip(board.tasks, texts[2:], strict=True):
            c = row.cells.get(t)
            cells.append(Text(txt, style="bold green" if c is not None and c.best else ""))
        table.add_row(*cells)
    return table
