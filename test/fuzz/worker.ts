/**
 * The fuzzer's in-process loader: a worker thread that loads each case as the workstation would
 * (loadModelFile / loadDataset), says how it ended, and then checks the thread is still healthy: a
 * known-good model loads and gives the logits it gave before any case ran.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { UmaError } from '../../src/shared/errors.ts';
import { initBackend } from '../../src/main/engine/backend/index.ts';
import { loadDataset } from '../../src/main/engine/data/index.ts';
import { loadOnnx } from '../../src/main/engine/model/onnx/index.ts';
import { loadModelFile } from '../../src/main/engine/model/load.ts';
import type { FuzzCase } from './cases.ts';

export type Outcome = 'named' | 'accepted' | 'internal' | 'hang' | 'crash';
export interface CaseReply {
  outcome: Outcome;
  code?: string;
  message?: string;
  healthy: boolean;
}

const GOOD = new Uint8Array(readFileSync(join(import.meta.dirname, '../fixtures/onnx/cnn.onnx')));

async function goodLogits(): Promise<number[]> {
  const c = await loadOnnx(GOOD, { name: 'cnn.onnx' });
  try {
    return tf.tidy(() => Array.from(c.predict(tf.fill<tf.Rank.R4>([1, 28, 28, 1], 0.5)).dataSync()));
  } finally {
    c.dispose();
  }
}

await initBackend('wasm');
const reference = await goodLogits();

async function healthy(): Promise<boolean> {
  try {
    const logits = await goodLogits();
    return logits.length === reference.length && logits.every((v, i) => v === reference[i]);
  } catch {
    return false;
  }
}

async function load(c: FuzzCase): Promise<void> {
  if (c.target === 'data') {
    loadDataset(c.path, { channels: 1 });
    return;
  }
  const model = await loadModelFile(c.path);
  model.dispose();
}

async function answer(c: FuzzCase): Promise<void> {
  let reply: CaseReply;
  try {
    await load(c);
    reply = { outcome: 'accepted', healthy: true };
  } catch (err) {
    const named = err instanceof UmaError && err.code !== 'INTERNAL';
    const e = err as Error;
    reply = {
      outcome: named ? 'named' : 'internal',
      code: named ? err.code : e?.name,
      message: String(named ? e.message : (e?.stack ?? e)).slice(0, 600),
      healthy: true,
    };
  }
  reply.healthy = await healthy();
  parentPort!.postMessage(reply);
}

parentPort!.on('message', (c: FuzzCase) => void answer(c));
parentPort!.postMessage({ ready: true });
