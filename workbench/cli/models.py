"""`workbench models ...`"""

from __future__ import annotations

import click

from workbench.cli.context import CliContext, command_errors, echo_json, pass_cli
from workbench.model_registry import BACKENDS, validate_model_spec


@click.group()
def models() -> None:
    """List and register models."""


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_cli
@command_errors
def list_(obj: CliContext, as_json: bool) -> None:
    """List registered models (the bundled SmolLM2 is always there)."""
    from workbench.bundled_model import register_bundled_models

    register_bundled_models(obj.store)
    rows = obj.store.list_models()
    if as_json:
        echo_json([m.__dict__ for m in rows])
        return
    click.echo(f"{'NAME':28} {'BACKEND':13} LOCATION")
    for m in rows:
        click.echo(f"{m.name[:28]:28} {m.backend:13} {m.location}{'  (bundled)' if m.builtin else ''}")


@models.command("add")
@click.argument("name")
@click.option("--backend", required=True, type=click.Choice(BACKENDS), help="How to run it.")
@click.option("--path", help="Local model directory (transformers, vllm) or GGUF file (llama.cpp).")
@click.option("--hub-id", help="Hugging Face hub id (downloaded by the backend when run).")
@click.option("--url", help="Base URL of an OpenAI-compatible endpoint (openai backend).")
@click.option("--endpoint-model", help="Model name to ask the endpoint for (openai backend).")
@pass_cli
@command_errors
def add(obj: CliContext, name: str, backend: str, path: str | None, hub_id: str | None,
        url: str | None, endpoint_model: str | None) -> None:
    """Register a model: exactly one of --path, --hub-id, --url."""
    location, params = validate_model_spec(backend, path, hub_id, url, endpoint_model)
    m = obj.store.add_model(name, backend, location, params)
    click.echo(f"Registered model '{m.name}' ({m.backend}: {m.location}).")


@models.command("remove")
@click.argument("name")
@pass_cli
@command_errors
def remove(obj: CliContext, name: str) -> None:
    """Unregister a model (past scores keep its name)."""
    obj.store.remove_model(name)
    click.echo(f"Removed model '{name}'.")


@models.command("prepare")
@click.argument("name", default="smollm2-135m")
@pass_cli
@command_errors
def prepare(obj: CliContext, name: str) -> None:
    """Convert the bundled GGUF into a model directory now (done once, cached)."""
    from workbench.bundled_model import resolve_model_dir

    model = obj.store.model(name)
    click.echo(resolve_model_dir(model.location, obj.settings, report=click.echo))
