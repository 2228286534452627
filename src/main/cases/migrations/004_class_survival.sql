-- The survival test of a class (survivalTest, docs/algorithm.md step 6): the trigger reversed
-- against the model itself, its mask's L1 norm and its ASR on the model and on the class's ablated copy
-- (output layer frozen). NULL for every scan without the test, which is every scan before this level.
ALTER TABLE class_results ADD COLUMN survival_mask_l1 REAL;
ALTER TABLE class_results ADD COLUMN survival_asr_model REAL;
ALTER TABLE class_results ADD COLUMN survival_asr_ablated REAL;
