"""`workbench leaderboard`, `workbench compare` and the `power` command, as scripts call them."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest
from click.testing import CliRunner
from synthetic_runs import DEFAULT_SETTINGS, add_run, make_snapshot

from workbench.cli.context import CliContext
from workbench.cli.power import power

A = [1] * 20 + [1] * 9 + [0] * 3 + [0] * 8
B = [1] * 20 + [0] * 9 + [1] * 3 + [0] * 8


@pytest.fixture
def runs(store, project, questions):
    clusters = [f"p{i // 4}" for i in range(40)]
    add_run(store, project, "alpha", "exam", A, questions, clusters)
    add_run(store, project, "beta", "exam", B, questions, clusters,
            settings={**DEFAULT_SETTINGS, "seed": 7})
    return store


def test_leaderboard_json_carries_the_cell_statistics(runs, project, cli):
    out = cli("leaderboard", "--project", project.name, "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [r["model"] for r in data["rows"]] == ["alpha", "beta"]
    cell = data["rows"][0]["cells"]["exam"]
    # By hand: alpha is right on 29 of 40. Passages of four: seven all right (residual sums
    # 4 - 2.9 = 1.1), one with 1 right (-1.9), two with none (-2.9): squares 8.47 + 3.61 +
    # 16.82 = 28.9; clustered variance 28.9 / 40^2 * 10/9 (CR1) = 289/14400, SE 17/120.
    # i.i.d.: 0.725 * 0.275 * 40/39 / 40.
    assert cell["accuracy"] == pytest.approx(0.725)
    assert cell["stderr"] == pytest.approx(math.sqrt(0.725 * 0.275 / 39))
    assert cell["clustered_stderr"] == pytest.approx(17 / 120)
    assert cell["clusters"] == 10
    assert cell["interval"] == pytest.approx([0.725 - 1.959964 * 17 / 120,
                                              0.725 + 1.959964 * 17 / 120])
    assert cell["n"] == 40
    assert cell["settings"] == DEFAULT_SETTINGS
    assert data["rows"][0]["leader"] is True
    beta = data["rows"][1]
    # A - B: +1 on questions 20-28, -1 on 29-31, mean 0.15. Passages of four: sums 4, 4, -2
    # and seven 0; residual sums 3.4, 3.4, -2.6 and -0.6 (x7): squares 32.4; clustered
    # variance 32.4 / 40^2 * 10/9 = 0.0225 > i.i.d. 11.1 / (39 * 40), so the clustered
    # z-test: z = 0.15 / 0.15 = 1, p = 2 * (1 - Phi(1)) = 0.317: tied with the leader.
    assert beta["tied_with_leader"] is True
    assert beta["p_vs_leader"] == pytest.approx(0.3173105, abs=1e-6)
    assert beta["cells"]["exam"]["settings_differ_from_leader"] == ["seed"]
    assert data["mixed_settings"] == {"exam": ["seed"]}


def test_leaderboard_md_csv_table_and_file(runs, project, cli, tmp_path):
    md = cli("leaderboard", "--project", project.name, "--format", "md")
    assert md.returncode == 0 and md.stdout.startswith("| Model | Average | exam |")
    rows = list(csv.DictReader(io.StringIO(
        cli("leaderboard", "--project", project.name, "--format", "csv").stdout)))
    assert {(r["model"], r["task"]) for r in rows} == {
        ("alpha", "average"), ("alpha", "exam"), ("beta", "average"), ("beta", "exam")}
    table = cli("leaderboard", "--project", project.name)
    assert table.returncode == 0
    assert "72.5±" in table.stdout and "Runs differ in seed" in table.stdout
    assert "Clustered errors rest on 10 source passages per task." in table.stdout
    assert "Few source passages on exam (10)" in table.stdout
    target = tmp_path / "board.md"
    out = cli("leaderboard", "--project", project.name, "--format", "md", "-o", str(target))
    assert out.returncode == 0 and target.read_text().startswith("| Model |")


def test_leaderboard_errors_and_empty(store, project, cli):
    out = cli("leaderboard", "--project", "nope")
    assert out.returncode == 1 and "No project named 'nope'" in out.stderr
    empty = cli("leaderboard", "--project", project.name)
    assert empty.returncode == 0 and "No finished evaluations" in empty.stdout
    assert json.loads(cli("leaderboard", "--project", project.name, "--format",
                          "json").stdout)["rows"] == []


def test_leaderboard_bad_sort_column(runs, project, cli):
    out = cli("leaderboard", "--project", project.name, "--sort", "speed")
    assert out.returncode == 1 and "no column 'speed'" in out.stderr


def test_compare_json(runs, project, cli):
    out = cli("compare", "--project", project.name, "alpha", "beta", "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert "seed" in data["warnings"][0]
    t = data["tasks"][0]
    # worked out by hand in test_leaderboard_json_carries_the_cell_statistics: clustered SE
    # 0.15, i.i.d. sqrt(11.1 / 1560), z = 1; correlation: phi of (20, 9 / 3, 8) =
    # (20 * 8 - 9 * 3) / sqrt(29 * 11 * 23 * 17)
    assert t["difference"] == pytest.approx(0.15)
    assert t["stderr"] == pytest.approx(math.sqrt(11.1 / 1560))
    assert t["clustered_stderr"] == pytest.approx(0.15)
    assert t["clusters"] == 10
    assert t["design_effect"] == pytest.approx(0.0225 / (11.1 / 1560))
    assert t["interval"] == pytest.approx([0.15 - 1.959964 * 0.15, 0.15 + 1.959964 * 0.15])
    assert t["correlation"] == pytest.approx(133 / math.sqrt(124729))
    assert (t["test"], t["statistic"], t["p_value"]) == (
        "clustered z-test", pytest.approx(1.0), pytest.approx(0.3173105, abs=1e-6))
    assert (t["significant"], t["verdict"]) == (False, "no significant difference")
    assert t["counts"] == {"both": 20, "only_a": 9, "only_b": 3, "neither": 8}
    assert t["settings_differ"] == {"seed": [1234, 7]}


def test_compare_errors(runs, project, cli):
    out = cli("compare", "--project", project.name, "alpha", "zeta")
    assert out.returncode == 1 and "no finished evaluation" in out.stderr
    out = cli("compare", "--project", project.name, "alpha", "beta", "--task", "other")
    assert out.returncode == 1 and "not run on both" in out.stderr


def _power(*args: str):
    return CliRunner().invoke(power, list(args), obj=CliContext(None))


def test_power_command(store, project, questions):
    snap = make_snapshot(store, project, questions[:30], "p")
    out = _power("--snapshot", snap, "--json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["questions"] == 30 and data["source_passages"] == 15
    # Worked out with mpmath outside workbench: the gap d from 0.5 where the two-sided
    # normal power Phi(s - 1.96) + Phi(-s - 1.96), s = d sqrt(30) / sqrt(.25 + p(1-p)),
    # p = 0.5 + d, is 0.8 (bisection, 30 digits).
    assert data["detectable_difference"] == pytest.approx(0.3220044719, abs=1e-8)
    text = _power("--snapshot", snap[:8], "--baseline", "0.7", "--separate", "0.6", "0.7")
    assert text.exit_code == 0, text.output
    # the same from 0.7 downwards: 0.3394967884, shown as 33.9 points
    assert "detects differences of about 33.9 points" in text.output
    # 0.6 vs 0.7 (variance .24 + .21): power 0.79978 at 353 questions, 0.80089 at 354
    assert "354 questions (324 more" in text.output


def test_power_command_bad_input(store, project, questions):
    snap = make_snapshot(store, project, questions[:5], "q")
    out = _power("--snapshot", snap, "--baseline", "70")
    assert out.exit_code == 1 and "between 0 and 1" in out.output
    out = _power("--snapshot", "doesnotexist")
    assert out.exit_code == 1 and "No snapshot" in out.output

