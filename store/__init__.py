"""The only code that speaks SQL. Use ``Store`` and the dataclasses in ``store.records``."""

from store.questions import QuestionFilter
from store.store import Store

__all__ = ["QuestionFilter", "Store"]
