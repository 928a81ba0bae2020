"""Keys stay secret (issue #17): an API key comes from the environment, by the variable's
NAME (``--api-key-env``, default OPENAI_API_KEY); it is never stored with a model. A key given
as a model setting is refused at registration; one that an older store holds is removed by
store migration 008, with its copies in job parameters, run records and server specs, and
``models list`` says so. The end-to-end check (no key in any output, log, record or export)
is tests/generation/test_secrets_end_to_end.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from store import Store
from store.records import Project
from workbench.backends.base import SECRET_PARAM_NAMES, Registration, is_secret_name
from workbench.backends.registry import validate_registration
from workbench.errors import InvalidInput
from workbench.settings import Settings

KEY = "sk-live-0a1b2c3d4e5f60718293a4b5c6d7e8f9"


@pytest.mark.parametrize("backend, reg, names", [
    ("vllm", Registration(hub_id="org/model", engine_args=(f"api_key={KEY}",)),
     "--engine-arg api_key"),
    ("vllm", Registration(hub_id="org/model", engine_args=(f"api-key={KEY}",)),
     "--engine-arg api_key"),
    ("vllm", Registration(url="http://127.0.0.1:8000/v1", engine_args=(f"hf_token={KEY}",)),
     "--engine-arg hf_token"),
    ("vllm", Registration(hub_id="org/model", engine_args=(f"my_service_password={KEY}",)),
     "--engine-arg my_service_password"),
])
def test_a_key_given_as_a_model_setting_is_refused(backend: str, reg: Registration,
                                                   names: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_registration(backend, reg)
    assert str(refused.value).startswith(f"An API key cannot be stored with a model ({names})")
    assert "--api-key-env NAME" in refused.value.hint
    assert KEY not in str(refused.value) and KEY not in refused.value.hint


@pytest.mark.parametrize("url", [
    f"http://user:{KEY}@127.0.0.1:8000/v1",
    f"https://api.example.org/v1?key={KEY}",
    f"https://api.example.org/v1?api_key={KEY}",
])
def test_a_key_in_the_server_url_is_refused(url: str) -> None:
    with pytest.raises(InvalidInput, match="The server URL carries a credential") as refused:
        validate_registration("openai", Registration(url=url))
    assert "--api-key-env NAME" in refused.value.hint and KEY not in str(refused.value)


@pytest.mark.parametrize("value", [KEY, "hf_AbCdEf0123456789", "my_key"])
def test_api_key_env_takes_a_variable_name_not_the_key(value: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        validate_registration("openai", Registration(url="http://127.0.0.1:8000/v1",
                                                     api_key_env=value))
    assert "takes the NAME of an environment variable" in str(refused.value)
    assert value not in str(refused.value) + refused.value.hint


def test_the_variable_name_and_ordinary_settings_are_stored() -> None:
    location, params = validate_registration("vllm", Registration(
        url="http://127.0.0.1:8000/v1/", endpoint_model="m", api_key_env="FLEET_KEY",
        engine_args=("concurrency=4", "max_num_batched_tokens=8192")))
    assert location == "http://127.0.0.1:8000/v1"
    assert params == {"endpoint_model": "m", "api_key_env": "FLEET_KEY",
                      "engine_args": {"concurrency": 4, "max_num_batched_tokens": "8192"}}


def test_which_names_count_as_secret() -> None:
    for name in SECRET_PARAM_NAMES:
        assert is_secret_name(name) and is_secret_name(name.upper().replace("_", "-"))
    for name in ("api_key_env", "endpoint_model", "tokenizer", "max_num_batched_tokens",
                 "engine_args", "secrets_removed", "concurrency"):
        assert not is_secret_name(name), name


def test_the_cli_refuses_a_key_and_stores_nothing(cli: Any, store: Store,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    added = cli("models", "add", "fleet", "--backend", "vllm", "--url",
                "http://127.0.0.1:8000/v1", "--engine-arg", f"api_key={KEY}")
    assert added.returncode != 0
    assert "An API key cannot be stored with a model" in added.stderr + added.stdout
    assert "--api-key-env" in added.stderr + added.stdout
    assert KEY not in added.stdout + added.stderr
    assert "fleet" not in [m.name for m in store.list_models()]

    assert cli("models", "add", "fleet", "--backend", "vllm", "--url",
               "http://127.0.0.1:8000/v1").returncode == 0
    changed = cli("models", "set", "fleet", "--engine-arg", f"api_key={KEY}")
    assert changed.returncode != 0 and "--api-key-env" in changed.stderr + changed.stdout
    assert KEY not in changed.stdout + changed.stderr
    wrong_name = cli("models", "set", "fleet", "--api-key-env", KEY)
    assert wrong_name.returncode != 0 and KEY not in wrong_name.stdout + wrong_name.stderr
    assert store.model("fleet").params == {"endpoint_model": ""}

    assert cli("models", "set", "fleet", "--api-key-env", "FLEET_KEY",
               "--engine-arg", "concurrency=2").returncode == 0
    assert store.model("fleet").params == {"endpoint_model": "", "api_key_env": "FLEET_KEY",
                                           "engine_args": {"concurrency": 2}}
    monkeypatch.setenv("FLEET_KEY", KEY)
    shown = cli("models", "show", "fleet")
    assert shown.returncode == 0, shown.stderr
    assert "API key: from $FLEET_KEY (set here)" in shown.stdout and KEY not in shown.stdout


def _old_store_with_keys(settings: Settings, project: Project, store: Store) -> None:
    """What a store written before migration 008 could hold: a key in a model's params and,
    copied from there, in a generation job's params, a run's settings and record and a
    managed server's spec (written through the store's API, which never refused them)."""
    params = {"endpoint_model": "m", "api_key": KEY, "hf_token": KEY + "-hf",
              "engine_args": {"concurrency": 2, "enforce_eager": True, "Api-Key": KEY,
                              "gpu_memory_utilization": 0.9}}
    model = store.add_model("leaky", "vllm", "http://127.0.0.1:8000/v1", params)
    store.add_model("clean", "openai", "http://127.0.0.1:8000/v1",
                    {"endpoint_model": "m", "api_key_env": "FLEET_KEY"})
    copy = {"name": "leaky", "backend": "vllm", "location": model.location, "params": params}
    store.create_job("generate", {"project_id": project.id, "model": copy, "seed": 0},
                     project.id)
    run = store.create_eval_run(project.id, "leaky", "project:mcf",
                                {"formulation": "mcf", "engine_args": params["engine_args"]},
                                "hash", model.id)
    store.complete_eval_run(run.id, {}, [], {"model": copy, "seed": 0})
    store.conn.execute("PRAGMA user_version = 7")


def test_migration_008_removes_stored_keys_everywhere_and_says_so(
        cli: Any, settings: Settings, project: Project, store: Store) -> None:
    _old_store_with_keys(settings, project, store)
    store.close()
    migrated = Store(settings.store_path)
    try:
        leaky = migrated.model("leaky")
        assert leaky.params == {
            "endpoint_model": "m",
            "engine_args": {"concurrency": 2, "enforce_eager": True,
                            "gpu_memory_utilization": 0.9},
            "secrets_removed": ["api_key", "hf_token", "engine_args.Api-Key"]}
        assert migrated.model("clean").params == {"endpoint_model": "m",
                                                  "api_key_env": "FLEET_KEY"}
        (job,) = migrated.list_jobs()
        assert job.params["model"]["params"] == {
            "endpoint_model": "m", "engine_args": {"concurrency": 2, "enforce_eager": True,
                                                   "gpu_memory_utilization": 0.9}}
        (run,) = migrated.eval_runs(project.id)
        assert run.settings["engine_args"] == job.params["model"]["params"]["engine_args"]
        assert run.repro["model"]["params"] == job.params["model"]["params"]
        migrated.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        migrated.close()
    for path in Path(settings.store_path).parent.glob(Path(settings.store_path).name + "*"):
        assert KEY.encode() not in path.read_bytes(), path

    listed = cli("models", "list", "--json")
    assert listed.returncode == 0 and KEY not in listed.stdout + listed.stderr
    assert "Warning: model 'leaky' had an API key in its stored settings" in listed.stderr
    assert "'workbench models set leaky --api-key-env NAME'" in listed.stderr
    assert "'clean'" not in listed.stderr
    assert cli("models", "set", "leaky", "--api-key-env", "LEAKY_KEY").returncode == 0
    after = cli("models", "list")
    assert after.returncode == 0 and "Warning" not in after.stderr
    reopened = Store(settings.store_path)
    try:
        assert reopened.model("leaky").params["api_key_env"] == "LEAKY_KEY"
        assert "secrets_removed" not in reopened.model("leaky").params
    finally:
        reopened.close()
