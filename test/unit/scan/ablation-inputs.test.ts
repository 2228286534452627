import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/main/engine/backend/index.ts';
import type { Dataset } from '../../../src/main/engine/data/index.ts';
import { LayersClassifier } from '../../../src/main/engine/model/layers.ts';
import { EVAL_BATCH, joinShards, ScanContext, shardRanges } from '../../../src/main/engine/scan/context.ts';
import { mulberry32 } from '../../../src/main/engine/random.ts';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('shard ranges', () => {
  it('cover every row once, cut at multiples of the evaluation batch', () => {
    for (const [count, parts] of [
      [1000, 2],
      [600, 3],
      [100, 2],
      [257, 4],
      [5000, 1],
    ]) {
      const r = shardRanges(count, parts);
      expect(r[0][0]).toBe(0);
      expect(r[r.length - 1][1]).toBe(count);
      expect(r.length).toBeLessThanOrEqual(parts);
      r.forEach(([from, to], i) => {
        expect(from % EVAL_BATCH).toBe(0);
        expect(to).toBeGreaterThan(from);
        if (i > 0) expect(from).toBe(r[i - 1][1]);
      });
    }
    expect(shardRanges(1000, 2)).toEqual([
      [0, 512],
      [512, 1000],
    ]);
  });
});

describe('ablation inputs computed in shards', () => {
  it('join to exactly what one thread computes over all samples, and give l_k as the mean k-logit on other classes', async () => {
    const net = tf.sequential();
    net.add(
      tf.layers.conv2d({
        inputShape: [6, 6, 1],
        filters: 3,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
    );
    net.add(tf.layers.flatten());
    net.add(tf.layers.dense({ units: 4, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
    const model = await LayersClassifier.fromModel(net, 'tiny');
    const count = 600;
    const rand = mulberry32(5);
    const data: Dataset = {
      images: Float32Array.from({ length: count * 36 }, () => rand()),
      labels: Int32Array.from({ length: count }, (_, i) => i % 4),
      count,
      height: 6,
      width: 6,
      channels: 1,
      classNames: ['a', 'b', 'c', 'd'],
      source: 'synthetic',
    };
    const ctx = new ScanContext(model, data);
    const whole = await ctx.prepareShard(0, count, 0.5);
    expect(whole.front).not.toBeNull();
    const shards = await Promise.all(
      shardRanges(count, 3)
        .reverse()
        .map(([from, to]) => ctx.prepareShard(from, to, 0.5)),
    );
    const joined = joinShards(shards, count, 4);
    expect(joined.logits.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(joined.logits)).toEqual(Array.from(whole.logits));
    expect(joined.front!.shape).toEqual(whole.front!.shape);
    expect(Array.from(joined.front!.values)).toEqual(Array.from(whole.front!.values));

    ctx.adopt(joined);
    const k = 2;
    const others = Array.from({ length: count }, (_, i) => i).filter((i) => data.labels[i] !== k);
    const lk = others.reduce((s, i) => s + whole.logits[i * 4 + k], 0) / others.length;
    expect(ctx.targetLogits[k]).toBeCloseTo(lk, 5);
    expect(ctx.logits.shape).toEqual([count, 4]);
    ctx.dispose();
    model.dispose();
  });
});
