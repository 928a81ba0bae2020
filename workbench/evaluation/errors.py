"""Errors of evaluation runs (light: no lighteval import)."""

from __future__ import annotations

from workbench.errors import WorkbenchError


class TaskUnavailable(WorkbenchError):
    """One task of a run cannot run here (unknown, dataset unreachable, metric impossible on
    this backend); the other tasks of the run go on."""
