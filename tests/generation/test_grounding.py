"""The grounding gate (issue 16 part 1): hand-made good and bad questions, the shipped demo
set, the prompt versions, the stored quote and the job summary's rejection counts."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from store import QuestionFilter, Store
from store.records import NewQuestion, Project
from workbench.demo import corpus_dir, create_demo_project, demo_questions
from workbench.docs import import_paths
from workbench.errors import InvalidInput
from workbench.generation.grounding import (
    QUOTE_MIN_SCORE,
    content_words,
    quote_match,
    quote_span,
)
from workbench.generation.launch import GenerationRequest, prepare_generation
from workbench.generation.prompts import DEFAULT_PROMPT_VERSION, load_prompt
from workbench.generation.validation import REJECTION_KINDS, Rejected, check_output
from workbench.review import provenance_line, question_dict, supporting_span
from workbench.settings import Settings

# Two paragraphs of the demo's bonds.md, as one passage.
PASSAGE = (
    "The interest payment is called the coupon. A bond with a face value of 1,000 dollars and "
    "a coupon rate of 5 percent pays 50 dollars of interest each year. Many bonds pay the "
    "coupon in two equal semi-annual instalments, so this bond would pay 25 dollars every six "
    "months.\n\nA zero-coupon bond pays no interest at all. It is sold at a discount to its face "
    "value, and the investor's return is the difference between the purchase price and the "
    "face value received at maturity."
)
GOOD = {
    "quote": "A zero-coupon bond pays no interest at all.",
    "question": "How much interest does a zero-coupon bond pay?",
    "correct_answer": "None at all",
    "distractors": ["5 percent a year", "25 dollars every six months", "50 dollars a year"],
    "explanation": "It is sold at a discount instead.",
}


def output(**changes: object) -> str:
    return json.dumps({**GOOD, **changes})


def rejection(raw: str, passage: str = PASSAGE) -> Rejected:
    with pytest.raises(Rejected) as caught:
        check_output(raw, passage)
    return caught.value


# -- the nonsense from the issue is rejected -------------------------------------------------

@pytest.mark.parametrize("quote", [None, "", "A zero-coupon bond pays no interest at all."])
def test_the_answer_is_2_is_rejected(quote: str | None) -> None:
    # What the bundled model wrote (issue 16): question "The answer is: 2", options
    # "3 / 1 / The answer is 2 / 2". Without a quote the gate says so; with a real quote
    # beside it, nothing in the question or its answer is about the passage.
    raw = json.dumps({"quote": quote, "question": "The answer is: 2", "correct_answer": "2",
                      "distractors": ["3", "1", "The answer is 2"], "explanation": ""})
    caught = rejection(raw)
    if quote:
        assert caught.kind == "no-shared-words"
        assert caught.reason == "the question and its answer share no content word with the passage"
    else:
        assert caught.kind == "no-quote"
        assert caught.reason == "no supporting quote from the passage"


def test_are_you_sure_the_answer_is_available_is_rejected() -> None:
    # The other nonsense from the issue, with a quote the model made up, then with a real one.
    made_up = output(question="Are you sure the answer is available?", correct_answer="Yes",
                     distractors=["No", "Maybe", "Later"],
                     quote="The answer is available in the passage.")
    assert rejection(made_up).kind == "quote-not-in-passage"
    real_quote = output(question="Are you sure the answer is available?", correct_answer="Yes",
                        distractors=["No", "Maybe", "Later"])
    assert rejection(real_quote).kind == "no-shared-words"


# -- each check, with a good and a bad case ----------------------------------------------------

def test_a_grounded_question_passes_and_keeps_its_quote() -> None:
    draft = check_output(output(), PASSAGE)
    assert draft.quote == GOOD["quote"]
    assert draft.correct_answer == "None at all"


@pytest.mark.parametrize(("quote", "kind", "reason"), [
    (None, "no-quote", "no supporting quote from the passage"),
    ("   ", "no-quote", "no supporting quote from the passage"),
    ("no interest", "no-quote", "shorter than 3 words"),
    ("A zero-coupon bond pays a small monthly coupon.", "quote-not-in-passage",
     "the quote does not occur in the passage"),
    ("The issuer repays the face value at maturity.", "quote-not-in-passage",
     "the quote does not occur in the passage"),
])
def test_missing_short_or_made_up_quotes_are_rejected(
    quote: str | None, kind: str, reason: str
) -> None:
    caught = rejection(output(quote=quote))
    assert caught.kind == kind
    assert reason in caught.reason


def test_a_quote_longer_than_its_passage_cannot_occur_in_it() -> None:
    short = "A zero-coupon bond pays no interest at all."
    assert quote_match(short, short + " Bonds are loans.") == (0.0, None)
    caught = rejection(output(quote=short + " Bonds are loans."), short)
    assert caught.kind == "quote-not-in-passage" and "best match 0%" in caught.reason


def test_a_quote_with_small_slips_still_counts() -> None:
    # Case, punctuation, line breaks and one changed letter are slips, not inventions.
    for quote in ("a zero coupon bond pays NO interest at all",
                  "A zero-coupon bond pays no interest at al",
                  "A zero-coupon bond pays no intrest at all."):
        assert check_output(output(quote=quote), PASSAGE).quote == quote


def test_the_fuzzy_score_is_rapidfuzz_partial_ratio_on_normalized_words() -> None:
    # Indel similarity: 100 * (1 - distance / (len(a) + len(b))); a changed letter costs 2.
    # "a zero coupon bond pays no interest at all" has 42 characters.
    exact, span = quote_match(PASSAGE, "A zero-coupon bond pays no interest at all")
    assert exact == 100.0 and span is not None
    assert PASSAGE[span[0]:span[1]] == "A zero-coupon bond pays no interest at all"
    one_letter, _ = quote_match(PASSAGE, "a zero coupon bond pays no interest xt all")
    assert one_letter == pytest.approx(100 * (1 - 2 / 84))
    # four letters changed in 42: 100 * (1 - 8 / 84) = 90.5, still a slip; six: 85.7, not.
    four, _ = quote_match(PASSAGE, "a zerx coupon bxnd pays no intexest at xll")
    six, _ = quote_match(PASSAGE, "a zerx cxupon bxnd pxys no intexest at xll")
    assert four == pytest.approx(100 * (1 - 8 / 84)) and four >= QUOTE_MIN_SCORE
    assert six == pytest.approx(100 * (1 - 12 / 84)) and six < QUOTE_MIN_SCORE
    assert rejection(output(quote="a zerx cxupon bxnd pxys no intexest at xll")).kind == (
        "quote-not-in-passage")


def test_the_quote_must_be_about_the_question() -> None:
    # A true quote beside a question it does not support: no word in common.
    unrelated = output(quote="Many bonds pay the coupon in two equal semi-annual instalments",
                       question="What does the investor receive at maturity?",
                       correct_answer="The face value",
                       distractors=["The coupon", "A discount", "Nothing"])
    caught = rejection(unrelated)
    assert caught.kind == "no-shared-words" and "the quote shares no content word" in caught.reason
    # the same question with the quote that supports it passes
    grounded = json.loads(unrelated)
    grounded["quote"] = "the face value received at maturity"
    assert check_output(json.dumps(grounded), PASSAGE).correct_answer == "The face value"


def test_content_words_leave_out_stopwords_and_words_about_the_exam() -> None:
    assert content_words("The answer is: 2") == {"2"}
    assert content_words("Are you sure the answer is available?") == {"sure", "available"}
    assert content_words("At what log size, 1000 pages?") == {"log", "size", "1000", "pages"}


def test_rejections_have_a_known_kind() -> None:
    raws = ["", "no json here", '{"question": "Which', output(question=None),
            output(distractors=["None at all", "x y", "z w"]), output(quote=None)]
    kinds = [rejection(r).kind for r in raws]
    assert kinds == ["empty", "not-json", "truncated", "missing-field", "duplicate-options",
                     "no-quote"]
    assert set(kinds) <= set(REJECTION_KINDS)


# -- the hand-written demo set passes ------------------------------------------------------------

def test_every_hand_written_demo_question_passes_the_whole_validation(
    store: Store, settings: Settings, project: Project
) -> None:
    # The demo set as a model would have written it: its quote is the 'passage' field, the
    # passage is the chunk it was written from (default chunking, as the demo project uses).
    import_paths(store, project.id, [corpus_dir()], settings)
    chunks = {Path(d.path).name: store.document_chunks(d.id)
              for d in store.list_documents(project.id)}
    rows = demo_questions()
    assert len(rows) == 24
    for row in rows:
        options = [str(o) for o in row["options"]]  # type: ignore[attr-defined]
        answer = options.pop(int(row["answer"]))  # type: ignore[call-overload]
        quote = str(row["passage"])
        (chunk, *_) = [c for c in chunks[str(row["document"])] if quote in c.text]
        raw = json.dumps({"quote": quote, "question": row["question"], "correct_answer": answer,
                          "distractors": options, "explanation": row.get("explanation", "")})
        draft = check_output(raw, chunk.text)
        assert draft.quote == quote


def test_demo_questions_store_their_quote_and_review_marks_it(
    store: Store, settings: Settings
) -> None:
    project = create_demo_project(store, settings)
    questions = store.list_questions(project.id)
    assert len(questions) == 24
    for q in questions:
        assert q.quote and q.chunk_id is not None
        passage = store.chunk(q.chunk_id).text
        span = supporting_span(passage, q)
        assert span is not None and passage[span[0]:span[1]] == q.quote
        assert question_dict(q)["grounding"] == {"status": "grounded", "quote": q.quote}


# -- stored quotes, imported questions, old rows ------------------------------------------------

def test_the_mark_is_the_quote_as_written_in_the_passage(store: Store, project: Project) -> None:
    passage = "Bond prices move in the opposite direction to interest rates. Rates rise."
    q = store.question(store.add_questions([NewQuestion(
        project_id=project.id, question="Which way do bond prices move when rates rise?",
        options=["Down", "Up", "Sideways", "Nowhere"], answer_index=0,
        quote="bond prices move in the opposite direction")])[0])
    assert q.quote == "bond prices move in the opposite direction"
    span = supporting_span(passage, q)
    assert span is not None and passage[span[0]:span[1]] == (
        "Bond prices move in the opposite direction")
    assert quote_span(passage, "prices rise when rates rise sharply") is None


def test_imported_questions_are_shown_as_not_grounded(store: Store, project: Project) -> None:
    imported, old = store.add_questions([
        NewQuestion(project_id=project.id, question="What is 2 + 2?",
                    options=["3", "4", "5"], answer_index=1, source="import"),
        NewQuestion(project_id=project.id, question="Which organelle makes ATP?",
                    options=["Mitochondrion", "Nucleus", "Ribosome", "Golgi"], answer_index=0,
                    prompt_version="mcq_v1"),
    ])
    data = question_dict(store.question(imported))
    assert data["grounding"] == {"status": "not grounded: imported", "quote": None}
    assert provenance_line(store.question(imported), None).endswith("not grounded: imported")
    assert question_dict(store.question(old))["grounding"]["status"].startswith("not checked")


def test_the_questions_cli_says_an_imported_bank_is_not_grounded(
    store: Store, cli, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    # A real exam bank through 'questions import', then 'questions list --json' and the
    # text listing, as a script would read them.
    store.create_project("bank")
    bank = tmp_path / "bank.csv"
    bank.write_text("What is the capital of France?,Paris,Madrid,Rome,Berlin,A\n"
                    "How many sides does a hexagon have?,Five,Six,Seven,Eight,B\n")
    out = cli("questions", "import", "--project", "bank", str(bank))
    assert out.returncode == 0, out.stderr
    listed = json.loads(cli("questions", "list", "--project", "bank", "--json").stdout)
    assert len(listed) == 2
    assert [q["grounding"] for q in listed] == [
        {"status": "not grounded: imported", "quote": None}] * 2
    text = cli("questions", "list", "--project", "bank").stdout
    assert text.count("not grounded: imported") == 2


# -- prompts -----------------------------------------------------------------------------------

def test_mcq_v2_asks_for_a_quote_and_mcq_v1_stays_readable(
    store: Store, settings: Settings, project: Project
) -> None:
    assert DEFAULT_PROMPT_VERSION == "mcq_v2"
    v2 = load_prompt("mcq_v2")
    assert v2.asks_for_quote and '"quote"' in v2.messages(PASSAGE, "en", 1, 1)[1]["content"]
    v1 = load_prompt("mcq_v1")  # questions it wrote still name a prompt that loads
    assert not v1.asks_for_quote
    import_paths(store, project.id, [corpus_dir()], settings)
    with pytest.raises(InvalidInput) as caught:
        prepare_generation(store, settings, GenerationRequest(project.name,
                                                              prompt_version="mcq_v1"))
    assert "asks for no supporting quote" in caught.value.title
    assert "mcq_v2" in (caught.value.hint or "")
    assert store.list_jobs() == []


# -- rejection kinds counted per job ------------------------------------------------------------

def test_rejection_kinds_are_counted_per_job(store: Store, project: Project) -> None:
    job = store.create_job("generate", {}, project.id)
    other = store.create_job("generate", {}, project.id)
    kinds = ["no-quote", "quote-not-in-passage", "no-quote", "not-json", None]
    rows = [NewQuestion(project_id=project.id, question="", options=[], answer_index=None,
                        status="rejected", job_id=job.id, item_key=f"k{i}", rejection_kind=k)
            for i, k in enumerate(kinds)]
    rows.append(NewQuestion(project_id=project.id, question="Kept question here?",
                            options=["a", "b", "c", "d"], answer_index=0, job_id=job.id,
                            item_key="ok", quote="some quote here"))
    rows.append(NewQuestion(project_id=project.id, question="", options=[], answer_index=None,
                            status="rejected", job_id=other.id, item_key="x",
                            rejection_kind="no-quote"))
    store.add_questions(rows)
    assert store.job_rejection_kinds(job.id) == {
        "no-quote": 2, "not-json": 1, "quote-not-in-passage": 1, "unknown": 1}
    assert store.job_rejection_kinds(other.id) == {"no-quote": 1}


@pytest.mark.slow
def test_a_real_generation_job_counts_its_rejections_by_kind(
    store: Store, corpus_project: Project, cli  # type: ignore[no-untyped-def]
) -> None:
    # The bundled model through 'generate --wait', in a real job process: its last progress
    # line and the Jobs screen's line say how many outputs each check rejected.
    out = cli("generate", "--project", corpus_project.name, "--per-chunk", "2",
              "--limit-chunks", "2", "--seed", "3", "--max-new-tokens", "200",
              "--max-attempts", "1", "--wait")
    assert out.returncode == 0, out.stderr
    job_id = int(out.stdout.splitlines()[0])
    job = store.job(job_id)
    assert job.state == "done", (job.error, job.hint)
    questions = [q for q in store.list_questions(corpus_project.id,
                                                 QuestionFilter(include_rejected=True))
                 if q.job_id == job.id]
    assert len(questions) == 4 and {q.prompt_version for q in questions} == {"mcq_v2"}
    rejected = [q for q in questions if q.status == "rejected"]
    by_kind = Counter(q.rejection_kind for q in rejected)
    assert job.result["rejections"] == dict(by_kind)
    assert sum(job.result["rejections"].values()) == job.result["rejected"] == len(rejected)
    last = out.stdout.strip().splitlines()[-1]
    assert last.startswith(f"job {job.id} done ")
    assert f"{4 - len(rejected)} questions, {len(rejected)} rejected" in last
    for kind, n in by_kind.items():
        assert f"{kind} {n}" in last and f"{kind} {n}" in (job.message or "")
    for q in rejected:
        assert q.rejection_kind in REJECTION_KINDS and q.quote is None
    for q in questions:
        if q.status != "rejected":  # whatever passed, passed the gate: its quote is there
            assert q.chunk_id is not None and q.quote
            assert quote_span(store.chunk(q.chunk_id).text, q.quote) is not None
