"""Generation throughput: our background job versus a plain distilabel pipeline.

Both write questions for the same chunks of the bundled demo corpus with the same model
(the bundled SmolLM2 GGUF through llama.cpp) and the same prompt file, in this run:

- baseline: the seed's approach, a plain distilabel ``Pipeline`` (LoadDataFromDicts >>
  the same Task) run in the foreground, output validated afterwards by the same rules;
- ours: ``workbench generate`` as a background job (model loaded once, JSON-schema guided
  decoding, chunk-by-chunk commits), timed from the start request to the job's end.

Prints questions per minute (all items, and valid ones) and the valid rate of each, and the
ratio ours / baseline (goal: >= 1.0x).

    .venv/bin/python bench/generation_throughput.py [--chunks 6] [--per-chunk 1]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def _baseline(chunks: list[object], per_chunk: int, gguf: str, max_new_tokens: int,
              work: Path) -> tuple[float, int, int]:
    from distilabel.models.llms import LlamaCppLLM
    from distilabel.pipeline import Pipeline
    from distilabel.steps import LoadDataFromDicts

    from workbench.generation.task import RAW_OUTPUT, MultipleChoiceQuestionTask
    from workbench.generation.validation import Rejected, check_output

    rows = [{"passage": c.text, "language": "en", "number": n + 1, "total": per_chunk}  # type: ignore[attr-defined]
            for c in chunks for n in range(per_chunk)]
    os.environ["DISTILABEL_CACHE_DIR"] = str(work / "distilabel-cache")
    start = time.perf_counter()
    with Pipeline(name="seed-mcq", cache_dir=work / "distilabel-cache") as pipeline:
        load = LoadDataFromDicts(data=rows)
        task = MultipleChoiceQuestionTask(
            name="mcq", llm=LlamaCppLLM(model_path=gguf, n_ctx=2048, n_gpu_layers=0, seed=0),
            input_batch_size=8,
        )
        load >> task
    distiset = pipeline.run(use_cache=False, parameters={
        "mcq": {"llm": {"generation_kwargs": {"max_new_tokens": max_new_tokens,
                                              "temperature": 0.7, "top_p": 0.95}}}})
    seconds = time.perf_counter() - start
    outputs = distiset["default"]["train"][RAW_OUTPUT]
    valid = 0
    for raw, row in zip(outputs, rows, strict=True):
        try:
            check_output(raw or "", row["passage"])
            valid += 1
        except Rejected:
            pass
    return seconds, len(outputs), valid


def _ours(store: object, settings: object, project: str, chunks: int, per_chunk: int,
          max_new_tokens: int) -> tuple[float, int, int]:
    from workbench.generation.launch import GenerationRequest, start_generation
    from workbench.jobs.supervise import wait_for_job

    start = time.perf_counter()
    job = start_generation(store, settings, GenerationRequest(  # type: ignore[arg-type]
        project, per_chunk=per_chunk, limit_chunks=chunks, max_new_tokens=max_new_tokens,
        max_attempts=1))
    done = wait_for_job(store, settings, job.id, poll_seconds=0.2)  # type: ignore[arg-type]
    seconds = time.perf_counter() - start
    if done.state != "done":
        raise SystemExit(f"our job ended {done.state}: {done.error}")
    return seconds, done.result["items"], done.result["questions"]


def _line(name: str, seconds: float, items: int, valid: int) -> str:
    return (f"{name:<28} {seconds:7.1f} s  {items:3d} items  {60 * items / seconds:6.1f} items/min"
            f"  {60 * valid / seconds:6.1f} valid/min  valid rate {valid / max(items, 1):.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=6)
    parser.add_argument("--per-chunk", type=int, default=1)
    parser.add_argument("--max-new-tokens", type=int, default=256)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="wb-bench-") as tmp:
        os.environ["WORKBENCH_HOME"] = tmp
        from store import Store
        from workbench.bundled_model import gguf_path, register_bundled_models
        from workbench.demo import corpus_dir
        from workbench.docs import import_paths
        from workbench.settings import load_settings

        settings = load_settings()
        store = Store(settings.store_path)
        register_bundled_models(store)
        project = store.create_project("bench")
        import_paths(store, project.id, [corpus_dir()], settings)
        chunks = store.project_chunks(project.id, limit=args.chunks)
        print(f"{len(chunks)} chunks x {args.per_chunk}, model {gguf_path().name}, "
              f"max_new_tokens {args.max_new_tokens}, {os.cpu_count()} CPUs")

        base = _baseline(chunks, args.per_chunk, str(gguf_path()), args.max_new_tokens,
                         Path(tmp))
        ours = _ours(store, settings, "bench", len(chunks), args.per_chunk, args.max_new_tokens)
        print(_line("plain distilabel pipeline", *base))
        print(_line("workbench generate (job)", *ours))
        ratio = (ours[1] / ours[0]) / (base[1] / base[0])
        valid = (f"{(ours[2] / ours[0]) / (base[2] / base[0]):.2f}x" if base[2]
                 else "n/a (baseline wrote no valid question)")
        print(f"throughput ours / baseline: {ratio:.2f}x items, valid questions {valid}"
              f"  (goal >= 1.0x)")
        store.close()


if __name__ == "__main__":
    main()
