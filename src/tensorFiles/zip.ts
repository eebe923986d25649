/**
 * A small, strict zip reader for .npz (NumPy's zip of .npy members, stored or deflated) and torch.save's zip
 * (stored records, 64-byte aligned by padding in the local headers). It reads the end-of-central-directory
 * record (and the zip64 one), the central directory, and a member's local header only when that member is
 * opened, so listing a 1 GB checkpoint reads a few kilobytes.
 *
 * Strict means: one disk, no encryption, only methods 0 (stored) and 8 (deflate), every offset inside the
 * file, members inside the data area before the central directory, no two members over the same bytes (the
 * overlapping-member zip bomb), local and central headers that agree, and an inflated member exactly the
 * size and CRC-32 its directory entry declares.
 */
import { crc32 } from 'node:zlib';
import { TensorFileError, bytesText, count, refuse } from './errors';
import { inflate, latin1, utf8, view, uint64, type Job, type Region } from './source';

export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
  /** where the next member (or the central directory) starts: this member's bytes must end before it */
  readonly limit: number;
}

export interface ZipDirectory {
  readonly entries: readonly ZipEntry[];
  readonly byName: ReadonlyMap<string, ZipEntry>;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** the central directory is read whole; a million members fit in far less */
const MAX_CENTRAL_DIRECTORY = 256 << 20;

export function isZipStart(head: Uint8Array): boolean {
  return (
    head.length >= 4 &&
    head[0] === 0x50 &&
    head[1] === 0x4b &&
    ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))
  );
}

export function* readZipDirectory(file: Region): Job<ZipDirectory> {
  const what = file.what;
  if (file.size < 22) refuse('bad_zip', `${what} is ${file.size} bytes: too short for a zip archive`);
  const tailLength = Math.min(file.size, 22 + 0xffff);
  const tailStart = file.size - tailLength;
  const tail = yield* file.read(tailStart, tailLength);
  const tv = view(tail);
  // the record is followed by its comment and nothing else: scan back for a signature whose comment length fits
  let at = -1;
  for (let i = tailLength - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD && i + 22 + tv.getUint16(i + 20, true) === tailLength) {
      at = i;
      break;
    }
  }
  if (at < 0) {
    refuse(
      'bad_zip',
      `${what} has no end-of-central-directory record: it is truncated (a zip archive's directory is at its end) or not a zip archive`,
    );
  }
  const eocdOffset = tailStart + at;
  let disk = tv.getUint16(at + 4, true);
  let cdDisk = tv.getUint16(at + 6, true);
  let entriesOnDisk = tv.getUint16(at + 8, true);
  let entryCount = tv.getUint16(at + 10, true);
  let cdSize = tv.getUint32(at + 12, true);
  let cdOffset = tv.getUint32(at + 16, true);
  let dataEnd = eocdOffset;
  if (entryCount === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff || entriesOnDisk === 0xffff) {
    if (eocdOffset < 20) refuse('bad_zip', `${what}: a zip64 archive without its zip64 locator`);
    const locator = view(yield* file.read(eocdOffset - 20, 20));
    if (locator.getUint32(0, true) !== ZIP64_LOCATOR) {
      refuse('bad_zip', `${what}: the directory's sizes say zip64, but there is no zip64 locator before it`);
    }
    const recordOffset = uint64(locator, 8);
    if (recordOffset === null || recordOffset + 56 > eocdOffset - 20) {
      refuse('bad_zip', `${what}: the zip64 locator points outside the file`);
    }
    const record = view(yield* file.read(recordOffset, 56));
    if (record.getUint32(0, true) !== ZIP64_EOCD)
      refuse('bad_zip', `${what}: no zip64 directory record where its locator points`);
    disk = record.getUint32(16, true);
    cdDisk = record.getUint32(20, true);
    const onDisk = uint64(record, 24);
    const total = uint64(record, 32);
    const size64 = uint64(record, 40);
    const offset64 = uint64(record, 48);
    if (onDisk === null || total === null || size64 === null || offset64 === null) {
      refuse('bad_zip', `${what}: the zip64 directory record holds sizes past 2^53`);
    }
    entriesOnDisk = onDisk;
    entryCount = total;
    cdSize = size64;
    cdOffset = offset64;
    dataEnd = recordOffset;
  }
  if (disk !== 0 || cdDisk !== 0 || entriesOnDisk !== entryCount) {
    refuse('unsupported', `${what} is a multi-part (spanned) zip archive: join its parts into one file first`);
  }
  if (cdOffset + cdSize > dataEnd) {
    refuse(
      'out_of_bounds',
      `${what}: the central directory (bytes ${count(cdOffset)}…${count(cdOffset + cdSize)}) runs past where it must end (byte ${count(dataEnd)}): the file is truncated or corrupt`,
    );
  }
  if (cdSize > MAX_CENTRAL_DIRECTORY)
    refuse('too_large', `${what}: a central directory of ${bytesText(cdSize)} is not plausible`);
  if (entryCount * 46 > cdSize) {
    refuse('bad_zip', `${what}: ${count(entryCount)} members cannot fit in a central directory of ${cdSize} bytes`);
  }
  const cd = yield* file.read(cdOffset, cdSize);
  const dv = view(cd);
  const entries: (Omit<ZipEntry, 'limit'> & { nameLength: number })[] = [];
  const byName = new Map<string, true>();
  let p = 0;
  for (let i = 0; i < entryCount; i++) {
    if (p + 46 > cdSize || dv.getUint32(p, true) !== CENTRAL) {
      refuse(
        'bad_zip',
        `${what}: central directory entry ${i + 1} of ${entryCount} is not where it should be (byte ${cdOffset + p})`,
      );
    }
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    const crc = dv.getUint32(p + 16, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let size = dv.getUint32(p + 24, true);
    const nameLength = dv.getUint16(p + 28, true);
    const extraLength = dv.getUint16(p + 30, true);
    const commentLength = dv.getUint16(p + 32, true);
    const diskStart = dv.getUint16(p + 34, true);
    let localHeaderOffset = dv.getUint32(p + 42, true);
    const end = p + 46 + nameLength + extraLength + commentLength;
    if (end > cdSize) refuse('bad_zip', `${what}: central directory entry ${i + 1} runs past the directory's end`);
    const nameBytes = cd.subarray(p + 46, p + 46 + nameLength);
    const name = flags & 0x800 ? utf8(nameBytes) : latin1(nameBytes);
    if (name === null) refuse('bad_zip', `${what}: member ${i + 1}'s name is not valid UTF-8`);
    // zip64 extended information: the 0xFFFFFFFF fields, in this order, from the extra field 0x0001
    const needs = [size === 0xffffffff, compressedSize === 0xffffffff, localHeaderOffset === 0xffffffff];
    if (needs.some(Boolean)) {
      let q = p + 46 + nameLength;
      const extraEnd = q + extraLength;
      let found = false;
      while (q + 4 <= extraEnd) {
        const id = dv.getUint16(q, true);
        const len = dv.getUint16(q + 2, true);
        if (q + 4 + len > extraEnd) break;
        if (id === 1) {
          let r = q + 4;
          const next = () => {
            if (r + 8 > q + 4 + len) refuse('bad_zip', `${what}: member ${name}'s zip64 field is too short`);
            const v = uint64(dv, r);
            r += 8;
            if (v === null) refuse('bad_zip', `${what}: member ${name} declares a size past 2^53`);
            return v;
          };
          if (needs[0]) size = next();
          if (needs[1]) compressedSize = next();
          if (needs[2]) localHeaderOffset = next();
          found = true;
          break;
        }
        q += 4 + len;
      }
      if (!found) refuse('bad_zip', `${what}: member ${name} needs a zip64 field and has none`);
    }
    if (diskStart !== 0) refuse('unsupported', `${what} is a multi-part (spanned) zip archive`);
    if (localHeaderOffset + 30 + nameLength + compressedSize > cdOffset) {
      refuse(
        'out_of_bounds',
        `${what}: member ${JSON.stringify(name)} (${count(compressedSize)} bytes at byte ${count(localHeaderOffset)}) runs past the data area, which ends at byte ${count(cdOffset)}: the file is truncated or corrupt`,
      );
    }
    if (byName.has(name)) refuse('bad_zip', `${what} has two members named ${JSON.stringify(name)}`);
    entries.push({ name, method, flags, crc32: crc, compressedSize, size, localHeaderOffset, nameLength });
    byName.set(name, true);
    p = end;
  }
  // each member must end before the next one starts (checked exactly once its local header is read)
  const sorted = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  const limits = new Map<object, number>();
  for (let i = 0; i < sorted.length; i++) {
    const limit = i + 1 < sorted.length ? sorted[i + 1].localHeaderOffset : cdOffset;
    const e = sorted[i];
    if (e.localHeaderOffset + 30 + e.nameLength + e.compressedSize > limit) {
      const other = sorted[i + 1];
      refuse(
        'overlap',
        `${what}: members ${JSON.stringify(e.name)} and ${JSON.stringify(other?.name)} claim the same bytes (at byte ${count(e.localHeaderOffset)}): a corrupt or malicious zip`,
      );
    }
    limits.set(e, limit);
  }
  const result: ZipEntry[] = entries.map((e) => ({
    name: e.name,
    method: e.method,
    flags: e.flags,
    crc32: e.crc32,
    compressedSize: e.compressedSize,
    size: e.size,
    localHeaderOffset: e.localHeaderOffset,
    limit: limits.get(e)!,
  }));
  return { entries: result, byName: new Map(result.map((e) => [e.name, e])) };
}

/** Where a member's bytes start, from its local header (checked against the central directory). */
export function* memberDataOffset(file: Region, entry: ZipEntry): Job<number> {
  const what = `${file.what}, member ${JSON.stringify(entry.name)}`;
  const header = yield* file.read(entry.localHeaderOffset, 30);
  const dv = view(header);
  if (dv.getUint32(0, true) !== LOCAL) {
    refuse('bad_zip', `${what}: no local header at byte ${count(entry.localHeaderOffset)} where the directory says`);
  }
  const method = dv.getUint16(8, true);
  const nameLength = dv.getUint16(26, true);
  const extraLength = dv.getUint16(28, true);
  if (method !== entry.method)
    refuse('bad_zip', `${what}: the local header says method ${method}, the directory ${entry.method}`);
  const dataOffset = entry.localHeaderOffset + 30 + nameLength + extraLength;
  if (dataOffset + entry.compressedSize > entry.limit) {
    refuse(
      'overlap',
      `${what} (${count(entry.compressedSize)} bytes from byte ${count(dataOffset)}) runs into the next member or the directory at byte ${count(entry.limit)}`,
    );
  }
  const localName = yield* file.read(entry.localHeaderOffset + 30, nameLength);
  const expected = entry.flags & 0x800 ? utf8(localName) : latin1(localName);
  if (expected !== entry.name) refuse('bad_zip', `${what}: the local header names it ${JSON.stringify(expected)}`);
  return dataOffset;
}

function checkReadable(file: Region, entry: ZipEntry): void {
  const what = `${file.what}, member ${JSON.stringify(entry.name)}`;
  if (entry.flags & 1) refuse('unsupported', `${what} is encrypted`);
  if (entry.method !== 0 && entry.method !== 8) {
    refuse('unsupported', `${what} uses compression method ${entry.method}; only stored (0) and deflate (8) are read`);
  }
  if (entry.method === 0 && entry.compressedSize !== entry.size) {
    refuse(
      'bad_zip',
      `${what} is stored, yet its directory gives ${entry.compressedSize} bytes stored and ${entry.size} bytes of content`,
    );
  }
}

/** The member's content, whole: read if stored, inflated (to exactly its declared size) if deflated. */
export function* readMember(file: Region, entry: ZipEntry, maxBytes: number, limitName: string): Job<Uint8Array> {
  checkReadable(file, entry);
  const what = `${file.what}, member ${JSON.stringify(entry.name)}`;
  if (entry.size > maxBytes) {
    refuse('too_large', `${what} holds ${bytesText(entry.size)}, over ${bytesText(maxBytes)} (${limitName})`);
  }
  const offset = yield* memberDataOffset(file, entry);
  const stored = yield* file.read(offset, entry.compressedSize);
  if (entry.method === 0) return stored;
  const out = yield* inflate(stored, entry.size, false, what);
  if (out.byteLength !== entry.size) {
    refuse(
      'bad_zip',
      `${what} inflates to ${count(out.byteLength)} bytes, but its directory entry says ${count(entry.size)}`,
    );
  }
  if (crc32(out) >>> 0 !== entry.crc32) refuse('bad_zip', `${what}: its CRC-32 does not match: the data is corrupt`);
  return out;
}

/**
 * The first `length` bytes of a member's content (at most its size), without reading or inflating the rest:
 * a stored member's bytes, or a deflated member's first compressed bytes inflated as far as they go.
 */
export function* readMemberPrefix(file: Region, entry: ZipEntry, length: number): Job<Uint8Array> {
  checkReadable(file, entry);
  const what = `${file.what}, member ${JSON.stringify(entry.name)}`;
  const want = Math.min(length, entry.size);
  const offset = yield* memberDataOffset(file, entry);
  if (entry.method === 0) return yield* file.read(offset, want);
  // Inflate a prefix of the compressed bytes into a buffer of at most `want` + 4 KiB. One compressed byte
  // inflates to at most ~1032 bytes, so some prefix lands in [want, want + 4 KiB]: grow the prefix until the
  // output is long enough or overflows the buffer, then bisect. Never more than that buffer, however
  // compressible the data after the header is (a zip bomb behind a small header costs nothing).
  const room = want + 4096;
  const attempt = function* (take: number): Job<Uint8Array | 'overflow'> {
    const input = yield* file.read(offset, take);
    try {
      return yield* inflate(input, Math.min(entry.size, room), take < entry.compressedSize, what);
    } catch (e) {
      if (e instanceof TensorFileError && e.rule === 'too_large') return 'overflow';
      throw e;
    }
  };
  const short = (got: number): never =>
    refuse('bad_zip', `${what} inflates to ${count(got)} bytes, but its directory entry says ${count(entry.size)}`);
  let lo = 0;
  let hi = Math.min(entry.compressedSize, want + 1024);
  for (;;) {
    const out = yield* attempt(hi);
    if (out === 'overflow') break;
    if (out.byteLength >= want) return out.subarray(0, want);
    if (hi === entry.compressedSize) short(out.byteLength);
    lo = hi;
    hi = Math.min(entry.compressedSize, hi * 2);
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const out = yield* attempt(mid);
    if (out === 'overflow') hi = mid;
    else if (out.byteLength >= want) return out.subarray(0, want);
    else lo = mid;
  }
  return refuse('bad_zip', `${what}: its first ${count(want)} bytes could not be inflated apart from the rest`);
}

/** The member as a region of the file, when it is stored (random access); null when it is compressed. */
export function* storedMemberStart(file: Region, entry: ZipEntry): Job<number | null> {
  checkReadable(file, entry);
  if (entry.method !== 0) return null;
  return yield* memberDataOffset(file, entry);
}
