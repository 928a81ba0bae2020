"""One settings object: paths and knobs, read from the environment in one place.

Precedence for the store file: ``--store PATH`` > ``$WORKBENCH_HOME/workbench.db`` >
platformdirs' user data dir.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

APP_NAME = "workbench"


def _default_home() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True)
class Settings:
    """Where things live and how big things are. Built once per process."""

    home: Path
    store_path: Path
    reviewer: str
    chunk_size: int = 1200
    chunk_overlap: int = 150
    max_document_bytes: int = 5_000_000
    heartbeat_seconds: float = 2.0
    stale_after_seconds: float = 20.0
    argilla_api_url: str | None = None
    argilla_api_key: str | None = field(default=None, repr=False)
    argilla_workspace: str | None = None
    argilla_parallel: int = 2  # record batches in flight at once during a push
    # annotators asked for per record (Argilla task distribution) when a push does not say
    argilla_annotators: int | None = None
    hf_token: str | None = field(default=None, repr=False)
    openai_base_url: str | None = None
    openai_api_key: str | None = field(default=None, repr=False)
    # vLLM lives in its own environment; this is its `vllm` (or `python`) command.
    vllm_command: str | None = None
    vllm_idle_seconds: float = 600.0  # a managed server nobody leased for this long stops
    vllm_start_timeout: float = 1800.0  # loading a 70B model from disk takes a while
    # Accelerator slots for jobs that run a model here: None = one per GPU (1 without a GPU).
    gpu_slots: int | None = None
    cuda_visible_devices: str | None = None
    served_concurrency: int = 8  # requests in flight to a model server
    served_retries: int = 8  # attempts per request (backoff on 429/5xx/connection errors)
    # transformers evaluation scores log-likelihoods with shared prompt prefixes (same numbers,
    # faster); WORKBENCH_FAST_SCORER=0 uses lighteval's own per-option scoring instead.
    fast_scorer: bool = True
    # Environment variables that hold secrets (per-model API keys are read by *name*).
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def models_dir(self) -> Path:
        """Cache of converted model directories (the bundled GGUF turned into safetensors)."""
        return self.home / "models"

    @property
    def jobs_dir(self) -> Path:
        """Job log files and per-job working folders."""
        return self.home / "jobs"

    @property
    def exports_dir(self) -> Path:
        return self.home / "exports"

    @property
    def servers_dir(self) -> Path:
        """Logs of the model servers workbench starts."""
        return self.home / "servers"

    def secret(self, name: str) -> str | None:
        """The value of the environment variable ``name`` (an API key), if set."""
        return self.environ.get(name) or None

    def with_store(self, store_path: str | os.PathLike[str] | None) -> Settings:
        """The same settings pointing at another store file."""
        if store_path is None:
            return self
        path = Path(store_path).expanduser().resolve()
        return replace(self, store_path=path)


def load_settings(
    env: Mapping[str, str] | None = None, store_path: str | os.PathLike[str] | None = None
) -> Settings:
    """Build settings from the environment (``os.environ`` unless ``env`` is given)."""
    env = os.environ if env is None else env
    home = Path(env["WORKBENCH_HOME"]).expanduser().resolve() if env.get("WORKBENCH_HOME") else _default_home()
    reviewer = env.get("WORKBENCH_REVIEWER") or env.get("USER") or env.get("USERNAME") or "reviewer"
    settings = Settings(
        home=home,
        store_path=home / "workbench.db",
        reviewer=reviewer,
        chunk_size=int(env.get("WORKBENCH_CHUNK_SIZE", 1200)),
        chunk_overlap=int(env.get("WORKBENCH_CHUNK_OVERLAP", 150)),
        max_document_bytes=int(env.get("WORKBENCH_MAX_DOCUMENT_BYTES", 5_000_000)),
        argilla_api_url=env.get("ARGILLA_API_URL") or None,
        argilla_api_key=env.get("ARGILLA_API_KEY") or None,
        argilla_workspace=env.get("ARGILLA_WORKSPACE") or None,
        argilla_parallel=max(1, int(env.get("WORKBENCH_ARGILLA_PARALLEL", 2))),
        argilla_annotators=int(env["WORKBENCH_ARGILLA_ANNOTATORS"])
        if env.get("WORKBENCH_ARGILLA_ANNOTATORS") else None,
        hf_token=env.get("HF_TOKEN") or None,
        openai_base_url=env.get("OPENAI_BASE_URL") or None,
        openai_api_key=env.get("OPENAI_API_KEY") or None,
        vllm_command=env.get("WORKBENCH_VLLM") or None,
        vllm_idle_seconds=float(env.get("WORKBENCH_VLLM_IDLE", 600)),
        vllm_start_timeout=float(env.get("WORKBENCH_VLLM_START_TIMEOUT", 1800)),
        gpu_slots=int(env["WORKBENCH_GPU_SLOTS"]) if env.get("WORKBENCH_GPU_SLOTS") else None,
        cuda_visible_devices=env.get("CUDA_VISIBLE_DEVICES"),
        served_concurrency=max(1, int(env.get("WORKBENCH_SERVED_CONCURRENCY", 8))),
        served_retries=max(1, int(env.get("WORKBENCH_SERVED_RETRIES", 8))),
        fast_scorer=env.get("WORKBENCH_FAST_SCORER", "1").strip().lower()
        not in ("0", "false", "no", "off"),
        environ=dict(env),
    )
    return settings.with_store(store_path)
