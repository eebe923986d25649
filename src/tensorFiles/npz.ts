/**
 * NumPy's .npz (np.savez, np.savez_compressed): a zip archive of .npy members, stored or deflated. A member
 * `conv1.weight.npy` is the array `conv1.weight`, as np.load names it. Listing reads each member's .npy header
 * only (for a deflated member, the first compressed bytes inflated as far as the header); a stored member's
 * data is then read in place, a deflated one is inflated whole when it is first read, within the cap.
 */
import { count, refuse } from './errors';
import type { FoundTensor, ReaderResult, SkippedEntry } from './found';
import { inflatedStorage, regionStorage } from './layout';
import { npyHeaderFrom, npyPreamble, readNpyHeader } from './npy';
import { fileRegion, latin1, utf8, type Job, type Region } from './source';
import { readMember, readMemberPrefix, storedMemberStart, type ZipDirectory } from './zip';

export function* readNpz(
  file: Region,
  directory: ZipDirectory,
  maxElements: number,
  limitName: string,
): Job<ReaderResult> {
  const tensors: FoundTensor[] = [];
  const skipped: SkippedEntry[] = [];
  let deflated = 0;
  for (const entry of directory.entries) {
    if (entry.name.endsWith('/')) continue;
    if (!entry.name.endsWith('.npy')) {
      skipped.push({ name: entry.name, reason: 'not an .npy member: not read' });
      continue;
    }
    const name = entry.name.slice(0, -4);
    const what = `${file.what}, member ${JSON.stringify(entry.name)}`;
    const start = yield* storedMemberStart(file, entry);
    if (start !== null) {
      const member = fileRegion(start, entry.size, what);
      const header = yield* readNpyHeader(member);
      const data = regionStorage(
        fileRegion(start + header.dataOffset, header.dataBytes, `the data of ${what}`),
        header.dtype,
        header.elements,
        `the data of ${JSON.stringify(name)}`,
      );
      tensors.push(found(name, header, data));
      continue;
    }
    deflated++;
    const head = yield* readMemberPrefix(file, entry, 12);
    if (head.length < 10) refuse('truncated', `${what} is ${count(entry.size)} bytes: too short for a .npy`);
    const pre = npyPreamble(head, what);
    if (pre.headerLength > 1 << 20)
      refuse('bad_header', `${what} declares a header of ${count(pre.headerLength)} bytes`);
    const bytes = yield* readMemberPrefix(file, entry, pre.headerStart + pre.headerLength);
    if (bytes.length < pre.headerStart + pre.headerLength) refuse('truncated', `${what} ends inside its .npy header`);
    const raw = bytes.subarray(pre.headerStart);
    const text = pre.major === 3 ? utf8(raw) : latin1(raw);
    if (text === null) refuse('bad_header', `${what}: its version-3 header is not valid UTF-8`);
    const header = npyHeaderFrom(
      text,
      `${pre.major}.${pre.minor}`,
      pre.headerStart + pre.headerLength,
      entry.size,
      what,
    );
    // it is inflated whole to be read: it must hold exactly what its header describes, not a byte more
    if (entry.size !== header.dataOffset + header.dataBytes) {
      refuse(
        'bad_zip',
        `${what} declares ${count(entry.size)} bytes, but its .npy header describes ${count(header.dataOffset + header.dataBytes)}`,
      );
    }
    const data = inflatedStorage(
      () => {
        if (header.elements > maxElements)
          refuse('too_large', inflateWhole(what, header.elements, maxElements, limitName));
        return readMember(file, entry, entry.size, limitName);
      },
      header.dataOffset,
      header.dtype,
      header.elements,
      `the data of ${JSON.stringify(name)} (inflated from ${what})`,
    );
    tensors.push(found(name, header, data));
  }
  const total = tensors.length;
  return {
    format: 'npz',
    description:
      deflated === 0
        ? 'NumPy .npz (np.savez)'
        : deflated === total
          ? 'NumPy .npz, compressed (np.savez_compressed)'
          : 'NumPy .npz (some members compressed)',
    tensors,
    values: [],
    skipped,
    metadata: null,
  };
}

export function inflateWhole(what: string, elements: number, maxElements: number, limitName: string): string {
  return `${what} is compressed, so it is inflated whole to read any of it: ${count(elements)} elements, over the limit of ${count(maxElements)} loaded at once (${limitName})`;
}

export function found(
  name: string,
  header: {
    dtype: FoundTensor['layout']['dtype'];
    littleEndian: boolean;
    fortranOrder: boolean;
    shape: readonly number[];
    strides: readonly number[];
    version: string;
  },
  storage: FoundTensor['layout']['storage'],
): FoundTensor {
  const notes: string[] = [];
  if (header.fortranOrder && header.shape.filter((d) => d > 1).length > 1) notes.push('Fortran order');
  if (!header.littleEndian) notes.push('big-endian');
  return {
    name,
    layout: {
      dtype: header.dtype,
      littleEndian: header.littleEndian,
      shape: header.shape,
      strides: header.strides,
      offset: 0,
      storage,
    },
    notes,
  };
}
