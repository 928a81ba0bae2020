"""`workbench items --project P [--snapshot ID] [--task T] [--json] [--flag] [--all]` and
`workbench items --project P --flips RUN_BEFORE RUN_AFTER [--json]`"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from workbench.cli.context import CliContext, command_errors, echo_json, pass_cli

if TYPE_CHECKING:
    from workbench.results.items import FlagChanges, ItemAnalysis, ItemStats, RunFlips


@click.command("items")
@click.option("--project", "project_name", required=True, help="The project.")
@click.option("--snapshot", "snapshot_id", default=None,
              help="Snapshot id or prefix (default: the newest that two or more models ran).")
@click.option("--task", default=None, help="Only this task (e.g. project:mcf).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--flag", "flag", is_flag=True,
              help="Send the listed questions to Review: set their item flags (and clear "
                   "item flags the figures no longer call for). Statuses are not changed.")
@click.option("--all", "show_all", is_flag=True, help="Print every question, not only the listed.")
@click.option("--flips", nargs=2, type=int, default=None, metavar="RUN_BEFORE RUN_AFTER",
              help="Instead: the questions whose outcome changed between two runs "
                   "(ids from 'workbench eval list').")
@pass_cli
@command_errors
def items(obj: CliContext, project_name: str, snapshot_id: str | None, task: str | None,
          as_json: bool, flag: bool, show_all: bool, flips: tuple[int, int] | None) -> None:
    """Item analysis: each question's difficulty and discrimination across the models that
    ran a snapshot, with the questions every model gets right, every model gets wrong, or
    that strong models fail and weak ones pass."""
    from workbench.results import items as it

    project = obj.store.project(project_name)
    if flips is not None:
        result = it.run_flips(obj.store, flips[0], flips[1])
        if result.before.project_id != project.id:
            from workbench.errors import InvalidInput

            raise InvalidInput(f"Run {flips[0]} is not in project '{project.name}'.")
        if as_json:
            echo_json(it.flips_json(result))
        else:
            for line in describe_flips(result):
                click.echo(line)
        return
    analyses = it.analyse_items(obj.store, project, snapshot_id, task)
    changes = it.apply_item_flags(obj.store, analyses) if flag else None
    if as_json:
        data = it.to_json(analyses)
        if changes is not None:
            data["flags"] = {"added": changes.added, "removed": changes.removed,
                             "unflaggable": changes.unflaggable}
        echo_json(data)
        return
    for analysis in analyses:
        for line in describe(analysis, show_all):
            click.echo(line)
    if changes is not None:
        for line in describe_changes(changes):
            click.echo(line)


def _num(x: float | None, fmt: str = "{:+.2f}") -> str:
    return "  n/a" if x is None else fmt.format(x)


def _item_line(i: ItemStats) -> str:
    text = i.question if len(i.question) <= 60 else i.question[:59] + "…"
    qid = "" if i.question_id is None else str(i.question_id)
    return (f"  {qid:>6}  #{i.position:<4} {i.right}/{len(i.outcomes)} right  "
            f"p={i.difficulty:.2f}  r={_num(i.discrimination)}  {text}")


def describe(a: ItemAnalysis, show_all: bool = False) -> list[str]:
    """Plain lines: the models' totals, summary figures, then the listed questions."""
    from workbench.results import items as it

    lines = [f"Snapshot {a.snapshot_id[:12]} · {a.task} · {len(a.models)} models · "
             f"{len(a.items)} questions"]
    lines += [f"  {m.model}: {m.right}/{m.items} right ({100 * m.accuracy:.1f}%), run {m.run.id}"
              for m in a.models]
    lines += [f"Warning: {w}" for w in a.warnings]
    lines.append(f"Mean difficulty (share of models right) {_num(a.mean_difficulty, '{:.2f}')}; "
                 f"mean discrimination {_num(a.mean_discrimination)} "
                 "(r: corrected item-total point-biserial, this question against each model's "
                 "total on the other questions)")
    for flag in it.ITEM_FLAGS:
        listed = a.listed(flag)
        lines.append(f"{flag}: {len(listed)}  ({it.FLAG_MEANINGS[flag]})")
        lines += [_item_line(i) for i in listed]
    if show_all:
        lines.append("Every question:")
        lines += [_item_line(i) for i in a.items]
    lines.append("")
    return lines


def describe_changes(c: FlagChanges) -> list[str]:
    added = sum(len(v) for v in c.added.values())
    removed = sum(len(v) for v in c.removed.values())
    lines = [f"Flags: {added} added, {removed} cleared (filter on them in Review; statuses "
             "are unchanged)."]
    lines += [f"  +{flag}: {', '.join(map(str, ids))}" for flag, ids in sorted(c.added.items())]
    lines += [f"  -{flag}: {', '.join(map(str, ids))}" for flag, ids in sorted(c.removed.items())]
    if c.unflaggable:
        lines.append(f"  {c.unflaggable} listed items have no stored question to flag.")
    return lines


def describe_flips(f: RunFlips) -> list[str]:
    lines = [f"Run {f.before.id} ({f.before.model_name}, {f.before.created_at[:16]}) -> run "
             f"{f.after.id} ({f.after.model_name}, {f.after.created_at[:16]}) on {f.before.task}: "
             f"{f.shared} shared questions, {len(f.broke)} broke, {len(f.fixed)} fixed"]
    lines += [f"Warning: {w}" for w in f.warnings]
    if f.paired is not None:
        p = f.paired
        lines.append(f"  after - before {100 * p.difference:+.1f} points, {p.test.name} "
                     f"p = {p.test.p_value:.3g}"
                     + (" (significant)" if p.significant else " (not significant)"))
    letters = "ABCDEFGHIJ"
    for x in f.flips:
        def show(i: int | None) -> str:
            return "-" if i is None or i >= len(letters) else letters[i]
        lines.append(f"  {x.direction:<5} question {x.question_id or '-'} (#{x.position}): "
                     f"{show(x.before.prediction_index)} -> {show(x.after.prediction_index)}, "
                     f"key {show(x.before.gold_index)}")
    return lines
