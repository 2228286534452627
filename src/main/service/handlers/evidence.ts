/** Evidence intake (a path, an upload, or a bundled demo model), re-hash, inspection; data inspection. */
import path from 'node:path';
import { UmaError } from '../../../shared/errors.ts';
import { getCase } from '../../cases/cases.ts';
import { getEvidence, intakeEvidence, rehashEvidence } from '../../cases/evidence.ts';
import { classCounts, loadDataset } from '../../engine/data/index.ts';
import { detectModelFormat, loadModelFile } from '../../engine/model/load.ts';
import type { HandlerGroup, ServiceContext } from '../context.ts';
import { labelsOf, materializeArchitecture, materializeData, materializeModel } from '../materialize.ts';
import { inspectEvidence } from '../models.ts';

type Calls = 'evidence/add' | 'evidence/rehash' | 'evidence/inspect' | 'data/inspect';

/**
 * The format to record, or null for a model the engine will not open (a PyTorch pickle): it is still
 * evidence and is hashed and kept; inspecting or scanning it answers UNSUPPORTED_MODEL with advice.
 */
function formatOf(file: string): string | null {
  try {
    return detectModelFormat(file);
  } catch (err) {
    if (err instanceof UmaError && err.code === 'UNSUPPORTED_MODEL') return null;
    throw err;
  }
}

/**
 * A Keras weights-only model and the architecture given with it must make one model: loading them
 * together refuses, by name, an architecture that is missing, not JSON, not a Keras model config, or
 * whose layers do not match the weights (names, counts, shapes), and an architecture given with a model
 * of another format. Checked before intake, so a pair that cannot be scanned never becomes evidence.
 */
async function checkArchitecture(model: string, architecture: string, name: string): Promise<void> {
  (await loadModelFile(model, { name, architecture })).dispose();
}

export const uploadsDir = (ctx: ServiceContext): string => path.join(ctx.cdb.paths.dataDir, 'uploads');

export function evidenceHandlers(ctx: ServiceContext): HandlerGroup<Calls> {
  const { cdb } = ctx;
  return {
    'evidence/add': async (a) => {
      getCase(cdb, a.caseId);
      const model = materializeModel(a.source);
      let architecture: ReturnType<typeof materializeArchitecture> | undefined;
      try {
        architecture = a.architecture && materializeArchitecture(a.architecture);
        if (architecture) await checkArchitecture(model.files[0], architecture.file, model.displayName);
        const { classNames, ...spec } = a.inputSpec ?? {};
        return await intakeEvidence(cdb, {
          caseId: a.caseId,
          files: model.files,
          origins: model.origins,
          architecture,
          displayName: a.displayName ?? model.displayName,
          expectedSha256: a.expectedSha256,
          expectedSource: a.expectedSource,
          format: formatOf(model.files[0]) ?? undefined,
          inputSpec: Object.keys(spec).length > 0 ? spec : undefined,
          classNames,
        });
      } finally {
        model.cleanup();
        architecture?.cleanup();
      }
    },
    'evidence/rehash': async ({ evidenceId }) => {
      const r = await rehashEvidence(cdb, evidenceId, 'manual');
      return { evidenceId, sha256: r.sha256, at: r.at };
    },
    'evidence/inspect': ({ evidenceId, data }) =>
      inspectEvidence(
        cdb,
        getEvidence(cdb, evidenceId),
        data && ((channels) => loadDataset(materializeData(uploadsDir(ctx), data), { channels })),
      ),
    'data/inspect': ({ data, channels }) => {
      const ds = loadDataset(materializeData(uploadsDir(ctx), data), { labelsPath: labelsOf(data), channels });
      if (ds.count === 0) throw new UmaError('BAD_DATA', `${ds.source}: no images`);
      return {
        source: ds.source,
        count: ds.count,
        classNames: ds.classNames,
        perClass: classCounts(ds),
        shape: [ds.height, ds.width, ds.channels],
        ...(ds.warnings && { warnings: ds.warnings }),
      };
    },
  };
}
