/** Cases, notes, the audit log, settings and app/info: thin wrappers over src/main/cases. */
import fs from 'node:fs';
import type { CaseSummary } from '../../../shared/api.ts';
import { listAudit, verifyAuditLog } from '../../cases/audit.ts';
import { createCase, getCase, listCases } from '../../cases/cases.ts';
import { listEvidence } from '../../cases/evidence.ts';
import { addNote, deleteNote, editNote, listNotes } from '../../cases/notes.ts';
import { listReports } from '../../cases/reports.ts';
import { listScans } from '../../cases/scans.ts';
import { TOOL_VERSION } from '../../util/version.ts';
import type { HandlerGroup, ServiceContext } from '../context.ts';
import { reportInfo, scanSummary } from '../dto.ts';
import { DEMO_MODELS } from '../materialize.ts';

type Calls =
  | 'app/info'
  | 'cases/list'
  | 'cases/create'
  | 'cases/get'
  | 'notes/add'
  | 'notes/update'
  | 'notes/delete'
  | 'audit/list'
  | 'audit/verify'
  | 'settings/get'
  | 'settings/set';

export function caseHandlers(ctx: ServiceContext): HandlerGroup<Calls> {
  const { cdb } = ctx;
  const summary = (c: ReturnType<typeof getCase>): CaseSummary => {
    const scans = listScans(cdb, c.id);
    const lastCompleted = scans.filter((s) => s.status === 'completed').at(-1);
    const evidenceCount = (
      cdb.sql.prepare('SELECT count(*) AS n FROM evidence WHERE case_id = ?').get(c.id) as { n: number }
    ).n;
    return { ...c, evidenceCount, scanCount: scans.length, lastVerdict: lastCompleted?.verdict ?? null };
  };
  return {
    'app/info': () => ({
      version: TOOL_VERSION,
      backend: ctx.backend,
      dataDir: cdb.paths.dataDir,
      dbPath: cdb.paths.db,
      demoAvailable: fs.existsSync(DEMO_MODELS.trojaned),
      host: ctx.host,
      hostGeneration: ctx.generation,
    }),
    'cases/list': ({ query }) => {
      const q = query?.trim().toLowerCase();
      // An analyst searches by what they hold: a model's file name or (part of) its sha256, as well as the case's words.
      const evidenceWords = (caseId: number) =>
        listEvidence(cdb, caseId).flatMap((e) => [
          e.displayName,
          e.sha256,
          ...e.files.flatMap((f) => [f.name, f.sha256]),
        ]);
      const hit = (c: ReturnType<typeof getCase>) =>
        !q ||
        [c.name, c.number, c.examiner, c.description].some((v) => v?.toLowerCase().includes(q)) ||
        evidenceWords(c.id).some((v) => v.toLowerCase().includes(q));
      return listCases(cdb).filter(hit).map(summary);
    },
    'cases/create': (a) => createCase(cdb, a),
    'cases/get': ({ caseId }) => {
      const c = getCase(cdb, caseId);
      const scans = listScans(cdb, caseId);
      return {
        case: c,
        evidence: listEvidence(cdb, caseId),
        scans: scans.map((s) => scanSummary(cdb, ctx.jobs, s)),
        notes: listNotes(cdb, caseId),
        reports: scans.flatMap((s) => listReports(cdb, s.id)).map(reportInfo),
      };
    },
    'notes/add': (a) => addNote(cdb, a),
    'notes/update': ({ noteId, text }) => editNote(cdb, noteId, text),
    'notes/delete': ({ noteId }) => {
      deleteNote(cdb, noteId);
      return { deleted: true as const };
    },
    'audit/list': ({ target }) => listAudit(cdb, target),
    'audit/verify': () => verifyAuditLog(cdb),
    'settings/get': () => ctx.settings.get(),
    'settings/set': (patch) => ctx.settings.set(patch),
  };
}
