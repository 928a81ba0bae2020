"""Checking an evaluation request before any job starts; what the config hash covers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from store import Store
from store.records import Project
from workbench.errors import InvalidInput, NotFound
from workbench.evaluation.plan import (
    EvalRequest,
    RunOptions,
    check_request,
    config_hash,
    parse_builtin_task,
    project_tasks,
    run_settings,
)


def test_defaults_to_the_latest_snapshot_and_both_formulations(
        store: Store, exam_project: Project, exam_snapshot):
    request = check_request(store, exam_project, ["smollm2-135m"], None, [], RunOptions())
    assert request.snapshot_id == exam_snapshot.id
    assert [t.task for t in request.tasks()] == ["project:mcf", "project:cloze"]
    assert EvalRequest.from_params(request.to_params()) == request


def test_builtin_tasks_only_need_no_snapshot(store: Store, exam_project: Project):
    request = check_request(store, exam_project, ["smollm2-135m"], None,
                            ["leaderboard|mmlu:anatomy|5", "arc:easy"], RunOptions(fewshot=1))
    assert request.snapshot_id is None
    assert [(t.task, t.fewshot) for t in request.tasks()] == [("mmlu:anatomy", 5), ("arc:easy", 1)]


def test_request_errors(store: Store, exam_project: Project, project: Project, exam_snapshot):
    with pytest.raises(NotFound, match="No model named"):
        check_request(store, exam_project, ["nope"], None, [], RunOptions())
    with pytest.raises(InvalidInput, match="at least one model"):
        check_request(store, exam_project, [], None, [], RunOptions())
    store.add_model("m", "transformers", "/tmp")
    with pytest.raises(InvalidInput, match="has no dataset snapshot"):
        check_request(store, project, ["m"], None, [], RunOptions())
    with pytest.raises(InvalidInput, match="held-out"):
        check_request(store, exam_project, ["m"], None, [], RunOptions(fewshot=3))
    with pytest.raises(InvalidInput, match="belongs to another project"):
        check_request(store, project, ["m"], exam_snapshot.id, [], RunOptions())
    with pytest.raises(InvalidInput, match="not a lighteval task string"):
        parse_builtin_task("a|b|c|d", 0)
    with pytest.raises(InvalidInput, match="formulation"):
        RunOptions(formulations=("essay",)).check()


def test_every_setting_that_changes_numbers_changes_the_config_hash(
        store: Store, exam_project: Project, exam_snapshot):
    model = store.model("smollm2-135m")
    base = RunOptions()
    task = project_tasks(exam_snapshot.id, base)[0]
    settings = run_settings(task, model, base, chat_template_applied=False)
    assert set(settings) >= {"formulation", "fewshot", "seed", "limit", "override_chat_template",
                             "system_prompt", "dtype", "backend", "batch_size"}
    reference = config_hash(exam_project.id, task, model, "rev", settings)
    assert config_hash(exam_project.id, task, model, "rev", dict(settings)) == reference
    variants = [
        run_settings(task, model, base, chat_template_applied=True),
        run_settings(task, model, replace(base, seed=1), False),
        run_settings(task, model, replace(base, limit=5), False),
        run_settings(task, model, replace(base, system_prompt="Be brief."), False),
        run_settings(task, model, replace(base, dtype="bfloat16"), False),
        run_settings(replace(task, fewshot=1), model, base, False),
    ]
    hashes = {config_hash(exam_project.id, task, model, "rev", s) for s in variants}
    assert len(hashes) == len(variants) and reference not in hashes
    assert config_hash(exam_project.id, task, model, "other-weights", settings) != reference


def test_the_screen_hides_exactly_the_backends_that_can_never_be_scored(
        store: Store, settings, tmp_path):
    from workbench.backends.registry import BACKENDS, backend_for

    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    store.add_model("g", "llama.cpp", str(gguf))
    store.add_model("t", "transformers", str(tmp_path))
    hidden = {name for name, cls in BACKENDS.items() if not cls.may_be_scored}
    assert hidden == set()  # llama.cpp writes answers: the generative formulation
    assert backend_for(store.model("g"), settings).formulations() == ("generative",)
    assert backend_for(store.model("t"), settings).formulations() == ("mcf", "cloze", "generative")


def test_model_revision_follows_the_weights_and_is_remembered(tmp_path):
    import json

    from workbench.backends.revision import directory_revision

    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text('{"layers": 2}')
    (model / "model.safetensors").write_bytes(b"\x00" * 1000)
    (model / "README.md").write_text("not part of the model")
    cache = tmp_path / "cache" / "revisions.json"
    first = directory_revision(model, cache)
    assert first.startswith("sha256:") and directory_revision(model) == first
    assert json.loads(cache.read_text())[str(model)]["revision"] == first
    (model / "README.md").write_text("edited")
    assert directory_revision(model, cache) == first
    (model / "model.safetensors").write_bytes(b"\x01" * 1001)
    second = directory_revision(model, cache)
    assert second != first and directory_revision(model) == second


def test_the_generative_formulation_is_a_task_of_its_own_with_its_settings(
        store: Store, exam_project: Project, exam_snapshot):
    from workbench.evaluation.plan import formulations_from

    assert formulations_from("generative") == ("generative",)
    assert formulations_from("both") == ("mcf", "cloze")  # 'both': the log-likelihood pair
    options = RunOptions(formulations=formulations_from("generative"))
    request = check_request(store, exam_project, ["smollm2-135m"], None, [], options)
    [task] = request.tasks()
    assert (task.task, task.formulation) == ("project:generative", "generative")
    assert task.lighteval_name == f"wb_{exam_snapshot.id}:generative"
    assert EvalRequest.from_params(request.to_params()) == request
    model = store.model("smollm2-135m")
    settings = run_settings(task, model, options, chat_template_applied=True)
    assert settings["formulation"] == "generative"
    assert settings["temperature"] == 0.0 and settings["reasoning"] is False
    assert settings["max_new_tokens"] == 32 and settings["seed"] == 0
    mcf = project_tasks(exam_snapshot.id, RunOptions(formulations=("mcf",)))[0]
    assert "max_new_tokens" not in run_settings(mcf, model, options, True)
    assert (config_hash(exam_project.id, task, model, "rev", settings)
            != config_hash(exam_project.id, mcf, model, "rev",
                           run_settings(mcf, model, options, True)))


def test_reasoning_is_a_generative_task_of_its_own(store: Store, exam_project: Project,
                                                     exam_snapshot):
    from workbench.evaluation.task_file import render_task_file

    options = RunOptions(formulations=("generative",), reasoning=True)
    request = check_request(store, exam_project, ["smollm2-135m"], None, [], options)
    [task] = request.tasks()
    assert (task.task, task.formulation) == ("project:generative-reasoning", "generative")
    assert task.lighteval_name == f"wb_{exam_snapshot.id}:generative_reasoning"
    assert EvalRequest.from_params(request.to_params()) == request
    settings = run_settings(task, store.model("smollm2-135m"), options, True)
    assert (settings["reasoning"], settings["max_new_tokens"]) == (True, 512)
    assert settings["stop_sequences"] == ["Question:"]  # a blank line does not end reasoning
    with pytest.raises(InvalidInput, match="--reasoning is for the generative formulation"):
        RunOptions(reasoning=True).check()
    source = render_task_file(exam_snapshot.id, "exam", False, "task.py")
    assert "generation_size=512, stop_sequence=['Question:']" in source
