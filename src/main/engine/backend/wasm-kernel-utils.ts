/**
 * What the project's WASM kernels share: typed views of tensors on the WASM heap, and the stock
 * tfjs-wasm kernels they replaced (captured once at registration, see wasm-kernels.ts).
 *
 * Heap views: the backend's memory can grow when it allocates, which detaches every view made before.
 * So a kernel allocates all its outputs first (`backend.makeOutput`) and takes views afterwards.
 */
import type { DataType, KernelConfig, KernelFunc, NamedAttrMap, TensorInfo, TypedArray } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type { BackendWasm };

export interface WasmKernelArgs {
  inputs: Record<string, TensorInfo>;
  backend: BackendWasm;
  attrs?: NamedAttrMap;
}

/** A view of a tensor's values on the WASM heap (valid until the next allocation). */
export function heapView(backend: BackendWasm, t: TensorInfo): TypedArray {
  return backend.typedArrayFromHeap(t);
}

/** A float32 view of a tensor on the WASM heap; refuses other dtypes by name. */
export function heapF32(backend: BackendWasm, t: TensorInfo, kernel: string): Float32Array {
  if (t.dtype !== 'float32') throw new Error(`${kernel} on WASM supports float32 only, got ${t.dtype}`);
  return backend.typedArrayFromHeap(t) as Float32Array;
}

/** Allocates an output tensor on the WASM heap. */
export function makeOutput(backend: BackendWasm, shape: number[], dtype: DataType): TensorInfo {
  return backend.makeOutput(shape, dtype);
}

/** A kernel's per-axis (height, width) attribute: strides or dilations. */
export type Pair = [number, number];

/** A strides/dilations attribute as a pair: absent is 1, a number is both axes. */
export function pair(v: unknown): Pair {
  if (v == null) return [1, 1];
  return typeof v === 'number' ? [v, v] : [(v as number[])[0], (v as number[])[1]];
}

const stock = new Map<string, KernelConfig | null>();

/** Records the stock kernel about to be replaced, only the first time (a later call would find ours). */
export function captureStock(kernelName: string, existing: KernelConfig | undefined): KernelConfig | null {
  if (!stock.has(kernelName)) stock.set(kernelName, existing ?? null);
  return stock.get(kernelName) ?? null;
}

/**
 * The stock tfjs-wasm kernel a project kernel replaced (for delegation and the benchmark). Throws if
 * the project kernels are not registered yet or tfjs shipped no such kernel.
 */
export function stockWasmKernel(kernelName: string): KernelFunc {
  const config = stock.get(kernelName);
  if (!config)
    throw new Error(`no stock WASM kernel '${kernelName}' was captured (register the project kernels first)`);
  return config.kernelFunc;
}

/** Runs the stock kernel `kernelName` on the WASM backend. */
export function runStock(
  kernelName: string,
  backend: BackendWasm,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap = {},
): TensorInfo {
  return stockWasmKernel(kernelName)({ inputs, backend, attrs }) as TensorInfo;
}
