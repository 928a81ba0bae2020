"""`workbench leaderboard`, `workbench compare` and the `power` command, as scripts call them."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from synthetic_runs import DEFAULT_SETTINGS, add_run, make_snapshot

from workbench.results import stats
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
    expected = stats.accuracy(A, [f"p{i // 4}" for i in range(40)])
    assert cell["accuracy"] == pytest.approx(expected.value)
    assert cell["stderr"] == pytest.approx(expected.stderr)
    assert cell["clustered_stderr"] == pytest.approx(expected.clustered_stderr)
    assert cell["interval"] == pytest.approx(list(expected.interval))
    assert cell["n"] == 40
    assert cell["settings"] == DEFAULT_SETTINGS
    assert data["rows"][0]["leader"] is True
    beta = data["rows"][1]
    assert beta["tied_with_leader"] == (stats.mcnemar(9, 3).p_value >= 0.05)
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
    expected = stats.paired_difference(A, B, [f"p{i // 4}" for i in range(40)])
    assert t["difference"] == pytest.approx(expected.difference)
    assert t["stderr"] == pytest.approx(expected.stderr)
    assert t["clustered_stderr"] == pytest.approx(expected.clustered_stderr)
    assert t["interval"] == pytest.approx(list(expected.interval))
    assert t["correlation"] == pytest.approx(expected.correlation)
    assert (t["test"], t["statistic"], t["p_value"]) == (
        "McNemar mid-p", 3.0, pytest.approx(stats.mcnemar(9, 3).p_value))
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
    assert data["detectable_difference"] == pytest.approx(stats.detectable_difference(30))
    text = _power("--snapshot", snap[:8], "--baseline", "0.7", "--separate", "0.6", "0.7")
    assert text.exit_code == 0, text.output
    assert stats.describe_power(30, 0.7) in text.output
    needed = stats.questions_needed(0.6, 0.7)
    assert f"{needed} questions ({needed - 30} more" in text.output


def test_power_command_bad_input(store, project, questions):
    snap = make_snapshot(store, project, questions[:5], "q")
    out = _power("--snapshot", snap, "--baseline", "70")
    assert out.exit_code == 1 and "between 0 and 1" in out.output
    out = _power("--snapshot", "doesnotexist")
    assert out.exit_code == 1 and "No snapshot" in out.output

