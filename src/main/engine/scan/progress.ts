/** Step callbacks from the compute loops; they also carry cancellation (a thrown error stops the loop). */
export type StepReporter = (step: number, steps: number) => void;

export interface StepCheck {
  /** Called every step; throws when the scan was cancelled. */
  (step: number, steps: number): void;
}
