/**
 * Opening evidence as a classifier: always from the read-only copies in the case store (never the
 * analyst's original; a Keras weights-only model with its stored architecture file), with the
 * input-spec overrides stored at intake.
 */
import type { ModelInspection } from '../../shared/api.ts';
import type { CaseDb } from '../cases/db.ts';
import { storedArchitecture, storedFiles, type EvidenceRecord } from '../cases/evidence.ts';
import type { Dataset } from '../engine/data/dataset.ts';
import { topOneAccuracy } from '../engine/metrics/accuracy.ts';
import { loadModelFile } from '../engine/model/load.ts';
import type { Classifier, InputSpec } from '../engine/model/types.ts';

/** The freeze ratio the weight-layer preview marks (the default profile's). */
const FREEZE_PREVIEW = 0.5;

export async function loadEvidenceModel(cdb: CaseDb, ev: EvidenceRecord): Promise<Classifier> {
  const overrides = (ev.inputSpec ?? {}) as Partial<InputSpec>;
  return loadModelFile(storedFiles(cdb, ev)[0], {
    name: ev.displayName,
    inputSpec: { ...overrides, ...(ev.classNames ? { classNames: ev.classNames } : {}) },
    architecture: storedArchitecture(cdb, ev),
  });
}

/** The model view's facts; with clean data (loaded for the model's channel count), its top-1 accuracy too. */
export async function inspectEvidence(
  cdb: CaseDb,
  ev: EvidenceRecord,
  data?: (channels: 1 | 3) => Dataset,
): Promise<ModelInspection> {
  const model = await loadEvidenceModel(cdb, ev);
  try {
    model.freeze(FREEZE_PREVIEW);
    const weightLayers = model.weightLayers().map((l) => ({
      name: l.name,
      kind: l.kind,
      op: l.op,
      params: l.params,
      shapes: l.variables.map((v) => [...v.shape]),
      frozenAtHalf: l.frozen,
    }));
    model.freeze(0);
    const accuracy = data ? await topOneAccuracy(model, data(model.inputSpec.channels === 3 ? 3 : 1)) : undefined;
    return {
      name: ev.displayName,
      format: model.format,
      sha256: ev.sha256,
      inputSpec: model.inputSpec,
      numClasses: model.numClasses,
      params: model.report.params,
      opHistogram: model.report.opHistogram,
      weightLayers,
      warnings: model.report.warnings,
      ...(accuracy && { accuracy }),
      ...(model.report.layers && { layers: model.report.layers }),
      ...(model.report.graph && { graph: model.report.graph }),
    };
  } finally {
    model.dispose();
  }
}
