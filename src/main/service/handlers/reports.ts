/** Signed reports (create, download, preview, PDF, verify) and the keys verification trusts. */
import fs from 'node:fs';
import path from 'node:path';
import { UmaError } from '../../../shared/errors.ts';
import { getReport, listReports } from '../../cases/reports.ts';
import { getScan } from '../../cases/scans.ts';
import { exportScanArchive } from '../../reports/export.ts';
import { renderPdf } from '../../reports/pdf.ts';
import { examinerKey } from '../../reports/keys.ts';
import { findKnownKey, inspectKey, trustedKeys, trustKey, untrustKey, type KnownKey } from '../../reports/trust.ts';
import { verifyArchive } from '../../reports/verify.ts';
import type { HandlerGroup, ServiceContext } from '../context.ts';
import { reportInfo } from '../dto.ts';
import { reportPreviewHtml } from '../report-preview.ts';

type Calls =
  | 'reports/create'
  | 'reports/download'
  | 'reports/html'
  | 'reports/pdf'
  | 'reports/verify'
  | 'keys/list'
  | 'keys/export'
  | 'keys/trust'
  | 'keys/inspect'
  | 'keys/create'
  | 'keys/untrust'
  | 'shell/pick';

const keyInfo = ({ name, keyid, source, file }: KnownKey) => ({ name, keyid, source, file });

const readRef = (ref: { path: string } | { bytes: Uint8Array }): Uint8Array =>
  'bytes' in ref ? ref.bytes : new Uint8Array(fs.readFileSync(ref.path));

export function reportHandlers(ctx: ServiceContext): HandlerGroup<Calls> {
  const { cdb } = ctx;
  const reportsDir = path.join(cdb.paths.dataDir, 'reports');
  const examinerOf = (scanId: number) => getScan(cdb, scanId).examiner ?? ctx.settings.get().examinerName;
  return {
    'reports/create': async ({ scanId, examiner }) => {
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const out = await exportScanArchive(cdb, scanId, path.join(reportsDir, `scan-${scanId}-${stamp}.zip`), {
        examiner,
        pdf: ctx.pdf,
      });
      const rec = listReports(cdb, scanId).find((r) => r.path === out.path)!;
      return { ...reportInfo(rec), pdf: out.pdf, pdfNote: out.pdfNote };
    },
    'reports/download': ({ reportId }) => {
      const r = getReport(cdb, reportId);
      if (!fs.existsSync(r.path)) throw new UmaError('NOT_FOUND', `report ${reportId}'s archive ${r.path} is gone`);
      return { name: path.basename(r.path), bytes: new Uint8Array(fs.readFileSync(r.path)) };
    },
    'reports/html': ({ scanId }) => ({ html: reportPreviewHtml(cdb, scanId, examinerOf(scanId)) }),
    'reports/pdf': async ({ scanId }) => {
      const out = await renderPdf(reportPreviewHtml(cdb, scanId, examinerOf(scanId)));
      if (!out.pdf) throw new UmaError('INTERNAL', `no PDF: ${out.note}`);
      return { name: `scan-${scanId}-preview.pdf`, bytes: out.pdf };
    },
    'reports/verify': async (a) => {
      let model: string | Uint8Array | undefined;
      if (a.model) model = 'bytes' in a.model ? a.model.bytes : a.model.path;
      const trusted =
        a.trustedKey === undefined ? trustedKeys(cdb.paths) : [{ name: 'the given key', publicKeyPem: a.trustedKey }];
      const v = await verifyArchive(readRef(a.archive), { model, trusted });
      return { ok: v.ok, status: v.status, signer: v.signer, checks: v.checks };
    },
    'keys/list': () => trustedKeys(cdb.paths).map(keyInfo),
    'keys/export': ({ examiner }) => {
      const key = findKnownKey(cdb.paths, examiner);
      const stem = key.source === 'examiner' ? key.name : key.keyid.slice(0, 16);
      return { name: `${stem}.pub`, bytes: new Uint8Array(Buffer.from(key.publicKeyPem, 'utf8')) };
    },
    'keys/trust': ({ publicKeyPem, name }) => keyInfo(trustKey(cdb.paths, publicKeyPem, name)),
    'keys/inspect': ({ publicKeyPem }) => {
      const { keyid, known } = inspectKey(cdb.paths, publicKeyPem);
      return { keyid, known: known && keyInfo(known) };
    },
    'keys/create': ({ examiner }) => {
      const { keyid } = examinerKey(cdb.paths.keysDir, examiner);
      return keyInfo(findKnownKey(cdb.paths, keyid));
    },
    'keys/untrust': ({ keyid }) => keyInfo(untrustKey(cdb.paths, keyid)),
    'shell/pick': () => {
      throw new UmaError('BAD_INPUT', 'native file dialogs exist only in the desktop app; upload the files instead');
    },
  };
}
