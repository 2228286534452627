/** The operator registry: ONNX op_type (default domain) -> implementation. */
import type { OpImpl } from '../op-context.ts';
import { conv } from './conv.ts';
import { ELEMENTWISE_OPS } from './elementwise.ts';
import { LINALG_OPS } from './linalg.ts';
import { NORM_OPS } from './norm.ts';
import { POOL_OPS } from './pool.ts';
import { SHAPE_OPS } from './shape.ts';

export const OPS: Readonly<Record<string, OpImpl>> = {
  Conv: conv,
  ...ELEMENTWISE_OPS,
  ...LINALG_OPS,
  ...NORM_OPS,
  ...POOL_OPS,
  ...SHAPE_OPS,
};

export const SUPPORTED_OPS = Object.keys(OPS).sort();
