/**
 * Renders docs/zoo/ATTACK.png for the zoo README: three MNIST and three CIFAR-10 test images, clean on
 * the top row and poisoned below, each attack prepared with seed 1 against the 80% training split.
 * Run: node bin/run-ts.mjs bench/zoo-gallery.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePng } from '../src/main/engine/data/image-codec.ts';
import { imageSize, type Dataset } from '../src/main/engine/data/index.ts';
import { mulberry32 } from '../src/main/engine/random.ts';
import { ATTACKS } from '../src/main/eval/zoo/attacks/index.ts';
import { loadSplit } from '../src/main/eval/zoo/datasets.ts';
import { attackContext } from '../src/main/eval/zoo/poison.ts';

const OUT = join(import.meta.dirname, '../docs/zoo');
const SAMPLES = 3;
const SIDE = 32; // every tile padded to 32x32 RGB so MNIST and CIFAR sit in one strip

function tile(ds: Dataset, image: Float32Array): Float32Array {
  const out = new Float32Array(SIDE * SIDE * 3);
  const off = (SIDE - ds.height) >> 1;
  for (let y = 0; y < ds.height; y++)
    for (let x = 0; x < ds.width; x++)
      for (let c = 0; c < 3; c++)
        out[((y + off) * SIDE + x + off) * 3 + c] =
          image[(y * ds.width + x) * ds.channels + (ds.channels === 1 ? 0 : c)];
  return out;
}

const sets = ['mnist', 'cifar10'].map((name) => loadSplit(name));
mkdirSync(OUT, { recursive: true });
for (const attack of Object.values(ATTACKS)) {
  const tiles: Float32Array[][] = [[], []];
  for (const { train, held } of sets) {
    const prepared = attack.prepare(
      { height: train.height, width: train.width, channels: train.channels },
      mulberry32(1),
      attackContext(train),
    );
    for (let i = 0; i < SAMPLES; i++) {
      const per = imageSize(held);
      const x = held.images.subarray(i * per, (i + 1) * per);
      tiles[0].push(tile(held, x));
      tiles[1].push(tile(held, prepared.apply(x)));
    }
  }
  const cols = tiles[0].length;
  const strip = new Float32Array(2 * SIDE * cols * SIDE * 3).fill(1);
  tiles.forEach((row, r) =>
    row.forEach((t, c) => {
      for (let y = 0; y < SIDE; y++)
        strip.set(t.subarray(y * SIDE * 3, (y + 1) * SIDE * 3), ((r * SIDE + y) * cols * SIDE + c * SIDE) * 3);
    }),
  );
  writeFileSync(join(OUT, `${attack.name}.png`), encodePng(strip, 2 * SIDE, cols * SIDE, 3, 2));
}
console.log(`wrote ${Object.keys(ATTACKS).length} pictures to ${OUT}`);
