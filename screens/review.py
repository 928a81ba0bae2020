"""The Review screen: one question at a time, one key per decision, auto-advance.

Thin by design: the rules live in ``workbench.review``, the reads in
``store.review_queries``; this screen turns keys into decisions and shows the result.
"""

from __future__ import annotations

import dataclasses

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import Header, Static

from screens.base import WorkbenchScreen
from screens.modals.review_discard import DiscardModal
from screens.modals.review_filter import FilterModal
from screens.widgets.review_card import STATUS_STYLES, QuestionCard
from screens.widgets.review_editor import QuestionEditor
from screens.widgets.review_footer import TwoRowFooter
from screens.widgets.review_passage import PassageView
from store import QuestionFilter
from store.records import Chunk, Project, Question
from workbench.errors import NotFound, WorkbenchError
from workbench.review import (
    LETTERS,
    Accept,
    Answer,
    Decision,
    Discard,
    Edit,
    ReviewTally,
    annotator_answers,
    decide,
    landing_question_id,
    next_question_id,
    provenance_line,
    supporting_span,
    undo_last,
    work_filter,
)

HELP = """\
**Review** the project's questions one at a time. Each decision is stored at once as a
review (who, when, what changed and the previous values), the question's status follows its
latest review, and the screen moves on to the next pending question by itself.

- `Enter` accepts the question as shown (the ✓ option is the correct answer).
- `1`-`4` or `a`-`d` mark that option correct and accept (`5`-`9`, `0` for imported
  questions with more options).
- `x` discards: pick a reason with its number (or arrows + Enter), optionally add a note.
- `e` edits the question, options and explanation in place: `Tab` moves between fields,
  `Enter` or `ctrl+s` saves, `Escape` cancels. An invalid edit (an empty or repeated
  option) is refused with a message and nothing is saved.
- `u` (or `Backspace`, `ctrl+z`) undoes your latest decision; press again to go further back,
  even after a restart.
- `Space` skips to the next pending question; `→`/`n` and `←`/`p` step through every question
  in the view; `g` jumps to the first pending question.
- `/` searches the text of questions, options and explanations; `f` filters by status,
  document, model or flag (`near-duplicate`, `disagreement`, ...).
- `j` opens the adjudication queue (press again to leave it): questions on which Argilla
  annotators disagree and nobody has decided here since. Each annotator's answer is shown
  side by side under the question; your decision is a review like any other and takes the
  question out of the queue.

The source passage is shown below the question with the question's supporting quote (or,
for questions without one, the sentence that best matches the question and its answer)
highlighted and scrolled into view; long passages scroll with
`↓`/`↑`, `PgDn`/`PgUp` or the mouse wheel, and the passage's title says which lines are
shown. A question too long for its card ends in a "▼ more lines" mark and scrolls with
`shift+↓`/`shift+↑`. Opening the screen resumes at the first pending question.
"""

ANSWER_KEYS = "1234567890"
LETTER_KEYS = "abcd"


def _bindings() -> list[BindingType]:
    """One key per decision; the footer shows one key of each (the help lists them all)."""
    answer = [Binding("1", "answer(0)", "answer", key_display="1-4")] + [
        Binding(key, f"answer({i})", f"answer {LETTERS[i]}", show=False)
        for i, key in enumerate(ANSWER_KEYS) if i > 0
    ]
    letters = [
        Binding(key, f"answer({i})", f"answer {LETTERS[i]}", show=False)
        for i, key in enumerate(LETTER_KEYS)
    ]
    return [
        Binding("enter", "accept", "accept", key_display="⏎"),
        *answer,
        *letters,
        Binding("x", "discard", "discard"),
        Binding("e", "edit", "edit"),
        Binding("u", "undo", "undo"),
        Binding("backspace,ctrl+z", "undo", "undo", show=False),
        Binding("space", "skip", "skip", key_display="␣"),
        Binding("left", "previous", "move", key_display="←→"),
        Binding("right", "next", "next", show=False),
        Binding("p", "previous", "previous", show=False),
        Binding("n", "next", "next", show=False),
        Binding("g", "first_pending", "pending"),
        Binding("slash", "search", "search", key_display="/"),
        Binding("f", "filter", "filter"),
        Binding("j", "adjudicate", "adjudicate", show=False),
        Binding("escape", "back", "back", key_display="esc"),
        Binding("down", "scroll_passage(1)", "Scroll passage down", show=False),
        Binding("up", "scroll_passage(-1)", "Scroll passage up", show=False),
        Binding("pagedown", "scroll_passage(10)", "Page passage down", show=False),
        Binding("pageup", "scroll_passage(-10)", "Page passage up", show=False),
        Binding("shift+down", "scroll_card(1)", "Scroll question down", show=False),
        Binding("shift+up", "scroll_card(-1)", "Scroll question up", show=False),
    ]


# Actions that need a question on screen and no edit in progress.
_DECISION_ACTIONS = {"accept", "answer", "discard", "edit"}
_NAVIGATION_ACTIONS = {"skip", "previous", "next", "first_pending", "search", "filter", "undo",
                       "adjudicate"}


class ReviewScreen(WorkbenchScreen):
    CSS_PATH = "review.tcss"
    BINDINGS = _bindings()

    def __init__(self, project: Project, question_id: int | None = None) -> None:
        super().__init__()
        self.project = project
        self.start_id = question_id
        self.filt = QuestionFilter()
        self.current: Question | None = None
        self.editing = False
        self.tally = ReviewTally({}, 0)
        self._titles: dict[int, str | None] = {}
        self._own_dialog = False
        self._first_resume = True

    @property
    def view_total(self) -> int:
        """How many questions the view (the filter) holds."""
        return self.tally.view_total

    @property
    def reviewer(self) -> str:
        return str(self.settings.reviewer)

    # -- layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="review-status")
        yield QuestionCard(id="review-card")
        yield QuestionEditor(id="review-editor")
        yield PassageView("Source passage", id="review-passage")
        yield Static("", id="review-provenance")
        yield Static("", id="review-annotators", markup=False)
        yield Static("", id="review-message")
        yield TwoRowFooter(show_command_palette=False)

    def on_mount(self) -> None:
        self.sub_title = f"{self.project.name} · review"
        self.query_one(QuestionEditor).display = False
        self._reload_counts()
        target = self.start_id
        if target is not None and not self.store.question_in_project(self.project.id, target):
            self._say(f"Question {target} is not in this project.", error=True)
            target = None
        self.show_question(target if target is not None else self._landing_id())

    def on_screen_resume(self) -> None:
        if self._first_resume:
            self._first_resume = False  # the first showing: on_mount loads
            return
        if self._own_dialog:
            # Back from this screen's own dialog: its callback already did what was needed.
            self._own_dialog = False
            return
        # Another screen (a job, an Argilla pull) may have changed questions meanwhile.
        self._reload_counts()
        if self.current is not None and not self.editing:
            self.show_question(self.current.id)

    # -- showing -----------------------------------------------------------------------
    def show_question(self, question_id: int | None) -> None:
        """Load and show one question (or the empty state) with its passage."""
        question = None
        if question_id is not None:
            try:
                question = self.store.question(question_id)
            except NotFound:
                question = None
        self.current = question
        self.query_one(QuestionCard).show(question)
        self._show_passage(question)
        self._show_provenance(question)
        self._show_status()

    def _chunk(self, question: Question | None) -> Chunk | None:
        if question is None or question.chunk_id is None:
            return None
        try:
            return self.store.chunk(question.chunk_id)
        except NotFound:
            return None

    def _show_passage(self, question: Question | None) -> None:
        view = self.query_one(PassageView)
        chunk = self._chunk(question)
        if question is None or chunk is None:
            view.show(None)
            return
        view.show(chunk.text, supporting_span(chunk.text, question))

    def _show_provenance(self, question: Question | None) -> None:
        parts: list[str | tuple[str, str]] = []
        if question is not None:
            chunk = self._chunk(question)
            parts.append((provenance_line(question, self._title(question.document_id),
                                          chunk.pages if chunk else None), "dim"))
            if question.flags:
                parts.append(("  ⚑ " + ", ".join(question.flags), "bold yellow"))
            last = self.store.latest_review(question.id)
            if last is not None:
                parts.append((f"  · last: {last.action} by {last.reviewer}", "dim"))
        self.query_one("#review-provenance", Static).update(Content.assemble(*parts))
        answers = None if question is None else annotator_answers(self.store, question.id)
        annotators = self.query_one("#review-annotators", Static)
        annotators.display = answers is not None
        annotators.update(f"Annotators  {answers}" if answers else "")

    def _show_status(self) -> None:
        q = self.current
        parts: list[str | tuple[str, str]] = []
        if q is not None:
            parts += [(f"#{q.id} ", "bold"), (q.status, STATUS_STYLES.get(q.status, "")), "  "]
        tally = self.tally
        parts += [
            f"view {tally.view_total:,} · reviewed {tally.reviewed:,}/{tally.total:,}: ",
            (f"{tally.count('approved'):,} ok", STATUS_STYLES["approved"]),
            (f" {tally.count('discarded'):,} out", STATUS_STYLES["discarded"]),
        ]
        described = self._describe_filter()
        if described:
            parts.append((f" · {described}", "italic cyan"))
        # One line of fixed height: no layout pass needed.
        self.query_one("#review-status", Static).update(Content.assemble(*parts), layout=False)

    def _describe_filter(self) -> str:
        f = self.filt
        parts = [f.status or ""]
        if f.document_id is not None:
            parts.append(f"doc '{self._title(f.document_id)}'")
        if f.model_name:
            parts.append(f"model {f.model_name}")
        if f.flag:
            parts.append(f"⚑ {f.flag}")
        if f.text:
            parts.append(f"'{f.text}'")
        if f.adjudication:
            parts.append("adjudication queue")
        return " ".join(p for p in parts if p)

    def _title(self, document_id: int | None) -> str | None:
        if document_id is None:
            return None
        if document_id not in self._titles:
            self._titles[document_id] = self.store.document_title(document_id)
        return self._titles[document_id]

    def _say(self, message: str, error: bool = False) -> None:
        self.query_one("#review-message", Static).update(
            Content.styled(message, "bold red" if error else "green"), layout=False
        )

    def _reload_counts(self) -> None:
        self.tally = ReviewTally.read(self.store, self.project.id, self.filt)

    def _status_moved(self, before: str, after: str) -> None:
        """Keep the counts right after one decision without recounting 100k rows (the
        adjudication queue, small, is recounted: a decision takes a question out of it)."""
        if self.filt.adjudication:
            self._reload_counts()
        else:
            self.tally = self.tally.moved(before, after, self.filt)

    # -- where to go (the policy is workbench.review's) ------------------------------------
    def _landing_id(self) -> int | None:
        return landing_question_id(self.store, self.project.id, self.filt)

    def _advance(self) -> None:
        """Move to the next question to work on after the current one, wrapping around."""
        if self.current is None:
            self.show_question(self._landing_id())
            return
        here = self.current.id
        target = next_question_id(self.store, self.project.id, self.filt, here)
        if target is None:
            self.show_question(here)
            left = "pending " if work_filter(self.filt).status == "pending" else ""
            self._say(f"No other {left}questions in this view.")
            return
        self.show_question(target)

    # -- decisions ---------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.editing and (action in _DECISION_ACTIONS or action in _NAVIGATION_ACTIONS):
            return False
        if action in _DECISION_ACTIONS and self.current is None:
            return None
        if action == "answer" and self.current is not None:
            index = parameters[0] if parameters else 0
            return isinstance(index, int) and index < len(self.current.options)
        return True

    def _decide(self, decision: Decision) -> bool:
        """Store one decision; on success say what happened and move on."""
        question = self.current
        if question is None:
            return False
        try:
            review = decide(self.store, question.id, decision, self.reviewer)
        except WorkbenchError as exc:
            self._say(f"{exc.title} {exc.hint}".strip(), error=True)
            self.app.bell()
            return False
        if review is None:
            self._say("Nothing changed.")
            return True
        self._status_moved(question.status, review.status_after)
        letter = self.store.question(question.id).answer_letter
        done = {"accept": "accepted", "answer": f"answered {letter} and accepted",
                "discard": f"discarded ({review.reason})", "edit": "edited"}[review.action]
        self._advance()
        self._say(f"#{question.id} {done}.")
        return True

    def action_accept(self) -> None:
        self._decide(Accept())

    def action_answer(self, index: int) -> None:
        self._decide(Answer(index))

    def action_discard(self) -> None:
        question = self.current
        if question is None:
            return

        def done(choice: tuple[str, str] | None) -> None:
            if choice is not None and self.current is not None and self.current.id == question.id:
                self._decide(Discard(*choice))

        self._own_dialog = True
        self.app.push_screen(DiscardModal(question.id), done)

    async def action_edit(self) -> None:
        if self.current is None:
            return
        editor = self.query_one(QuestionEditor)
        self.editing = True
        self.query_one(QuestionCard).display = False
        editor.display = True
        await editor.load(self.current)
        self.refresh_bindings()

    def _close_editor(self) -> None:
        self.editing = False
        editor = self.query_one(QuestionEditor)
        editor.clear()
        editor.display = False
        self.query_one(QuestionCard).display = True
        self.set_focus(None)  # keys go to the screen again, not to a hidden input
        self.refresh_bindings()

    def on_question_editor_save(self, message: QuestionEditor.Save) -> None:
        message.stop()
        if self.current is None:
            self._close_editor()
            return
        try:
            review = decide(
                self.store, self.current.id,
                Edit(message.question, message.options, message.explanation), self.reviewer,
            )
        except WorkbenchError as exc:
            text = f"Not saved: {exc.title} {exc.hint}".strip()
            self.query_one(QuestionEditor).show_error(text)
            self._say(text, error=True)
            self.app.bell()
            return
        self._close_editor()
        self.show_question(self.current.id)
        self._say(f"#{self.current.id} edited." if review else "Nothing changed.")

    def on_question_editor_cancel(self, message: QuestionEditor.Cancel) -> None:
        message.stop()
        self._close_editor()
        self._say("Edit cancelled; nothing saved.")

    def action_undo(self) -> None:
        try:
            review = undo_last(self.store, self.project.id, self.reviewer)
        except WorkbenchError as exc:
            self._say(f"{exc.title} {exc.hint}".strip(), error=True)
            return
        if review is None:
            self._say("Nothing left to undo.")
            return
        status_change = review.changes.get("status")
        if status_change:
            self._status_moved(status_change[0], status_change[1])
        assert review.undoes_review_id is not None  # an undo always names what it undid
        undone = self.store.review(review.undoes_review_id).action
        self.show_question(review.question_id)
        self._say(f"Undid {undone} of #{review.question_id} (now {review.status_after}).")

    # -- moving ------------------------------------------------------------------------
    def action_skip(self) -> None:
        self._advance()

    def _step(self, forward: bool) -> None:
        if self.current is None:
            self.show_question(self._landing_id())
            return
        target = self.store.neighbour_question_id(
            self.project.id, self.filt, self.current.id, forward=forward
        )
        if target is None:
            self._say("Last question of this view." if forward else "First question of this view.")
            return
        self.show_question(target)

    def action_next(self) -> None:
        self._step(True)

    def action_previous(self) -> None:
        self._step(False)

    def action_first_pending(self) -> None:
        target = self.store.first_question_id(self.project.id, work_filter(self.filt))
        if target is None:
            self._say("No pending questions in this view.")
            return
        self.show_question(target)

    def apply_filter(self, filt: QuestionFilter) -> None:
        """Show ``filt``'s questions, starting at its first pending one."""
        self.filt = filt
        self._reload_counts()
        self.show_question(self._landing_id())
        described = self._describe_filter()
        self._say(f"{self.view_total:,} questions match {described}." if described
                  else f"All {self.view_total:,} questions.")

    def action_adjudicate(self) -> None:
        """Into the adjudication queue, or back to all questions."""
        self.apply_filter(QuestionFilter(adjudication=not self.filt.adjudication))

    def action_search(self) -> None:
        from screens.modals.confirm import InputModal

        def done(text: str | None) -> None:
            if text is not None:
                self.apply_filter(dataclasses.replace(self.filt, text=text.strip() or None))

        self._own_dialog = True
        self.app.push_screen(
            InputModal("Search questions, options and explanations (empty clears):",
                       value=self.filt.text or ""),
            done,
        )

    def action_filter(self) -> None:
        def done(filt: QuestionFilter | None) -> None:
            if filt is not None:
                self.apply_filter(filt)

        choices = self.store.question_filter_choices(self.project.id)
        self._own_dialog = True
        self.app.push_screen(FilterModal(self.filt, choices), done)

    def action_scroll_passage(self, lines: int) -> None:
        passage = self.query_one(PassageView)
        passage.scroll_relative(y=lines, animate=False)

    def action_scroll_card(self, lines: int) -> None:
        self.query_one(QuestionCard).scroll_relative(y=lines, animate=False)

    def action_back(self) -> None:
        self.app.pop_screen()
