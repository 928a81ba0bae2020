"""argilla-server's ASGI app for the dev stack (``scripts/argilla-dev`` serves this module),
with one shim for the in-memory search engine.

osmem-server, the OpenSearch-compatible engine the dev stack runs, refuses updates by
script. argilla-server uses them in three places: a response saved or deleted one record
at a time (the web UI's Submit, Discard, Save draft and Clear buttons) and a suggestion
deleted. The shim does the same edits by reading the record's document, changing it in
Python and writing it back whole. Same result; fine for one developer's stack, where two
people never save a response to one record in the same millisecond. Runs in the server's
own virtual environment, never in workbench's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from argilla_server import app  # noqa: F401  (what uvicorn serves)
from argilla_server.search_engine.commons import (
    BaseElasticAndOpenSearchEngine,
    es_index_name_for_dataset,
)

Source = dict[str, Any]


async def _rewrite(engine: Any, record: Any, change: Callable[[Source], None]) -> None:
    """Read the record's document, apply ``change`` to it, write it back (refreshed, as
    argilla-server's own updates are)."""
    index_name = es_index_name_for_dataset(record.dataset)
    found = await engine.client.get(index=index_name, id=str(record.id))
    source: Source = found["_source"]
    change(source)
    await engine.client.index(index=index_name, id=str(record.id), body=source, refresh=True)


def _without(responses: list[dict[str, Any]] | None, response_id: Any) -> list[dict[str, Any]]:
    return [r for r in responses or [] if str(r.get("id")) != str(response_id)]


async def update_record_response(self: Any, response: Any) -> None:
    mapped = self._map_record_response_to_es(response)

    def change(source: Source) -> None:
        source["responses"] = [*_without(source.get("responses"), response.id), mapped]

    await _rewrite(self, response.record, change)


async def delete_record_response(self: Any, response: Any) -> None:
    def change(source: Source) -> None:
        source["responses"] = _without(source.get("responses"), response.id)

    await _rewrite(self, response.record, change)


async def delete_record_suggestion(self: Any, suggestion: Any) -> None:
    def change(source: Source) -> None:
        (source.get("suggestions") or {}).pop(suggestion.question.name, None)

    await _rewrite(self, suggestion.record, change)


BaseElasticAndOpenSearchEngine.update_record_response = update_record_response  # type: ignore[method-assign]
BaseElasticAndOpenSearchEngine.delete_record_response = delete_record_response  # type: ignore[method-assign]
BaseElasticAndOpenSearchEngine.delete_record_suggestion = delete_record_suggestion  # type: ignore[method-assign]
