/**
 * Scans and their jobs: starting, cancelling, the live state of running scans fed by job events, and
 * the stored detail of any scan. Progress events are buffered and applied at most once per frame.
 */
import { defineStore } from 'pinia';
import { reactive, watch } from 'vue';
import type { ApiEvent, Args, ScanDetail } from '../../../shared/api.ts';
import type { ErrorInfo } from '../../../shared/errors.ts';
import type { ScanProgress } from '../../../shared/events.ts';
import type { ClassFinding, ScanResult } from '../../../shared/results.ts';
import { api, call } from '../lib/api.ts';
import { connection } from '../lib/connection.ts';
import { perFrame } from '../lib/frame.ts';
import { actionGuard } from '../lib/guard.ts';
import { useTriggersStore } from './triggers.ts';

export interface LiveScan {
  scanId: number;
  jobId: string | null;
  progress: ScanProgress | null;
  finished: number[];
  findings: ClassFinding[];
  result: ScanResult | null;
  error: ErrorInfo | null;
  state: 'running' | 'done' | 'failed' | 'cancelled';
}

export const useScansStore = defineStore('scans', () => {
  const live = reactive(new Map<number, LiveScan>());
  const details = reactive(new Map<number, ScanDetail>());
  const { busy, error, guarded } = actionGuard();
  const triggers = useTriggersStore();

  function liveOf(scanId: number, jobId: string | null = null): LiveScan {
    let s = live.get(scanId);
    if (!s) {
      live.set(scanId, {
        scanId,
        jobId,
        progress: null,
        finished: [],
        findings: [],
        result: null,
        error: null,
        state: 'running',
      });
      s = live.get(scanId)!;
    }
    if (jobId) s.jobId = jobId;
    return s;
  }

  const pending = new Map<number, ScanProgress>();
  const schedule = perFrame(() => {
    for (const [scanId, p] of pending) liveOf(scanId).progress = p;
    pending.clear();
  });

  /** Events sent while the connection was down are lost: re-read every scan still shown as running. */
  function catchUp(): void {
    error.value = null; // the 'connection lost' refusals of that time are not the analyst's business now
    for (const s of live.values()) if (s.state === 'running') void load(s.scanId);
  }
  watch(() => connection.reconnects, catchUp);

  function onEvent(e: ApiEvent): void {
    if (e.type === 'host/restarted') {
      catchUp();
      return;
    }
    const s = liveOf(e.scanId, e.jobId);
    if (e.type === 'job/progress') {
      pending.set(e.scanId, e.progress);
      schedule();
    } else if (e.type === 'job/class-result') {
      if (!s.finished.includes(e.finding.index)) s.finished.push(e.finding.index);
      s.findings = [...s.findings.filter((f) => f.index !== e.finding.index), e.finding];
      triggers.put(e.images);
    } else if (e.type === 'job/done') {
      s.result = e.result;
      s.state = 'done';
      s.jobId = null;
      // The stored detail becomes what scans/get would now answer, so pages keep their context.
      const d = details.get(e.scanId);
      if (d) {
        const { verdict, score, target, classes } = e.result;
        details.set(e.scanId, {
          ...d,
          result: e.result,
          findings: classes,
          todo: [],
          scan: { ...d.scan, status: 'completed', verdict, score, target, jobId: null, classesDone: classes.length },
        });
      }
    } else {
      s.error = e.error;
      s.state = e.error.code === 'CANCELLED' ? 'cancelled' : 'failed';
      s.jobId = null;
      // The stored status (cancelled, failed, interrupted) and whether it resumes come from the database.
      if (details.has(e.scanId)) void load(e.scanId);
    }
  }
  // The store lives as long as the app, and so does its subscription.
  api().on(onEvent);

  const start = (args: Args<'scans/start'>) =>
    guarded(async () => {
      const r = await call('scans/start', args);
      liveOf(r.scanId, r.jobId);
      return r;
    });

  const cancel = (scanId: number) =>
    guarded(async () => {
      const jobId = live.get(scanId)?.jobId ?? details.get(scanId)?.scan.jobId;
      if (!jobId) throw new Error(`scan ${scanId} has no running job`);
      return call('scans/cancel', { jobId });
    });

  const resume = (scanId: number) =>
    guarded(async () => {
      const r = await call('scans/resume', { scanId });
      const s = liveOf(scanId, r.jobId);
      s.state = 'running';
      s.error = null;
      return r;
    });

  /** The stored state of a scan; for a running one, also picks up its job's last progress (after a reload). */
  const load = (scanId: number) =>
    guarded(async () => {
      const d = await call('scans/get', { scanId });
      details.set(scanId, d);
      if (d.scan.jobId || d.scan.status === 'running' || d.scan.status === 'queued') {
        const s = liveOf(scanId, d.scan.jobId);
        s.state = 'running';
        const job = (await call('jobs/list', {})).find((j) => j.scanId === scanId);
        if (job) {
          s.progress ??= job.progress;
          s.finished = [...new Set([...s.finished, ...job.classesDone])];
        }
        for (const f of d.findings) if (!s.findings.some((x) => x.index === f.index)) s.findings.push(f);
      } else {
        // A job this page thought running ended while no events arrived (connection lost, host restarted).
        const s = live.get(scanId);
        if (s && s.state === 'running' && !d.scan.jobId) {
          s.jobId = null;
          s.state = d.scan.status === 'completed' ? 'done' : d.scan.status === 'cancelled' ? 'cancelled' : 'failed';
          if (d.result) s.result = d.result;
        }
      }
      return d;
    });

  return { live, details, error, busy, start, cancel, resume, load };
});
