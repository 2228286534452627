/**
 * Seeded batch draws over a list of sample indices: epochs of a fresh shuffle when the pool holds at
 * least one batch, draws with replacement when it is smaller.
 */
import { shuffled } from '../random.ts';

export class BatchSampler {
  private order: number[] = [];
  private pos = 0;

  constructor(
    private readonly pool: readonly number[],
    private readonly batch: number,
    private readonly rand: () => number,
  ) {
    if (pool.length === 0) throw new RangeError('cannot draw batches from an empty pool');
  }

  next(): number[] {
    if (this.pool.length < this.batch) {
      return Array.from({ length: this.batch }, () => this.pool[Math.floor(this.rand() * this.pool.length)]);
    }
    if (this.pos + this.batch > this.order.length) {
      this.order = shuffled(this.pool, this.rand);
      this.pos = 0;
    }
    const out = this.order.slice(this.pos, this.pos + this.batch);
    this.pos += this.batch;
    return out;
  }
}
