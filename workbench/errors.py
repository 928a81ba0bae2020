"""Typed errors shown once: the TUI in its error modal, the CLI as one line and exit 1.

The base hierarchy belongs to the store (``store.errors``), the ground floor; the domain
re-exports it here and extends it with the errors only the domain raises.
"""

from __future__ import annotations

from store.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    StoreVersionError,
    WorkbenchError,
)

__all__ = [
    "AlreadyExists",
    "BackendUnavailable",
    "InvalidInput",
    "NotFound",
    "ServiceError",
    "StoreVersionError",
    "WorkbenchError",
]


class BackendUnavailable(WorkbenchError):
    """A model backend or model that cannot be used on this machine."""


class ServiceError(WorkbenchError):
    """An external service (Argilla, the Hub, an endpoint) failed or refused."""
