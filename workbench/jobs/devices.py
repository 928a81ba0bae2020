"""Accelerator slots and the queue of jobs that wait for them.

A job that runs a model on this machine (transformers, llama.cpp, a vLLM server workbench
starts) takes slots: by default one per GPU (``CUDA_VISIBLE_DEVICES`` or ``nvidia-smi``), or
the CPU as a single slot on a machine without a GPU; ``WORKBENCH_GPU_SLOTS=N`` sets the
number (0 turns the queue off). Jobs that only talk to services (Argilla sync, remote model
servers, imports) never wait. Waiting happens in the job process itself, before it imports
anything heavy, so the queue survives the TUI closing; a job killed while it runs or waits
is marked interrupted by the supervisor and the next one in line starts.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import time
from collections.abc import Callable

from store import Store
from store.records import Job
from workbench.errors import InvalidInput
from workbench.settings import Settings

CPU_SLOT = "cpu"


@functools.cache
def _nvidia_gpus() -> tuple[str, ...]:
    if shutil.which("nvidia-smi") is None:
        return ()
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ()
    return tuple(str(i) for i, line in enumerate(out.stdout.splitlines())
                 if line.startswith("GPU "))


def gpu_ids(settings: Settings) -> list[str]:
    """The GPUs jobs may use: CUDA_VISIBLE_DEVICES if set, else what nvidia-smi lists."""
    if settings.cuda_visible_devices is not None:
        return [d.strip() for d in settings.cuda_visible_devices.split(",") if d.strip()]
    return list(_nvidia_gpus())


def device_slots(settings: Settings) -> list[str]:
    """The slot names jobs queue for (empty: no queue)."""
    gpus = gpu_ids(settings)
    if settings.gpu_slots is None:
        return gpus or [CPU_SLOT]
    if settings.gpu_slots <= 0:
        return []
    if len(gpus) >= settings.gpu_slots:
        return gpus[:settings.gpu_slots]
    return [f"slot{i}" for i in range(settings.gpu_slots)]


def slot_label(settings: Settings) -> str:
    """'GPU' or 'CPU slot', for messages."""
    return "GPU" if gpu_ids(settings) else "CPU slot"


def needed_slots(settings: Settings, wanted: int) -> int:
    """How many slots a job waits for; InvalidInput when this machine can never give them."""
    slots = device_slots(settings)
    if not slots or wanted <= 0:
        return 0
    if wanted > len(slots):
        raise InvalidInput(
            f"The model needs {wanted} {slot_label(settings)}s; this machine has {len(slots)}.",
            "Lower tensor_parallel_size / data_parallel_size (models add --engine-arg), or "
            "set WORKBENCH_GPU_SLOTS.")
    return wanted


def device_env(devices: list[str]) -> dict[str, str]:
    """Environment for a job holding ``devices``: CUDA_VISIBLE_DEVICES when they are GPUs."""
    if devices and all(d.isdigit() or d.startswith(("GPU-", "MIG-")) for d in devices):
        return {"CUDA_VISIBLE_DEVICES": ",".join(devices)}
    return {}


def queue_position(store: Store, job: Job) -> int | None:
    """1 for the first job in the device queue; None when the job does not wait."""
    if job.state != "queued" or job.needs_devices <= 0:
        return None
    for position, queued in enumerate(store.device_queue(), start=1):
        if queued.id == job.id:
            return position
    return None


def describe_wait(store: Store, settings: Settings, job: Job) -> str | None:
    """'queued 2nd: waits for GPU 0 (job 7)' for the Jobs screen, dashboard and CLI."""
    position = queue_position(store, job)
    if position is None:
        return None
    holders = [j for j in store.list_jobs(states=("running",)) if j.devices]
    held = ", ".join(f"{'/'.join(j.devices)} (job {j.id})" for j in holders)
    what = f"{job.needs_devices} {slot_label(settings)}{'s' if job.needs_devices > 1 else ''}"
    ahead = f"{_ordinal(position)} in line" if position > 1 else "next"
    return f"queued {ahead}: waits for {what}" + (f"; busy: {held}" if held else "")


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def wait_for_slots(store: Store, settings: Settings, job_id: int, pid: int,
                   supervise: Callable[[], object], poll_seconds: float = 1.0) -> Job | None:
    """Block until this queued job holds its slots (it is then running); None when it left
    the queue meanwhile (cancelled). Keeps its heartbeat and its queue message fresh."""
    slots = device_slots(settings)
    last_message = ""
    while True:
        supervise()  # a holder killed meanwhile gives its slots back here
        outcome, job = store.claim_job_devices(job_id, pid, slots)
        if outcome == "claimed":
            return job
        if outcome == "gone":
            return None
        message = describe_wait(store, settings, store.job(job_id)) or "queued"
        store.heartbeat(job_id, message=message if message != last_message else None)
        last_message = message
        time.sleep(poll_seconds)
