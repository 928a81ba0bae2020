"""Which function runs each kind of job: name -> "module:function(ctx)".

The functions live in modules the TUI never imports; they are imported in the job process.
"""

JOB_KINDS: dict[str, str] = {
    "generate": "workbench.generation.job:run_generation_job",
    "eval": "workbench.evaluation.job:run_eval_job",
    "argilla_push": "workbench.argilla_sync.job:run_push_job",
    "argilla_pull": "workbench.argilla_sync.job:run_pull_job",
    "convert_model": "workbench.bundled_model:run_convert_job",
    "sleep": "workbench.jobs.builtin:run_sleep_job",
}
