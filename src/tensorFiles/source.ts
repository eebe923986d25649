/**
 * How the readers get bytes. A reader never sees a whole file: it is a generator (a Job) that yields the
 * steps it needs — read these bytes, inflate this deflate stream, I am about to allocate this much — and a
 * runner performs them: runAsync over an async ByteSource (the editor: node fs range reads, or a virtual
 * workspace's file read once), runSync over a SyncByteSource (the CLI, whose JSON requests are answered
 * synchronously). One reader, two ways to drive it, and every byte range checked twice: by the Region the
 * reader reads through (against the part of the file it belongs to) and by the runner (against the file).
 */
import { constants as zlibConstants, inflateRaw, inflateRawSync, type ZlibOptions } from 'node:zlib';
import { TensorFileError, bytesText, refuse } from './errors';

/** Random access to a file's bytes. `read` returns exactly `length` bytes or rejects. */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  close?(): Promise<void> | void;
}

export interface SyncByteSource {
  readonly size: number;
  readSync(offset: number, length: number): Uint8Array;
  close?(): void;
}

/** A source over bytes already in memory (tests, virtual workspaces, a member inflated from a zip). */
export function memorySource(bytes: Uint8Array): ByteSource & SyncByteSource {
  const readSync = (offset: number, length: number) => {
    checkRange(offset, length, bytes.byteLength, 'the file');
    return bytes.subarray(offset, offset + length);
  };
  const read = (offset: number, length: number) => {
    try {
      return Promise.resolve(readSync(offset, length));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  };
  return { size: bytes.byteLength, readSync, read };
}

export type Step =
  | { readonly kind: 'read'; readonly offset: number; readonly length: number }
  | {
      readonly kind: 'inflate';
      readonly data: Uint8Array;
      /** the most bytes the stream may inflate to: more is an error, never an allocation */
      readonly maxOutput: number;
      /** a prefix of the stream: inflate what it holds (for headers) instead of requiring its end */
      readonly partial: boolean;
    }
  | { readonly kind: 'allocate'; readonly bytes: number; readonly what: string };

/** A reader: yields steps, receives each step's bytes, returns its result. */
export type Job<T> = Generator<Step, T, Uint8Array>;

export interface RunControl {
  readonly signal?: AbortSignal;
  /** every buffer the readers allocate for file data, before it is allocated (tests check the bound) */
  readonly onAllocate?: (bytes: number, what: string) => void;
}

const EMPTY = new Uint8Array(0);

export function checkRange(offset: number, length: number, size: number, what: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    refuse('out_of_bounds', `${what}: cannot read ${length} bytes at offset ${offset}`);
  }
  if (offset + length > size) {
    refuse(
      'truncated',
      `${what} ends at byte ${size}, but bytes ${offset}…${offset + length} are needed: the file is truncated or a header is wrong`,
    );
  }
}

/** The job reports an allocation of `bytes` for file data (decoded tensors, inflated members). */
export function* allocate(bytes: number, what: string): Job<void> {
  yield { kind: 'allocate', bytes, what };
}

/**
 * Inflates a raw deflate stream (zip method 8) to at most `maxOutput` bytes. A stream that inflates to more
 * is refused there (zlib stops at the limit: a zip bomb costs nothing); a corrupt one is refused with
 * zlib's reason.
 */
export function* inflate(data: Uint8Array, maxOutput: number, partial: boolean, what: string): Job<Uint8Array> {
  yield* allocate(maxOutput, `inflating ${what}`);
  try {
    return yield { kind: 'inflate', data, maxOutput, partial };
  } catch (e) {
    if (e instanceof TensorFileError) throw e;
    const code = (e as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      refuse('too_large', `${what} inflates to more than the ${bytesText(maxOutput)} it declares (a zip bomb?)`);
    }
    const reason = e instanceof Error ? e.message : String(e);
    return refuse(
      code === 'Z_BUF_ERROR' ? 'truncated' : 'bad_zip',
      `${what}: the deflate stream is corrupt (${reason})`,
    );
  }
}

function zlibOptions(step: Extract<Step, { kind: 'inflate' }>): ZlibOptions {
  return {
    // an empty-output stream needs room for zero bytes; zlib refuses a limit of 0
    maxOutputLength: Math.max(1, step.maxOutput),
    finishFlush: step.partial ? zlibConstants.Z_SYNC_FLUSH : zlibConstants.Z_FINISH,
  };
}

function toBytes(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function checkedRead(bytes: Uint8Array, step: { offset: number; length: number }): Uint8Array {
  if (bytes.byteLength !== step.length) {
    refuse(
      'io',
      `reading bytes ${step.offset}…${step.offset + step.length} gave ${bytes.byteLength} bytes: the file changed while it was read?`,
    );
  }
  return bytes;
}

function cancelled(): TensorFileError {
  return new TensorFileError('cancelled', 'cancelled');
}

export async function runAsync<T>(job: Job<T>, source: ByteSource, control: RunControl = {}): Promise<T> {
  let result = job.next();
  while (!result.done) {
    const step = result.value;
    let value: Uint8Array = EMPTY;
    let failure: { error: unknown } | undefined;
    try {
      if (control.signal?.aborted) throw cancelled();
      if (step.kind === 'read') {
        checkRange(step.offset, step.length, source.size, 'the file');
        control.onAllocate?.(step.length, 'read');
        value = step.length === 0 ? EMPTY : checkedRead(await source.read(step.offset, step.length), step);
      } else if (step.kind === 'inflate') {
        value = await new Promise<Uint8Array>((resolve, reject) =>
          inflateRaw(step.data, zlibOptions(step), (e, out) => (e ? reject(e) : resolve(toBytes(out)))),
        );
      } else {
        control.onAllocate?.(step.bytes, step.what);
      }
    } catch (error) {
      failure = { error };
    }
    result = failure ? job.throw(failure.error) : job.next(value);
  }
  return result.value;
}

export function runSync<T>(job: Job<T>, source: SyncByteSource, control: RunControl = {}): T {
  let result = job.next();
  while (!result.done) {
    const step = result.value;
    let value: Uint8Array = EMPTY;
    let failure: { error: unknown } | undefined;
    try {
      if (control.signal?.aborted) throw cancelled();
      if (step.kind === 'read') {
        checkRange(step.offset, step.length, source.size, 'the file');
        control.onAllocate?.(step.length, 'read');
        value = step.length === 0 ? EMPTY : checkedRead(source.readSync(step.offset, step.length), step);
      } else if (step.kind === 'inflate') {
        value = toBytes(inflateRawSync(step.data, zlibOptions(step)));
      } else {
        control.onAllocate?.(step.bytes, step.what);
      }
    } catch (error) {
      failure = { error };
    }
    result = failure ? job.throw(failure.error) : job.next(value);
  }
  return result.value;
}

/**
 * A part of the file (or of an inflated member) that a reader reads through. Offsets are relative to the
 * region; a read outside it is refused with the region's name, before anything is read or allocated.
 */
export interface Region {
  readonly size: number;
  readonly what: string;
  read(offset: number, length: number): Job<Uint8Array>;
}

export function fileRegion(start: number, size: number, what: string): Region {
  return {
    size,
    what,
    *read(offset, length) {
      checkRange(offset, length, size, what);
      if (length === 0) return EMPTY;
      return yield { kind: 'read', offset: start + offset, length };
    },
  };
}

export function memoryRegion(bytes: Uint8Array, what: string): Region {
  return {
    size: bytes.byteLength,
    what,
    // eslint-disable-next-line require-yield
    *read(offset, length) {
      checkRange(offset, length, bytes.byteLength, what);
      return bytes.subarray(offset, offset + length);
    },
  };
}

export function subRegion(region: Region, start: number, size: number, what: string): Region {
  checkRange(start, size, region.size, region.what);
  return {
    size,
    what,
    *read(offset, length) {
      checkRange(offset, length, size, what);
      return yield* region.read(start + offset, length);
    },
  };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** ISO-8859-1: one character per byte (NumPy's v1/v2 headers; zip names without the UTF-8 flag, for display). */
export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Strict UTF-8 (a malformed byte is an error the caller words), or null. */
export function utf8(bytes: Uint8Array): string | null {
  try {
    return UTF8.decode(bytes);
  } catch {
    return null;
  }
}

export function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A little-endian uint64 as a number, or null past 2^53 (no file here is that big). */
export function uint64(dv: DataView, offset: number): number | null {
  const low = dv.getUint32(offset, true);
  const high = dv.getUint32(offset + 4, true);
  if (high >= 0x200000) return null;
  return high * 0x100000000 + low;
}
