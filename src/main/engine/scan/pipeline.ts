/**
 * A whole scan (docs/algorithm.md; its data flow is docs/architecture.md section 4): validates model and
 * data, schedules the per-class units and the reference model on the executor, streams class results as
 * they complete (a second time, at a gentler ablation, when the ablation backoff decides so:
 * ablation-backoff.ts), then scores every class and returns the verdict. Which stages run is the method's
 * METHOD_STAGES (src/shared/scan-params.ts); one result shape for all methods.
 */
import os from 'node:os';
import type { ScanEvent, StepProgress, WorkerActivity } from '../../../shared/events.ts';
import { UmaError } from '../../../shared/errors.ts';
import { withExplanations } from '../../../shared/class-explanation.ts';
import { classThresholdsOf } from '../../../shared/calibration-record.ts';
import type { ClassArtifacts, ClassFinding, ScanResult, ThresholdCalibrationRecord } from '../../../shared/results.ts';
import { METHOD_STAGES, type ScanMethod, type ScanParams } from '../../../shared/scan-params.ts';
import { currentBackend } from '../backend/index.ts';
import { classCounts, indicesByClass, limitPerClass, requireEveryClass, type Dataset } from '../data/dataset.ts';
import { surveyInputConventions, type InputSurvey } from '../model/input-conventions.ts';
import type { Classifier, ModelSource } from '../model/types.ts';
import { deriveSeed } from '../random.ts';
import { backoffEnabled, firstPassFailures, nextPass, withFirstPass, type ScanPass } from './ablation-backoff.ts';
import { ratioOf, scoredResult } from './anomaly.ts';
import { artifactDigests, triggerArtifacts } from './artifacts.ts';
import { sha256Hex } from '../../util/digest.ts';
import { joinShards, ScanContext, shardRanges, type AblationInputs } from './context.ts';
import { InlineExecutor, WorkerPool, type Executor } from './executor.ts';
import { paramsSha256 } from '../../util/params-digest.ts';
import { TOOL_VERSION } from '../../util/version.ts';
import { ProgressTracker } from './progress-tracker.ts';
import { TaskRunner, type ClassUnitResult, type SourceLoader } from './tasks.ts';

export interface ScanOptions {
  model: Classifier;
  data: Dataset;
  method?: ScanMethod;
  /** Resolved once by whoever defines the scan (src/shared/scan-params.ts resolveParams). */
  params: ScanParams;
  /**
   * Where the threshold was calibrated on known-clean models: with the per-class rule, each class is
   * scored against its own threshold (classThresholds); kept in the result either way.
   */
  calibration?: ThresholdCalibrationRecord;
  seed?: number;
  /** Worker threads; 0 runs in this thread. Default: cores (1 on a GPU backend). */
  workers?: number;
  /** A trusted clean model to use as the reference instead of training one. */
  reference?: ModelSource;
  /** Findings of classes finished by an earlier, interrupted run of the same scan (in either pass). */
  completed?: ClassFinding[];
  modelName?: string;
  modelSha256?: string;
  signal?: AbortSignal;
  onEvent?: (e: ScanEvent) => void;
  /** Loads models from bytes on this thread (inline runs with a supplied reference). */
  loadSource?: SourceLoader;
  /** The input-convention survey when the caller already ran it (to warn early); run here otherwise. */
  inputSurvey?: InputSurvey;
}

export interface ScanOutput {
  result: ScanResult;
  /** Artifacts of the classes computed in this run (resumed classes have theirs stored already). */
  artifacts: ClassArtifacts[];
}

function checkCompatible(model: Classifier, data: Dataset): void {
  const s = model.inputSpec;
  if (data.height !== s.height || data.width !== s.width || data.channels !== s.channels) {
    throw new UmaError(
      'SHAPE_MISMATCH',
      `the data's images are ${data.height}x${data.width}x${data.channels} but the model expects ${s.height}x${s.width}x${s.channels}`,
    );
  }
  if (data.classNames.length !== model.numClasses) {
    throw new UmaError(
      'BAD_DATA',
      `the data has ${data.classNames.length} classes (${data.source}) but the model has ${model.numClasses}; give one folder per model class, in the model's order`,
    );
  }
  requireEveryClass(data);
}

/** Copies the sample arrays into shared memory so every worker reads one copy. */
function shared(data: Dataset): Dataset {
  const images = new Float32Array(new SharedArrayBuffer(data.images.byteLength));
  images.set(data.images);
  const labels = new Int32Array(new SharedArrayBuffer(data.labels.byteLength));
  labels.set(data.labels);
  return { ...data, images, labels };
}

function defaultWorkers(): number {
  return currentBackend()?.isGpu ? 1 : Math.max(1, os.availableParallelism());
}

export async function runScan(opts: ScanOptions): Promise<ScanOutput> {
  const started = new Date();
  const t0 = performance.now();
  const method = opts.method ?? 'uma';
  const { params } = opts;
  const stages = METHOD_STAGES[method];
  const seed = opts.seed ?? 1;
  const emit = opts.onEvent ?? (() => undefined);
  const model = opts.model;
  checkCompatible(model, opts.data);
  const data = params.maxPerClass
    ? limitPerClass(opts.data, params.maxPerClass, deriveSeed(seed, 'samples'))
    : opts.data;
  requireEveryClass(data);
  // A spec far below the best convention makes the whole scan meaningless: said in the result.
  const survey =
    opts.inputSurvey ?? (await surveyInputConventions(model, data, { seed: deriveSeed(seed, 'input-spec') }));
  const N = model.numClasses;
  const findings = new Map((opts.completed ?? []).map((f) => [f.index, f]));
  // The classes to compute, at the scan's ablation rate or the backoff's (ablation-backoff.ts): a first
  // pass may be followed by a second over every class, so the pool is sized for that.
  const firstPlan = nextPass(findings, N, method, params);
  const withReference = stages.transferFilter && firstPlan !== null;
  const withSurvival = stages.ablation && params.survivalTest === 1;
  const backend = currentBackend();
  const units = !firstPlan ? 0 : !firstPlan.gentle && backoffEnabled(method, params) ? N : firstPlan.todo.length;
  const workers = Math.min(opts.workers ?? defaultWorkers(), units + (withReference ? 1 : 0));
  // The executor's worker ids (executor.ts): the pool's threads from 1, or the host's own thread, 0.
  const workerIds = workers <= 0 ? [0] : Array.from({ length: workers }, (_, i) => i + 1);
  const tracker = new ProgressTracker(
    N,
    stages.ablation,
    withReference,
    Array.from({ length: N }, (_, k) => k).filter((k) => !firstPlan?.todo.includes(k)),
    workerIds,
    withSurvival,
  );

  let lastEmit = 0;
  const progress = (p: StepProgress, worker?: number) => {
    const snapshot = tracker.update(p, worker);
    const now = performance.now();
    if (now - lastEmit > 100 || p.step === p.steps) {
      lastEmit = now;
      emit({ type: 'progress', progress: snapshot });
    }
  };
  // A worker starting a task or falling idle is news at once (a few times per class, never per step).
  const onActivity = (a: WorkerActivity) => {
    tracker.setWorker(a);
    emit({ type: 'progress', progress: tracker.snapshot() });
  };
  let executor: Executor;
  let ctx: ScanContext | null = null;
  if (workers <= 0) {
    ctx = new ScanContext(model, data);
    executor = new InlineExecutor(
      new TaskRunner(
        ctx,
        method,
        params,
        seed,
        opts.loadSource ?? (() => Promise.reject(new Error('no model loader on this thread'))),
      ),
      onActivity,
    );
  } else {
    executor = await WorkerPool.start(
      workers,
      {
        source: model.source,
        inputSpec: model.inputSpec,
        data: shared(data),
        method,
        params,
        seed,
        backend: backend?.name ?? 'wasm',
      },
      onActivity,
    );
  }
  const onAbort = () => void executor.terminate();
  opts.signal?.addEventListener('abort', onAbort);

  const stageSeconds: Record<string, number> = {};
  const addStages = (s: Partial<Record<string, number>>) => {
    for (const [k, v] of Object.entries(s)) stageSeconds[k] = (stageSeconds[k] ?? 0) + (v ?? 0);
  };
  const artifacts: ClassArtifacts[] = [];
  let reference: ScanResult['reference'] = stages.transferFilter ? null : { kind: 'none', accuracy: null, seconds: 0 };

  try {
    if (opts.signal?.aborted) throw new UmaError('CANCELLED', 'scan cancelled');
    // Ablation's inputs (M's logits, the frozen front's activations), computed once in shards over the
    // threads and shared, first, so classes can start as soon as they are joined.
    const ranges = stages.ablation && firstPlan ? shardRanges(data.count, executor.slots) : [];
    const ablationRun: Promise<AblationInputs | null> =
      ranges.length === 0
        ? Promise.resolve(null)
        : Promise.all(
            ranges.map(async ([from, to], i) => {
              const r = await executor.submit({ kind: 'prepare', from, to }, progress);
              if (r.kind !== 'prepare') throw new Error('unexpected task result');
              addStages(r.stageSeconds);
              progress({ stage: 'prepare', classIndex: null, step: i + 1, steps: ranges.length });
              return r;
            }),
          ).then((shards) => joinShards(shards, data.count, N));
    const referenceRun = withReference
      ? executor.submit({ kind: 'reference', supplied: opts.reference }, progress).then((r) => {
          if (r.kind !== 'reference') throw new Error('unexpected task result');
          addStages(r.stageSeconds);
          const seconds = r.stageSeconds.reference ?? 0;
          reference = { kind: r.supplied ? 'supplied' : 'trained', accuracy: r.accuracy, seconds };
          return r.handle;
        })
      : null;

    // A class's seconds are its own compute (ablation, inversion, transfer test), not time spent
    // queued behind other classes or waiting for the reference model.
    // first: the class's first-pass finding when this is the backoff's second pass.
    const finishClass = async (unit: ClassUnitResult, first: ClassFinding | null) => {
      const k = unit.k;
      const own: Record<string, number> = { ...unit.stageSeconds };
      let transferAsr: number | null = null;
      if (referenceRun) {
        const handle = await referenceRun;
        const task = { kind: 'transfer', k, trigger: unit.trigger, reference: handle } as const;
        const t = await executor.submit(task, progress, true);
        if (t.kind !== 'transfer') throw new Error('unexpected task result');
        addStages(t.stageSeconds);
        Object.assign(own, t.stageSeconds);
        transferAsr = t.transferAsr;
      }
      const a = triggerArtifacts(
        k,
        unit.trigger,
        data,
        indicesByClass(data).flatMap((idx, c) => (c === k ? [] : idx)),
        params.stampedExamples,
        deriveSeed(seed, 'examples', k),
      );
      const finding: ClassFinding = {
        index: k,
        name: data.classNames[k] ?? String(k),
        ablatedAccTarget: unit.ablatedAccTarget,
        ablatedAccOther: unit.ablatedAccOther,
        ablationSteps: unit.ablationSteps,
        ablationStoppedBy: unit.ablationStoppedBy,
        ablationLr: unit.ablationLr,
        asr: unit.asr,
        maskL1: unit.maskL1,
        transferAsr,
        ...(unit.survival ? { survival: unit.survival } : {}),
        ratio: stages.scoring === 'nc' ? null : ratioOf(unit, params),
        anomalyIndex: null,
        flagged: null,
        seconds: Object.values(own).reduce((s, v) => s + v, 0),
        stageSeconds: own,
        artifactDigests: artifactDigests(a),
      };
      const stored = first ? withFirstPass(finding, first) : finding;
      findings.set(k, stored);
      // A class scanned twice keeps only its second pass's artifacts (the store replaces the first's).
      const at = artifacts.findIndex((x) => x.classIndex === k);
      if (at >= 0) artifacts.splice(at, 1);
      artifacts.push(a);
      tracker.classFinished(k);
      emit({ type: 'class-result', finding: stored, artifacts: a });
    };

    const runPass = async ({ gentle, todo }: ScanPass) => {
      const firstPass = new Map(findings);
      if (gentle) {
        const rescan = {
          failedClasses: firstPassFailures([...firstPass.values()], params),
          ablationLr: params.ablationBackoffLr,
        };
        tracker.startRescan(todo, rescan);
        emit({ type: 'progress', progress: tracker.snapshot() });
      }
      await Promise.all(
        todo.map(async (k) => {
          const first = gentle ? firstPass.get(k) : null;
          if (first === undefined) throw new Error(`class ${k} is rescanned without a first pass`);
          const task = { kind: 'class', k, ablation: await ablationRun } as const;
          const r = await executor.submit(gentle ? { ...task, backoff: true } : task, progress);
          if (r.kind !== 'class') throw new Error('unexpected task result');
          addStages(r.stageSeconds);
          await finishClass(r, first);
        }),
      );
    };
    const passes = async () => {
      for (let pass = firstPlan; pass; pass = nextPass(findings, N, method, params)) await runPass(pass);
    };
    await Promise.all([referenceRun, passes()]);
  } catch (err) {
    if (opts.signal?.aborted) throw new UmaError('CANCELLED', 'scan cancelled');
    throw err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    await executor.terminate();
  }

  progress({ stage: 'scoring', classIndex: null, step: 1, steps: 1 });
  const ordered = Array.from({ length: N }, (_, k) => findings.get(k)!);
  // The one scoring path: the bench's re-scoring and `uma calibrate` score stored results the same way.
  const scored = scoredResult({ method, classes: ordered, reference }, params, classThresholdsOf(opts.calibration));
  const finished = new Date();
  const result: ScanResult = withExplanations({
    verdict: scored.verdict,
    score: scored.score,
    target: scored.target,
    method,
    params,
    paramsSha256: paramsSha256(params, method, seed),
    seed,
    backend: backend?.name ?? 'unknown',
    device: backend?.device ?? 'unknown',
    toolVersion: TOOL_VERSION,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    seconds: (performance.now() - t0) / 1000,
    model: {
      name: opts.modelName ?? model.source.name,
      sha256: opts.modelSha256 ?? sourceDigest(model.source),
      format: model.format,
      inputShape: [model.inputSpec.height, model.inputSpec.width, model.inputSpec.channels],
      numClasses: N,
      params: model.report.params,
    },
    data: {
      source: data.source,
      samples: data.count,
      perClass: classCounts(data),
      ...(data.warnings && { warnings: data.warnings }),
    },
    reference,
    stageSeconds,
    classes: scored.classes,
    ...(survey.warning && { warnings: [survey.warning] }),
    ...(opts.calibration && { calibration: opts.calibration }),
  });
  emit({ type: 'done', result });
  return { result, artifacts };
}

function sourceDigest(source: ModelSource): string {
  if (source.format === 'onnx') return sha256Hex(source.bytes);
  return sha256Hex(
    new Uint8Array(Buffer.concat([Buffer.from(JSON.stringify(source.modelJson)), Buffer.from(source.weights)])),
  );
}
