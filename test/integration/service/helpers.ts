/** Shared by the service tests: tiny scan parameters, a service in a temp folder, an event recorder. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ApiEvent, Reply, UmaApi } from '../../../src/shared/api.ts';

/** Small enough that a demo scan takes seconds on two cores; the shape of every stage stays. */
export const TINY = {
  maxPerClass: 10,
  inversionSteps: 10,
  ablationMaxEpochs: 1,
  referenceEpochs: 1,
  referenceMinSteps: 0,
};

export function tempHome(prefix = 'uma-service-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function ok<T>(r: Reply<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

export interface Recorder {
  events: ApiEvent[];
  /** Resolves with the first event (already seen or yet to come) that matches. */
  next<E extends ApiEvent>(match: (e: ApiEvent) => e is E, timeoutMs?: number): Promise<E>;
  stop(): void;
}

export function record(api: UmaApi): Recorder {
  const events: ApiEvent[] = [];
  const waiters: { match: (e: ApiEvent) => boolean; resolve: (e: ApiEvent) => void }[] = [];
  const stop = api.on((e) => {
    events.push(e);
    for (const w of waiters.splice(0)) {
      if (w.match(e)) w.resolve(e);
      else waiters.push(w);
    }
  });
  return {
    events,
    stop,
    next(match, timeoutMs = 90_000) {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no matching event in ${timeoutMs} ms; got ${events.map((e) => e.type).join(', ')}`)),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e as never);
          },
        });
      });
    },
  };
}

export const isType =
  <T extends ApiEvent['type']>(type: T, scanId?: number) =>
  (e: ApiEvent): e is Extract<ApiEvent, { type: T }> =>
    e.type === type && (scanId === undefined || ('scanId' in e && e.scanId === scanId));

/** PNG files start with these eight bytes. */
export const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
export const isPng = (b: unknown): boolean => b instanceof Uint8Array && PNG_MAGIC.every((v, i) => b[i] === v);

/** Creates a case with the bundled trojaned demo model as evidence. */
export async function demoCase(api: UmaApi, name: string): Promise<{ caseId: number; evidenceId: number }> {
  const c = ok(await api['cases/create']({ name }));
  const ev = ok(await api['evidence/add']({ caseId: c.id, source: { kind: 'demo', which: 'trojaned' } }));
  return { caseId: c.id, evidenceId: ev.id };
}

export type WsClient = UmaApi & { close(): void };

/**
 * The renderer's WebSocket client, in Node: the `ws` package stands in for the browser's WebSocket.
 * Imported by a computed path because it belongs to the renderer's (DOM) TypeScript project.
 */
export async function wsApi(url: string, origin: string): Promise<WsClient> {
  const { default: WebSocket } = await import('ws');
  const file = '../../../src/renderer/src/api/ws-client.ts';
  const { connectWs } = (await import(file)) as {
    connectWs: (o: { url: string; createSocket: (u: string) => unknown; backoffMs: number[] }) => WsClient;
  };
  return connectWs({ url, createSocket: (u) => new WebSocket(u, { origin }), backoffMs: [200] });
}
