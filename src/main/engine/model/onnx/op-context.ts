/**
 * What an op implementation sees: its node, its input values, typed attribute getters with ONNX
 * defaults, and the mode. Errors raised here name the node, so an analyst can find it in Netron.
 */
import * as tf from '@tensorflow/tfjs';
import { UmaError } from '../../../../shared/errors.ts';
import type { AttrValue, OnnxNode, OnnxTensor } from './proto.ts';
import { onnxShape, onnxTensor, type Layout, type Val } from './layout.ts';

export interface RunState {
  training: boolean;
  /** Seeded source for Dropout masks. */
  rand: () => number;
  opset: number;
  /** The batch size of this run, and the one baked into the graph input when it was exported fixed. */
  batch: number;
  exportBatch?: number;
}

export class OpCtx {
  constructor(
    readonly node: OnnxNode,
    private readonly inputs: (Val | undefined)[],
    readonly state: RunState,
  ) {}

  get opset(): number {
    return this.state.opset;
  }

  fail(message: string, code: 'BAD_MODEL' | 'UNSUPPORTED_MODEL' = 'BAD_MODEL'): never {
    throw new UmaError(code, `node ${this.node.name} (${this.node.op}): ${message}`, {
      node: this.node.name,
      op: this.node.op,
    });
  }

  /** Whether optional input i was given (ONNX marks skipped optional inputs with ''). */
  has(i: number): boolean {
    return this.inputs[i] !== undefined;
  }

  get count(): number {
    return this.inputs.length;
  }

  val(i: number): Val {
    const v = this.inputs[i];
    if (!v) this.fail(`input ${i} is missing`);
    return v;
  }

  /** Input i in ONNX axis order. */
  onnx(i: number): tf.Tensor {
    return onnxTensor(this.val(i));
  }

  shape(i: number): number[] {
    return onnxShape(this.val(i));
  }

  /** Input i as concrete integers; only shape arithmetic (static values) can be read at run time. */
  ints(i: number): number[] {
    const v = this.val(i);
    if (!v.isStatic) {
      this.fail(
        `input ${i} ('${this.node.inputs[i]}') is computed from the image values, so this shape cannot be resolved; export with static shapes`,
      );
    }
    return Array.from(onnxTensor(v).dataSync(), Number);
  }

  /** A scalar input (Clip bounds, Dropout ratio) as a number. */
  scalar(i: number): number {
    return Number(this.onnx(i).dataSync()[0]);
  }

  attr(name: string): AttrValue | undefined {
    return this.node.attrs[name];
  }

  int(name: string, dflt: number): number {
    const a = this.node.attrs[name];
    return typeof a === 'number' ? Math.trunc(a) : dflt;
  }

  float(name: string, dflt: number): number {
    const a = this.node.attrs[name];
    return typeof a === 'number' ? a : dflt;
  }

  intList(name: string): number[] | undefined {
    const a = this.node.attrs[name];
    return Array.isArray(a) ? (a as number[]) : undefined;
  }

  str(name: string, dflt: string): string {
    const a = this.node.attrs[name];
    return typeof a === 'string' ? a : dflt;
  }

  tensorAttr(name: string): OnnxTensor | undefined {
    const a = this.node.attrs[name];
    return a && typeof a === 'object' && !Array.isArray(a) ? a : undefined;
  }

  /**
   * Refuses an output shape no classifier needs (2^28 elements, 1 GiB of float32) before it is
   * allocated: a damaged size attribute must fail, not exhaust the WASM heap.
   */
  checkSize(shape: number[]): number[] {
    const n = shape.reduce((a, b) => a * b, 1);
    if (shape.some((d) => !Number.isInteger(d) || d < 0) || n > 2 ** 28)
      this.fail(`implausible output shape [${shape.join(', ')}]`);
    return shape;
  }

  /** Normalises a possibly negative axis against rank. */
  axis(a: number, rank: number): number {
    const ax = a < 0 ? a + rank : a;
    if (ax < 0 || ax >= rank) this.fail(`axis ${a} is out of range for rank ${rank}`);
    return ax;
  }
}

export function out(t: tf.Tensor, layout: Layout = 'onnx'): Val {
  // isStatic is decided by the executor from the node's inputs.
  return { t, layout, isStatic: false };
}

export type OpImpl = (ctx: OpCtx) => Val | Val[];
