-- Jobs that run a model locally wait for accelerator slots (a GPU each, or the CPU on a
-- machine without one); managed model servers (vllm serve) are shared between jobs.
ALTER TABLE jobs ADD COLUMN needs_devices INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN devices TEXT;            -- JSON list of slots held while running
ALTER TABLE jobs ADD COLUMN queued_at TEXT;          -- place in the device queue
CREATE INDEX jobs_device_queue ON jobs(state, needs_devices, queued_at);

CREATE TABLE model_servers (
    id INTEGER PRIMARY KEY,
    config_key TEXT NOT NULL,            -- same model, engine settings and devices: same server
    model_name TEXT NOT NULL,
    spec TEXT NOT NULL DEFAULT '{}',     -- JSON: what the keeper starts
    state TEXT NOT NULL DEFAULT 'starting',  -- starting | ready | stopping | stopped | failed
    url TEXT,
    port INTEGER,
    pid INTEGER,                         -- the keeper process; it leads the server's group
    devices TEXT NOT NULL DEFAULT '[]',
    log_path TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    ready_at TEXT,
    last_used_at TEXT,
    stopped_at TEXT
);
CREATE INDEX model_servers_state ON model_servers(state, config_key);

CREATE TABLE model_server_leases (
    server_id INTEGER NOT NULL REFERENCES model_servers(id) ON DELETE CASCADE,
    job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (server_id, job_id)
);
