/**
 * Whether an ONNX graph normalises its own input: an elementwise Sub/Div/Mul/Add with a constant
 * operand applied to the input before the first Conv/Gemm/MatMul (torchvision-style exports that
 * wrap a Normalize, Keras exports with a Rescaling layer). Then predict's mean 0 / std 1 is right,
 * and the "no input normalisation" warning would mislead.
 */
import type { OnnxModel } from './proto.ts';

const ARITHMETIC = new Set(['Sub', 'Div', 'Mul', 'Add']);
const FIRST_WEIGHTED = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

export function graphNormalisesInput(model: OnnxModel): boolean {
  const input = model.inputs[0]?.name;
  if (!input) return false;
  const constants = new Set([...model.initializers.keys()]);
  for (const n of model.nodes) if (n.op === 'Constant') n.outputs.forEach((o) => constants.add(o));
  const fromInput = new Set([input]);
  // ONNX requires nodes in topological order, so one pass sees every path from the input in order.
  for (const n of model.nodes) {
    if (!n.inputs.some((i) => fromInput.has(i))) continue;
    if (FIRST_WEIGHTED.has(n.op)) return false;
    if (ARITHMETIC.has(n.op) && n.inputs.some((i) => constants.has(i))) return true;
    n.outputs.forEach((o) => fromInput.add(o));
  }
  return false;
}
