"""Model checks on questions: a judge model's open-book answer against the key, and whether
the options alone give the answer away. ``model_checks`` holds the prompts, shuffles and
decisions (light: the CLI and the TUI may import it); ``job`` scores them in a job process."""
