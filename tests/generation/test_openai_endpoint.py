"""The OpenAI-compatible backend against a real endpoint on loopback: a minimal
/v1/chat/completions server that answers with the bundled model through llama.cpp."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from store import QuestionFilter, Store
from store.records import Project
from workbench.bundled_model import gguf_path
from workbench.generation.launch import GenerationRequest, prepare_generation
from workbench.jobs.runner import run_job
from workbench.settings import Settings


@pytest.fixture
def endpoint() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    from llama_cpp import Llama

    llm = Llama(model_path=str(gguf_path()), n_ctx=2048, verbose=False)
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
            out = llm.create_chat_completion(
                messages=body["messages"], max_tokens=body.get("max_tokens") or 64,
                temperature=body.get("temperature", 0.7),
                response_format=body.get("response_format"))
            data = json.dumps(out).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/v1", seen
    server.shutdown()


@pytest.mark.slow
def test_generation_through_an_openai_compatible_endpoint(
    store: Store, settings: Settings, corpus_project: Project,
    endpoint: tuple[str, list[dict[str, Any]]],
) -> None:
    url, seen = endpoint
    store.add_model("local-endpoint", "openai", "smollm2", {"endpoint_model": "smollm2"})
    settings = replace(settings, openai_base_url=url, openai_api_key="sk-test")
    params = prepare_generation(store, settings, GenerationRequest(
        corpus_project.name, model="local-endpoint", limit_chunks=1, max_new_tokens=40,
        max_attempts=1))
    job = store.create_job("generate", params, corpus_project.id)
    # The job process reads its settings from the environment: give it the endpoint there.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPENAI_BASE_URL", url)
        mp.setenv("OPENAI_API_KEY", "sk-test")
        run_job(str(settings.store_path), job.id)
    assert store.job(job.id).state == "done", store.job(job.id).error
    (request,) = seen
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer sk-test"
    assert request["model"] == "smollm2" and request["max_tokens"] == 40
    assert request["response_format"] == {"type": "json_object"}
    (question,) = [q for q in store.list_questions(corpus_project.id,
                                                   QuestionFilter(include_rejected=True))
                   if q.job_id == job.id]
    assert (question.backend, question.model_name) == ("openai", "local-endpoint")
    assert question.raw_output
