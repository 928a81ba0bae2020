"""`workbench questions ...`: list, review, export (and import, from workbench.cli.question_bank)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from store import QuestionFilter
from store.records import QUESTION_STATUSES, Question
from workbench.cli.context import CliContext, command_errors, echo_json, pass_cli
from workbench.cli.question_bank import import_questions
from workbench.errors import InvalidInput
from workbench.review import (
    LETTERS,
    Accept,
    Answer,
    Decision,
    Discard,
    decide,
    parse_answer,
    provenance_line,
    question_dict,
)

STATUS_CHOICES = [*QUESTION_STATUSES, "all"]


@click.group()
def questions() -> None:
    """List, review, export and import questions."""


questions.add_command(import_questions)  # the question-bank importer (workbench.cli.question_bank)


def status_filter(status: str | None) -> QuestionFilter:
    """No --status: everything but rejected output; 'all': rejected too."""
    if status is None:
        return QuestionFilter()
    if status == "all":
        return QuestionFilter(include_rejected=True)
    return QuestionFilter(status=status)


_STATUS_OPTION = click.option(
    "--status", type=click.Choice(STATUS_CHOICES), default=None,
    help="Only questions in this status. Default: all but rejected; 'all' includes rejected.",
)


def _titles(obj: CliContext, project_id: int) -> dict[int, str]:
    return {d.id: d.title for d in obj.store.list_documents(project_id)}


def _title_of(titles: dict[int, str], q: Question) -> str | None:
    return None if q.document_id is None else titles.get(q.document_id)


def _checks_by_question(obj: CliContext, project_id: int) -> dict[int, list[Any]]:
    """The judge models' latest verdicts (``workbench checks run``) by question."""
    out: dict[int, list[Any]] = {}
    for result in obj.store.model_check_results(project_id):
        out.setdefault(result.question_id, []).append(result)
    return out


@questions.command("list")
@click.option("--project", "project_name", required=True, help="Project name.")
@_STATUS_OPTION
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_cli
@command_errors
def list_(obj: CliContext, project_name: str, status: str | None, limit: int | None,
          as_json: bool) -> None:
    """List a project's questions with options, answer, status and provenance."""
    project = obj.store.project(project_name)
    found = obj.store.list_questions(project.id, status_filter(status), limit=limit)
    titles = _titles(obj, project.id)
    if as_json:
        checks = _checks_by_question(obj, project.id)
        echo_json([question_dict(q, _title_of(titles, q), checks=checks.get(q.id, []))
                   for q in found])
        return
    if not found:
        click.echo(f"No questions{f' with status {status}' if status else ''} in '{project.name}'.")
        return
    for q in found:
        click.echo(_text_block(q, _title_of(titles, q)))
    click.echo(f"{len(found)} question{'s' if len(found) != 1 else ''}.")


def _text_block(q: Question, title: str | None) -> str:
    lines = [f"#{q.id} [{q.status}] {q.question}"]
    for i, option in enumerate(q.options):
        mark = "*" if i == q.answer_index else " "
        lines.append(f"  {mark} {LETTERS[i]}) {option}")
    if q.explanation:
        lines.append(f"    explanation: {q.explanation}")
    if q.flags:
        lines.append(f"    flags: {', '.join(q.flags)}")
    lines.append(f"    from: {provenance_line(q, title)}")
    return "\n".join(lines) + "\n"


@questions.command("review")
@click.argument("question_id", type=int)
@click.option("--accept", is_flag=True, help="Approve the question as it is.")
@click.option("--answer", "letter", default=None, help="Set the correct option (A-D or 1-4) and approve.")
@click.option("--discard", "reason", default=None, help="Discard the question for this reason.")
@click.option("--comment", default="", help="A note stored with a discard.")
@pass_cli
@command_errors
def review(obj: CliContext, question_id: int, accept: bool, letter: str | None,
           reason: str | None, comment: str) -> None:
    """Record one review decision on question QUESTION_ID (as the local user)."""
    chosen = [name for name, given in
              (("--accept", accept), ("--answer", letter is not None), ("--discard", reason is not None))
              if given]
    if len(chosen) != 1:
        raise InvalidInput(
            "Give exactly one of --accept, --answer LETTER, --discard REASON"
            + (f" (got {', '.join(chosen)})." if chosen else "."),
            "e.g. 'workbench questions review 12 --answer B'.",
        )
    current = obj.store.question(question_id)
    decision: Decision
    if accept:
        decision = Accept()
    elif letter is not None:
        decision = Answer(parse_answer(letter, len(current.options)))
    else:
        decision = Discard(reason or "", comment)
    decide(obj.store, question_id, decision, obj.settings.reviewer, origin="cli")
    after = obj.store.question(question_id)
    answer = f", answer {after.answer_letter}" if after.answer_letter else ""
    click.echo(f"Question {after.id}: {after.status}{answer}.")


@questions.command("export")
@click.option("--project", "project_name", required=True, help="Project name.")
@click.option("--to", "target", required=True, type=click.Path(dir_okay=False),
              help="The JSONL file to write (replaced if it exists).")
@_STATUS_OPTION
@pass_cli
@command_errors
def export(obj: CliContext, project_name: str, target: str, status: str | None) -> None:
    """Write questions as JSONL: one a line, with options, answer and review history."""
    project = obj.store.project(project_name)
    path = Path(target).expanduser()
    if not path.parent.is_dir():
        raise InvalidInput(f"The folder {path.parent} does not exist.", "Create it first.")
    found = obj.store.list_questions(project.id, status_filter(status))
    history = obj.store.reviews_for_project(project.id)
    titles = _titles(obj, project.id)
    checks = _checks_by_question(obj, project.id)
    count = _write_jsonl(path, (
        question_dict(q, _title_of(titles, q), history.get(q.id, []), checks.get(q.id, []))
        for q in found
    ))
    click.echo(f"Wrote {count} question{'s' if count != 1 else ''} to {path}.")


def _write_jsonl(path: Path, rows: Any) -> int:
    """Write to a temporary file beside ``path`` and rename it, so a crash leaves no half file."""
    tmp = path.with_name(f".{path.name}.tmp")
    count = 0
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    os.replace(tmp, path)
    return count
