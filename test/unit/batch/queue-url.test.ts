/** The queue URL: connection options, TLS and password handling, and the loopback-only rule under test. */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseQueueUrl } from '../../../src/main/batch/queue-url.ts';
import { tempDir } from '../../fixtures/reports/scan-fixture.ts';

const saved = process.env.UMA_QUEUE_PASSWORD;
afterEach(() => {
  if (saved === undefined) delete process.env.UMA_QUEUE_PASSWORD;
  else process.env.UMA_QUEUE_PASSWORD = saved;
});

describe('parseQueueUrl', () => {
  it('reads host, port and database number', () => {
    const q = parseQueueUrl('redis://127.0.0.1:6380/2');
    expect(q.connection).toMatchObject({ host: '127.0.0.1', port: 6380, db: 2, tls: undefined });
    expect(q.display).toBe('redis://127.0.0.1:6380/2');
  });

  it('refuses a non-loopback Redis under test', () => {
    expect(() => parseQueueUrl('redis://10.0.0.5:6379')).toThrow(/only a loopback Redis/);
    expect(() => parseQueueUrl('redis://queue.lab.example:6379')).toThrow(/only a loopback Redis/);
  });

  it('keeps the password for the connection and out of what is shown', () => {
    const q = parseQueueUrl('redis://scanner:s3cret@localhost:6379');
    expect(q.connection).toMatchObject({ username: 'scanner', password: 's3cret' });
    expect(q.display).not.toContain('s3cret');
    expect(q.display).toBe('redis://scanner@localhost:6379');
  });

  it('takes the password from UMA_QUEUE_PASSWORD when the URL has none', () => {
    process.env.UMA_QUEUE_PASSWORD = 'from-env';
    expect(parseQueueUrl('redis://localhost:6379').connection).toMatchObject({ password: 'from-env' });
  });

  it('turns on TLS for rediss://, with the CA file given as ?ca=', () => {
    const dir = tempDir('uma-queue-url-');
    const ca = path.join(dir, 'ca.pem');
    fs.writeFileSync(ca, 'not really a certificate');
    try {
      const q = parseQueueUrl(`rediss://localhost:6380?ca=${encodeURIComponent(ca)}`);
      const tls = (q.connection as { tls?: { servername: string; ca: Buffer } }).tls;
      expect(tls?.servername).toBe('localhost');
      expect(tls?.ca.toString()).toBe('not really a certificate');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names what is wrong with a bad URL', () => {
    expect(() => parseQueueUrl('127.0.0.1:6379')).toThrow(/redis:\/\/HOST:PORT/);
    expect(() => parseQueueUrl('http://127.0.0.1:6379')).toThrow(/not http:/);
    expect(() => parseQueueUrl('redis://127.0.0.1:6379?ca=/x.pem')).toThrow(/TLS option; use a rediss/);
    expect(() => parseQueueUrl('redis://127.0.0.1:6379/x')).toThrow(/not a database number/);
  });
});
