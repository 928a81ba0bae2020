"""Run lighteval's Python API for one model on several tasks and turn its output into
scores, per-sample results and a reproducibility record. Job process only.

Tasks are checked one by one first (known name, dataset loadable offline, metric possible
on this backend), so one task that cannot run fails alone with a clear message; the rest
run together in one pipeline, so the model loads once and batches span tasks.
"""

from __future__ import annotations

import copy
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from store.records import SampleResult, Score
from workbench.backends.base import EvalSettings, ModelBackend
from workbench.errors import BackendUnavailable, WorkbenchError
from workbench.evaluation.errors import TaskUnavailable
from workbench.evaluation.offline import (
    SKIPPED_MODULES,
    detach_cache,
    disable_sample_cache,
    prepare_lighteval,
)
from workbench.evaluation.plan import RunOptions, TaskSpec
from workbench.evaluation.task_file import GENERATIVE, LOGLIKELIHOOD_FORMULATIONS
from workbench.jobs.context import JobCancelled

# Per-sample metric that says "correct", in order of preference.
_CORRECT_METRICS = ("acc", "em", "exact_match", "quasi_exact_match", "prefix_exact_match",
                    "extractive_match", "pass@1")


@dataclass
class TaskResult:
    scores: dict[str, Score]
    samples: list[SampleResult]
    repro: dict[str, Any]
    # The exact prompt (context) and options of each sample, in sample order; not stored.
    inputs: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ModelRun:
    """What one pipeline produced: results or an error per task, and shared timings."""

    results: dict[str, TaskResult] = field(default_factory=dict)
    errors: dict[str, WorkbenchError] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    model_info: dict[str, Any] = field(default_factory=dict)
    # Requests answered from the job's chunk cache (scored by an earlier attempt).
    reused_requests: int = 0


def _task_configs(custom_tasks: Path | None) -> dict[str, Any]:
    from lighteval.tasks.registry import Registry

    return Registry.load_all_task_configs(
        custom_tasks=str(custom_tasks) if custom_tasks else None, load_multilingual=False)


def _lighteval_version() -> str:
    import importlib.metadata

    return importlib.metadata.version("lighteval")


def _uses_logprobs(config: Any) -> bool:
    from lighteval.tasks.requests import SamplingMethod

    return any(m.category == SamplingMethod.LOGPROBS for m in config.metrics)


def check_task(spec: TaskSpec, configs: dict[str, Any], backend: ModelBackend) -> None:
    """Raise TaskUnavailable when this task cannot run with this backend on this machine."""
    config = configs.get(spec.lighteval_name)
    if config is None:
        import difflib

        close = difflib.get_close_matches(spec.lighteval_name, list(configs), n=3, cutoff=0.6)
        raise TaskUnavailable(
            f"Unknown lighteval task '{spec.lighteval_name}'.",
            (f"Did you mean {', '.join(close)}? " if close else "")
            + f"lighteval {_lighteval_version()} knows {len(configs)} tasks, e.g. "
            "mmlu:anatomy, arc:easy, hellaswag.")
    if spec.formulation == GENERATIVE:
        if GENERATIVE not in backend.formulations():
            raise TaskUnavailable(
                f"The {backend.name} backend of '{backend.model.name}' cannot write answers "
                "for the generative formulation.", "Use a transformers model or a served "
                "(OpenAI-compatible chat) model.")
    elif _uses_logprobs(config):
        if not set(backend.formulations()) & set(LOGLIKELIHOOD_FORMULATIONS):
            raise TaskUnavailable(
                f"Task '{spec.task}' is scored by log-likelihood, which the {backend.name} "
                f"backend of '{backend.model.name}' cannot compute: "
                f"{backend.why_no_formulations()}.",
                "Evaluate it on a model whose backend returns log-likelihoods "
                "(transformers, or vllm / a server with prompt log-probabilities).")
    elif not backend.runs_generative_tasks:
        raise TaskUnavailable(
            f"Task '{spec.task}' is generative, which the {backend.name} backend of "
            f"'{backend.model.name}' does not run yet.",
            "Run generative built-in tasks with the transformers backend.")
    from lighteval.tasks.lighteval_task import LightevalTask

    cfg = copy.deepcopy(config)
    cfg.num_fewshots = spec.fewshot
    try:
        LightevalTask.download_dataset_worker(LightevalTask(cfg))
    except Exception as exc:
        detail = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        raise TaskUnavailable(
            f"Task '{spec.task}' cannot load its dataset '{config.hf_repo}': "
            f"{type(exc).__name__}: {detail}",
            "Built-in tasks need their dataset from the Hugging Face Hub: run where the Hub "
            "can be reached, or put the dataset in the local datasets cache first.") from None


def _prompt_source(config: Any) -> str:
    try:
        return inspect.getsource(config.prompt_function)
    except (OSError, TypeError):
        return getattr(config.prompt_function, "__name__", repr(config.prompt_function))


def _task_repro(config: Any, inputs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "lighteval_task": config.full_name,
        "task_config": {
            "name": config.name, "hf_repo": config.hf_repo, "hf_subset": config.hf_subset,
            "hf_revision": config.hf_revision, "evaluation_splits": list(config.evaluation_splits),
            "few_shots_split": config.few_shots_split, "few_shots_select": config.few_shots_select,
            "num_fewshots": config.num_fewshots, "version": config.version,
            "metrics": [m.metric_name for m in config.metrics],
        },
        "prompt_function": _prompt_source(config),
        "example_prompt": inputs[0]["context"] if inputs else None,
        "example_choices": inputs[0]["choices"] if inputs else None,
        "samples": len(inputs),
    }


def _sample(index: int, detail: Any) -> SampleResult:
    doc, response, metric = detail.doc, detail.model_response, detail.metric
    n = len(doc.choices or [])
    specific = doc.specific or {}
    reply: str | None = None
    if "options" in specific:  # generative: the option read from the written reply
        from workbench.evaluation.answer_extraction import extract_choice

        reply = str(response.text[0]) if response.text else ""
        logprobs: list[float] = []
        prediction = extract_choice(reply, list(specific["options"]),
                                    list(getattr(doc, "stop_sequences", None) or []))
    else:
        logprobs = [float(x) for x in (response.logprobs or [])[:n]]
        prediction = (max(range(n), key=lambda i: logprobs[i]) if n and len(logprobs) == n
                      else None)
    gold = doc.gold_index
    gold_index = gold if isinstance(gold, int) else (gold[0] if gold else None)
    metrics = {k: float(v) for k, v in metric.items() if isinstance(v, int | float)}
    key = next((k for k in _CORRECT_METRICS if k in metrics), next(iter(metrics), None))
    return SampleResult(
        sample_index=index, correct=metrics.get(key, 0.0) if key else 0.0,
        gold_index=None if gold_index is None else int(gold_index),
        prediction_index=prediction,
        question_id=specific.get("question_id"), cluster=specific.get("cluster"),
        logprobs=logprobs, metrics=metrics, reply=reply,
    )


def in_dataset_order(details: list[Any]) -> tuple[list[Any], list[int]]:
    """Details sorted back into dataset order (lighteval shuffles; doc.id is the row index),
    with each one's sample index."""
    ids = [d.doc.id for d in details]
    if all(str(i).isdigit() for i in ids) and len(set(ids)) == len(ids):
        ordered = sorted(details, key=lambda d: int(d.doc.id))
        return ordered, [int(d.doc.id) for d in ordered]
    return list(details), list(range(len(details)))


def _prompt_of(model: Any, doc: Any) -> str | None:
    """The prompt lighteval built for this doc (chat template included, if applied)."""
    manager = getattr(model, "prompt_manager", None)
    if manager is None:
        return None
    try:
        return str(manager.prepare_prompt(doc))
    except Exception:  # a backend whose prompts are not plain text (APIs): not recorded
        return None


def scores_from_results(task_results: dict[str, Any]) -> dict[str, Score]:
    scores: dict[str, Score] = {}
    for key, value in task_results.items():
        if key.endswith("_stderr") or not isinstance(value, int | float):
            continue
        stderr = task_results.get(f"{key}_stderr")
        scores[key] = Score(key, float(value), None if stderr is None else float(stderr))
    return scores


def run_model(
    backend: ModelBackend, specs: list[TaskSpec], options: RunOptions, chat_template: bool,
    custom_tasks: Path | None, workdir: Path, log: Callable[[str], None],
    request_cache: Path | None = None, watch: Callable[[Any], Any] | None = None,
) -> ModelRun:
    """Run every runnable task of ``specs`` on one model; never raises for one task.

    ``watch(pipeline)`` is called once the pipeline is built, before any scoring, and may
    return a ``RequestTap`` (workbench.evaluation.request_tap): live progress and resume."""
    prepare_lighteval()
    out = ModelRun()
    started = time.perf_counter()
    configs = _task_configs(custom_tasks)
    runnable: list[TaskSpec] = []
    for spec in specs:
        try:
            check_task(spec, configs, backend)
            runnable.append(spec)
        except TaskUnavailable as exc:
            log(f"task {spec.task}: {exc}")
            out.errors[spec.lighteval_spec] = exc
    out.timings["task_check_s"] = time.perf_counter() - started
    if not runnable:
        return out

    import transformers
    from lighteval.logging.evaluation_tracker import EvaluationTracker
    from lighteval.pipeline import Pipeline, PipelineParameters

    disable_sample_cache()
    transformers.set_seed(options.seed)
    from lighteval.pipeline import ParallelismManager

    cache_dir = workdir / "lighteval-cache"  # unused: the sample cache is off
    tracker = EvaluationTracker(output_dir=str(workdir / "lighteval-out"), save_details=False)
    tap: Any = None
    try:
        t0 = time.perf_counter()
        target = backend.lighteval_model(EvalSettings(
            batch_size=options.batch_size, dtype=options.dtype or backend.default_dtype(),
            chat_template=chat_template, system_prompt=options.system_prompt,
            seed=options.seed, cache_dir=cache_dir, request_cache=request_cache, log=log))
        params = PipelineParameters(
            launcher_type=ParallelismManager[target.launcher.upper()],
            custom_tasks_directory=str(custom_tasks) if custom_tasks else None,
            max_samples=options.limit,
        )
        pipeline = Pipeline(
            tasks=",".join(s.lighteval_spec for s in runnable), pipeline_parameters=params,
            evaluation_tracker=tracker, model_config=target.config, model=target.model,
        )
        detach_cache(pipeline.model)
        tap = watch(pipeline) if watch is not None else None
        out.timings["load_s"] = time.perf_counter() - t0
        out.model_info = {
            "use_chat_template": getattr(pipeline.model, "use_chat_template", None),
            "device": str(getattr(pipeline.model, "device", "")),
            "model_sha": getattr(pipeline.model, "model_sha", None),
            "max_length": getattr(pipeline.model, "max_length", None),
            **target.info,
        }
        log(f"model loaded in {out.timings['load_s']:.1f} s; running "
            f"{len(runnable)} task(s)")
        t1 = time.perf_counter()
        pipeline.evaluate()  # type: ignore[no-untyped-call]
        out.timings["evaluate_s"] = time.perf_counter() - t1
        results = tracker.metrics_logger.metric_aggregated  # keyed "name|fewshot"
        details = pipeline.get_details()  # type: ignore[no-untyped-call]
    except JobCancelled:
        raise  # the user stopped the job: not a failure of these tasks
    except WorkbenchError as exc:
        for spec in runnable:
            out.errors[spec.lighteval_spec] = exc
        return out
    except Exception as exc:  # the model or lighteval failed: every task of this model fails
        error = BackendUnavailable(
            f"lighteval failed on '{backend.model.name}': {type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:300] if str(exc) else ''}",
            "See the job log for the traceback.")
        import traceback

        traceback.print_exc()
        for spec in runnable:
            out.errors[spec.lighteval_spec] = error
        return out
    finally:
        if tap is not None:
            out.reused_requests = tap.reused
            if tap.cache is not None:
                tap.cache.close()
    out.timings["total_s"] = time.perf_counter() - started
    for spec in runnable:
        full = spec.lighteval_spec
        ordered, indexes = in_dataset_order(details.get(full, []))
        inputs = [{"context": _prompt_of(pipeline.model, d.doc), "choices": list(d.doc.choices)}
                  for d in ordered]
        out.results[full] = TaskResult(
            scores=scores_from_results(results.get(full, {})),
            samples=[_sample(i, d) for i, d in zip(indexes, ordered, strict=True)],
            repro=_task_repro(pipeline.tasks_dict[full].config, inputs),
            inputs=inputs,
        )
    return out


def environment() -> dict[str, Any]:
    """Library versions and hardware, for the reproducibility record."""
    import importlib.metadata as md
    import os
    import platform

    versions = {}
    for pkg in ("workbench", "lighteval", "transformers", "torch", "datasets", "accelerate",
                "huggingface_hub", "numpy", "vllm"):
        try:
            versions[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            continue
    hardware: dict[str, Any] = {"platform": platform.platform(), "machine": platform.machine(),
                                "cpu_count": os.cpu_count(), "python": platform.python_version()}
    try:
        import torch

        hardware["torch_threads"] = torch.get_num_threads()
        hardware["cuda"] = torch.cuda.is_available()
        if torch.cuda.is_available():
            hardware["gpu"] = torch.cuda.get_device_name(0)
    except Exception:  # torch missing or broken: the record says so by omission
        pass
    return {"versions": versions, "hardware": hardware,
            "lighteval_shims": dict(SKIPPED_MODULES),
            "lighteval_internal_seeds": {"random_numpy": 1234, "doc_shuffle": 42},
            "lighteval_sample_cache": "off"}
