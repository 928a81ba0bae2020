"""The Argilla SDK behind one small interface: connect, find or create the project's dataset,
upsert records, read annotated records. Every SDK or HTTP failure leaves here as a
``ServiceError`` with a hint (see ``errors``). Imports the SDK inside functions: only job
processes and the CLI load this module."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from workbench.argilla_sync import errors
from workbench.argilla_sync.payload import (
    ANSWER_QUESTION,
    COMMENT_QUESTION,
    GUIDELINES,
    LETTERS,
    RecordPayload,
)
from workbench.argilla_sync.probe import answered_filter, resolve_workspace
from workbench.settings import Settings

# The server accepts at most 500 records per bulk upsert and 1000 per search page.
MAX_BATCH = 500
SEARCH_PAGE = 1000


@contextlib.contextmanager
def translate_errors(url: str, action: str) -> Iterator[None]:
    """Turn SDK and HTTP exceptions into ServiceError with what to do next."""
    import httpx
    from argilla._exceptions import (
        ArgillaAPIError,
        ArgillaCredentialsError,
        ForbiddenError,
        NotFoundError,
        UnauthorizedError,
    )

    try:
        yield
    except httpx.TransportError as exc:
        raise errors.unreachable(url, type(exc).__name__) from None
    except (UnauthorizedError, ArgillaCredentialsError):
        raise errors.wrong_key(url) from None
    except ForbiddenError:
        raise errors.forbidden(url, action) from None
    except NotFoundError as exc:
        raise errors.server_error(url, 404, str(exc)) from None
    except ArgillaAPIError as exc:
        raise errors.server_error(url, exc.status_code, str(exc)) from None
    except httpx.HTTPStatusError as exc:
        code = exc.response.status_code
        if code == 401:
            raise errors.wrong_key(url) from None
        if code == 403:
            raise errors.forbidden(url, action) from None
        raise errors.server_error(url, code, exc.response.text) from None


class ArgillaClient:
    """A connected, authenticated client bound to one workspace."""

    def __init__(self, settings: Settings, timeout: int = 300) -> None:
        if not settings.argilla_api_url or not settings.argilla_api_key:
            raise errors.not_configured()
        import argilla as rg

        self.url = settings.argilla_api_url.rstrip("/")
        # A batch of 500 records can take the server tens of seconds on a small machine.
        with translate_errors(self.url, "connect"):
            self.rg = rg.Argilla(api_url=self.url, api_key=settings.argilla_api_key,
                                 timeout=timeout, retries=1)
            self.me = self.rg.me
            available = {w.name: w for w in self.rg.workspaces}
        self.workspace_name = resolve_workspace(settings.argilla_workspace, list(available))
        self.workspace = available[self.workspace_name]

    @property
    def http(self) -> Any:
        """The SDK's authenticated httpx client, for the few calls the SDK does not model."""
        return self.rg.http_client

    # -- datasets ------------------------------------------------------------------------
    def find_dataset(self, name: str) -> Any | None:
        """The dataset called ``name`` in our workspace, or None."""
        import argilla as rg

        with translate_errors(self.url, "list datasets"):
            model = self.rg.api.datasets.get_by_name_and_workspace_id(name, self.workspace.id)
            if model is None:
                return None
            return rg.Dataset.from_model(model, client=self.rg).get()  # with its settings

    def dataset_exists(self, dataset_id: Any) -> bool:
        with translate_errors(self.url, "read datasets"):
            return bool(self.rg.api.datasets.exists(dataset_id))

    def create_dataset(self, name: str, labels: int, annotators: int = 1) -> Any:
        """Create the project's dataset: question, options, passage and explanation fields;
        an answer label question (letters) and a comment; status/document/model/flags
        metadata; the reviewing guidelines; ``annotators`` submitted responses per record
        (Argilla's task distribution) before a record counts as complete."""
        import argilla as rg

        settings = rg.Settings(
            guidelines=GUIDELINES,
            distribution=rg.TaskDistribution(min_submitted=annotators),
            fields=[
                rg.TextField("question", title="Question", use_markdown=False),
                rg.TextField("options", title="Options", use_markdown=True),
                rg.TextField("passage", title="Source passage", use_markdown=False),
                rg.TextField("explanation", title="Explanation (from the model)",
                             required=False),
            ],
            questions=[
                rg.LabelQuestion(
                    ANSWER_QUESTION, labels=list(LETTERS[:labels]), title="Correct answer",
                    description="The option the passage supports. The suggestion is the"
                                " workbench's current answer.",
                ),
                rg.TextQuestion(COMMENT_QUESTION, title="Comment", required=False,
                                description="What is wrong, or what you changed."),
            ],
            metadata=[
                rg.TermsMetadataProperty("status", title="Workbench status"),
                rg.TermsMetadataProperty("document", title="Document"),
                rg.TermsMetadataProperty("model", title="Model"),
                rg.TermsMetadataProperty("flags", title="Flags"),
            ],
            allow_extra_metadata=False,
        )
        with translate_errors(self.url, "create datasets"):
            return rg.Dataset(name=name, workspace=self.workspace, settings=settings,
                              client=self.rg).create()

    @staticmethod
    def annotators(dataset: Any) -> int:
        """Submitted responses the dataset asks for per record (``min_submitted``)."""
        return int(dataset.settings.distribution.min_submitted)

    def set_annotators(self, dataset: Any, annotators: int) -> None:
        """Ask for ``annotators`` submitted responses per record from now on (the server
        accepts the change at any time and recomputes which records are complete)."""
        with translate_errors(self.url, "update datasets"):
            response = self.http.patch(f"/api/v1/datasets/{dataset.id}", json={
                "distribution": {"strategy": "overlap", "min_submitted": annotators}})
            response.raise_for_status()

    @staticmethod
    def label_count(dataset: Any) -> int:
        question = dataset.settings.questions[ANSWER_QUESTION]
        return len(question.labels)

    # -- records -------------------------------------------------------------------------
    def upsert(self, dataset: Any, payloads: list[RecordPayload]) -> None:
        """Create or update records by their external id: one bulk call (at most 500).

        Plain JSON on the SDK's HTTP client rather than ``dataset.records.log``: the server
        validates every record anyway, the SDK's models cost client time, and httpx may be
        called from several threads (``push`` sends batches in parallel)."""
        answer_id = str(dataset.settings.questions[ANSWER_QUESTION].id)
        items = [
            {
                "external_id": p.record_id, "fields": p.fields, "metadata": p.metadata,
                "suggestions": [] if p.suggestion is None else [{
                    "question_id": answer_id, "value": p.suggestion, "agent": p.agent,
                    "type": "model"}],
            }
            for p in payloads
        ]
        with translate_errors(self.url, "add records"):
            # A new connection per batch (each takes the server seconds): a server with
            # several worker processes then hands it to an idle one, where a kept-alive
            # connection would stay with the worker that accepted it.
            response = self.http.put(f"/api/v1/datasets/{dataset.id}/records/bulk",
                                     json={"items": items}, headers={"Connection": "close"})
            response.raise_for_status()

    def answered_records(self, dataset_id: Any) -> Iterator[dict[str, Any]]:
        """Records with at least one submitted or discarded response, with all their
        responses (raw JSON: the SDK's models drop the responses' timestamps)."""
        body = {**answered_filter(),
                "sort": [{"scope": {"entity": "record", "property": "inserted_at"},
                          "order": "asc"}]}
        offset = 0
        while True:
            with translate_errors(self.url, "read records"):
                response = self.http.post(
                    f"/api/v1/datasets/{dataset_id}/records/search",
                    params={"include": "responses", "offset": offset, "limit": SEARCH_PAGE},
                    json=body,
                )
                response.raise_for_status()
            items = response.json()["items"]
            for item in items:
                yield item["record"]
            if len(items) < SEARCH_PAGE:
                return
            offset += len(items)

    def usernames(self) -> dict[str, str]:
        """{user id: username} of the users this key may list (owners see everyone)."""
        with translate_errors(self.url, "list users"):
            response = self.http.get("/api/v1/users")
            if response.status_code == 403:
                return {str(self.me.id): self.me.username}
            response.raise_for_status()
        return {u["id"]: u["username"] for u in response.json()["items"]}

    def username(self, user_id: str) -> str:
        """One user's name (admins may read users of their workspaces); the id otherwise."""
        with translate_errors(self.url, "read users"):
            response = self.http.get(f"/api/v1/users/{user_id}")
        if response.status_code == 200:
            return str(response.json()["username"])
        return user_id
