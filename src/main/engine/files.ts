/**
 * Safe opening of evidence files. A path given as a model or data set, or named inside one (a weight
 * shard, an image), may be a FIFO, a device (/dev/zero), a symbolic link loop or a link out of the
 * model's folder; reading any of those hangs or pulls in bytes that are not the evidence. Paths are resolved (realpath) first, then
 * only regular files of a plausible size are read.
 */
import { closeSync, openSync, readFileSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { relative, isAbsolute } from 'node:path';
import { UmaError } from '../../shared/errors.ts';

/** ONNX protobufs end at 2 GiB; nothing a classifier scan can hold in memory is larger. */
export const MAX_MODEL_FILE_BYTES = 2 ** 31;

/** The real path of `path` and its stat; a missing path and a link loop each get their own wording. */
export function resolveEvidencePath(path: string, what = 'file or folder'): { real: string; stat: Stats } {
  let real: string;
  try {
    real = realpathSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new UmaError('BAD_INPUT', `${path}: symbolic link loop`);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UmaError('NOT_FOUND', `${path}: no such ${what}`);
    throw new UmaError('BAD_INPUT', `${path}: cannot be opened (${(err as Error).message})`);
  }
  return { real, stat: statSync(real) };
}

/** Throws unless `stat` is a regular file of at most `maxBytes` (FIFOs, devices and sockets never are). */
export function requireRegularFile(path: string, stat: Stats, maxBytes = MAX_MODEL_FILE_BYTES): void {
  if (!stat.isFile()) {
    const kind = stat.isFIFO()
      ? 'a FIFO'
      : stat.isCharacterDevice() || stat.isBlockDevice()
        ? 'a device'
        : stat.isSocket()
          ? 'a socket'
          : 'not a regular file';
    throw new UmaError('BAD_INPUT', `${path}: ${kind}; only regular files are read as evidence`);
  }
  if (stat.size > maxBytes) {
    throw new UmaError('BAD_INPUT', `${path}: ${stat.size} bytes, more than the ${maxBytes} such a file may have`);
  }
}

/** The bytes of a regular file (after resolving links), refusing special files and oversized ones. */
export function readRegularFile(path: string, maxBytes = MAX_MODEL_FILE_BYTES): Buffer {
  const { real, stat } = resolveEvidencePath(path, 'file');
  requireRegularFile(path, stat, maxBytes);
  return readFileSync(real);
}

/** Whether `real` lies inside the folder `realDir` (both already resolved). */
export function isInside(realDir: string, real: string): boolean {
  const rel = relative(realDir, real);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** The first `n` bytes of a file (fewer when it is shorter): enough to tell a format by its magic. */
export function fileHead(path: string, n = 8): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(n);
    return buf.subarray(0, readSync(fd, buf, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}
