-- Review screen: undo finds a reviewer's latest decision that is not undone yet, quickly.
CREATE INDEX IF NOT EXISTS reviews_reviewer ON reviews(reviewer, id);
CREATE INDEX IF NOT EXISTS reviews_undoes ON reviews(undoes_review_id)
    WHERE undoes_review_id IS NOT NULL;
