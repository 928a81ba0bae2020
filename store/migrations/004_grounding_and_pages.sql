-- Trustworthy exams (issue 16): the supporting quote a generated question was grounded on,
-- the kind of check that rejected an output (counted in the job summary), and the pages of
-- the source file a chunk came from (PDF, PPTX: NULL where the format has no pages).
ALTER TABLE questions ADD COLUMN quote TEXT;
ALTER TABLE questions ADD COLUMN rejection_kind TEXT;
ALTER TABLE chunks ADD COLUMN page_start INTEGER;
ALTER TABLE chunks ADD COLUMN page_end INTEGER;
