/** The WebSocket frame codec: bytes as blobs, not number arrays; every malformed frame a FrameError. */
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, FrameError } from '../../../src/shared/wire.ts';

describe('wire frames', () => {
  it('round-trips messages with nested Uint8Arrays and Buffers, keeping them out of the JSON header', () => {
    const a = new Uint8Array([137, 80, 78, 71, 0, 255]);
    const msg = {
      kind: 'event',
      event: { images: { mask: a, stamped: [Buffer.from('xy'), new Uint8Array(0)] }, n: 3, s: 'text' },
    };
    const frame = encodeFrame(msg);
    const headerLength = new DataView(frame.buffer).getUint32(0, true);
    const header = new TextDecoder().decode(frame.subarray(4, 4 + headerLength));
    expect(header).toBe(
      '{"m":{"kind":"event","event":{"images":{"mask":{"$bytes":0},"stamped":[{"$bytes":1},{"$bytes":2}]},"n":3,"s":"text"}},"b":[6,2,0]}',
    );
    const back = decodeFrame(frame) as typeof msg;
    expect(back.event.images.mask).toBeInstanceOf(Uint8Array);
    expect([...back.event.images.mask]).toEqual([...a]);
    expect(Buffer.from(back.event.images.stamped[0]).toString()).toBe('xy');
    expect(back.event.images.stamped[1].byteLength).toBe(0);
    expect(back.event.n).toBe(3);
  });

  it('decodes a frame that sits at an offset inside a larger buffer (as Node hands them over)', () => {
    const frame = encodeFrame({ b: new Uint8Array([1, 2, 3]) });
    const big = new Uint8Array(frame.byteLength + 10);
    big.set(frame, 7);
    expect([...(decodeFrame(big.subarray(7, 7 + frame.byteLength)) as { b: Uint8Array }).b]).toEqual([1, 2, 3]);
  });

  it('accepts plain JSON text frames', () => {
    expect(decodeFrame('{"kind":"request","id":1}')).toEqual({ kind: 'request', id: 1 });
  });

  it('refuses a message with its own $bytes key rather than mangling it', () => {
    expect(() => encodeFrame({ x: { $bytes: 0 } })).toThrow(/\$bytes/);
  });

  it.each([
    ['too short', new Uint8Array([1, 0])],
    ['header past the end', new Uint8Array([200, 0, 0, 0, 123])],
    ['not JSON', Uint8Array.from([3, 0, 0, 0, ...Buffer.from('{{{')])],
    ['not UTF-8', Uint8Array.from([2, 0, 0, 0, 0xff, 0xfe])],
    ['no blob table', Uint8Array.from([9, 0, 0, 0, ...Buffer.from('{"m":1}  ')])],
    ['blob past the end', Uint8Array.from([14, 0, 0, 0, ...Buffer.from('{"m":1,"b":[9]}').subarray(0, 14)])],
    [
      'trailing bytes',
      (() => {
        const f = encodeFrame({ a: 1 });
        return Uint8Array.from([...f, 0]);
      })(),
    ],
    [
      'missing blob',
      (() => {
        const h = Buffer.from('{"m":{"$bytes":4},"b":[]}');
        return Uint8Array.from([h.length, 0, 0, 0, ...h]);
      })(),
    ],
  ])('throws FrameError on %s', (_name, bytes) => {
    expect(() => decodeFrame(bytes)).toThrow(FrameError);
  });
});
