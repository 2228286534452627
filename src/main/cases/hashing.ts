/**
 * Streaming sha256 of evidence files: models can be gigabytes, so nothing here reads a whole file
 * into memory. copyAndHash hashes the very bytes it writes into the store, in one pass.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';

export interface FileDigest {
  size: number;
  sha256: string;
}

export async function sha256File(file: string): Promise<FileDigest> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}

export async function copyAndHash(src: string, dest: string): Promise<FileDigest> {
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(
    fs.createReadStream(src, { highWaterMark: 1 << 20 }),
    tap,
    fs.createWriteStream(dest, { flags: 'wx' }),
  );
  return { size, sha256: hash.digest('hex') };
}
