"""Results: statistics, the leaderboard and model comparison.

``stats`` holds the formulas (error bars, paired tests, power); ``leaderboard`` builds the
table of scores with error bars; ``compare`` puts two models side by side, question by
question. All three are light (no heavy imports) so the TUI can use them.
"""
