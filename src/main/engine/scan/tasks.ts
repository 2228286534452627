/**
 * The units of work of a scan, runnable on any thread that holds a ScanContext: one class (ablate,
 * then invert, then the survival test where it is on), training (or loading) the reference model, and
 * one class's transfer test on it.
 * Seeds derive from the scan seed and the class, so results do not depend on which thread ran what.
 * The reference task returns a handle (its weights in shared memory, or the supplied model's bytes)
 * that every transfer task carries, so any thread can run a transfer test: a thread builds the
 * reference from the handle once and keeps it.
 */
import * as tf from '@tensorflow/tfjs';
import type { ScanStage, StepProgress } from '../../../shared/events.ts';
import { UmaError } from '../../../shared/errors.ts';
import type { SurvivalMeasure } from '../../../shared/results.ts';
import { backoffPassParams, METHOD_STAGES, type ScanMethod, type ScanParams } from '../../../shared/scan-params.ts';
import type { Classifier, ModelSource } from '../model/types.ts';
import { deriveSeed, mulberry32, shuffled } from '../random.ts';
import { neuralCleanse } from './baselines/nc.ts';
import type { AblationInputs, AblationShard, ScanContext } from './context.ts';
import { exportState, importState, type SharedState } from './model-state.ts';
import { ablateClass } from './uma/ablate.ts';
import type { AblationStopRule } from './uma/ablation-stop.ts';
import { invertTrigger, triggerAsr, type Trigger } from './uma/invert.ts';
import { trainReference } from './uma/reference.ts';
import { gpuFailureSoon } from '../backend/gpu-health.ts';

/** How a thread gets the reference model: M's architecture with shared trained weights, or the supplied model. */
export type ReferenceHandle =
  { kind: 'trained'; seed: number; state: SharedState } | { kind: 'supplied'; source: ModelSource };

export type ScanTask =
  | { kind: 'prepare'; from: number; to: number }
  /** backoff: the ablation backoff's second pass (ablation-backoff.ts), at backoffPassParams. */
  | { kind: 'class'; k: number; ablation: AblationInputs | null; backoff?: boolean }
  | { kind: 'reference'; supplied?: ModelSource }
  | { kind: 'transfer'; k: number; trigger: Trigger; reference: ReferenceHandle };

export interface ClassUnitResult {
  kind: 'class';
  k: number;
  asr: number;
  maskL1: number;
  ablatedAccTarget: number | null;
  ablatedAccOther: number | null;
  ablationSteps: number | null;
  ablationStoppedBy: AblationStopRule | null;
  /** The rate the ablation ran at (below ablationLr where ablationStepDrop halved it); null without ablation. */
  ablationLr: number | null;
  trigger: Trigger;
  survival: SurvivalMeasure | null;
  stageSeconds: Partial<Record<ScanStage, number>>;
}

export interface ReferenceUnitResult {
  kind: 'reference';
  accuracy: number;
  supplied: boolean;
  handle: ReferenceHandle;
  stageSeconds: Partial<Record<ScanStage, number>>;
}

export interface TransferUnitResult {
  kind: 'transfer';
  k: number;
  transferAsr: number;
  stageSeconds: Partial<Record<ScanStage, number>>;
}

export interface PrepareUnitResult extends AblationShard {
  kind: 'prepare';
  stageSeconds: Partial<Record<ScanStage, number>>;
}

export type TaskResult = PrepareUnitResult | ClassUnitResult | ReferenceUnitResult | TransferUnitResult;

export type TaskProgress = (p: StepProgress) => void;

/** Loads a model from its source bytes; injected so this module stays free of importer details. */
export type SourceLoader = (source: ModelSource) => Promise<Classifier>;

/** The other-class samples a transfer test stamps: all of them, or a seeded subsample of `max` (0 = all). */
export function transferSamples(others: readonly number[], max: number, seed: number): number[] {
  if (max === 0 || others.length <= max) return others.slice();
  return shuffled(others, mulberry32(seed)).slice(0, max);
}

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
    try {
      return await this.runTask(task, progress);
    } catch (err) {
      // A lost GPU device fails whatever ran on it, often inside tfjs before the engine's guarded reads.
      throw (await gpuFailureSoon()) ?? err;
    }
  }

  private async runTask(task: ScanTask, progress: TaskProgress): Promise<TaskResult> {
    switch (task.kind) {
      case 'prepare': {
        const start = performance.now();
        const shard = await this.ctx.prepareShard(task.from, task.to, this.params.freezeRatio);
        return { kind: 'prepare', ...shard, stageSeconds: { prepare: (performance.now() - start) / 1000 } };
      }
      case 'class':
        if (task.ablation) this.ctx.adopt(task.ablation);
        return this.runClass(
          task.k,
          progress,
          task.backoff ? { ...this.params, ...backoffPassParams(this.params) } : this.params,
        );
      case 'reference':
        return this.runReference(task.supplied, progress);
      case 'transfer':
        return this.runTransfer(task.k, task.trigger, task.reference);
    }
  }

  private async runClass(k: number, progress: TaskProgress, p: ScanParams): Promise<ClassUnitResult> {
    const stageSeconds: Partial<Record<ScanStage, number>> = {};
    let t = performance.now();
    const lap = (stage: ScanStage) => {
      const now = performance.now();
      stageSeconds[stage] = (now - t) / 1000;
      t = now;
    };
    const predictM = (x: tf.Tensor4D) => this.ctx.model.predict(x);
    if (METHOD_STAGES[this.method].inversion === 'nc') {
      const r = await neuralCleanse(predictM, this.ctx, k, p, deriveSeed(this.seed, 'nc', k), (step, steps) =>
        progress({ stage: 'inversion', classIndex: k, step, steps }),
      );
      lap('inversion');
      return {
        kind: 'class',
        k,
        asr: r.asr,
        maskL1: r.maskL1,
        ablatedAccTarget: null,
        ablatedAccOther: null,
        ablationSteps: null,
        ablationStoppedBy: null,
        ablationLr: null,
        trigger: r,
        survival: null,
        stageSeconds,
      };
    }
    const ablation = METHOD_STAGES[this.method].ablation
      ? await ablateClass(this.ctx, k, p, deriveSeed(this.seed, 'ablate', k), (step, steps) =>
          progress({ stage: 'ablation', classIndex: k, step, steps }),
        )
      : null;
    lap('ablation');
    try {
      const target = ablation?.model ?? this.ctx.model;
      const r = await invertTrigger(
        (x) => target.predict(x),
        this.ctx,
        k,
        p,
        deriveSeed(this.seed, 'invert', k),
        (step, steps) => progress({ stage: 'inversion', classIndex: k, step, steps }),
      );
      lap('inversion');
      const survival = p.survivalTest && ablation ? await this.runSurvival(k, ablation.model, progress, p) : null;
      if (survival) lap('survival');
      return {
        kind: 'class',
        k,
        asr: r.asr,
        maskL1: r.maskL1,
        ablatedAccTarget: ablation?.accTarget ?? null,
        ablatedAccOther: ablation?.accOther ?? null,
        ablationSteps: ablation?.steps ?? null,
        ablationStoppedBy: ablation?.stoppedBy ?? null,
        ablationLr: ablation?.lr ?? null,
        trigger: { mask: r.mask, pattern: r.pattern },
        survival,
        stageSeconds,
      };
    } finally {
      ablation?.model.dispose();
    }
  }

  /**
   * The survival test (docs/algorithm.md, step 6): a trigger reversed against M itself (the
   * class's inversion seed), then its ASR on the other classes' samples under M and under M'_k ablated
   * with the output layer frozen: the scan's own ablated copy when it already froze it, else a second one.
   */
  private async runSurvival(
    k: number,
    ablated: Classifier,
    progress: TaskProgress,
    p: ScanParams,
  ): Promise<SurvivalMeasure> {
    const predictM = (x: tf.Tensor4D) => this.ctx.model.predict(x);
    const own = await invertTrigger(predictM, this.ctx, k, p, deriveSeed(this.seed, 'invert', k), (step, steps) =>
      progress({ stage: 'survival', classIndex: k, step, steps }),
    );
    const others = this.ctx.others(k);
    const asrModel = await triggerAsr(predictM, this.ctx, k, own, others);
    const frozenHead = p.ablationFreezeHead
      ? null
      : // Its few steps go unreported: the survival stage's progress is its inversion's.
        await ablateClass(
          this.ctx,
          k,
          { ...p, ablationFreezeHead: 1 },
          deriveSeed(this.seed, 'ablate', k),
          () => undefined,
        ).catch((err: unknown) => {
          if (err instanceof UmaError && err.code === 'BAD_INPUT')
            throw new UmaError(
              'BAD_INPUT',
              `survivalTest needs a layer before the output layer to unlearn class ${k} with, and freezeRatio ${p.freezeRatio} freezes all of them: lower freezeRatio or set survivalTest to 0`,
            );
          throw err;
        });
    try {
      const model = frozenHead?.model ?? ablated;
      const asrAblated = await triggerAsr((x) => model.predict(x), this.ctx, k, own, others);
      return { maskL1: own.maskL1, asrModel, asrAblated };
    } finally {
      frozenHead?.model.dispose();
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
      const handle: ReferenceHandle = { kind: 'supplied', source: supplied };
      const stageSeconds = { reference: (performance.now() - start) / 1000 };
      return { kind: 'reference', accuracy, supplied: true, handle, stageSeconds };
    }
    const seed = deriveSeed(this.seed, 'reference');
    const ref = await trainReference(this.ctx, this.params, seed, (step, steps) =>
      progress({ stage: 'reference', classIndex: null, step, steps }),
    );
    this.reference = ref.model;
    const handle: ReferenceHandle = { kind: 'trained', seed, state: await exportState(ref.model) };
    const stageSeconds = { reference: (performance.now() - start) / 1000 };
    return { kind: 'reference', accuracy: ref.accuracy, supplied: false, handle, stageSeconds };
  }

  /** The reference model on this thread: the one it trained or loaded, else built from the handle once. */
  private async referenceFrom(handle: ReferenceHandle): Promise<Classifier> {
    if (this.reference) return this.reference;
    const ref =
      handle.kind === 'supplied'
        ? await this.loadSource(handle.source)
        : await this.ctx.model.reinitialized(handle.seed);
    try {
      if (handle.kind === 'trained') importState(ref, handle.state);
      ref.setTraining(false);
    } catch (err) {
      ref.dispose();
      throw err;
    }
    this.reference = ref;
    return ref;
  }

  private async runTransfer(k: number, trigger: Trigger, handle: ReferenceHandle): Promise<TransferUnitResult> {
    const start = performance.now();
    const ref = await this.referenceFrom(handle);
    const seed = deriveSeed(this.seed, 'transfer', k);
    const idx = transferSamples(this.ctx.others(k), this.params.transferMaxSamples, seed);
    const transferAsr = await triggerAsr((x) => ref.predict(x), this.ctx, k, trigger, idx);
    return { kind: 'transfer', k, transferAsr, stageSeconds: { transfer: (performance.now() - start) / 1000 } };
  }

  dispose(): void {
    this.reference?.dispose();
    this.reference = null;
    this.ctx.dispose();
  }
}
