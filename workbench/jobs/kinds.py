"""Which function runs each kind of job: name -> "module:function(ctx)".

The functions live in modules the TUI never imports; they are imported in the job process
(the kind is what the store records, so the table is data the job process reads again).
"""

from __future__ import annotations

from workbench.settings import Settings

JOB_KINDS: dict[str, str] = {
    "generate": "workbench.generation.job:run_generation_job",
    "eval": "workbench.evaluation.job:run_eval_job",
    "argilla_push": "workbench.argilla_sync.job:run_push_job",
    "argilla_pull": "workbench.argilla_sync.job:run_pull_job",
    "convert_model": "workbench.bundled_model:run_convert_job",
    "model_checks": "workbench.quality.job:run_model_checks_job",
}

# "name=module:function,..." adds kinds that do not ship: the job machinery's own tests
# add a trivial 'sleep' kind (tests/jobs/sleep_job.py) this way.
EXTRA_KINDS_VARIABLE = "WORKBENCH_JOB_KINDS"


def job_kinds(settings: Settings) -> dict[str, str]:
    """The shipped kinds plus those named in ``WORKBENCH_JOB_KINDS``."""
    kinds = dict(JOB_KINDS)
    for item in settings.environ.get(EXTRA_KINDS_VARIABLE, "").split(","):
        name, sep, target = item.strip().partition("=")
        if sep and name and ":" in target:
            kinds[name] = target
    return kinds
