"""Plain dataclasses that go in and out of the Store. No SQL, no Textual."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

QUESTION_STATUSES = ("pending", "approved", "discarded", "rejected")
JOB_STATES = ("queued", "running", "done", "failed", "cancelled", "interrupted")
ACTIVE_JOB_STATES = ("queued", "running")


def _json(value: str | None, default: Any) -> Any:
    return json.loads(value) if value else default


@dataclass(frozen=True)
class Project:
    id: int
    name: str
    description: str
    created_at: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Project:
        return cls(row["id"], row["name"], row["description"], row["created_at"])


@dataclass(frozen=True)
class ProjectStats:
    """What the dashboard shows for one project."""

    documents: int
    chunks: int
    questions_by_status: dict[str, int]
    snapshots: int
    eval_runs: int
    running_jobs: int

    @property
    def questions(self) -> int:
        return sum(self.questions_by_status.values())


@dataclass(frozen=True)
class NewDocument:
    path: str
    title: str
    content_hash: str
    encoding: str
    size_bytes: int
    text: str
    language: str = "en"


@dataclass(frozen=True)
class Document:
    id: int
    project_id: int
    path: str
    title: str
    content_hash: str
    encoding: str
    language: str
    size_bytes: int
    imported_at: str
    chunk_count: int = 0
    text: str | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Document:
        keys = row.keys()
        return cls(
            id=row["id"],
            project_id=row["project_id"],
            path=row["path"],
            title=row["title"],
            content_hash=row["content_hash"],
            encoding=row["encoding"],
            language=row["language"],
            size_bytes=row["size_bytes"],
            imported_at=row["imported_at"],
            chunk_count=row["chunk_count"] if "chunk_count" in keys else 0,
            text=row["text"] if "text" in keys else None,
        )


@dataclass(frozen=True)
class ChunkSpan:
    """A passage of a document, by character offsets into the document text."""

    ordinal: int
    start: int
    end: int
    text: str
    page_start: int | None = None
    """First page of the source file the chunk comes from (PDF, PPTX slides), 1-based."""
    page_end: int | None = None


@dataclass(frozen=True)
class Chunk:
    id: int
    project_id: int
    document_id: int
    ordinal: int
    start: int
    end: int
    text: str
    page_start: int | None = None
    page_end: int | None = None

    @property
    def pages(self) -> str | None:
        """'p. 3' or 'pp. 3-4' where the source format has pages, else None."""
        if self.page_start is None:
            return None
        if self.page_end is None or self.page_end == self.page_start:
            return f"p. {self.page_start}"
        return f"pp. {self.page_start}-{self.page_end}"

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Chunk:
        return cls(
            row["id"], row["project_id"], row["document_id"], row["ordinal"],
            row["start_offset"], row["end_offset"], row["text"],
            row["page_start"], row["page_end"],
        )


@dataclass(frozen=True)
class Model:
    id: int
    name: str
    backend: str
    location: str
    params: dict[str, Any]
    builtin: bool
    created_at: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Model:
        return cls(
            row["id"], row["name"], row["backend"], row["location"],
            _json(row["params"], {}), bool(row["builtin"]), row["created_at"],
        )


@dataclass(frozen=True)
class Job:
    id: int
    project_id: int | None
    kind: str
    params: dict[str, Any]
    state: str
    pid: int | None
    progress_done: int
    progress_total: int
    rate: float | None
    message: str
    log_path: str | None
    error: str | None
    hint: str | None
    result: dict[str, Any]
    created_at: str
    started_at: str | None
    heartbeat_at: str | None
    finished_at: str | None
    attempts: int
    needs_devices: int = 0  # accelerator slots this job waits for (0: never waits)
    devices: list[str] = field(default_factory=list)  # slots it holds while running
    queued_at: str | None = None

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_JOB_STATES

    @property
    def eta_seconds(self) -> float | None:
        if not self.rate or self.rate <= 0 or self.progress_total <= 0:
            return None
        return max(self.progress_total - self.progress_done, 0) / self.rate

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Job:
        return cls(
            id=row["id"], project_id=row["project_id"], kind=row["kind"],
            params=_json(row["params"], {}), state=row["state"], pid=row["pid"],
            progress_done=row["progress_done"], progress_total=row["progress_total"],
            rate=row["rate"], message=row["message"], log_path=row["log_path"],
            error=row["error"], hint=row["hint"], result=_json(row["result"], {}),
            created_at=row["created_at"], started_at=row["started_at"],
            heartbeat_at=row["heartbeat_at"], finished_at=row["finished_at"],
            attempts=row["attempts"], needs_devices=row["needs_devices"],
            devices=_json(row["devices"], []), queued_at=row["queued_at"],
        )


@dataclass(frozen=True)
class ModelServer:
    """A model server workbench started (``vllm serve``), shared by the jobs that lease it."""

    id: int
    config_key: str
    model_name: str
    spec: dict[str, Any]
    state: str  # starting | ready | stopping | stopped | failed
    url: str | None
    port: int | None
    pid: int | None
    devices: list[str]
    log_path: str | None
    error: str | None
    created_at: str
    ready_at: str | None
    last_used_at: str | None
    stopped_at: str | None
    leases: list[int] = field(default_factory=list)  # ids of the jobs using it

    @property
    def alive(self) -> bool:
        return self.state in ("starting", "ready")

    @classmethod
    def from_row(cls, row: sqlite3.Row, leases: list[int]) -> ModelServer:
        return cls(
            id=row["id"], config_key=row["config_key"], model_name=row["model_name"],
            spec=_json(row["spec"], {}), state=row["state"], url=row["url"], port=row["port"],
            pid=row["pid"], devices=_json(row["devices"], []), log_path=row["log_path"],
            error=row["error"], created_at=row["created_at"], ready_at=row["ready_at"],
            last_used_at=row["last_used_at"], stopped_at=row["stopped_at"], leases=leases,
        )


@dataclass(frozen=True)
class NewQuestion:
    """A question to store: generated, imported or shipped with the demo."""

    project_id: int
    question: str
    options: list[str]
    answer_index: int | None
    explanation: str = ""
    status: str = "pending"
    source: str = "generated"
    document_id: int | None = None
    chunk_id: int | None = None
    model_name: str | None = None
    backend: str | None = None
    prompt_version: str | None = None
    seed: int | None = None
    job_id: int | None = None
    item_key: str | None = None
    rejection_reason: str | None = None
    raw_output: str | None = None
    flags: list[str] = field(default_factory=list)
    language: str = "en"
    quote: str | None = None  # the passage's words the question is grounded on
    rejection_kind: str | None = None  # which check rejected it (job summaries count these)


@dataclass(frozen=True)
class Question:
    id: int
    project_id: int
    document_id: int | None
    chunk_id: int | None
    question: str
    options: list[str]
    answer_index: int | None
    explanation: str
    status: str
    source: str
    model_name: str | None
    backend: str | None
    prompt_version: str | None
    seed: int | None
    job_id: int | None
    item_key: str | None
    rejection_reason: str | None
    raw_output: str | None
    flags: list[str]
    language: str
    created_at: str
    updated_at: str
    quote: str | None = None
    rejection_kind: str | None = None

    @property
    def answer_letter(self) -> str | None:
        return None if self.answer_index is None else "ABCDEFGHIJ"[self.answer_index]

    @property
    def answer_text(self) -> str | None:
        return None if self.answer_index is None else self.options[self.answer_index]

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Question:
        return cls(
            id=row["id"], project_id=row["project_id"], document_id=row["document_id"],
            chunk_id=row["chunk_id"], question=row["question"],
            options=_json(row["options"], []), answer_index=row["answer_index"],
            explanation=row["explanation"], status=row["status"], source=row["source"],
            model_name=row["model_name"], backend=row["backend"],
            prompt_version=row["prompt_version"], seed=row["seed"], job_id=row["job_id"],
            item_key=row["item_key"], rejection_reason=row["rejection_reason"],
            raw_output=row["raw_output"], flags=_json(row["flags"], []),
            language=row["language"], created_at=row["created_at"],
            updated_at=row["updated_at"], quote=row["quote"],
            rejection_kind=row["rejection_kind"],
        )


@dataclass(frozen=True)
class Review:
    id: int
    question_id: int
    reviewer: str
    origin: str
    action: str
    status_after: str
    answer_index: int | None
    reason: str | None
    comment: str | None
    changes: dict[str, list[Any]]
    undoes_review_id: int | None
    created_at: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Review:
        return cls(
            id=row["id"], question_id=row["question_id"], reviewer=row["reviewer"],
            origin=row["origin"], action=row["action"], status_after=row["status_after"],
            answer_index=row["answer_index"], reason=row["reason"], comment=row["comment"],
            changes=_json(row["changes"], {}), undoes_review_id=row["undoes_review_id"],
            created_at=row["created_at"],
        )


@dataclass(frozen=True)
class Score:
    metric: str
    value: float
    stderr: float | None


@dataclass(frozen=True)
class SampleResult:
    """One question's outcome in one run. ``correct`` is 0/1 for accuracy-like metrics;
    ``cluster`` names the source passage (or document) for clustered error bars."""

    sample_index: int
    correct: float
    gold_index: int | None = None
    prediction_index: int | None = None
    question_id: int | None = None
    cluster: str | None = None
    logprobs: list[float] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    # The model's written reply (generative formulation); None for log-likelihood ones.
    reply: str | None = None

    @property
    def unparsed(self) -> bool:
        """A written reply from which no answer could be read (scored wrong)."""
        return self.reply is not None and self.prediction_index is None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> SampleResult:
        return cls(
            sample_index=row["sample_index"], correct=row["correct"],
            gold_index=row["gold_index"], prediction_index=row["prediction_index"],
            question_id=row["question_id"], cluster=row["cluster"],
            logprobs=_json(row["logprobs"], []), metrics=_json(row["metrics"], {}),
            reply=row["reply"],
        )


@dataclass(frozen=True)
class EvalRun:
    """One model on one task (a project snapshot in one formulation, or a built-in task)."""

    id: int
    project_id: int
    job_id: int | None
    model_id: int | None
    model_name: str
    snapshot_id: str | None
    task: str
    settings: dict[str, Any]
    config_hash: str
    state: str
    error: str | None
    repro: dict[str, Any]
    created_at: str
    finished_at: str | None
    scores: dict[str, Score] = field(default_factory=dict)
    phase: str | None = None
    """While its job runs: waiting, loading, scoring or done (None for older runs)."""
    scored: int = 0
    samples: int | None = None
    """Requests scored so far out of ``samples`` (None until the job knows the total)."""

    @property
    def progress(self) -> str:
        """What a person reads about a run: 'scoring 40/120', 'waiting', 'done', 'failed'."""
        if self.state != "running":
            return self.state
        if self.phase == "scoring" and self.samples:
            return f"scoring {self.scored}/{self.samples}"
        return self.phase or "running"

    @classmethod
    def from_row(cls, row: sqlite3.Row, scores: dict[str, Score] | None = None) -> EvalRun:
        return cls(
            id=row["id"], project_id=row["project_id"], job_id=row["job_id"],
            model_id=row["model_id"], model_name=row["model_name"],
            snapshot_id=row["snapshot_id"], task=row["task"],
            settings=_json(row["settings"], {}), config_hash=row["config_hash"],
            state=row["state"], error=row["error"], repro=_json(row["repro"], {}),
            created_at=row["created_at"], finished_at=row["finished_at"],
            scores=scores or {}, phase=row["phase"], scored=row["scored"],
            samples=row["samples"],
        )
