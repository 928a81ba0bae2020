"""A job's log holds our lines and real errors; library chatter goes to job-N.debug.log."""

from __future__ import annotations

from pathlib import Path

import pytest

from store import Store
from store.records import Project
from workbench.jobs.launch import start_job
from workbench.jobs.log_filter import LineSorter, debug_log_path
from workbench.jobs.supervise import tail_log, wait_for_job
from workbench.settings import Settings


def test_a_real_job_log_keeps_our_lines_and_errors(
    settings: Settings, store: Store, project: Project
) -> None:
    job = start_job(store, settings, "noisy", {}, project.id)
    done = wait_for_job(store, settings, job.id, poll_seconds=0.1)
    assert done.state == "failed" and "a bug in the job" in (done.error or "")
    assert job.log_path is not None
    log = Path(job.log_path).read_text(encoding="utf-8")
    debug_path = Path(job.log_path).with_name(f"job-{job.id}.debug.log")
    debug = debug_path.read_text(encoding="utf-8")

    for ours in ("(noisy) started", "our first line", "our second line",
                 "the library failed: disk full",
                 "Traceback (most recent call last):", 'in run_noisy_job',
                 'raise RuntimeError("a bug in the job")', "RuntimeError: a bug in the job"):
        assert ours in log, ours
    assert log.count(f"library warnings and progress bars: {debug_path.name}") == 1
    for chatter in ("UnsupportedFieldAttributeWarning", "[nltk_data]", "Converting tensors",
                    "warnings.warn("):
        assert chatter not in log, chatter
        assert chatter in debug, chatter
    assert "100%|" in debug  # the bar's last redraw, one line per redraw
    assert "our first line" not in debug
    # `workbench jobs logs --debug` reads the same file.
    assert any(line.startswith("[nltk_data]") for line in tail_log(done, 400, debug=True))


# Lines of a real evaluation job's log (lighteval, transformers, datasets, nltk offline).
REAL_LINES = [
    ("job 1 waits for its device slots", True),
    ("[12:13:37] job 1 (eval) started, pid 3644, attempt 1", True),
    ("You are using the default legacy behaviour of the <class 'transformers.models.llama."
     "tokenization_llama_fast.LlamaTokenizerFast'>. This is expected", False),
    ("Converting and de-quantizing GGUF tensors...:   0%|          | 1/272 "
     "[00:02<12:22,  2.74s/it]", False),
    ("[nltk_data] Error loading punkt: <urlopen error [Errno -2] Name or", False),
    ("[nltk_data]     service not known>", False),
    ("Generating test split: 28 examples [00:00, 8738.78 examples/s]", False),
    ("`torch_dtype` is deprecated! Use `dtype` instead!", False),
    ("torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB", True),
    ("ERROR:lighteval.main: the task file could not be read", True),
]


@pytest.mark.parametrize(("line", "kept"), REAL_LINES)
def test_line_sorter_on_real_lines(line: str, kept: bool) -> None:
    assert LineSorter().keep(line) is kept


def test_a_traceback_stays_whole() -> None:
    sorter = LineSorter()
    lines = ["Traceback (most recent call last):", '  File "job.py", line 3, in run',
             "    model.load()", "ValueError: no such model", "Generating test split: 3"]
    assert [sorter.keep(line) for line in lines] == [True, True, True, True, False]


def test_debug_log_sits_beside_the_job_log() -> None:
    assert debug_log_path("/data/jobs/job-12.log") == Path("/data/jobs/job-12.debug.log")
