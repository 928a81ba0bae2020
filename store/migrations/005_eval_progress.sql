-- Evaluation you can watch (issue 19): each run's own progress while its job scores it.
-- phase: waiting | loading | scoring | done (NULL for runs recorded before this version);
-- scored / samples: requests scored so far out of the run's total (samples NULL until known).
-- A run whose job died is now 'interrupted' (state is free text: running | done | failed |
-- interrupted), and a resumed job continues it instead of starting a new one.
ALTER TABLE eval_runs ADD COLUMN phase TEXT;
ALTER TABLE eval_runs ADD COLUMN scored INTEGER NOT NULL DEFAULT 0;
ALTER TABLE eval_runs ADD COLUMN samples INTEGER;
