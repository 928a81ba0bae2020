"""The foundation CLI through a real subprocess, as scripts call it."""

import json

from workbench.demo import corpus_dir


def test_project_lifecycle(cli):
    assert cli("project", "create", "law").returncode == 0
    dup = cli("project", "create", "law")
    assert dup.returncode == 1 and "already exists" in dup.stderr and "Traceback" not in dup.stderr
    listed = json.loads(cli("project", "list", "--json").stdout)
    assert [p["name"] for p in listed] == ["law"]
    assert cli("project", "rename", "law", "legal").returncode == 0
    refused = cli("project", "delete", "legal")
    assert refused.returncode != 0 and "--yes" in refused.stderr
    assert cli("project", "delete", "legal", "--yes").returncode == 0
    assert json.loads(cli("project", "list", "--json").stdout) == []


def test_docs_import_and_list(cli, tmp_path):
    cli("project", "create", "p")
    (tmp_path / "empty.md").write_text("")
    out = cli("docs", "import", "--project", "p", str(corpus_dir()), str(tmp_path / "empty.md"))
    assert out.returncode == 0, out.stderr
    assert "3 imported, 1 skipped" in out.stdout and "empty file" in out.stdout
    docs = json.loads(cli("docs", "list", "--project", "p", "--json").stdout)
    assert len(docs) == 3 and all(d["chunk_count"] > 0 for d in docs)


def test_unknown_project_is_one_clear_line(cli):
    out = cli("docs", "import", "--project", "nope", "x.txt")
    assert out.returncode == 1
    assert out.stderr.startswith("Error: No project named 'nope'.")
    assert "Traceback" not in out.stderr


def test_models_list_has_the_bundled_model_and_add_validates(cli, tmp_path):
    names = [m["name"] for m in json.loads(cli("models", "list", "--json").stdout)]
    assert "smollm2-135m" in names and "smollm2-135m-gguf" in names
    bad = cli("models", "add", "x", "--backend", "transformers", "--path", str(tmp_path))
    assert bad.returncode == 1 and "config.json" in bad.stderr
    (tmp_path / "config.json").write_text("{}")
    ok = cli("models", "add", "mine", "--backend", "transformers", "--path", str(tmp_path))
    assert ok.returncode == 0, ok.stderr
    ep = cli("models", "add", "ep", "--backend", "openai", "--url", "http://127.0.0.1:9/v1")
    assert ep.returncode == 0
    names = [m["name"] for m in json.loads(cli("models", "list", "--json").stdout)]
    assert {"mine", "ep"} <= set(names)


def test_store_flag_points_at_another_file(cli, tmp_path):
    other = tmp_path / "elsewhere.db"
    assert cli("--store", str(other), "project", "create", "x").returncode == 0
    assert other.exists()
    assert json.loads(cli("project", "list", "--json").stdout) == []
    assert [p["name"] for p in json.loads(cli("--store", str(other), "project", "list", "--json").stdout)] == ["x"]


def test_demo_command_builds_the_demo_project(cli):
    out = cli("demo")
    assert out.returncode == 0, out.stderr
    assert "3 documents" in out.stdout and "24 questions (17 approved)" in out.stdout
