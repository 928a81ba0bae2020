"""The messages a user sees when the Argilla side fails: one place, so the CLI, the jobs
and the TUI's HTTP probe say the same thing. The API key never appears in them."""

from __future__ import annotations

from workbench.errors import ServiceError

ENV_HINT = "Set ARGILLA_API_URL and ARGILLA_API_KEY (scripts/argilla-dev start prints them)."


def not_configured() -> ServiceError:
    return ServiceError("Argilla is not configured.", ENV_HINT)


def unreachable(url: str, detail: str = "") -> ServiceError:
    extra = f" ({detail})" if detail else ""
    return ServiceError(
        f"Cannot reach the Argilla server at {url}{extra}.",
        "Check that it is running and that ARGILLA_API_URL is right (for a local server:"
        " scripts/argilla-dev start); then retry: nothing was changed in the store.",
    )


def wrong_key(url: str) -> ServiceError:
    return ServiceError(
        f"The Argilla server at {url} refused the API key.",
        "Copy the key from your Argilla profile page (or from 'scripts/argilla-dev env')"
        " into ARGILLA_API_KEY and retry.",
    )


def forbidden(url: str, what: str) -> ServiceError:
    return ServiceError(
        f"The Argilla user of this API key may not {what} on {url}.",
        "Use the key of an owner or of an admin of the workspace.",
    )


def missing_workspace(name: str, available: list[str]) -> ServiceError:
    listed = ", ".join(available) if available else "none"
    return ServiceError(
        f"The Argilla workspace '{name}' does not exist (or this user is not in it).",
        f"Set ARGILLA_WORKSPACE to one of: {listed}; or create it in Argilla.",
    )


def no_workspace() -> ServiceError:
    return ServiceError(
        "This Argilla user has no workspace.",
        "Create a workspace in Argilla (or add the user to one) and set ARGILLA_WORKSPACE.",
    )


def dataset_deleted(name: str, project: str) -> ServiceError:
    return ServiceError(
        f"The Argilla dataset '{name}' was deleted or replaced on the server after this"
        " project was pushed to it.",
        "Pulled responses are still in the store. To create the dataset again and push every"
        f" question, run 'workbench argilla push --project {project} --recreate'.",
    )


def not_pushed(name: str, project: str) -> ServiceError:
    return ServiceError(
        f"The Argilla dataset '{name}' does not exist yet.",
        f"Push the project first: 'workbench argilla push --project {project}'.",
    )


def server_error(url: str, status: int, detail: str) -> ServiceError:
    return ServiceError(
        f"The Argilla server at {url} answered {status}: {detail[:300]}",
        "Retry; if it keeps failing, see the server's log. Nothing was lost: items sent"
        " before the failure are recorded, the rest is sent on the next sync.",
    )
