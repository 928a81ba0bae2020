-- Keys stay secret (issue 17): an API key is read from the environment when a model runs
-- (params.api_key_env names the variable); it is never stored. Older stores could hold one
-- in a model's params (e.g. 'models add --engine-arg api_key=...', passed to vllm serve), and
-- from there in the params of its generation jobs, the settings and reproducibility records
-- of its evaluation runs and the specs of its managed servers. This removes every
-- secret-named parameter (the names of workbench.backends.base.SECRET_PARAM_NAMES, and
-- *_api_key, *_token, *_secret, *_password) from all of them, and notes in the model's
-- params.secrets_removed which were removed, so 'workbench models list' tells the user to
-- put the key in an environment variable instead.
-- Freed bytes are overwritten, so the removed keys do not linger in the file's free space.
PRAGMA secure_delete = ON;
CREATE TEMP TABLE secret_patterns (pattern TEXT NOT NULL);
INSERT INTO temp.secret_patterns(pattern) VALUES
    ('api_key'), ('apikey'), ('api_token'), ('access_token'), ('auth_token'),
    ('token'), ('hf_token'), ('openai_api_key'), ('secret'), ('client_secret'),
    ('password'), ('authorization'), ('bearer'), ('*_api_key'), ('*_token'),
    ('*_secret'), ('*_password');

UPDATE models SET params = json_set(params, '$.secrets_removed', json((
    SELECT json_group_array(name) FROM (
      SELECT j.key AS name FROM json_each(models.params) j WHERE EXISTS (SELECT 1 FROM temp.secret_patterns p WHERE lower(replace(j.key, '-', '_')) GLOB p.pattern)
      UNION ALL
      SELECT 'engine_args.' || j.key FROM json_each(models.params, '$.engine_args') j
        WHERE EXISTS (SELECT 1 FROM temp.secret_patterns p WHERE lower(replace(j.key, '-', '_')) GLOB p.pattern)))))
  WHERE json_valid(params) AND json_type(params) = 'object' AND (
    EXISTS (SELECT 1 FROM json_each(models.params) j WHERE EXISTS (SELECT 1 FROM temp.secret_patterns p WHERE lower(replace(j.key, '-', '_')) GLOB p.pattern))
    OR EXISTS (SELECT 1 FROM json_each(models.params, '$.engine_args') j WHERE EXISTS (SELECT 1 FROM temp.secret_patterns p WHERE lower(replace(j.key, '-', '_')) GLOB p.pattern)));

UPDATE models SET params = json_set(params, '$.engine_args', json((SELECT json_group_object(j.key, json(CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN 'null' WHEN 'text' THEN json_quote(j.value) ELSE j.value END))
        FROM json_each(json_extract(params, '$.engine_args')) j WHERE NOT EXISTS (SELECT 1 FROM temp.secret_patterns p WHERE lower(replace(j.key, '-', '_')) GLOB p.pattern))))
  WHERE json_valid(params) AND json_type(params, '$.engine_args') = 'object'
    AND EXISTS (SELECT 1 FROM json_each(json_extract(params, '$.engine_args')) j WHERE EXISTS (SELECT 1 FROM temp.secret_patterns p WHERE lower(replace(j.key, '-', '_')) GLOB p.pattern));

UPDATE models SET params = json_set(params, '$', json((SELECT json_group_object(j.key, json(CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN 'null' WHEN 'text' THEN json_quote(j.value) ELSE j.value END))
        FROM json_each(json_extract(params, '$')) j WHERE NOT EXISTS (SELECT 1 FROM temp.secret_patterns p WHERE lower(replace(j.key, '-', '_')) GLOB p.pattern))))
  WHERE json_valid(params) AND json_type(params, '$') = 'object'
    AND EXISTS (SELECT 1 FROM json_each(json_extract(params, '$')) j WHERE EXISTS (SELECT 1 FROM temp.secret_patterns p WHERE lower(replace(j.key, '-', '_')) GLOB p.pattern));

UPDATE jobs SET params = json_set(params, '$.model.params.engine_args', json((SELECT json_group_object(j.key, json(CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN 'null' WHEN 'text' THEN json_quote(j.value) ELSE j.value END))
        FROM json_each(json_extract(params, '$.model.params.engine_args')) j WHERE NOT EXISTS (SELECT 1 FROM temp.secret_patterns p WHERE lower(replace(j.key, '-', '_')) GLOB p.pattern))))
  WHERE json_valid(params) AND json_type(params, '$.model.params.engine_args') = 'object'
    AND EXISTS (SELECT 1 FROM json_each(json_extract(params, '$.model.params.engine_args')) j WHERE EXISTS (SELECT 1 FROM temp.secret_patterns p WHERE lower(replace(j.key, '-', '_')) GLOB p.pattern));

UPDATE jobs SET params = json_set(params, '$.model.params', json((SELECT json_group_object(j.key, json(CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN 'null' WHEN 'text' THEN json_quote(j.value) ELSE j.value END))
        FROM json_each(json_extract(params, '$.model.params')) j WHERE NOT EXISTS (SELECT 1 FROM temp.secret_patterns p WHERE lower(replace(j.key, '-', '_')) GLOB p.pattern))))
  WHERE json_valid(params) AND json_type(params, '$.model.params') = 'object'
    AND EXISTS (SELECT 1 FROM json_each(json_extract(params, '$.model.params')) j WHERE EXISTS (SELECT 1 FROM temp.secret_patterns p WHERE lower(replace(j.key, '-', '_')) GLOB p.pattern));

UPDATE eval_runs SET repro = json_set(repro, '$.model.params.engine_args', json((SELECT json_group_object(j.key, json(CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN 'null' WHEN 'text' THEN json_quote(j.value) ELSE j.value END))
        FROM json_each(json_extract(repro, '$.model.params.engine_args')) j WHERE NOT EXISTS (SELECT 1 FROM temp.secret_patterns p WHERE lower(replace(j.key, '-', '_')) GLOB p.pattern))))
  WHERE json_valid(repro) AND json_type(repro, '$.model.params.engine_args') = 'object'
    AND EXISTS (SELECT 1 FROM json_each(json_extract(repro, '$.model.params.engine_args')) j WHERE EXISTS (SELECT 1 FROM temp.secret_patterns p WHERE lower(replace(j.key, '-', '_')) GLOB p.pattern));

UPDATE eval_runs SET repro = json_set(repro, '$.model.params', json((SELECT json_group_object(j.key, json(CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN 'null' WHEN 'text' THEN json_quote(j.value) ELSE j.value END))
        FROM json_each(json_extract(repro, '$.model.params')) j WHERE NOT EXISTS (SELECT 1 FROM temp.secret_patterns p WHERE lower(replace(j.key, '-', '_')) GLOB p.pattern))))
  WHERE json_valid(repro) AND json_type(repro, '$.model.params') = 'object'
    AND EXISTS (SELECT 1 FROM json_each(json_extract(repro, '$.model.params')) j WHERE EXISTS (SELECT 1 FROM temp.secret_patterns p WHERE lower(replace(j.key, '-', '_')) GLOB p.pattern));

UPDATE eval_runs SET settings = json_set(settings, '$.engine_args', json((SELECT json_group_object(j.key, json(CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN 'null' WHEN 'text' THEN json_quote(j.value) ELSE j.value END))
        FROM json_each(json_extract(settings, '$.engine_args')) j WHERE NOT EXISTS (SELECT 1 FROM temp.secret_patterns p WHERE lower(replace(j.key, '-', '_')) GLOB p.pattern))))
  WHERE json_valid(settings) AND json_type(settings, '$.engine_args') = 'object'
    AND EXISTS (SELECT 1 FROM json_each(json_extract(settings, '$.engine_args')) j WHERE EXISTS (SELECT 1 FROM temp.secret_patterns p WHERE lower(replace(j.key, '-', '_')) GLOB p.pattern));

UPDATE model_servers SET spec = json_set(spec, '$.engine_args', json((SELECT json_group_object(j.key, json(CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN 'null' WHEN 'text' THEN json_quote(j.value) ELSE j.value END))
        FROM json_each(json_extract(spec, '$.engine_args')) j WHERE NOT EXISTS (SELECT 1 FROM temp.secret_patterns p WHERE lower(replace(j.key, '-', '_')) GLOB p.pattern))))
  WHERE json_valid(spec) AND json_type(spec, '$.engine_args') = 'object'
    AND EXISTS (SELECT 1 FROM json_each(json_extract(spec, '$.engine_args')) j WHERE EXISTS (SELECT 1 FROM temp.secret_patterns p WHERE lower(replace(j.key, '-', '_')) GLOB p.pattern));

DROP TABLE temp.secret_patterns;
PRAGMA secure_delete = OFF;
