-- The whole job spec on the scans row: what a job needs besides the method, parameters and seed (its
-- data, labels file, worker count, reference evidence), as JSON. Before this it lived in
-- scan-jobs/scan-N.json beside the database, which `uma scan` never wrote, so its scans could not resume.
-- Old sidecar files are read once at open (cases/job-spec.ts) and deleted.
ALTER TABLE scans ADD COLUMN job_json TEXT;

-- A completed scan still never changes, except that its job spec may be filled in once (the sidecar
-- import reaches scans completed before this level); a spec once set never changes.
DROP TRIGGER scans_frozen_update;
CREATE TRIGGER scans_frozen_update BEFORE UPDATE OF id, case_id, evidence_id, examiner_id, method, params_json, params_sha256,
  seed, tool_version, backend, num_classes, class_names_json, status, owner_pid, owner_host, created, started, finished, error,
  prescan_sha256, prescan_at, verdict, score, target, result_json ON scans WHEN OLD.status = 'completed'
BEGIN SELECT RAISE(ABORT, 'a completed scan never changes'); END;
CREATE TRIGGER scans_job_set_once BEFORE UPDATE OF job_json ON scans WHEN OLD.job_json IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a scan''s job spec never changes once set'); END;
