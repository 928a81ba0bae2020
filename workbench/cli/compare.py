"""`workbench compare --project NAME MODEL_A MODEL_B [--task T] [--format table|json]`"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from workbench.cli.context import CliContext, command_errors, echo_json, pass_cli

if TYPE_CHECKING:
    from workbench.results.compare import Comparison


@click.command("compare")
@click.option("--project", "project_name", required=True, help="The project.")
@click.argument("model_a")
@click.argument("model_b")
@click.option("--task", default=None, help="Only this task (default: every task both ran).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.option("--cluster-by", type=click.Choice(["passage", "document"]), default="passage",
              show_default=True, help="Source that questions share, for clustered errors.")
@pass_cli
@command_errors
def compare(obj: CliContext, project_name: str, model_a: str, model_b: str, task: str | None,
            fmt: str, cluster_by: str) -> None:
    """Compare two models question by question (paired test on the same questions)."""
    from workbench.results import compare as cmp

    project = obj.store.project(project_name)
    result = cmp.compare_models(obj.store, project, model_a, model_b, task, cluster_by)
    if fmt == "json":
        echo_json(cmp.to_json(result))
        return
    for line in result.warning_lines():
        click.secho(f"Warning: {line}", fg="yellow", err=False)
    for line in describe(result):
        click.echo(line)


def describe(result: Comparison) -> list[str]:
    """Plain lines: A and B, then per task the scores, difference, test and counts."""
    from workbench.results.leaderboard import pct, unparsed_text

    lines = [f"A = {result.model_a}    B = {result.model_b}    (project {result.project.name})"]
    for tc in result.tasks:
        p = tc.paired
        lines.append("")
        lines.append(f"{tc.task}:  A {pct(tc.a.accuracy.value)}±{pct(tc.a.accuracy.best_stderr)}"
                     f"{unparsed_text(tc.a.unparsed)}"
                     f"   B {pct(tc.b.accuracy.value)}±{pct(tc.b.accuracy.best_stderr)}"
                     f"{unparsed_text(tc.b.unparsed)}")
        if tc.a.unparsed or tc.b.unparsed:
            lines.append("  ?N: N written replies had no answer read from them (scored wrong)")
        if p is None:
            lines.append("  no shared questions")
            continue
        lo, hi = p.interval
        corr = "n/a" if p.correlation is None else f"{p.correlation:.2f}"
        clustered = "" if p.clustered_stderr is None else (
            f" (clustered, {p.clusters} clusters, design effect {p.design_effect:.2f})")
        lines.append(f"  A-B {pct(p.difference)} points, stderr {pct(p.best_stderr)}{clustered}, "
                     f"95% CI [{pct(lo)}, {pct(hi)}], correlation {corr}, n={p.n}")
        lines.append(f"  {p.test.name}: statistic {p.test.statistic:.3g}, "
                     f"p = {p.test.p_value:.3g}  ->  {tc.verdict}")
        lines.append(f"  both right {p.both}, only A {p.only_a}, only B {p.only_b}, "
                     f"neither {p.neither}")
        pw = tc.power
        if pw.detectable is not None:
            more = ""
            if pw.needed is not None:
                more = (f"; separating these two needs about {pw.needed} questions"
                        + (f" ({pw.more} more)" if pw.more else " (enough)"))
            lines.append(f"  detectable difference at 80% power: {pct(pw.detectable)} points"
                         + more)
    if result.overall is not None:
        o = result.overall
        lo, hi = o.interval
        clustered = "" if o.clusters is None else f" ({o.clusters} clusters)"
        lines += ["", (f"Average over {o.tasks} tasks: A-B {pct(o.difference)} points, "
                       f"stderr {pct(o.stderr)}{clustered}, 95% CI [{pct(lo)}, {pct(hi)}], "
                       f"{o.test.name} p = {o.test.p_value:.3g}")]
    return lines
