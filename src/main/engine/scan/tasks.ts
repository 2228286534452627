/**
 * The units of work of a scan, runnable on any thread that holds a ScanContext: one class (ablate,
 * then invert), training (or loading) the reference model, and one class's transfer test on it.
 * Seeds derive from the scan seed and the class, so results do not depend on which thread ran what.
 */
import * as tf from '@tensorflow/tfjs';
import type { ScanStage, StepProgress } from '../../../shared/events.ts';
import { METHOD_STAGES, type ScanMethod, type ScanParams } from '../../../shared/scan-params.ts';
import type { Classifier, ModelSource } from '../model/types.ts';
import { deriveSeed } from '../random.ts';
import { neuralCleanse } from './baselines/nc.ts';
import type { ScanContext } from './context.ts';
import { ablateClass } from './uma/ablate.ts';
import { invertTrigger, triggerAsr, type Trigger } from './uma/invert.ts';
import { trainReference } from './uma/reference.ts';

export type ScanTask =
  | { kind: 'class'; k: number }
  | { kind: 'reference'; supplied?: ModelSource }
  | { kind: 'transfer'; k: number; trigger: Trigger };

export interface ClassUnitResult {
  kind: 'class';
  k: number;
  asr: number;
  maskL1: number;
  ablatedAccTarget: number | null;
  ablatedAccOther: number | null;
  ablationSteps: number | null;
  trigger: Trigger;
  stageSeconds: Partial<Record<ScanStage, number>>;
}

export interface ReferenceUnitResult {
  kind: 'reference';
  accuracy: number;
  supplied: boolean;
  stageSeconds: Partial<Record<ScanStage, number>>;
}

export interface TransferUnitResult {
  kind: 'transfer';
  k: number;
  transferAsr: number;
  stageSeconds: Partial<Record<ScanStage, number>>;
}

export type TaskResult = ClassUnitResult | ReferenceUnitResult | TransferUnitResult;

export type TaskProgress = (p: StepProgress) => void;

/** Loads a model from its source bytes; injected so this module stays free of importer details. */
export type SourceLoader = (source: ModelSource) => Promise<Classifier>;


export class TaskRunner {
  private reference: Classifier | null = null;

  constructor(
    readonly ctx: ScanContext,
    private readonly method: ScanMethod,
    private readonly params: ScanParams,
    private readonly seed: number,
    private readonly loadSource: SourceLoader,
  ) {}

  async run(task: ScanTask, progress: TaskProgress): Promise<TaskResult> {
    switch (task.kind) {
      case 'class':
        return this.runClass(task.k, progress);
      case 'reference':
        return this.runReference(task.supplied, progress);
      case 'transfer':
        return this.runTransfer(task.k, task.trigger);
    }
  }

  private async runClass(k: number, progress: TaskProgress): Promise<ClassUnitResult> {
    const p = this.params;
    const stageSeconds: Partial<Record<ScanStage, number>> = {};
    let t = performance.now();
    const lap = (stage: ScanStage) => {
      const now = performance.now();
      stageSeconds[stage] = (now - t) / 1000;
      t = now;
    };
    const predictM = (x: tf.Tensor4D) => this.ctx.model.predict(x);
    if (METHOD_STAGES[this.method].inversion === 'nc') {
      const r = await neuralCleanse(predictM, this.ctx, k, p, deriveSeed(this.seed, 'nc', k), (step, steps) => progress({ stage: 'inversion', classIndex: k, step, steps }));
      lap('inversion');
      return { kind: 'class', k, asr: r.asr, maskL1: r.maskL1, ablatedAccTarget: null, ablatedAccOther: null, ablationSteps: null, trigger: r, stageSeconds };
    }
    const ablation = METHOD_STAGES[this.method].ablation
      ? await ablateClass(this.ctx, k, p, deriveSeed(this.seed, 'ablate', k), (step, steps) => progress({ stage: 'ablation', classIndex: k, step, steps }))
      : null;
    lap('ablation');
    try {
      const target = ablation?.model ?? this.ctx.model;
      const r = await invertTrigger((x) => target.predict(x), this.ctx, k, p, deriveSeed(this.seed, 'invert', k), (step, steps) => progress({ stage: 'inversion', classIndex: k, step, steps }));
      lap('inversion');
      return {
        kind: 'class', k, asr: r.asr, maskL1: r.maskL1,
        ablatedAccTarget: ablation?.accTarget ?? null,
        ablatedAccOther: ablation?.accOther ?? null,
        ablationSteps: ablation?.steps ?? null,
        trigger: { mask: r.mask, pattern: r.pattern },
        stageSeconds,
      };
    } finally {
      ablation?.model.dispose();
    }
  }

  private async runReference(supplied: ModelSource | undefined, progress: TaskProgress): Promise<ReferenceUnitResult> {
    const start = performance.now();
    this.reference?.dispose();
    if (supplied) {
      this.reference = await this.loadSource(supplied);
      this.reference.setTraining(false);
      const all = Array.from({ length: this.ctx.data.count }, (_, i) => i);
      const accuracy = await this.ctx.accuracy((x) => this.reference!.predict(x as tf.Tensor4D), this.ctx.x, all);
      return { kind: 'reference', accuracy, supplied: true, stageSeconds: { reference: (performance.now() - start) / 1000 } };
    }
    const ref = await trainReference(this.ctx, this.params, deriveSeed(this.seed, 'reference'), (step, steps) => progress({ stage: 'reference', classIndex: null, step, steps }));
    this.reference = ref.model;
    return { kind: 'reference', accuracy: ref.accuracy, supplied: false, stageSeconds: { reference: (performance.now() - start) / 1000 } };
  }

  private async runTransfer(k: number, trigger: Trigger): Promise<TransferUnitResult> {
    if (!this.reference) throw new Error('transfer test routed to a thread without the reference model');
    const start = performance.now();
    const ref = this.reference;
    const transferAsr = await triggerAsr((x) => ref.predict(x), this.ctx, k, trigger, this.ctx.others(k));
    return { kind: 'transfer', k, transferAsr, stageSeconds: { transfer: (performance.now() - start) / 1000 } };
  }

  dispose(): void {
    this.reference?.dispose();
    this.reference = null;
    this.ctx.dispose();
  }
}
