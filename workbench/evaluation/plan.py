"""What an evaluation request is, how it is checked, and how its job starts.

Light module: the CLI and the Evaluate screen import it. Every setting that can change a
number is explicit here and is stored with every run (``eval_runs.settings``); the config
hash over those settings, the model and the task decides whether a finished run is reused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from store import Store
from store.records import Job, Model, Project
from workbench.errors import InvalidInput
from workbench.evaluation.answer_extraction import EXTRACTION_VERSION
from workbench.evaluation.task_file import (
    ALL_FORMULATIONS,
    FORMULATIONS,
    GENERATION_STOP,
    GENERATION_TOKENS,
    GENERATIVE,
    LOGLIKELIHOOD_FORMULATIONS,
    REASONING,
    REASONING_STOP,
    REASONING_TOKENS,
    TASK_FILE_VERSION,
    task_name,
)
from workbench.settings import Settings

PROJECT_TASK = "project"  # eval_runs.task of the snapshot task: "project:mcf", ":cloze", ...
DEFAULT_BATCH_SIZE = 8
DTYPES = ("float32", "bfloat16", "float16")


@dataclass(frozen=True)
class RunOptions:
    """The settings of a run that change its numbers (all stored with every run)."""

    formulations: tuple[str, ...] = FORMULATIONS
    fewshot: int = 0
    limit: int | None = None
    seed: int = 0
    chat_template: bool | None = None  # None: as lighteval does, on when the tokenizer has one
    system_prompt: str | None = None
    dtype: str | None = None  # None: the model's setting, else bfloat16 on a GPU, float32 on a CPU
    batch_size: int = DEFAULT_BATCH_SIZE
    force: bool = False
    # Generative formulation: think step by step first (a larger token budget).
    reasoning: bool = False

    def check(self) -> None:
        bad = [f for f in self.formulations if f not in ALL_FORMULATIONS]
        if bad or not self.formulations:
            raise InvalidInput(f"Unknown formulation {bad}.",
                               "Use mcf, cloze, both or generative.")
        if self.reasoning and GENERATIVE not in self.formulations:
            raise InvalidInput("--reasoning is for the generative formulation.",
                               "Add --formulation generative.")
        if self.fewshot < 0:
            raise InvalidInput("--fewshot must be 0 or more.")
        if self.limit is not None and self.limit < 1:
            raise InvalidInput("--limit must be 1 or more.")
        if self.batch_size < 1:
            raise InvalidInput("--batch-size must be 1 or more.")
        if self.dtype is not None and self.dtype not in DTYPES:
            raise InvalidInput(f"Unknown dtype '{self.dtype}'.", f"Use one of {', '.join(DTYPES)}.")


def formulations_from(choice: str) -> tuple[str, ...]:
    """'mcf' | 'cloze' | 'both' | 'generative' -> the formulations to run ('both': the two
    log-likelihood ones)."""
    if choice == "both":
        return FORMULATIONS
    if choice not in ALL_FORMULATIONS:
        raise InvalidInput(f"Unknown formulation '{choice}'.",
                           "Use mcf, cloze, both or generative.")
    return (choice,)


@dataclass(frozen=True)
class TaskSpec:
    """One task of a request: the project snapshot in one formulation, or a built-in task."""

    task: str  # what eval_runs.task says: "project:mcf" or e.g. "mmlu:anatomy"
    lighteval_name: str  # the name in lighteval's registry
    fewshot: int
    snapshot_id: str | None = None
    formulation: str | None = None

    @property
    def lighteval_spec(self) -> str:
        return f"{self.lighteval_name}|{self.fewshot}"


def parse_builtin_task(spec: str, default_fewshot: int) -> TaskSpec:
    """'mmlu:anatomy', 'mmlu:anatomy|5' or 'leaderboard|mmlu:anatomy|5' -> a TaskSpec."""
    parts = [p.strip() for p in spec.strip().split("|")]
    if len(parts) == 3:
        parts = parts[1:]  # lighteval 0.13 ignores the suite
    if not parts[0] or len(parts) > 2:
        raise InvalidInput(f"'{spec}' is not a lighteval task string.",
                           "Use NAME or NAME|FEWSHOT, e.g. mmlu:anatomy|0.")
    fewshot = default_fewshot
    if len(parts) == 2:
        if not parts[1].isdigit():
            raise InvalidInput(f"'{spec}': the few-shot count must be a number.")
        fewshot = int(parts[1])
    return TaskSpec(task=parts[0], lighteval_name=parts[0], fewshot=fewshot)


def project_tasks(snapshot_id: str, options: RunOptions) -> list[TaskSpec]:
    """One task per formulation; generative with reasoning is a task of its own
    ('project:generative-reasoning'): its numbers are not the plain answer's."""
    specs = []
    for f in options.formulations:
        name = REASONING if f == GENERATIVE and options.reasoning else f
        specs.append(TaskSpec(task=f"{PROJECT_TASK}:{name.replace('_', '-')}",
                              lighteval_name=task_name(snapshot_id, name),
                              fewshot=options.fewshot, snapshot_id=snapshot_id, formulation=f))
    return specs


# Recorded with a run but not hashed: they cannot change its numbers, so a finished run is
# reused whichever was used (the prefix-sharing scorer gives lighteval's own log-likelihoods).
UNHASHED_SETTINGS = ("scorer",)


def run_settings(task: TaskSpec, model: Model, options: RunOptions,
                 chat_template_applied: bool, scorer: str | None = None) -> dict[str, Any]:
    """The explicit settings stored with a run (and, but for UNHASHED_SETTINGS, hashed into
    its config). ``options`` carries the dtype the run uses (resolved by the job when the
    user chose none); ``scorer`` is what computes its log-likelihoods (backend.scorer())."""
    settings: dict[str, Any] = {
        "formulation": task.formulation, "fewshot": task.fewshot, "seed": options.seed,
        "limit": options.limit, "override_chat_template": chat_template_applied,
        "system_prompt": options.system_prompt, "dtype": options.dtype,
        "backend": model.backend, "batch_size": options.batch_size,
    }
    engine = model.params.get("engine_args")
    if engine:
        settings["engine_args"] = dict(engine)
    if task.snapshot_id is not None:
        settings["task_file_version"] = TASK_FILE_VERSION
    if task.formulation == GENERATIVE:
        # Greedy decoding (lighteval's default temperature 0).
        reasoning = task.lighteval_name.endswith(REASONING)
        settings.update({
            "max_new_tokens": REASONING_TOKENS if reasoning else GENERATION_TOKENS,
            "temperature": 0.0, "reasoning": reasoning,
            "stop_sequences": list(REASONING_STOP if reasoning else GENERATION_STOP),
            "extraction_version": EXTRACTION_VERSION})
    if scorer is not None:
        settings["scorer"] = scorer
    return settings


def config_hash(project_id: int, task: TaskSpec, model: Model, model_revision: str,
                settings: dict[str, Any]) -> str:
    """Same project, task, model (weights included) and settings: same hash, same results."""
    hashed = {k: v for k, v in settings.items() if k not in UNHASHED_SETTINGS}
    payload = {
        "project_id": project_id, "task": task.task, "lighteval": task.lighteval_spec,
        "snapshot_id": task.snapshot_id, "settings": hashed,
        "model": {"name": model.name, "backend": model.backend, "location": model.location,
                  "params": model.params, "revision": model_revision},
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class EvalRequest:
    """Everything an 'eval' job needs; stored as the job's params."""

    project_id: int
    models: list[str]
    snapshot_id: str | None = None
    builtin_tasks: list[str] = field(default_factory=list)
    options: RunOptions = RunOptions()

    def to_params(self) -> dict[str, Any]:
        data = asdict(self)
        data["options"]["formulations"] = list(self.options.formulations)
        return data

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> EvalRequest:
        opts = dict(params.get("options") or {})
        opts["formulations"] = tuple(opts.get("formulations") or FORMULATIONS)
        return cls(project_id=int(params["project_id"]), models=list(params["models"]),
                   snapshot_id=params.get("snapshot_id"),
                   builtin_tasks=list(params.get("builtin_tasks") or []),
                   options=RunOptions(**opts))

    def tasks(self) -> list[TaskSpec]:
        specs = project_tasks(self.snapshot_id, self.options) if self.snapshot_id else []
        specs += [parse_builtin_task(t, self.options.fewshot) for t in self.builtin_tasks]
        return specs


def check_request(store: Store, project: Project, models: list[str], snapshot: str | None,
                  builtin_tasks: list[str], options: RunOptions) -> EvalRequest:
    """Validate a request against the store; resolves snapshot 'latest' and id prefixes.

    ``snapshot`` None means: the latest snapshot when no built-in task is given."""
    options.check()
    if not models:
        raise InvalidInput("Choose at least one model.", "See 'workbench models list'.")
    if len(set(models)) != len(models):
        raise InvalidInput("The same model is listed twice.")
    for name in models:
        store.model(name)  # NotFound with a hint
    for t in builtin_tasks:
        parse_builtin_task(t, options.fewshot)
    snapshot_id: str | None = None
    if snapshot is None and not builtin_tasks:
        snapshot = "latest"
    if snapshot == "latest":
        found = store.snapshots(project.id)
        if not found:
            raise InvalidInput(
                f"Project '{project.name}' has no dataset snapshot to evaluate.",
                f"Build one with 'workbench dataset build --project {project.name}', or "
                "give built-in tasks with --task.")
        snapshot_id = found[0].id
    elif snapshot is not None:
        snap = store.snapshot(snapshot)
        if snap.project_id != project.id:
            raise InvalidInput(f"Snapshot {snap.id} belongs to another project.")
        snapshot_id = snap.id
    if snapshot_id is not None:
        snap = store.snapshot(snapshot_id)
        if options.fewshot > snap.fewshot_count:
            raise InvalidInput(
                f"--fewshot {options.fewshot} needs {options.fewshot} held-out examples; "
                f"snapshot {snap.id} has {snap.fewshot_count}.",
                f"Build a snapshot with 'workbench dataset build --project {project.name} "
                f"--fewshot {options.fewshot}' (few-shot examples never come from the test split).")
    return EvalRequest(project.id, list(models), snapshot_id, list(builtin_tasks), options)


def check_models(settings: Settings, models: list[Model], options: RunOptions,
                 scored: bool) -> int:
    """Refuse, before any job exists, a model that cannot run here or cannot be scored on
    the requested formulations (a server is asked once). Returns the accelerator slots
    the job will wait for."""
    from workbench.backends.registry import check_model
    from workbench.jobs.devices import needed_slots

    slots = 0
    for model in models:
        backend = check_model(model, settings)
        if scored:
            supported = backend.formulations()
            missing = [f for f in options.formulations if f not in supported]
            if missing:
                why = ("" if set(supported) & set(LOGLIKELIHOOD_FORMULATIONS)
                       else backend.why_no_formulations())
                offer = (f"it supports {', '.join(supported)}" if supported
                         else "" if why else "it supports none of them")
                raise InvalidInput(
                    f"Model '{model.name}' cannot be scored on {', '.join(missing)}: "
                    f"{'; '.join(x for x in (why, offer) if x)}.",
                    f"Choose --formulation {supported[0]}." if supported else
                    "Evaluate a model whose backend returns log-likelihoods (transformers, "
                    "vllm).")
            if options.chat_template is not None:  # cheap when chosen; refuses what it cannot do
                backend.chat_template_applied(options.chat_template)
            if (options.chat_template is False and GENERATIVE in options.formulations
                    and backend.answers_in_chat_template):
                raise InvalidInput(
                    f"Model '{model.name}' writes its answers through its chat template "
                    f"({backend.name}); the generative formulation cannot run without it.",
                    "Run the generative formulation without --no-chat-template (chat "
                    "template 'auto' or 'on' on the Evaluate screen); letters and cloze can "
                    "run without it.")
        slots = max(slots, needed_slots(settings, backend.device_slots()))
    return slots


def start_evaluation(store: Store, settings: Settings, request: EvalRequest) -> Job:
    """Check the request's models here and now, then start the 'eval' job."""
    from workbench.jobs.launch import start_job

    models = [store.model(name) for name in request.models]
    slots = check_models(settings, models, request.options, request.snapshot_id is not None)
    return start_job(store, settings, "eval", request.to_params(), request.project_id,
                     needs_devices=slots)
