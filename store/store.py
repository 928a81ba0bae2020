"""The Store: the one object through which everything reads and writes the SQLite file."""

from __future__ import annotations

from store.argilla import ArgillaMixin
from store.checks import ChecksMixin
from store.documents import DocumentsMixin
from store.evals import EvalsMixin
from store.jobs import JobsMixin
from store.leaderboard import LeaderboardMixin
from store.models import ModelsMixin
from store.projects import ProjectsMixin
from store.questions import QuestionsMixin
from store.review_queries import ReviewQueriesMixin
from store.servers import ServersMixin
from store.snapshots import SnapshotsMixin


class Store(
    ProjectsMixin, DocumentsMixin, ModelsMixin, JobsMixin, QuestionsMixin, EvalsMixin,
    ReviewQueriesMixin,
    SnapshotsMixin,
    ArgillaMixin,
    LeaderboardMixin,
    ServersMixin,
    ChecksMixin,
):
    """Open with ``Store(path)``; use as a context manager to close it.

    Each method is one transaction; methods take and return dataclasses from
    ``store.records``. Errors are ``store.errors`` types.
    """
