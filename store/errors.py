"""Typed errors shown once: the TUI in its error modal, the CLI as one line and exit 1.

The store is the ground floor, so the base of the hierarchy lives here; the domain
(``workbench.errors``) re-exports these and adds its own subclasses. Every error says
what happened (``title``) and what to do (``hint``).
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base of every error a user may see."""

    def __init__(self, title: str, hint: str = "") -> None:
        super().__init__(title)
        self.title = title
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.title} {self.hint}".strip() if self.hint else self.title


class NotFound(WorkbenchError):
    """A project, document, question, job, model or snapshot that does not exist."""


class AlreadyExists(WorkbenchError):
    """Creating something whose unique name is taken."""


class InvalidInput(WorkbenchError):
    """Input that fails validation (a question edit, a CSV row, a model spec)."""


class StoreVersionError(WorkbenchError):
    """The store file was written by a newer workbench."""
