/**
 * Finished classes of a queued scan, kept in Redis beside its job (a hash, one field per class) so
 * they outlive the worker that computed them: a worker that picks the job up again (after a crash,
 * a stall, or a release on SIGTERM) starts from them, and the coordinator records them as they come.
 * The first result of a class wins (HSETNX): every later reader sees the same class. A class the
 * ablation backoff scans again (src/main/engine/scan/ablation-backoff.ts) has a second field for its
 * second pass, so both passes are kept and recorded in order.
 */
import type { RedisClient } from 'bullmq';
import type { ClassArtifacts, ClassFinding } from '../../shared/results.ts';
import { decodeClass, encodeClass, type StoredClass } from './scan-job.ts';

const key = (jobId: string): string => `uma:checkpoint:${jobId}`;

/** One checkpointed class: its index, and whether it is the ablation backoff's second pass. */
export interface CheckpointEntry {
  index: number;
  second: boolean;
}
const field = (e: CheckpointEntry): string => (e.second ? `${e.index}.2` : String(e.index));
const entryOf = (f: string): CheckpointEntry => ({ index: Number.parseInt(f, 10), second: f.endsWith('.2') });
/** Class order, a first pass before its class's second. */
const byPass = (a: CheckpointEntry, b: CheckpointEntry): number =>
  a.index - b.index || Number(a.second) - Number(b.second);

// BullMQ's client interface has no HSETNX or HKEYS; as scripts they run on any client it adapts.
const SCRIPTS = {
  umaCheckpointSave: { numberOfKeys: 1, lua: "return redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])" },
  umaCheckpointKeys: { numberOfKeys: 1, lua: "return redis.call('HKEYS', KEYS[1])", readOnly: true },
};
const defined = new WeakSet<RedisClient>();

function run(redis: RedisClient, name: keyof typeof SCRIPTS, args: string[]): Promise<unknown> {
  if (!defined.has(redis)) {
    for (const [n, def] of Object.entries(SCRIPTS)) redis.defineCommand(n, def);
    defined.add(redis);
  }
  return redis.runCommand(name, args);
}

export async function saveClass(
  redis: RedisClient,
  jobId: string,
  finding: ClassFinding,
  artifacts: ClassArtifacts,
): Promise<void> {
  await run(redis, 'umaCheckpointSave', [
    key(jobId),
    field({ index: finding.index, second: finding.firstPass !== undefined }),
    JSON.stringify(encodeClass(finding, artifacts)),
  ]);
}

export async function loadClasses(
  redis: RedisClient,
  jobId: string,
): Promise<{ finding: ClassFinding; artifacts: ClassArtifacts }[]> {
  const all = await redis.hgetall(key(jobId));
  return Object.values(all)
    .map((v) => decodeClass(JSON.parse(v) as StoredClass))
    .sort((a, b) =>
      byPass(
        { index: a.finding.index, second: a.finding.firstPass !== undefined },
        { index: b.finding.index, second: b.finding.firstPass !== undefined },
      ),
    );
}

/** Only which classes, at which pass (the coordinator's poll asks this often; the PNGs are fetched once). */
export async function checkpointedClasses(redis: RedisClient, jobId: string): Promise<CheckpointEntry[]> {
  const fields = (await run(redis, 'umaCheckpointKeys', [key(jobId)])) as string[];
  return fields.map(entryOf).sort(byPass);
}

export async function loadClass(
  redis: RedisClient,
  jobId: string,
  entry: CheckpointEntry,
): Promise<{ finding: ClassFinding; artifacts: ClassArtifacts } | null> {
  const v = await redis.hget(key(jobId), field(entry));
  return v === null ? null : decodeClass(JSON.parse(v) as StoredClass);
}

export async function dropCheckpoint(redis: RedisClient, jobId: string): Promise<void> {
  await redis.del(key(jobId));
}
