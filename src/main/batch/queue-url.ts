/**
 * The queue's address: `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS, with
 * `?ca=FILE` naming the CA certificate a lab's own Redis uses. The password can stay off the command
 * line (where `ps` shows it) in $UMA_QUEUE_PASSWORD. Only the connection carries it: job data never
 * does, and what is printed or written to a batch manifest is the URL without it.
 */
import fs from 'node:fs';
import type { ConnectionOptions } from 'bullmq';
import { UmaError } from '../../shared/errors.ts';

export interface QueueAddress {
  connection: ConnectionOptions;
  /** The URL to show and record: no password. */
  display: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** Tests (and anything run with UMA_TEST set) talk only to a Redis on this machine. */
export function loopbackOnly(): boolean {
  return Boolean(process.env.UMA_TEST || process.env.VITEST);
}

export function parseQueueUrl(raw: string): QueueAddress {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UmaError('BAD_INPUT', `--queue '${raw}' is not a URL (redis://HOST:PORT or rediss://HOST:PORT)`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw new UmaError('BAD_INPUT', `--queue must be a redis:// or rediss:// URL, not ${url.protocol}//`);
  if (!url.hostname) throw new UmaError('BAD_INPUT', `--queue '${raw}' names no host`);
  if (loopbackOnly() && !LOOPBACK.has(url.hostname))
    throw new UmaError('BAD_INPUT', `--queue ${url.hostname}: under test only a loopback Redis (127.0.0.1) is used`);
  const port = url.port ? Number(url.port) : 6379;
  const dbPart = url.pathname.replace(/^\//, '');
  const db = dbPart === '' ? 0 : Number(dbPart);
  if (!Number.isInteger(db) || db < 0)
    throw new UmaError('BAD_INPUT', `--queue: '/${dbPart}' is not a database number`);
  const password = decodeURIComponent(url.password) || process.env.UMA_QUEUE_PASSWORD || undefined;
  const ca = url.searchParams.get('ca');
  if (ca !== null && url.protocol !== 'rediss:')
    throw new UmaError('BAD_INPUT', '--queue: ?ca= is a TLS option; use a rediss:// URL');
  if (ca !== null && !fs.existsSync(ca)) throw new UmaError('NOT_FOUND', `--queue: CA certificate ${ca} not found`);
  const tls =
    url.protocol === 'rediss:'
      ? { servername: url.hostname, ...(ca !== null && { ca: fs.readFileSync(ca) }) }
      : undefined;
  const shown = new URL(raw);
  shown.password = '';
  return {
    connection: {
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port,
      db,
      username: decodeURIComponent(url.username) || undefined,
      password,
      tls,
      // BullMQ's workers block on Redis; a command must wait for a reconnect instead of failing.
      maxRetriesPerRequest: null,
    },
    display: shown.toString(),
  };
}

/**
 * Waits for a connection that retries for ever (a Redis restarting must not fail a batch), saying so
 * after a few seconds, so an unreachable queue is not a silent hang.
 */
export async function whenReady(ready: Promise<unknown>, q: QueueAddress, log: (line: string) => void): Promise<void> {
  const timer = setTimeout(() => log(`waiting for the queue at ${q.display} (is Redis running and reachable?)`), 3000);
  try {
    await ready;
  } finally {
    clearTimeout(timer);
  }
}
