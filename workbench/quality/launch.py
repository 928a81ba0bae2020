"""Starting a model-check job (light: the CLI and the TUI call this)."""

from __future__ import annotations

from typing import Any

from store.records import Job, Project
from workbench.bundled_model import BUNDLED_MODEL, register_bundled_models
from workbench.errors import InvalidInput
from workbench.jobs.launch import start_job
from workbench.quality.model_checks import CHECKS, DEFAULT_ROUNDS, FORMULATIONS
from workbench.settings import Settings

KIND = "model_checks"


def default_formulation(judge: str) -> str:
    """Letters for capable judges; cloze for the bundled 135M model, which cannot read
    letters (its top letter is "A" whatever the question: measured, see model_checks)."""
    return "cloze" if judge == BUNDLED_MODEL else "mcf"


def start_model_checks(
    store: Any, settings: Settings, project: Project, judge: str | None = None,
    checks: list[str] | None = None, question_ids: list[int] | None = None, seed: int = 0,
    rounds: int = DEFAULT_ROUNDS, batch_size: int = 8, formulation: str | None = None,
) -> Job:
    """Start a ``model_checks`` job; the judge defaults to the bundled model."""
    from workbench.backends.registry import backend_for

    params = model_checks_params(store, project, judge, checks, question_ids, seed, rounds,
                                 batch_size, formulation)
    for job in store.active_jobs(project.id):
        if job.kind == KIND:
            raise InvalidInput(f"Model checks (job {job.id}) are already running for this "
                               "project.", f"Wait for it or cancel it: 'workbench jobs cancel "
                               f"{job.id}'.")
    slots = backend_for(store.model(params["judge"]), settings).device_slots()
    return start_job(store, settings, KIND, params, project_id=project.id, needs_devices=slots)


def model_checks_params(
    store: Any, project: Project, judge: str | None = None, checks: list[str] | None = None,
    question_ids: list[int] | None = None, seed: int = 0, rounds: int = DEFAULT_ROUNDS,
    batch_size: int = 8, formulation: str | None = None,
) -> dict[str, Any]:
    """The job's params, checked (InvalidInput, NotFound name the fix)."""
    if judge is None:
        register_bundled_models(store)
        judge = BUNDLED_MODEL
    model = store.model(judge)  # NotFound names the fix
    chosen = list(checks or CHECKS)
    unknown = [c for c in chosen if c not in CHECKS]
    if unknown:
        raise InvalidInput(f"Unknown check '{unknown[0]}'.", f"Use one of {', '.join(CHECKS)}.")
    formulation = formulation or default_formulation(model.name)
    if formulation not in FORMULATIONS:
        raise InvalidInput(f"Unknown formulation '{formulation}'.",
                           f"Use one of {', '.join(FORMULATIONS)}.")
    if rounds < 1:
        raise InvalidInput("--rounds must be at least 1.")
    params: dict[str, Any] = {"project_id": project.id, "judge": model.name, "checks": chosen,
                              "seed": seed, "rounds": rounds, "batch_size": batch_size,
                              "formulation": formulation}
    if question_ids:
        params["question_ids"] = list(question_ids)
    return params
