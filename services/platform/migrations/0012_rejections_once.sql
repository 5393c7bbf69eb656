-- A refusal is kept once: the same step refused for the same reason again (a re-sent batch,
-- a topic message delivered twice) changes nothing, as re-sending anything must not.
DELETE FROM import_rejections later
USING import_rejections earlier
WHERE later.system_code = earlier.system_code
  AND later.external_id = earlier.external_id
  AND later.step_id IS NOT DISTINCT FROM earlier.step_id
  AND later.error = earlier.error
  AND later.problem = earlier.problem
  AND later.position > earlier.position;

CREATE UNIQUE INDEX import_rejections_once ON import_rejections
    (system_code, external_id, coalesce(step_id, ''), error, md5(problem));
