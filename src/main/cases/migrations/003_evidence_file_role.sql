-- What each file of an evidence item is. 'model': the model as saved (an ONNX or Keras file, a TF.js
-- model.json and its weight shards); every file before this level is one. 'architecture': a Keras
-- weights-only file's architecture JSON, taken in beside it (`uma scan W.h5 --architecture A.json`), so the
-- model a scan loads is fully hashed evidence. Intake facts never change: evidence_files_no_update covers
-- the new column too.
ALTER TABLE evidence_files ADD COLUMN role TEXT NOT NULL DEFAULT 'model' CHECK (role IN ('model', 'architecture'));
