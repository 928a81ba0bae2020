"""Per-model engine settings through the real CLI: checked, stored, listed, and turned into
device-queue slots and `vllm serve` flags."""

from __future__ import annotations

import json
from typing import Any

import pytest

from store import Store
from workbench.backends.registry import backend_for
from workbench.backends.serving.vllm_server import ServerSpec, engine_flags
from workbench.settings import load_settings


def test_engine_args_are_checked_stored_and_listed(cli: Any, store: Store) -> None:
    added = cli("models", "add", "llama-70b", "--backend", "vllm", "--hub-id",
                "meta-llama/Llama-3.1-70B-Instruct", "--engine-arg", "tensor_parallel_size=4",
                "--engine-arg", "gpu-memory-utilization=0.9", "--engine-arg",
                "max_model_len=8192", "--engine-arg", "max_num_seqs=64")
    assert added.returncode == 0, added.stderr
    model = store.model("llama-70b")
    assert model.params["engine_args"] == {"tensor_parallel_size": 4,
                                           "gpu_memory_utilization": 0.9,
                                           "max_model_len": 8192, "max_num_seqs": "64"}
    listed = cli("models", "list")
    assert ("engine: gpu_memory_utilization=0.9 max_model_len=8192 max_num_seqs=64 "
            "tensor_parallel_size=4") in listed.stdout
    assert json.loads(cli("models", "list", "--json").stdout)

    served = cli("models", "add", "fleet", "--backend", "vllm", "--url",
                 "http://10.0.0.5:8000/v1", "--engine-arg", "concurrency=32")
    assert served.returncode == 0, served.stderr
    assert store.model("fleet").params["engine_args"] == {"concurrency": 32}


@pytest.mark.parametrize(("backend", "pair", "message"), [
    ("vllm", "tensor_parallel_size=0", "must be 1 or more"),
    ("vllm", "gpu_memory_utilization=1.5", "must be above 0 and at most 1"),
    ("vllm", "dtype=fp7", "unknown dtype"),
    ("vllm", "enforce_eager=maybe", "true or false is expected"),
    ("vllm", "tensor_parallel_size", "is not KEY=VALUE"),
    ("transformers", "tensor_parallel_size=2", "is not a setting of this backend"),
])
def test_bad_engine_args_are_refused_and_nothing_is_stored(
        cli: Any, store: Store, tmp_path: Any, backend: str, pair: str, message: str) -> None:
    location = ["--hub-id", "org/model"]
    out = cli("models", "add", "bad", "--backend", backend, *location, "--engine-arg", pair)
    assert out.returncode == 1 and message in out.stderr
    assert "bad" not in [m.name for m in store.list_models()]


def test_engine_args_become_slots_and_server_flags(store: Store,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1,2,3")
    settings = load_settings()
    model = store.add_model("m", "vllm", "org/model", {"hub": True, "engine_args": {
        "tensor_parallel_size": 2, "data_parallel_size": 2, "enforce_eager": True,
        "max_num_seqs": "64", "concurrency": 8}})
    backend = backend_for(model, settings)
    assert backend.device_slots() == 4
    engine = backend.vllm_engine_args()  # type: ignore[attr-defined]
    assert engine["dtype"] == "bfloat16"  # a GPU box: bfloat16 unless the model says so
    assert engine_flags(engine) == [
        "--data-parallel-size", "2", "--dtype", "bfloat16", "--enforce-eager",
        "--max-num-seqs", "64", "--tensor-parallel-size", "2"]
    spec = ServerSpec("python", "/m", "m", engine, ("0", "1", "2", "3"))
    assert spec.key == ServerSpec("python", "/m", "m", dict(engine), ("0", "1", "2", "3")).key
    assert spec.key != ServerSpec("python", "/m", "m", engine, ("0", "1")).key
