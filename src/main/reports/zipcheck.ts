/**
 * A strict reading of the archive's zip container. Zip readers (fflate's included) take what they
 * need from the central directory and ignore the rest: local headers, CRCs, attributes. For "any
 * changed byte fails verification" to hold for the container too, every byte must be either file
 * content (covered by the manifests and the signature) or metadata that is cross-checked: each
 * local header must repeat its central entry, each CRC must match the content, entries must be
 * stored (no compression: deflate's padding bits could change unseen), contiguous and in order,
 * with the fixed values bagging writes (no extras, comments or attributes).
 */
import { crc32 } from 'node:zlib';

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const UTF8_FLAG = 0x0800;

/** Problems with the container, empty when it is exactly as bagging writes it. */
export function zipProblems(zip: Uint8Array): string[] {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const u16 = (o: number): number => v.getUint16(o, true);
  const u32 = (o: number): number => v.getUint32(o, true);
  const end = zip.length - 22;
  if (end < 0 || u32(end) !== END) return ['no end-of-directory record at the end (trailing or missing bytes)'];
  const entries = u16(end + 10);
  const cdSize = u32(end + 12);
  const cdOffset = u32(end + 16);
  const problems: string[] = [];
  if (u16(end + 4) !== 0 || u16(end + 6) !== 0 || u16(end + 8) !== entries || u16(end + 20) !== 0)
    problems.push('end record has disk numbers, split counts or a comment');
  if (cdOffset + cdSize !== end) return [...problems, 'central directory does not end where the end record starts'];

  let local = 0;
  let cd = cdOffset;
  const names = new Set<string>();
  for (let i = 0; i < entries; i++) {
    if (cd + 46 > end || u32(cd) !== CENTRAL) return [...problems, `central entry ${i} is malformed`];
    const nameLen = u16(cd + 28);
    const name = Buffer.from(zip.subarray(cd + 46, cd + 46 + nameLen)).toString('utf8');
    const where = `entry ${i} (${name})`;
    if (u16(cd + 4) !== 20 || u16(cd + 6) !== 20) problems.push(`${where}: unexpected zip version fields`);
    if ((u16(cd + 8) & ~UTF8_FLAG) !== 0 || u16(cd + 10) !== 0)
      problems.push(`${where}: flags set or not stored uncompressed`);
    if (u16(cd + 30) !== 0 || u16(cd + 32) !== 0 || u16(cd + 34) !== 0 || u16(cd + 36) !== 0 || u32(cd + 38) !== 0) {
      problems.push(`${where}: extra field, comment, disk number or attributes set`);
    }
    if (u32(cd + 42) !== local) return [...problems, `${where}: local header not where the previous entry ended`];
    if (names.has(name)) problems.push(`${where}: name appears twice`);
    names.add(name);
    // The local header must repeat the central entry byte for byte (version .. extra length, name).
    if (local + 30 + nameLen > cdOffset || u32(local) !== LOCAL) return [...problems, `${where}: local header missing`];
    const same =
      Buffer.compare(zip.subarray(local + 4, local + 30), zip.subarray(cd + 6, cd + 32)) === 0 &&
      Buffer.compare(zip.subarray(local + 30, local + 30 + nameLen), zip.subarray(cd + 46, cd + 46 + nameLen)) === 0;
    if (!same) problems.push(`${where}: local header differs from the central directory`);
    const size = u32(cd + 20);
    const dataStart = local + 30 + nameLen;
    if (size !== u32(cd + 24) || dataStart + size > cdOffset) return [...problems, `${where}: sizes inconsistent`];
    if (crc32(zip.subarray(dataStart, dataStart + size)) !== u32(cd + 16))
      problems.push(`${where}: CRC-32 does not match the content`);
    local = dataStart + size;
    cd += 46 + nameLen;
  }
  if (local !== cdOffset) problems.push('bytes between the last entry and the central directory');
  if (cd !== end) problems.push('bytes after the last central entry');
  return problems;
}
