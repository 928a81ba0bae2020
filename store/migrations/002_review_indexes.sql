-- Review screen at 100k questions: step through a project's questions in id order whatever
-- their status (covering, so no table lookups), and let undo find a reviewer's latest
-- decision that is not undone yet.
CREATE INDEX IF NOT EXISTS questions_project_order ON questions(project_id, id, status);
CREATE INDEX IF NOT EXISTS reviews_reviewer ON reviews(reviewer, id);
CREATE INDEX IF NOT EXISTS reviews_undoes ON reviews(undoes_review_id)
    WHERE undoes_review_id IS NOT NULL;
