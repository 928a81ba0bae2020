"""Evaluation runs with lighteval.

``plan`` (light: the TUI and the CLI use it) validates a request and starts the 'eval' job;
``job`` runs in the job process and is the only place lighteval, torch and transformers are
imported. ``lighteval_cli`` is the plain lighteval CLI made to work offline.
"""
