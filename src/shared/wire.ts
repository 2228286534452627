/**
 * The WebSocket frame format: binary data travels as bytes, not as JSON number arrays. A frame is
 *   u32 (little-endian) length of the header | header (UTF-8 JSON) | blob 0 | blob 1 | ...
 * where the header is {m: message, b: [blob lengths]} and each Uint8Array inside the message is
 * replaced by {"$bytes": index}. Text frames (plain JSON, no blobs) are accepted too, for debugging.
 * Dependency-free: the renderer's WebSocket client bundles it as is.
 */
const MARK = '$bytes';

export function encodeFrame(message: unknown): Uint8Array {
  const blobs: Uint8Array[] = [];
  const m = JSON.stringify(
    message,
    // `this[key]` is the value before toJSON, so a Node Buffer is caught here too.
    function (this: Record<string, unknown>, key: string, value: unknown) {
      const original = this[key];
      if (original instanceof Uint8Array) {
        blobs.push(original);
        return { [MARK]: blobs.length - 1 };
      }
      if (value && typeof value === 'object' && !Array.isArray(value) && Object.hasOwn(value, MARK)) {
        throw new Error(`a message may not hold a '${MARK}' key of its own`);
      }
      return value;
    },
  );
  const json = `{"m":${m},"b":${JSON.stringify(blobs.map((b) => b.byteLength))}}`;
  const header = new TextEncoder().encode(json);
  const total = 4 + header.byteLength + blobs.reduce((s, b) => s + b.byteLength, 0);
  const frame = new Uint8Array(total);
  new DataView(frame.buffer).setUint32(0, header.byteLength, true);
  frame.set(header, 4);
  let at = 4 + header.byteLength;
  for (const b of blobs) {
    frame.set(b, at);
    at += b.byteLength;
  }
  return frame;
}

export class FrameError extends Error {}

/** The message of a frame; throws FrameError on anything malformed (the caller answers it). */
export function decodeFrame(data: Uint8Array | ArrayBuffer | string): unknown {
  if (typeof data === 'string') return parseJson(data);
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (bytes.byteLength < 4) throw new FrameError('frame shorter than its length prefix');
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (4 + headerLength > bytes.byteLength) throw new FrameError('frame header runs past the end of the frame');
  const header = parseJson(utf8(bytes.subarray(4, 4 + headerLength))) as { m?: unknown; b?: unknown };
  const lengths = header?.b;
  if (!Array.isArray(lengths) || !lengths.every((n) => Number.isInteger(n) && n >= 0))
    throw new FrameError('frame header has no blob table');
  const blobs: Uint8Array[] = [];
  let at = 4 + headerLength;
  for (const n of lengths as number[]) {
    if (at + n > bytes.byteLength) throw new FrameError('frame blob runs past the end of the frame');
    // A copy, so a message does not pin the whole frame (or the socket's buffer) in memory.
    blobs.push(bytes.slice(at, at + n));
    at += n;
  }
  if (at !== bytes.byteLength) throw new FrameError('frame has bytes after its last blob');
  return revive(header.m, blobs);
}

function utf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new FrameError('frame header is not UTF-8');
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new FrameError(`not JSON: ${(err as Error).message}`);
  }
}

function revive(value: unknown, blobs: Uint8Array[]): unknown {
  if (Array.isArray(value)) return value.map((v) => revive(v, blobs));
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === MARK) {
      const i = (value as Record<string, unknown>)[MARK];
      if (typeof i !== 'number' || !blobs[i]) throw new FrameError(`frame refers to a missing blob ${String(i)}`);
      return blobs[i];
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v, blobs)]));
  }
  return value;
}
