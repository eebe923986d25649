/**
 * A tensor file, opened: the format told from its first bytes (never from its name alone), the listing of
 * its tensors (names, dtypes, shapes, sizes — from headers and the pickle only), and, on request, one
 * tensor's values (whole or a slice, within the cap) or its statistics (streamed, any size).
 *
 * TensorFile drives the readers over an async ByteSource (the editor); TensorFileSync over a SyncByteSource
 * (the CLI). Both share TensorFileCore, which holds what was listed and builds the jobs.
 */
import { DTYPES, type DType } from '../engine/dtype';
import type { Tensor } from '../engine/tensor';
import { count, refuse } from './errors';
import type { FoundTensor, FoundValue, ReaderResult, SkippedEntry, TensorFileFormat } from './found';
import {
  DEFAULT_CHUNK_ELEMENTS,
  computeStats,
  elementCount,
  gather,
  isRowMajor,
  regionStorage,
  sliceLayout,
  type SliceSpec,
  type TensorLayout,
  type TensorStats,
} from './layout';
import { found } from './npz';
import { isNpyStart, readNpyHeader } from './npy';
import { readNpz } from './npz';
import { looksLikeSafetensors, readSafetensors } from './safetensors';
import {
  fileRegion,
  runAsync,
  runSync,
  type ByteSource,
  type Job,
  type RunControl,
  type SyncByteSource,
} from './source';
import { isTorchZip, readTorchZip } from './torch';
import { isZipStart, readZipDirectory } from './zip';

/** 2^24 elements: 128 MiB as float64, the engine's own largest tensor. */
export const DEFAULT_MAX_ELEMENTS = 1 << 24;

export interface OpenOptions {
  /** the most elements loaded at once: one tensor or slice read, one compressed member inflated */
  readonly maxElements?: number;
  /** how messages name that cap: "the convLens.files.maxElements setting", "--max-elements" */
  readonly limitName?: string;
  /** the file's name, for messages */
  readonly name?: string;
  /** storage elements read per chunk (tests use tiny chunks to exercise the chunking) */
  readonly chunkElements?: number;
}

export interface TensorEntry {
  /** dotted path (`model.layer1.0.conv1.weight`); '' for a file that is one tensor (.npy, torch.save(t)) */
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly elements: number;
  /** elements × dtype size: the tensor's own bytes (a view's, not its whole storage's) */
  readonly bytes: number;
  /** row-major and dense: false for Fortran order and PyTorch's strided views */
  readonly contiguous: boolean;
  /** PyTorch: the storage this tensor views; tensors with the same key share their data */
  readonly storageKey?: string;
  /** "Fortran order", "big-endian", "a strided view (strides 1, 6)", "shares storage 3 with …", "nn.Parameter" */
  readonly notes: readonly string[];
}

export interface TensorListing {
  readonly format: TensorFileFormat;
  readonly description: string;
  readonly fileSize: number;
  readonly tensors: readonly TensorEntry[];
  /** bytes of all tensors together (shared storages counted per tensor) */
  readonly tensorBytes: number;
  /** non-tensor values of a checkpoint: `epoch = 3` */
  readonly values: readonly FoundValue[];
  /** things listed but not read, with the reason */
  readonly skipped: readonly SkippedEntry[];
  readonly metadata: Readonly<Record<string, string>> | null;
}

export interface ReadOptions extends RunControl {
  /** Python-style indexing per dim: an index, { start, stop, step }, or null for the whole dim */
  readonly slice?: SliceSpec;
  /** overrides the file's cap for this read */
  readonly maxElements?: number;
}

export interface LoadedTensor extends Tensor {
  readonly name: string;
  readonly dtype: DType;
  /** int64/uint64 values beyond ±2^53 were rounded to the nearest float64 */
  readonly lossyIntegers: boolean;
}

export type { SliceSpec, TensorStats, TensorFileFormat, FoundValue, SkippedEntry };

const LEGACY_MAGIC = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

function legacyMessage(what: string): string {
  return `${what} is in PyTorch's legacy format (torch.save before PyTorch 1.6, or with _use_new_zipfile_serialization=False), which is not read: re-save it in the zip format, e.g. torch.save(torch.load(path, weights_only=True), new_path)`;
}

function hexHead(head: Uint8Array): string {
  const b = head.subarray(0, 8);
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');
  const text = [...b].map((x) => (x >= 0x20 && x < 0x7f ? String.fromCharCode(x) : '.')).join('');
  return `${hex} "${text}"`;
}

function looksLikeText(head: Uint8Array): boolean {
  return head.length > 0 && head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 0x20 && b !== 0x7f));
}

/** Tells the format from the first bytes and runs its reader. */
export function* openJob(size: number, options: OpenOptions = {}): Job<ReaderResult> {
  const what = options.name ?? 'the file';
  const maxElements = options.maxElements ?? DEFAULT_MAX_ELEMENTS;
  const limitName = options.limitName ?? 'maxElements';
  const file = fileRegion(0, size, what);
  if (size === 0) refuse('not_tensor_file', `${what} is empty`);
  const head = yield* file.read(0, Math.min(size, 512));
  if (isNpyStart(head)) {
    const header = yield* readNpyHeader(file);
    const storage = regionStorage(
      fileRegion(header.dataOffset, header.dataBytes, `the data of ${what}`),
      header.dtype,
      header.elements,
      `the data of ${what}`,
    );
    return {
      format: 'npy',
      description: `NumPy .npy (format version ${header.version})`,
      tensors: [found('', header, storage)],
      values: [],
      skipped: [],
      metadata: null,
    };
  }
  if (isZipStart(head)) {
    const directory = yield* readZipDirectory(file);
    if (isTorchZip(directory)) return yield* readTorchZip(file, directory, maxElements, limitName);
    if (directory.entries.some((e) => e.name.endsWith('.npy')))
      return yield* readNpz(file, directory, maxElements, limitName);
    refuse(
      'not_tensor_file',
      `${what} is a zip archive with neither data.pkl (torch.save) nor .npy members (np.savez): not a tensor file`,
    );
  }
  if (LEGACY_MAGIC.every((b, i) => head[i] === b)) refuse('legacy_format', legacyMessage(what));
  if (head.length >= 262 && String.fromCharCode(...head.subarray(257, 262)) === 'ustar') {
    refuse('legacy_format', legacyMessage(what));
  }
  if (head[0] === 0x80 && head.length > 1 && head[1] <= 5) {
    refuse(
      'not_tensor_file',
      `${what} is a plain Python pickle, not torch.save's zip format: it is not read (unpickling it in Python would run whatever it names)`,
    );
  }
  if (looksLikeSafetensors(head) || /\.safetensors$/i.test(what)) return yield* readSafetensors(file);
  const pth =
    /\.pth$/i.test(what) && looksLikeText(head)
      ? " (Python's own .pth files in site-packages are text: lists of paths)"
      : '';
  return refuse(
    'not_tensor_file',
    `${what} is not a tensor file${pth}: it starts with ${hexHead(head)}, not like .npy, .npz, .safetensors or a torch.save checkpoint`,
  );
}

function suggest(name: string, names: readonly string[]): string {
  const suffix = names.filter((n) => n.endsWith(`.${name}`) || name.endsWith(`.${n}`));
  if (suffix.length)
    return `; did you mean ${suffix
      .slice(0, 3)
      .map((n) => JSON.stringify(n))
      .join(' or ')}?`;
  const close = names
    .map((n) => ({ n, d: editDistance(name, n) }))
    .filter((c) => c.d <= Math.max(2, Math.floor(name.length / 4)))
    .sort((a, b) => a.d - b.d)
    .slice(0, 3);
  if (close.length) return `; did you mean ${close.map((c) => JSON.stringify(c.n)).join(' or ')}?`;
  return '';
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 8) return Infinity;
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = next;
    }
  }
  return row[b.length];
}

/** How a tensor is named in messages. */
export function tensorLabel(name: string, fileName: string): string {
  return name === '' ? fileName : `${JSON.stringify(name)} of ${fileName}`;
}

export class TensorFileCore {
  readonly listing: TensorListing;
  private readonly byName = new Map<string, FoundTensor>();
  private readonly maxElements: number;
  private readonly limitName: string;
  private readonly chunkElements: number;
  private readonly fileName: string;

  constructor(result: ReaderResult, fileSize: number, options: OpenOptions = {}) {
    this.maxElements = options.maxElements ?? DEFAULT_MAX_ELEMENTS;
    this.limitName = options.limitName ?? 'maxElements';
    this.chunkElements = options.chunkElements ?? DEFAULT_CHUNK_ELEMENTS;
    this.fileName = options.name ?? 'the file';
    const tensors: TensorEntry[] = result.tensors.map((t) => {
      this.byName.set(t.name, t);
      const { dtype, shape, strides } = t.layout;
      const elements = elementCount(shape, t.name);
      return {
        name: t.name,
        dtype,
        shape,
        elements,
        bytes: elements * DTYPES[dtype].bytes,
        contiguous: isRowMajor(shape, strides),
        ...(t.storageKey === undefined ? {} : { storageKey: t.storageKey }),
        notes: t.notes ?? [],
      };
    });
    this.listing = {
      format: result.format,
      description: result.description,
      fileSize,
      tensors,
      tensorBytes: tensors.reduce((s, t) => s + t.bytes, 0),
      values: result.values,
      skipped: result.skipped,
      metadata: result.metadata,
    };
  }

  /** The tensor named `name`; with no name, the file's only tensor. */
  find(name: string | undefined): FoundTensor {
    if (name === undefined) {
      if (this.byName.size === 1) return this.byName.values().next().value!;
      refuse(
        'not_found',
        `${this.fileName} holds ${count(this.byName.size)} tensors: say which one (e.g. ${[...this.byName.keys()]
          .slice(0, 3)
          .map((n) => JSON.stringify(n))
          .join(', ')})`,
      );
    }
    const t = this.byName.get(name);
    if (t) return t;
    const skipped = this.listing.skipped.find((s) => s.name === name);
    if (skipped) refuse('unsupported', `${tensorLabel(name, this.fileName)} is ${skipped.reason}`);
    const names = [...this.byName.keys()];
    return refuse('not_found', `${this.fileName} has no tensor named ${JSON.stringify(name)}${suggest(name, names)}`);
  }

  layout(name: string | undefined, slice?: SliceSpec): { found: FoundTensor; layout: TensorLayout; label: string } {
    const t = this.find(name);
    const label = tensorLabel(t.name, this.fileName);
    return { found: t, layout: slice ? sliceLayout(t.layout, slice, label) : t.layout, label };
  }

  *readJob(name: string | undefined, options: ReadOptions = {}): Job<LoadedTensor> {
    const { found: t, layout, label } = this.layout(name, options.slice);
    const g = yield* gather(layout, label, options.maxElements ?? this.maxElements, this.limitName, this.chunkElements);
    return {
      name: t.name,
      dtype: layout.dtype,
      shape: [...layout.shape],
      data: g.data,
      lossyIntegers: g.lossyIntegers,
    };
  }

  *statsJob(name: string | undefined, options: { slice?: SliceSpec } = {}): Job<TensorStats> {
    const { layout } = this.layout(name, options.slice);
    return yield* computeStats(layout, this.chunkElements);
  }
}

/** A tensor file over an async byte source (the editor). */
export class TensorFile {
  private constructor(
    private readonly source: ByteSource,
    readonly core: TensorFileCore,
  ) {}

  static async open(source: ByteSource, options: OpenOptions = {}, control: RunControl = {}): Promise<TensorFile> {
    const result = await runAsync(openJob(source.size, options), source, control);
    return new TensorFile(source, new TensorFileCore(result, source.size, options));
  }

  get listing(): TensorListing {
    return this.core.listing;
  }

  read(name: string | undefined, options: ReadOptions = {}): Promise<LoadedTensor> {
    return runAsync(this.core.readJob(name, options), this.source, options);
  }

  stats(name: string | undefined, options: RunControl & { slice?: SliceSpec } = {}): Promise<TensorStats> {
    return runAsync(this.core.statsJob(name, options), this.source, options);
  }

  async close(): Promise<void> {
    await this.source.close?.();
  }
}

/** A tensor file over a synchronous byte source (the CLI, whose requests are answered synchronously). */
export class TensorFileSync {
  private constructor(
    private readonly source: SyncByteSource,
    readonly core: TensorFileCore,
  ) {}

  static open(source: SyncByteSource, options: OpenOptions = {}, control: RunControl = {}): TensorFileSync {
    const result = runSync(openJob(source.size, options), source, control);
    return new TensorFileSync(source, new TensorFileCore(result, source.size, options));
  }

  get listing(): TensorListing {
    return this.core.listing;
  }

  read(name: string | undefined, options: ReadOptions = {}): LoadedTensor {
    return runSync(this.core.readJob(name, options), this.source, options);
  }

  stats(name: string | undefined, options: RunControl & { slice?: SliceSpec } = {}): TensorStats {
    return runSync(this.core.statsJob(name, options), this.source, options);
  }

  close(): void {
    this.source.close?.();
  }
}
