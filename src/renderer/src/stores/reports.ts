/**
 * Reports of a scan: sign + archive, download, an HTML preview, and verification of an archive (the
 * one just downloaded or any file the analyst picks), each check shown pass / fail / skip.
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { Result, VerificationStatus, VerifyCheck } from '../../../shared/api.ts';
import { call } from '../lib/api.ts';
import { saveBytes } from '../lib/files.ts';
import { actionGuard } from '../lib/guard.ts';

export interface VerifyOutcome {
  source: string;
  ok: boolean;
  status: VerificationStatus;
  checks: VerifyCheck[];
}

export const useReportsStore = defineStore('reports', () => {
  const created = ref<Result<'reports/create'> | null>(null);
  /** The last archive downloaded, kept so it can be verified without picking the file again. */
  const archive = ref<{ name: string; bytes: Uint8Array<ArrayBuffer> } | null>(null);
  const preview = ref<string | null>(null);
  const verification = ref<VerifyOutcome | null>(null);
  /** Which action runs, so each button can say so. */
  const busy = ref<'' | 'create' | 'download' | 'pdf' | 'verify' | 'preview'>('');
  const { error, guarded } = actionGuard();

  function run<T>(what: typeof busy.value, fn: () => Promise<T>): Promise<T | undefined> {
    busy.value = what;
    return guarded(fn).finally(() => (busy.value = ''));
  }

  const create = (scanId: number, examiner: string) =>
    run('create', async () => (created.value = await call('reports/create', { scanId, examiner })));

  const loadPreview = (scanId: number) =>
    run('preview', async () => (preview.value = (await call('reports/html', { scanId })).html));

  /** Fetches the archive and hands it to the browser as a download. */
  const download = (reportId: number) =>
    run('download', async () => {
      const file = await call('reports/download', { reportId });
      // A copy on a plain ArrayBuffer: what the verify call's schema accepts.
      archive.value = { name: file.name, bytes: new Uint8Array(file.bytes) };
      saveBytes(file.name, file.bytes, 'application/zip');
      return file;
    });

  /** The report as a PDF on its own (printed by Electron, or by `uma serve` where Chromium is installed). */
  const downloadPdf = (scanId: number) =>
    run('pdf', async () => {
      const file = await call('reports/pdf', { scanId });
      saveBytes(file.name, file.bytes, 'application/pdf');
      return file;
    });

  const verify = (source: string, bytes: Uint8Array<ArrayBuffer>, model?: Uint8Array<ArrayBuffer>) =>
    run('verify', async () => {
      const r = await call('reports/verify', { archive: { bytes }, ...(model ? { model: { bytes: model } } : {}) });
      verification.value = { source, ...r };
      return verification.value;
    });

  function reset(): void {
    created.value = null;
    preview.value = null;
    verification.value = null;
    error.value = null;
  }

  return {
    created,
    archive,
    preview,
    verification,
    busy,
    error,
    create,
    loadPreview,
    download,
    downloadPdf,
    verify,
    reset,
  };
});
