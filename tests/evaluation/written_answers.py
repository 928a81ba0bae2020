"""What every generative run must hold, whatever wrote its answers: each sample's option is
the one read from its stored reply (up to the run's first stop sequence), scored against the
gold answer; a reply with no option read is unparsed and wrong; the run's unparsed count and
scores are those samples' own."""

from __future__ import annotations

import pytest

from store import Store
from store.records import EvalRun, SampleResult
from workbench.evaluation.answer_extraction import extract_choice


def checked_written_answers(store: Store, run: EvalRun) -> list[SampleResult]:
    """The run's samples, each checked against its reply; the run's figures checked too."""
    assert run.snapshot_id is not None
    items = store.snapshot_items(run.snapshot_id, "test")
    stop = run.settings["stop_sequences"]
    samples = store.sample_results(run.id)
    assert samples
    for s in samples:
        assert s.reply is not None and s.logprobs == []
        assert s.prediction_index == extract_choice(
            s.reply, items[s.sample_index].payload["options"], stop)
        assert s.correct == float(s.prediction_index == s.gold_index)
        assert s.unparsed == (s.prediction_index is None)
        assert s.metrics["unparsed"] == float(s.unparsed)
    unparsed = sum(s.unparsed for s in samples)
    assert store.unparsed_counts([run.id]) == {run.id: unparsed}
    assert run.scores["unparsed"].value == pytest.approx(unparsed / len(samples))
    assert run.scores["acc"].value == pytest.approx(sum(s.correct for s in samples)
                                                    / len(samples))
    return samples
