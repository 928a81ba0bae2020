-- Model checks (issue 16 part 2): a judge model's verdict on each question, per check.
-- check_kind: open-book (the judge answers with the passage; flags key-disputed when its
-- choice differs from the key) | options-only (the judge sees the options alone over seeded,
-- balanced shuffles; flags guessable when it picks the key well above chance).
-- choice_index: the judge's pick (option index of the question as checked);
-- key_hits / trials: shuffles in which the judge's top letter was the key;
-- key_probability: the judge's probability on the key, averaged over the shuffles;
-- p_value: one-sided binomial test of key_hits against chance (1 / number of options);
-- details: per-option mean probabilities and the per-shuffle picks (JSON).
CREATE TABLE model_check_results (
    id INTEGER PRIMARY KEY,
    question_id INTEGER NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    job_id INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
    check_kind TEXT NOT NULL,
    judge TEXT NOT NULL,
    judge_revision TEXT,
    prompt_version TEXT NOT NULL,
    seed INTEGER NOT NULL,
    key_index INTEGER NOT NULL,
    choice_index INTEGER NOT NULL,
    key_hits INTEGER NOT NULL,
    trials INTEGER NOT NULL,
    key_probability REAL NOT NULL,
    p_value REAL,
    flagged INTEGER NOT NULL,
    details TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);
CREATE INDEX model_check_results_question ON model_check_results(question_id, check_kind, id);
CREATE INDEX model_check_results_project ON model_check_results(project_id, id);
