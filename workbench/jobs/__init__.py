"""Background jobs: detached processes recorded in the store.

``launch.start_job`` spawns ``python -m workbench.jobs.runner`` in its own session, so the
job survives the terminal, the SSH connection and the TUI. The runner looks up the job's
kind in ``kinds.JOB_KINDS`` and calls it with a ``JobContext``.
"""
