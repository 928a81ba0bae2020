"""``workbench generate``: start a question-generation job for a project."""

from __future__ import annotations

import click

from workbench.cli.context import CliContext, command_errors, pass_cli
from workbench.cli.jobs import wait_and_exit
from workbench.generation.launch import GenerationRequest, start_generation
from workbench.generation.prompts import DEFAULT_PROMPT_VERSION


@click.command()
@click.option("--project", "project_name", required=True, help="The project to generate for.")
@click.option("--model", "model_name", default=None,
              help="A registered model (default: the bundled model, llama.cpp when available).")
@click.option("--per-chunk", type=int, default=1, show_default=True,
              help="Questions to write per chunk.")
@click.option("--limit-chunks", type=int, default=None, help="Use only the first N chunks.")
@click.option("--document", "document_ids", type=int, multiple=True,
              help="Only chunks of this document id (repeatable).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed for sampling and option order (recorded with every question).")
@click.option("--max-new-tokens", type=int, default=320, show_default=True)
@click.option("--temperature", type=float, default=0.7, show_default=True)
@click.option("--max-attempts", type=int, default=3, show_default=True,
              help="Tries per question before its output is stored as rejected.")
@click.option("--prompt-version", default=DEFAULT_PROMPT_VERSION, show_default=True)
@click.option("--wait", is_flag=True, help="Show progress and exit with the job's outcome.")
@pass_cli
@command_errors
def generate(obj: CliContext, project_name: str, model_name: str | None, per_chunk: int,
             limit_chunks: int | None, document_ids: tuple[int, ...], seed: int,
             max_new_tokens: int, temperature: float, max_attempts: int, prompt_version: str,
             wait: bool) -> None:
    """Generate multiple-choice questions from a project's chunks, in a background job.

    Prints the job id; the job keeps running if this terminal closes. Exit codes with
    --wait: 0 done, 1 failed, 3 cancelled, 4 interrupted.
    """
    req = GenerationRequest(
        project=project_name, model=model_name, per_chunk=per_chunk, limit_chunks=limit_chunks,
        seed=seed, document_ids=list(document_ids), prompt_version=prompt_version,
        max_new_tokens=max_new_tokens, temperature=temperature, max_attempts=max_attempts,
    )
    job = start_generation(obj.store, obj.settings, req)
    p = job.params
    click.echo(job.id)
    click.echo(
        f"Started generation job {job.id}: {len(p['chunk_ids'])} chunks x {per_chunk} with "
        f"{p['model']['name']} ({p['model']['backend']}). "
        f"Follow it with 'workbench jobs show {job.id}'.", err=True,
    )
    if wait:
        wait_and_exit(obj, job.id)
