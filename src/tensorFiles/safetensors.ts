/**
 * The safetensors format (huggingface/safetensors): an 8-byte little-endian header length N, N bytes of
 * UTF-8 JSON `{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, …, "__metadata__":
 * {"key": "value"}}`, then the data buffer the offsets point into (relative to its start). Checked as the
 * library checks it: the header at most 100 MB and starting with '{', every tensor's byte count equal to its
 * shape × dtype, tensors laid end to end without overlaps or holes, and the buffer ending where the file ends.
 */
import { DTYPES, parseDType } from '../engine/dtype';
import { bytesText, count, refuse } from './errors';
import type { FoundTensor, ReaderResult, SkippedEntry } from './found';
import { elementCount, regionStorage, rowMajorStrides, MAX_RANK } from './layout';
import { subRegion, uint64, utf8, view, type Job, type Region } from './source';

/** the safetensors library's own limit */
const MAX_HEADER = 100_000_000;

/** safetensors has no magic: an 8-byte length, then the JSON's '{' (the reader checks the length). */
export function looksLikeSafetensors(head: Uint8Array): boolean {
  return head.length >= 9 && head[8] === 0x7b;
}

const KNOWN_UNREAD: Record<string, string> = {
  F8_E4M3: 'float8 (e4m3)',
  F8_E5M2: 'float8 (e5m2)',
  F8_E8M0: 'float8 (e8m0)',
  F4: 'float4',
  F6_E2M3: 'float6',
  F6_E3M2: 'float6',
  C64: 'complex64',
  C128: 'complex128',
};

export function* readSafetensors(file: Region): Job<ReaderResult> {
  const what = file.what;
  if (file.size < 8) refuse('truncated', `${what} is ${file.size} bytes: too short for safetensors`);
  const n = uint64(view(yield* file.read(0, 8)), 0);
  if (n === null || n > MAX_HEADER) {
    refuse(
      'bad_header',
      `${what}: its header length ${n === null ? '(past 2^53)' : bytesText(n)} is over the 100 MB safetensors allows`,
    );
  }
  if (8 + n > file.size) {
    refuse('truncated', `${what}: its header of ${bytesText(n)} runs past the end of the ${bytesText(file.size)} file`);
  }
  const text = utf8(yield* file.read(8, n));
  if (text === null) refuse('bad_header', `${what}: the safetensors header is not valid UTF-8`);
  if (!text.startsWith('{'))
    refuse('bad_header', `${what}: the safetensors header must be a JSON object starting with '{'`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    refuse(
      'bad_header',
      `${what}: the safetensors header is not valid JSON (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    refuse('bad_header', `${what}: the safetensors header must be a JSON object`);
  }
  const data = subRegion(file, 8 + n, file.size - 8 - n, `the data of ${what}`);
  let metadata: Record<string, string> | null = null;
  const placed: { name: string; begin: number; end: number; tensor?: FoundTensor }[] = [];
  const skipped: SkippedEntry[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (info === null || typeof info !== 'object' || Array.isArray(info)) {
        refuse('bad_header', `${what}: __metadata__ must be an object of strings`);
      }
      metadata = {};
      for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
        if (typeof v !== 'string') refuse('bad_header', `${what}: __metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const where = `${what}, tensor ${JSON.stringify(name)}`;
    if (info === null || typeof info !== 'object' || Array.isArray(info)) {
      refuse('bad_header', `${where}: its entry must be an object with dtype, shape and data_offsets`);
    }
    const { dtype: dtypeName, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (typeof dtypeName !== 'string') refuse('bad_header', `${where}: dtype must be a string such as "F32"`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      refuse('bad_header', `${where}: shape must be a list of integers ≥ 0`);
    }
    if (shape.length > MAX_RANK)
      refuse('bad_header', `${where} has ${shape.length} dims; at most ${MAX_RANK} are read`);
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0) ||
      (offsets[0] as number) > (offsets[1] as number)
    ) {
      refuse('bad_header', `${where}: data_offsets must be [begin, end] with 0 ≤ begin ≤ end`);
    }
    const [begin, end] = offsets as [number, number];
    if (end > data.size) {
      refuse(
        'out_of_bounds',
        `${where}: data_offsets [${count(begin)}, ${count(end)}] run past the end of the data, which holds ${bytesText(data.size)}: the file is truncated or its header is wrong`,
      );
    }
    const dims = shape as number[];
    const elements = elementCount(dims, where);
    const dtype = parseDType(dtypeName, { safetensors: true });
    if (!dtype) {
      const known = KNOWN_UNREAD[dtypeName.toUpperCase()];
      if (!known) refuse('bad_header', `${where}: unknown dtype ${JSON.stringify(dtypeName)}`);
      placed.push({ name, begin, end });
      skipped.push({ name, reason: `${known} tensors are not read yet` });
      continue;
    }
    const bytes = elements * DTYPES[dtype].bytes;
    if (end - begin !== bytes) {
      refuse(
        'bad_header',
        `${where}: shape [${dims.join(', ')}] of ${dtypeName} is ${bytesText(bytes)}, but data_offsets [${begin}, ${end}] hold ${bytesText(end - begin)}`,
      );
    }
    const storage = regionStorage(
      subRegion(data, begin, end - begin, `the data of ${where}`),
      dtype,
      elements,
      `the data of ${JSON.stringify(name)}`,
    );
    placed.push({
      name,
      begin,
      end,
      tensor: {
        name,
        layout: { dtype, littleEndian: true, shape: dims, strides: rowMajorStrides(dims), offset: 0, storage },
      },
    });
  }
  // the library's rule: the tensors tile the data buffer exactly, in offset order
  placed.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const p of placed) {
    if (p.begin < at) {
      const other = placed.find((q) => q !== p && q.end > p.begin && q.begin < p.end);
      refuse(
        'overlap',
        `${what}: tensors ${JSON.stringify(other?.name)} and ${JSON.stringify(p.name)} claim the same bytes (from byte ${count(p.begin)} of the data)`,
      );
    }
    if (p.begin > at) {
      refuse(
        'bad_header',
        `${what}: bytes ${count(at)}…${count(p.begin)} of the data belong to no tensor (the safetensors library refuses such files too)`,
      );
    }
    at = p.end;
  }
  if (at !== data.size) {
    refuse(
      'bad_header',
      `${what}: the tensors end at byte ${count(at)} of the data, but ${bytesText(data.size)} follow the header (the safetensors library refuses such files too)`,
    );
  }
  return {
    format: 'safetensors',
    description: 'safetensors',
    tensors: placed.filter((p) => p.tensor).map((p) => p.tensor!),
    values: [],
    skipped,
    metadata,
  };
}
