-- The ablation backoff (ablationBackoffClasses, docs/algorithm.md step 2): a class scanned again at the
-- gentler ablation rate keeps what its first pass measured (the audit log keeps that pass's artifact
-- digests). NULL for a class of a single pass, which is every class before this level.
ALTER TABLE class_results ADD COLUMN first_pass_asr REAL;
ALTER TABLE class_results ADD COLUMN first_pass_mask_l1 REAL;
ALTER TABLE class_results ADD COLUMN first_pass_ablation_steps INTEGER;
ALTER TABLE class_results ADD COLUMN first_pass_acc_target REAL;
