"""`workbench models ...`"""

from __future__ import annotations

import click

from store.records import Model
from workbench.backends.base import (
    KEY_HINT,
    SECRETS_REMOVED,
    Registration,
    check_api_key_env,
    refuse_secrets,
)
from workbench.backends.engine_args import format_engine_args
from workbench.backends.registry import BACKENDS, validate_registration
from workbench.cli.context import CliContext, command_errors, echo_json, pass_cli


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
    _warn_removed_keys(rows)
    if as_json:
        echo_json([m.__dict__ for m in rows])
        return
    click.echo(f"{'NAME':28} {'BACKEND':13} LOCATION")
    for m in rows:
        click.echo(f"{m.name[:28]:28} {m.backend:13} {m.location}{'  (bundled)' if m.builtin else ''}")
        engine = m.params.get("engine_args")
        if engine:
            click.echo(f"{'':28} {'':13} engine: {format_engine_args(engine)}")


@models.command("add")
@click.argument("name")
@click.option("--backend", required=True, type=click.Choice(list(BACKENDS)),
              help="How to run it.")
@click.option("--path", help="Local model directory (transformers, vllm) or GGUF file (llama.cpp).")
@click.option("--hub-id", help="Hugging Face hub id (in the local cache, or downloaded when run).")
@click.option("--url", help="Base URL of a running server: vllm serve (vllm) or any "
                            "OpenAI-compatible endpoint (openai), e.g. http://HOST:8000/v1.")
@click.option("--endpoint-model", help="Model name to ask the server for (default: NAME).")
@click.option("--engine-arg", "engine_args", multiple=True, metavar="KEY=VALUE",
              help="Engine setting, repeatable: tensor_parallel_size, data_parallel_size, "
                   "gpu_memory_utilization, max_model_len, dtype, quantization, enforce_eager, "
                   "gpus, concurrency (vllm passes other keys to vllm serve).")
@click.option("--api-key-env", help="NAME of the environment variable holding the server's "
                                    "API key (default OPENAI_API_KEY); the key is never stored.")
@click.option("--tokenizer", help="The served model's tokenizer on this machine (folder or "
                                  "cached hub id), for scoring through a remote server.")
@pass_cli
@command_errors
def add(obj: CliContext, name: str, backend: str, path: str | None, hub_id: str | None,
        url: str | None, endpoint_model: str | None, engine_args: tuple[str, ...],
        api_key_env: str | None, tokenizer: str | None) -> None:
    """Register a model: exactly one of --path, --hub-id, --url."""
    location, params = validate_registration(backend, Registration(
        path=path, hub_id=hub_id, url=url, endpoint_model=endpoint_model,
        engine_args=engine_args, api_key_env=api_key_env, tokenizer=tokenizer))
    m = obj.store.add_model(name, backend, location, params)
    engine = m.params.get("engine_args")
    click.echo(f"Registered model '{m.name}' ({m.backend}: {m.location})"
               + (f" with {format_engine_args(engine)}." if engine else "."))


@models.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_cli
@command_errors
def show(obj: CliContext, name: str, as_json: bool) -> None:
    """One model's registration: backend, location, settings, where its key comes from."""
    model = obj.store.model(name)
    _warn_removed_keys([model])
    if as_json:
        echo_json(model.__dict__)
        return
    click.echo(f"{model.name}: {model.backend} at {model.location}"
               + ("  (bundled)" if model.builtin else ""))
    for key, value in sorted(model.params.items()):
        if key == "engine_args":
            value = format_engine_args(value)
        click.echo(f"  {key}: {value}")
    if model.location.startswith(("http://", "https://")):
        env = model.params.get("api_key_env") or "OPENAI_API_KEY"
        state = "set" if obj.settings.secret(str(env)) else "not set"
        click.echo(f"  API key: from ${env} ({state} here)")


@models.command("set")
@click.argument("name")
@click.option("--api-key-env", help="NAME of the environment variable holding the server's "
                                    "API key; the key is never stored.")
@click.option("--endpoint-model", help="Model name to ask the server for.")
@click.option("--tokenizer", help="The served model's tokenizer on this machine.")
@click.option("--engine-arg", "engine_args", multiple=True, metavar="KEY=VALUE",
              help="Engine setting to add or change, repeatable (as for 'models add').")
@pass_cli
@command_errors
def set_(obj: CliContext, name: str, api_key_env: str | None, endpoint_model: str | None,
         tokenizer: str | None, engine_args: tuple[str, ...]) -> None:
    """Change a registered model's settings (never its location or backend)."""
    model = obj.store.model(name)
    params = dict(model.params)
    if api_key_env is not None:
        params["api_key_env"] = check_api_key_env(api_key_env)
        params.pop(SECRETS_REMOVED, None)  # the key has a home again
    if endpoint_model is not None:
        params["endpoint_model"] = endpoint_model
    if tokenizer is not None:
        params["tokenizer"] = tokenizer
    if engine_args:
        cls = BACKENDS[model.backend]
        params["engine_args"] = {**(params.get("engine_args") or {}),
                                 **cls.parse_engine_args(engine_args)}
    refuse_secrets(model.location, params)
    obj.store.upsert_model(model.name, model.backend, model.location, params, model.builtin)
    click.echo(f"Updated model '{model.name}'.")


def _warn_removed_keys(rows: list[Model]) -> None:
    """Tell the user about keys that store migration 008 removed from models' settings."""
    for m in rows:
        removed = m.params.get(SECRETS_REMOVED)
        if removed:
            click.echo(f"Warning: model '{m.name}' had an API key in its stored settings "
                       f"({', '.join(map(str, removed))}); it was removed from the store. "
                       + KEY_HINT.replace("--api-key-env NAME",
                                          f"'workbench models set {m.name} --api-key-env NAME'"),
                       err=True)


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
