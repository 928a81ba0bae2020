"""``workbench servers``: the vLLM servers workbench started, and stopping them."""

from __future__ import annotations

import dataclasses

import click

from store import Store
from store.records import ModelServer
from workbench.backends.serving.vllm_server import retire_orphans, stop_server
from workbench.cli.context import CliContext, command_errors, echo_json, pass_cli


@click.group()
def servers() -> None:
    """Model servers workbench started (vLLM): list and stop them."""


def _line(server: ModelServer) -> str:
    users = ", ".join(f"job {j}" for j in server.leases) or "idle"
    where = server.url or "-"
    devices = ",".join(server.devices) or "-"
    text = (f"{server.id:>4}  {server.model_name:<20} {server.state:<9} {where:<28} "
            f"devices {devices:<8} {users}")
    if server.error and not server.alive:
        text += f"  ({server.error})"
    return text


@servers.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also servers that have stopped.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_cli
@command_errors
def list_servers(obj: CliContext, show_all: bool, as_json: bool) -> None:
    """Live servers (all of them with --all), newest first, with the jobs using them."""
    retire_orphans(obj.store)
    found = obj.store.model_servers(live_only=not show_all)
    if as_json:
        echo_json([dataclasses.asdict(s) for s in found])
        return
    if not found:
        click.echo("No model servers running." if not show_all else "No model servers.")
        return
    for server in found:
        click.echo(_line(server))


@servers.command("stop")
@click.argument("server_id", type=int, required=False)
@click.option("--all", "stop_all", is_flag=True, help="Stop every live server.")
@click.option("--force", is_flag=True, help="Also a server that jobs are using (they fail "
              "and can be resumed).")
@pass_cli
@command_errors
def stop(obj: CliContext, server_id: int | None, stop_all: bool, force: bool) -> None:
    """Stop a server (frees its GPUs); jobs start a new one when they need it."""
    if (server_id is None) == (not stop_all):
        raise click.UsageError("Give a SERVER_ID or --all.")
    store: Store = obj.store
    retire_orphans(store)
    targets = store.model_servers(live_only=True) if stop_all else [store.model_server(server_id or 0)]
    for server in targets:
        if not server.alive:
            click.echo(f"server {server.id} is already {server.state}")
            continue
        if server.leases and not force:
            jobs = ", ".join(str(j) for j in server.leases)
            click.echo(f"server {server.id} is in use by job {jobs}; add --force to stop it "
                       "anyway", err=True)
            continue
        stop_server(store, server)
        click.echo(f"server {server.id} stopped")
