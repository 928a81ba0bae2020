-- Schema v1: every table the product needs. Later migrations only add columns or indexes.
CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    title TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    encoding TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT 'en',
    size_bytes INTEGER NOT NULL,
    text TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    UNIQUE (project_id, content_hash)
);

CREATE TABLE chunks (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    start_offset INTEGER NOT NULL,
    end_offset INTEGER NOT NULL,
    text TEXT NOT NULL,
    UNIQUE (document_id, ordinal)
);
CREATE INDEX chunks_project ON chunks(project_id);

CREATE TABLE models (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    backend TEXT NOT NULL,
    location TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    builtin INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    project_id INTEGER REFERENCES projects(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT 'queued',
    pid INTEGER,
    progress_done INTEGER NOT NULL DEFAULT 0,
    progress_total INTEGER NOT NULL DEFAULT 0,
    rate REAL,
    message TEXT NOT NULL DEFAULT '',
    log_path TEXT,
    error TEXT,
    hint TEXT,
    result TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    started_at TEXT,
    heartbeat_at TEXT,
    finished_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX jobs_state ON jobs(state);

CREATE TABLE questions (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    document_id INTEGER REFERENCES documents(id) ON DELETE SET NULL,
    chunk_id INTEGER REFERENCES chunks(id) ON DELETE SET NULL,
    question TEXT NOT NULL,
    options TEXT NOT NULL,              -- JSON list of option strings, in display order
    answer_index INTEGER,               -- index into options; NULL only for rejected output
    explanation TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'pending',  -- pending | approved | discarded | rejected
    source TEXT NOT NULL DEFAULT 'generated', -- generated | import | demo
    model_name TEXT,
    backend TEXT,
    prompt_version TEXT,
    seed INTEGER,
    job_id INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
    item_key TEXT,                      -- idempotency key inside a job (resume never duplicates)
    rejection_reason TEXT,
    raw_output TEXT,
    flags TEXT NOT NULL DEFAULT '[]',   -- JSON list: near-duplicate, disagreement, ...
    language TEXT NOT NULL DEFAULT 'en',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX questions_project_status ON questions(project_id, status, id);
CREATE INDEX questions_chunk ON questions(chunk_id);
CREATE UNIQUE INDEX questions_job_item ON questions(job_id, item_key) WHERE item_key IS NOT NULL;

CREATE TABLE reviews (
    id INTEGER PRIMARY KEY,
    question_id INTEGER NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    reviewer TEXT NOT NULL,
    origin TEXT NOT NULL DEFAULT 'tui',  -- tui | cli | argilla | import
    action TEXT NOT NULL,                -- accept | answer | discard | edit | undo | reopen
    status_after TEXT NOT NULL,
    answer_index INTEGER,
    reason TEXT,
    comment TEXT,
    changes TEXT NOT NULL DEFAULT '{}',  -- JSON {field: [before, after]}
    undoes_review_id INTEGER REFERENCES reviews(id),
    created_at TEXT NOT NULL
);
CREATE INDEX reviews_question ON reviews(question_id, id);

CREATE TABLE snapshots (
    id TEXT PRIMARY KEY,                 -- content hash
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    question_count INTEGER NOT NULL,
    fewshot_count INTEGER NOT NULL DEFAULT 0,
    params TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE snapshot_items (
    snapshot_id TEXT NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    split TEXT NOT NULL,                 -- test | fewshot
    question_id INTEGER REFERENCES questions(id) ON DELETE SET NULL,
    payload TEXT NOT NULL,               -- frozen JSON copy: question, options, answer, source ids
    PRIMARY KEY (snapshot_id, position)
);

CREATE TABLE eval_runs (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    job_id INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
    model_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
    model_name TEXT NOT NULL,
    snapshot_id TEXT REFERENCES snapshots(id) ON DELETE SET NULL,
    task TEXT NOT NULL,
    settings TEXT NOT NULL DEFAULT '{}', -- formulation, fewshot, limit, seed, chat template, dtype, backend
    config_hash TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'running', -- running | done | failed
    error TEXT,
    repro TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX eval_runs_project ON eval_runs(project_id, task);
CREATE INDEX eval_runs_config ON eval_runs(config_hash);

CREATE TABLE scores (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES eval_runs(id) ON DELETE CASCADE,
    metric TEXT NOT NULL,
    value REAL NOT NULL,
    stderr REAL,
    UNIQUE (run_id, metric)
);

CREATE TABLE sample_results (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES eval_runs(id) ON DELETE CASCADE,
    sample_index INTEGER NOT NULL,
    question_id INTEGER REFERENCES questions(id) ON DELETE SET NULL,
    cluster TEXT,                        -- source passage / document for clustered errors
    gold_index INTEGER,
    prediction_index INTEGER,
    correct REAL NOT NULL,
    logprobs TEXT NOT NULL DEFAULT '[]',
    metrics TEXT NOT NULL DEFAULT '{}',
    UNIQUE (run_id, sample_index)
);

CREATE TABLE argilla_links (
    question_id INTEGER PRIMARY KEY REFERENCES questions(id) ON DELETE CASCADE,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    dataset_name TEXT NOT NULL,
    record_id TEXT NOT NULL,
    pushed_hash TEXT NOT NULL,
    pushed_at TEXT NOT NULL
);

CREATE TABLE argilla_responses (
    question_id INTEGER NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    annotator TEXT NOT NULL,
    status TEXT NOT NULL,
    answer_index INTEGER,
    comment TEXT,
    response_hash TEXT NOT NULL,
    pulled_at TEXT NOT NULL,
    PRIMARY KEY (question_id, annotator)
);

CREATE TABLE sync_state (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    service TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (project_id, service, key)
);
