"""Two-way sync between a project's questions and an Argilla dataset.

``probe`` checks a server with plain HTTP (safe to import anywhere, the TUI included);
``client``, ``push``, ``pull`` and ``job`` import the Argilla SDK inside their functions and
run in job processes or the CLI, never in the TUI process.
"""
