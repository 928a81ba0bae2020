"""Versioned datasets: immutable snapshots of a project's approved questions.

A snapshot is identified by the hash of its content (same content, same id). Building one
can hold out a few-shot split, chosen by a seeded draw. A snapshot exports to a folder that
``datasets.load_dataset`` reads (JSONL per split, described by a dataset card) together with
a standalone lighteval custom task file, and can be pushed to the Hugging Face Hub.

No heavy imports at module level: the TUI calls ``build_snapshot`` and ``list``.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from store import Store
from store.records import Project, Question
from store.snapshots import Snapshot, SnapshotItem
from workbench.errors import InvalidInput, ServiceError
from workbench.evaluation.task_file import render_task_file, task_name
from workbench.hygiene import HygieneItem, HygieneReport, hygiene_report
from workbench.settings import Settings

SNAPSHOT_FORMAT = 1
ID_LENGTH = 16
TASK_FILE_NAME = "workbench_tasks.py"
_EXPORT_MARK = "snapshot.json"


@dataclass(frozen=True)
class BuildResult:
    snapshot: Snapshot
    created: bool  # False when the same content was already a snapshot


def question_cluster(chunk_id: int | None, document_id: int | None, question_id: int) -> str:
    """The unit questions are clustered by for error bars: their source passage, else their
    document, else the question itself (an imported question is its own cluster)."""
    if chunk_id is not None:
        return f"chunk:{chunk_id}"
    if document_id is not None:
        return f"document:{document_id}"
    return f"question:{question_id}"


def _payload(q: Question) -> dict[str, Any]:
    if q.answer_index is None or not 0 <= q.answer_index < len(q.options):
        raise InvalidInput(f"Question {q.id} is approved but has no valid answer.",
                           "Fix it in the Review screen, then build again.")
    return {
        "question": q.question, "options": list(q.options), "answer_index": q.answer_index,
        "question_id": q.id, "document_id": q.document_id, "chunk_id": q.chunk_id,
        "cluster": question_cluster(q.chunk_id, q.document_id, q.id),
        "source": q.source, "language": q.language,
    }


def content_id(items: list[SnapshotItem]) -> str:
    """The snapshot id: a hash over every item's split and frozen payload, in order."""
    canonical = json.dumps(
        {"format": SNAPSHOT_FORMAT, "items": [[i.split, i.payload] for i in items]},
        sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:ID_LENGTH]


def plan_items(questions: list[Question], fewshot: int, seed: int) -> list[SnapshotItem]:
    """Split approved questions into test and few-shot items (few-shot drawn with ``seed``)."""
    if fewshot < 0:
        raise InvalidInput("--fewshot must be 0 or more.")
    if fewshot >= len(questions):
        raise InvalidInput(
            f"Cannot hold out {fewshot} few-shot questions from {len(questions)} approved ones.",
            "At least one question must stay in the test split; lower --fewshot.")
    ordered = sorted(questions, key=lambda q: q.id)
    held_out = set(random.Random(seed).sample([q.id for q in ordered], fewshot))
    test = [q for q in ordered if q.id not in held_out]
    shots = [q for q in ordered if q.id in held_out]
    items = [SnapshotItem(i, "test", q.id, _payload(q)) for i, q in enumerate(test)]
    items += [SnapshotItem(len(test) + i, "fewshot", q.id, _payload(q)) for i, q in enumerate(shots)]
    return items


def build_snapshot(store: Store, project: Project, fewshot: int = 0, seed: int = 0) -> BuildResult:
    """Freeze the project's approved questions; reuse the snapshot if the content is known."""
    questions = store.snapshot_source_questions(project.id)
    if not questions:
        raise InvalidInput(
            f"Project '{project.name}' has no approved questions to freeze.",
            "Approve questions in the Review screen or import an exam bank with "
            "'workbench questions import'.")
    items = plan_items(questions, fewshot, seed)
    snapshot_id = content_id(items)
    params = {"fewshot": fewshot, "seed": seed, "format": SNAPSHOT_FORMAT,
              "source_status": "approved"}
    snapshot, created = store.add_snapshot(snapshot_id, project.id, items, params)
    return BuildResult(snapshot, created)


def snapshot_hygiene(store: Store, snapshot_id: str) -> HygieneReport:
    """The hygiene report of a snapshot's test split (workbench.hygiene): the frozen
    questions and options, with their current flags and the project's documents."""
    from workbench.results.stats import detectable_difference

    snapshot = store.snapshot(snapshot_id)
    items = store.snapshot_items(snapshot.id, "test")
    flags = {q.id: q.flags for q in store.list_questions(snapshot.project_id)}
    documents = {d.id: d.title for d in store.list_documents(snapshot.project_id)}
    return hygiene_report(
        [HygieneItem(i.question_id, str(i.payload["question"]), list(i.payload["options"]),
                     int(i.payload["answer_index"]), i.payload.get("document_id"),
                     flags.get(i.question_id or -1, []))
         for i in items],
        documents, detectable_difference(len(items)) if items else None)


# -- export --------------------------------------------------------------------------------

def dataset_rows(items: list[SnapshotItem]) -> list[dict[str, Any]]:
    """The rows of one split as written to JSONL (``answer`` is the gold option's index)."""
    rows = []
    for i, item in enumerate(items):
        p = item.payload
        rows.append({
            "id": i, "question": p["question"], "choices": p["options"],
            "answer": p["answer_index"], "answer_letter": "ABCDEFGHIJ"[p["answer_index"]],
            "question_id": p["question_id"], "cluster": p["cluster"],
            "document_id": p["document_id"], "chunk_id": p["chunk_id"],
        })
    return rows


def split_file(snapshot_id: str, split: str) -> str:
    """The data file of one split, relative to the export folder.

    The snapshot id is in the name because ``datasets`` caches a folder's data by the file
    names its card lists (not by their content): with plain ``data/test.jsonl`` two exports
    to folders of the same name would load each other's cached rows."""
    return f"data/{split}-{snapshot_id}.jsonl"


def _card(snapshot: Snapshot, project: Project, test_n: int, shots_n: int,
          hub_repo: str | None) -> str:
    files = ["  - split: test", f"    path: {split_file(snapshot.id, 'test')}"]
    if shots_n:
        files += ["  - split: fewshot", f"    path: {split_file(snapshot.id, 'fewshot')}"]
    size = "n<1K" if test_n + shots_n < 1000 else "1K<n<10K"
    where = hub_repo or "path/to/this/folder"
    mcf, cloze = task_name(snapshot.id, "mcf"), task_name(snapshot.id, "cloze")
    return "\n".join([
        "---",
        f"pretty_name: {json.dumps(project.name + ' exam (workbench snapshot ' + snapshot.id + ')')}",
        "task_categories:", "- multiple-choice", "- question-answering",
        "size_categories:", f"- {size}",
        "configs:", "- config_name: default", "  data_files:", *files,
        "---", "",
        f"# {project.name}: workbench snapshot `{snapshot.id}`", "",
        f"Multiple-choice questions frozen from the approved questions of the workbench "
        f"project **{project.name}** on {snapshot.created_at}.", "",
        "| split | questions |", "| --- | --- |", f"| test | {test_n} |",
        *([f"| fewshot | {shots_n} |"] if shots_n else []), "",
        f"The snapshot id `{snapshot.id}` is a hash of the content: the same questions, "
        "options, answers and splits always give the same id.",
        f"Build parameters: `{json.dumps(snapshot.params, sort_keys=True)}`.", "",
        "## Fields", "",
        "- `question`: the question text",
        "- `choices`: the options, in display order (2 to 10)",
        "- `answer`: index of the correct option in `choices`; `answer_letter` the same as a letter",
        "- `question_id`: the question's id in the workbench store",
        "- `cluster`: the source passage (`chunk:ID`), else document (`document:ID`), else the "
        "question itself: questions from one passage are not independent, so error bars "
        "should be clustered by this field",
        "- `document_id`, `chunk_id`: provenance (empty for imported questions)", "",
        "## Load", "", "```python", "from datasets import load_dataset",
        f"ds = load_dataset({where!r})", "```", "",
        "## Evaluate with lighteval", "",
        f"`{TASK_FILE_NAME}` defines two tasks on these questions: `{mcf}` (options shown "
        f"with letters, scored on the letter) and `{cloze}` (scored on each option's text), "
        "each with `acc` and `acc_norm` (log-likelihood per character).", "",
        "```bash",
        f"lighteval accelerate \"model_name=MODEL_DIR,batch_size=8\" \"{mcf}|0\" "
        f"--custom-tasks {TASK_FILE_NAME} --save-details",
        "```", "",
        "Instruct models: lighteval applies the tokenizer's chat template by default; add "
        "`override_chat_template=False` to the model arguments to score plain prompts, and "
        "compare only runs made the same way.", "",
    ])


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_export(store: Store, snapshot: Snapshot, folder: Path, hub_repo: str | None = None) -> None:
    """Write the dataset folder of a snapshot into the empty ``folder``."""
    project = store.project_by_id(snapshot.project_id)
    test = store.snapshot_items(snapshot.id, "test")
    shots = store.snapshot_items(snapshot.id, "fewshot")
    (folder / "data").mkdir(parents=True)
    _write_jsonl(folder / split_file(snapshot.id, "test"), dataset_rows(test))
    if shots:
        _write_jsonl(folder / split_file(snapshot.id, "fewshot"), dataset_rows(shots))
    (folder / "README.md").write_text(_card(snapshot, project, len(test), len(shots), hub_repo),
                                      encoding="utf-8")
    (folder / TASK_FILE_NAME).write_text(
        render_task_file(snapshot.id, project.name, bool(shots), TASK_FILE_NAME, hub_repo),
        encoding="utf-8")
    meta = {"snapshot_id": snapshot.id, "project": project.name, "created_at": snapshot.created_at,
            "test": len(test), "fewshot": len(shots), "params": snapshot.params,
            "task_file": TASK_FILE_NAME}
    (folder / _EXPORT_MARK).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def export_snapshot(store: Store, snapshot_id: str, to: Path | str) -> Path:
    """Export to ``to`` (created; an earlier export of the same snapshot is replaced).

    Writes into a temporary sibling folder and renames it into place, so a failure leaves
    ``to`` as it was. Refuses a folder that holds anything else.
    """
    snapshot = store.snapshot(snapshot_id)
    target = Path(to).expanduser().resolve()
    if target.exists():
        if not target.is_dir():
            raise InvalidInput(f"{target} exists and is not a folder.", "Pick another --to.")
        if any(target.iterdir()) and not _is_export_of(target, snapshot.id):
            raise InvalidInput(f"{target} is not empty.",
                               "Export into a new or empty folder (nothing was written).")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    try:
        write_export(store, snapshot, partial / "out")
        if target.exists():
            shutil.rmtree(target)
        os.replace(partial / "out", target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return target


def _is_export_of(folder: Path, snapshot_id: str) -> bool:
    try:
        meta = json.loads((folder / _EXPORT_MARK).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(meta.get("snapshot_id") == snapshot_id)


# -- push ----------------------------------------------------------------------------------

def push_snapshot(store: Store, settings: Settings, snapshot_id: str, repo_id: str,
                  private: bool = False) -> str:
    """Upload the export of a snapshot to a Hub dataset repo; returns its URL.

    Needs ``HF_TOKEN``. Checks the token with the Hub before creating anything, so offline
    or with a bad token it fails with a clear error and nothing changes, here or there.
    """
    snapshot = store.snapshot(snapshot_id)
    if "/" not in repo_id or repo_id.count("/") != 1 or " " in repo_id:
        raise InvalidInput(f"'{repo_id}' is not a Hub repo id.", "Use OWNER/NAME, e.g. me/my-exam.")
    if not settings.hf_token:
        raise ServiceError("No Hugging Face token: cannot push to the Hub.",
                           "Set HF_TOKEN to a token with write access and try again.")
    from huggingface_hub import HfApi

    api = HfApi(token=settings.hf_token)
    try:
        api.whoami()
    except Exception as exc:  # offline, refused, bad token: all end the same way
        raise ServiceError(f"Could not reach the Hugging Face Hub as HF_TOKEN's user: "
                           f"{type(exc).__name__}: {exc}".strip(),
                           "Check the network and HF_TOKEN; nothing was pushed.") from None
    with tempfile.TemporaryDirectory(prefix="workbench-push-") as tmp:
        folder = Path(tmp) / "export"
        write_export(store, snapshot, folder, hub_repo=repo_id)
        try:
            api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
            info = api.upload_folder(
                repo_id=repo_id, repo_type="dataset", folder_path=str(folder),
                commit_message=f"workbench snapshot {snapshot.id}")
        except Exception as exc:
            raise ServiceError(f"The Hub refused the upload: {type(exc).__name__}: {exc}",
                               "Check that HF_TOKEN may write to this repo.") from None
    return str(getattr(info, "commit_url", None) or f"https://huggingface.co/datasets/{repo_id}")
