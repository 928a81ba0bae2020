"""Helpers for the Argilla tests: the dev server script, annotator users, test data."""

from __future__ import annotations

import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from store import Store
from store.records import ChunkSpan, NewDocument, NewQuestion, Project

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "argilla-dev"


def argilla_dev(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=timeout,
                          check=False)


@dataclass(frozen=True)
class ArgillaServer:
    url: str
    api_key: str
    workspace: str

    def env(self) -> dict[str, str]:
        return {"ARGILLA_API_URL": self.url, "ARGILLA_API_KEY": self.api_key,
                "ARGILLA_WORKSPACE": self.workspace}

    def owner(self) -> Any:
        """An SDK client as the owner (imports argilla: tests only)."""
        import argilla as rg

        return rg.Argilla(api_url=self.url, api_key=self.api_key)


def parse_exports(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        if line.startswith("export ") and "=" in line:
            key, value = line[len("export "):].split("=", 1)
            found[key] = value
    return found


def unique_project(store: Store, prefix: str = "argilla") -> Project:
    """A project whose dataset name is new on a server that may be reused across runs."""
    return store.create_project(f"{prefix}-{uuid.uuid4().hex[:8]}")


def add_questions(store: Store, project: Project, count: int) -> list[int]:
    """``count`` four-option questions over the chunks of one small document."""
    paragraphs = [f"Paragraph {i}: the committee meets every {i % 7 + 1} weeks to review"
                  f" budget item {i}." for i in range(40)]
    text, spans = "", []
    for ordinal, paragraph in enumerate(paragraphs):
        start = len(text)
        text += paragraph + "\n\n"
        spans.append(ChunkSpan(ordinal, start, start + len(paragraph), paragraph))
    doc = store.add_document(project.id, NewDocument(
        path="minutes.txt", title="Committee minutes", content_hash=uuid.uuid4().hex,
        encoding="utf-8", size_bytes=len(text), text=text), spans)
    assert doc is not None
    chunks = store.document_chunks(doc.id)
    return store.add_questions(
        NewQuestion(
            project.id, f"How often does the committee review budget item {i}?",
            [f"every {i % 7 + 1} weeks", "every day", "never", f"every {i % 7 + 9} weeks"],
            i % 4, explanation="From the minutes.", document_id=doc.id,
            chunk_id=chunks[i % len(chunks)].id, model_name="smollm2-135m",
        )
        for i in range(count)
    )


@dataclass(frozen=True)
class Annotator:
    """Another Argilla user with its own API key and SDK client.

    ``respond`` answers many records at once through the SDK's bulk record upsert;
    ``web_ui`` calls the per-record endpoints that the web UI's buttons call.
    """

    username: str
    user_id: Any
    client: Any
    workspace: str

    def respond(self, dataset_name: str,
                answers: dict[str, tuple[str, str | None, str | None]]) -> None:
        """Set this user's response on records: {external id: (status, letter, comment)}."""
        import argilla as rg

        dataset = self.client.datasets(dataset_name, workspace=self.workspace)
        records = [r for r in dataset.records(batch_size=1000, with_responses=False)
                   if r.id in answers]
        assert len(records) == len(answers)
        for record in records:
            status, letter, comment = answers[record.id]
            if letter is not None:
                record.responses.add(rg.Response("answer", letter, user_id=self.user_id,
                                                 status=status))
            if comment is not None:
                record.responses.add(rg.Response("comment", comment, user_id=self.user_id,
                                                 status=status))
        dataset.records.log(records, batch_size=500)

    def web_ui(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One call as the web UI makes it (its buttons call /api/v1 with the user's key)."""
        response = self.client.http_client.request(method, f"/api/v1/{path}", json=body)
        assert response.status_code < 300, (path, response.status_code, response.text)
        return response.json()


def make_annotator(server: ArgillaServer, name: str) -> Annotator:
    import argilla as rg

    owner = server.owner()
    username = f"{name}-{uuid.uuid4().hex[:6]}"
    user = rg.User(username=username, password="annotator-pass", role="admin",
                   client=owner).create()
    user.add_to_workspace(owner.workspaces(server.workspace))
    key = owner.http_client.get(f"/api/v1/users/{user.id}").json()["api_key"]
    client = rg.Argilla(api_url=server.url, api_key=key)
    return Annotator(username, user.id, client, server.workspace)


def record_uuids(server: ArgillaServer, dataset_name: str) -> dict[str, Any]:
    """{external id: server record id} of every record in the dataset."""
    dataset = server.owner().datasets(dataset_name, workspace=server.workspace)
    assert dataset is not None, dataset_name
    return {r.id: r._server_id for r in dataset.records(batch_size=1000)}

