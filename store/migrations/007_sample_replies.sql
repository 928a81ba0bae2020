-- Generative multiple choice (issue 17): the model's written reply per sample, from which
-- prediction_index was read (NULL for log-likelihood formulations; prediction_index NULL
-- with a reply means no answer could be read from it: "unparsed").
ALTER TABLE sample_results ADD COLUMN reply TEXT;
