-- Where a scan's anomaly threshold came from when it was calibrated on completed scans of known-clean
-- models (scans/start's calibration, docs/algorithm.md step 5): the shared ThresholdCalibrationRecord
-- as JSON. NULL for every scan whose threshold is its profile's, which is every scan before this level.
ALTER TABLE scans ADD COLUMN calibration_json TEXT;
-- Fixed when the scan is queued, like the threshold it set in params_json.
CREATE TRIGGER scans_calibration_frozen BEFORE UPDATE OF calibration_json ON scans
BEGIN SELECT RAISE(ABORT, 'a scan''s threshold calibration is fixed when it is queued'); END;
