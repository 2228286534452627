-- The case database, level 1. Times are ISO-8601 UTC strings; digests are lowercase sha256 hex.
-- Findings (class_results, artifacts, completed scans), evidence intake facts, reports and the audit
-- log never change once written; the triggers at the end enforce that against any client.

CREATE TABLE examiners (
  id      INTEGER PRIMARY KEY,
  name    TEXT NOT NULL UNIQUE,
  keyid   TEXT,
  created TEXT NOT NULL
);

CREATE TABLE cases (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  number      TEXT,
  examiner_id INTEGER REFERENCES examiners(id),
  description TEXT NOT NULL DEFAULT '',
  created     TEXT NOT NULL
);

CREATE TABLE evidence (
  id               INTEGER PRIMARY KEY,
  case_id          INTEGER NOT NULL REFERENCES cases(id),
  display_name     TEXT NOT NULL,
  original_path    TEXT NOT NULL,
  size             INTEGER NOT NULL,
  sha256           TEXT NOT NULL,
  expected_sha256  TEXT,
  expected_source  TEXT,
  match            TEXT NOT NULL CHECK (match IN ('match', 'mismatch', 'none')),
  format           TEXT,
  input_spec_json  TEXT,
  class_names_json TEXT,
  stored_path      TEXT NOT NULL,
  created          TEXT NOT NULL
);

-- One row per file of an evidence item (a TF.js model is model.json plus weight shards).
CREATE TABLE evidence_files (
  evidence_id   INTEGER NOT NULL REFERENCES evidence(id),
  ordinal       INTEGER NOT NULL,
  name          TEXT NOT NULL,
  original_path TEXT NOT NULL,
  size          INTEGER NOT NULL,
  sha256        TEXT NOT NULL,
  PRIMARY KEY (evidence_id, ordinal),
  UNIQUE (evidence_id, name)
);

CREATE TABLE scans (
  id             INTEGER PRIMARY KEY,
  case_id        INTEGER NOT NULL REFERENCES cases(id),
  evidence_id    INTEGER NOT NULL REFERENCES evidence(id),
  examiner_id    INTEGER REFERENCES examiners(id),
  method         TEXT NOT NULL,
  params_json    TEXT NOT NULL,
  params_sha256  TEXT NOT NULL,
  seed           INTEGER NOT NULL,
  tool_version   TEXT NOT NULL,
  backend        TEXT NOT NULL,
  num_classes    INTEGER NOT NULL CHECK (num_classes > 0),
  class_names_json TEXT NOT NULL,
  status         TEXT NOT NULL CHECK (status IN ('queued', 'running', 'cancelled', 'failed', 'completed', 'interrupted')),
  owner_pid      INTEGER,
  owner_host     TEXT,
  created        TEXT NOT NULL,
  started        TEXT,
  finished       TEXT,
  error          TEXT,
  prescan_sha256 TEXT,
  prescan_at     TEXT,
  verdict        TEXT CHECK (verdict IN ('trojaned', 'clean')),
  score          REAL,
  target         INTEGER,
  -- The ScanResult without its classes, which are the rows of class_results.
  result_json    TEXT
);
CREATE INDEX scans_case ON scans(case_id);

CREATE TABLE class_results (
  scan_id            INTEGER NOT NULL REFERENCES scans(id),
  class_index        INTEGER NOT NULL,
  name               TEXT NOT NULL,
  ablated_acc_target REAL,
  ablated_acc_other  REAL,
  ablation_steps     INTEGER,
  asr                REAL NOT NULL,
  mask_l1            REAL NOT NULL,
  transfer_asr       REAL,
  -- Scoring needs every class, so these are filled when the scan completes.
  ratio              REAL,
  anomaly_index      REAL,
  flagged            INTEGER,
  seconds            REAL NOT NULL,
  created            TEXT NOT NULL,
  PRIMARY KEY (scan_id, class_index)
);

CREATE TABLE artifacts (
  scan_id     INTEGER NOT NULL,
  class_index INTEGER NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('mask', 'pattern', 'stamped')),
  ordinal     INTEGER NOT NULL,
  png         BLOB NOT NULL,
  sha256      TEXT NOT NULL,
  PRIMARY KEY (scan_id, class_index, kind, ordinal),
  FOREIGN KEY (scan_id, class_index) REFERENCES class_results(scan_id, class_index)
);

CREATE TABLE notes (
  id          INTEGER PRIMARY KEY,
  case_id     INTEGER NOT NULL REFERENCES cases(id),
  scan_id     INTEGER REFERENCES scans(id),
  class_index INTEGER,
  author      TEXT NOT NULL,
  text        TEXT NOT NULL,
  created     TEXT NOT NULL,
  updated     TEXT NOT NULL
);

CREATE TABLE reports (
  id                INTEGER PRIMARY KEY,
  scan_id           INTEGER NOT NULL REFERENCES scans(id),
  path              TEXT NOT NULL,
  envelope_sha256   TEXT NOT NULL,
  keyid             TEXT NOT NULL,
  audit_head_seq    INTEGER NOT NULL,
  audit_head_sha256 TEXT NOT NULL,
  created           TEXT NOT NULL
);

CREATE TABLE audit_log (
  seq          INTEGER PRIMARY KEY,
  time         TEXT NOT NULL,
  actor        TEXT NOT NULL,
  action       TEXT NOT NULL,
  target       TEXT NOT NULL,
  details_json TEXT NOT NULL,
  prev_sha256  TEXT NOT NULL,
  sha256       TEXT NOT NULL
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TRIGGER class_results_frozen_insert BEFORE INSERT ON class_results
WHEN (SELECT status FROM scans WHERE id = NEW.scan_id) = 'completed'
BEGIN SELECT RAISE(ABORT, 'findings of a completed scan never change'); END;
CREATE TRIGGER class_results_frozen_update BEFORE UPDATE ON class_results
WHEN (SELECT status FROM scans WHERE id = OLD.scan_id) = 'completed'
BEGIN SELECT RAISE(ABORT, 'findings of a completed scan never change'); END;
CREATE TRIGGER class_results_frozen_delete BEFORE DELETE ON class_results
WHEN (SELECT status FROM scans WHERE id = OLD.scan_id) = 'completed'
BEGIN SELECT RAISE(ABORT, 'findings of a completed scan never change'); END;

CREATE TRIGGER artifacts_frozen_insert BEFORE INSERT ON artifacts
WHEN (SELECT status FROM scans WHERE id = NEW.scan_id) = 'completed'
BEGIN SELECT RAISE(ABORT, 'findings of a completed scan never change'); END;
CREATE TRIGGER artifacts_frozen_update BEFORE UPDATE ON artifacts
WHEN (SELECT status FROM scans WHERE id = OLD.scan_id) = 'completed'
BEGIN SELECT RAISE(ABORT, 'findings of a completed scan never change'); END;
CREATE TRIGGER artifacts_frozen_delete BEFORE DELETE ON artifacts
WHEN (SELECT status FROM scans WHERE id = OLD.scan_id) = 'completed'
BEGIN SELECT RAISE(ABORT, 'findings of a completed scan never change'); END;

CREATE TRIGGER scans_frozen_update BEFORE UPDATE ON scans WHEN OLD.status = 'completed'
BEGIN SELECT RAISE(ABORT, 'a completed scan never changes'); END;
CREATE TRIGGER scans_frozen_delete BEFORE DELETE ON scans WHEN OLD.status = 'completed'
BEGIN SELECT RAISE(ABORT, 'a completed scan never changes'); END;

CREATE TRIGGER evidence_intake_frozen BEFORE UPDATE OF original_path, size, sha256, expected_sha256, expected_source, match, stored_path ON evidence
BEGIN SELECT RAISE(ABORT, 'evidence intake facts never change'); END;
CREATE TRIGGER evidence_files_no_update BEFORE UPDATE ON evidence_files
BEGIN SELECT RAISE(ABORT, 'evidence intake facts never change'); END;
CREATE TRIGGER evidence_files_no_delete BEFORE DELETE ON evidence_files
BEGIN SELECT RAISE(ABORT, 'evidence intake facts never change'); END;

CREATE TRIGGER reports_no_update BEFORE UPDATE ON reports
BEGIN SELECT RAISE(ABORT, 'report records never change'); END;
CREATE TRIGGER reports_no_delete BEFORE DELETE ON reports
BEGIN SELECT RAISE(ABORT, 'report records never change'); END;
