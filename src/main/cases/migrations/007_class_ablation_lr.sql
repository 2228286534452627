-- The rate each class's unlearning ran at (ClassFinding.ablationLr): the scan's ablationLr, or less where
-- the first-step calibration (ablationStepDrop, docs/algorithm.md step 2) halved it. NULL without
-- ablation, and for every class stored before this level.
ALTER TABLE class_results ADD COLUMN ablation_lr REAL;
