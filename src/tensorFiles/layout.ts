/**
 * Where a tensor's elements are and how they are read: a storage (a run of elements of one dtype in the
 * file, or in a member inflated from a zip) and a strided view of it (shape, strides and offset in
 * elements), which covers C order, Fortran order, PyTorch's views (transposed, sliced, expanded with stride
 * 0, channels-last) and slices asked for by the viewer alike.
 *
 * Reading copies the view into a dense row-major Float64Array in chunks of at most `chunkElements` storage
 * elements, walking the storage in its own order (dims sorted by stride), so a transposed 1 GB tensor is
 * read front to back in a few large reads, never element by element, and never more than a chunk at once
 * beyond the result itself. Statistics walk the same chunks without keeping them, so they work on tensors
 * far larger than what may be loaded at once.
 */
import { DTYPES, decodeElements, type DType } from '../engine/dtype';
import { count, refuse } from './errors';
import { allocate, type Job, type Region } from './source';

export interface StorageData {
  /** elements of the storage's dtype it holds */
  readonly elements: number;
  readonly what: string;
  /** the raw bytes of elements [start, start + n) */
  readElements(start: number, n: number): Job<Uint8Array>;
}

export interface TensorLayout {
  readonly dtype: DType;
  readonly littleEndian: boolean;
  readonly shape: readonly number[];
  /** in elements; never negative (neither NumPy's files nor PyTorch's tensors have negative strides here) */
  readonly strides: readonly number[];
  /** first element of the view, in elements from the storage's start */
  readonly offset: number;
  readonly storage: StorageData;
}

export const MAX_RANK = 64;
/** No real tensor has more elements than this; beyond it the products would stop being exact. */
const MAX_ELEMENTS_EVER = 2 ** 50;
export const DEFAULT_CHUNK_ELEMENTS = 1 << 20;

/** The product of a shape, refused when it cannot be a real tensor. */
export function elementCount(shape: readonly number[], what: string): number {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (n > MAX_ELEMENTS_EVER) {
      refuse(
        'too_large',
        `${what} claims shape [${shape.join(', ')}]: more than 2^50 elements, no real tensor is that big`,
      );
    }
  }
  return n;
}

export function rowMajorStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Fortran (column-major) order, as NumPy's `fortran_order: True` writes it. */
export function columnMajorStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = 0; i < shape.length; i++) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export function isRowMajor(shape: readonly number[], strides: readonly number[]): boolean {
  const dense = rowMajorStrides(shape);
  return shape.every((d, i) => d <= 1 || strides[i] === dense[i]);
}

/** Checks a view against its storage: the last element it reaches must be inside. */
export function checkView(layout: TensorLayout, what: string): void {
  const { shape, strides, offset, storage } = layout;
  if (shape.length > MAX_RANK) refuse('bad_header', `${what} has ${shape.length} dims; at most ${MAX_RANK} are read`);
  if (strides.length !== shape.length) {
    refuse('bad_header', `${what} has shape [${shape.join(', ')}] but ${strides.length} strides`);
  }
  for (let i = 0; i < shape.length; i++) {
    if (!Number.isSafeInteger(shape[i]) || shape[i] < 0) {
      refuse('bad_header', `${what}: dim ${i} has size ${shape[i]}; sizes are integers ≥ 0`);
    }
    if (!Number.isSafeInteger(strides[i]) || strides[i] < 0) {
      refuse('bad_header', `${what}: dim ${i} has stride ${strides[i]}; strides are integers ≥ 0`);
    }
  }
  if (!Number.isSafeInteger(offset) || offset < 0)
    refuse('bad_header', `${what}: storage offset ${offset} is not an integer ≥ 0`);
  const n = elementCount(shape, what);
  if (n === 0) return;
  let last = offset;
  for (let i = 0; i < shape.length; i++) last += (shape[i] - 1) * strides[i];
  if (!(last < storage.elements)) {
    refuse(
      'out_of_bounds',
      `${what} (shape [${shape.join(', ')}], strides [${strides.join(', ')}], offset ${count(offset)}) reaches element ${count(last)} of ${storage.what}, which holds only ${count(storage.elements)}`,
    );
  }
}

/** One dim of a slice: an index (the dim is dropped), a range (Python's start:stop:step, step > 0), or all. */
export type SliceItem = number | { readonly start?: number; readonly stop?: number; readonly step?: number } | null;
export type SliceSpec = readonly SliceItem[];

/** The view of `slice` of a layout (no data read): Python's indexing, missing trailing dims taken whole. */
export function sliceLayout(layout: TensorLayout, slice: SliceSpec, what: string): TensorLayout {
  const { shape, strides } = layout;
  if (slice.length > shape.length) {
    refuse('bad_slice', `${what} has ${shape.length} dims, the slice gives ${slice.length}`);
  }
  let offset = layout.offset;
  const outShape: number[] = [];
  const outStrides: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    const item = d < slice.length ? slice[d] : null;
    const size = shape[d];
    if (typeof item === 'number') {
      if (!Number.isInteger(item) || item < -size || item >= size) {
        refuse('bad_slice', `index ${item} is out of range for dim ${d} of ${what}, whose size is ${size}`);
      }
      offset += (item < 0 ? item + size : item) * strides[d];
      continue;
    }
    const step = item?.step ?? 1;
    if (!Number.isInteger(step) || step < 1)
      refuse('bad_slice', `dim ${d} of the slice: step ${step} must be an integer ≥ 1`);
    const clamp = (v: number | undefined, fallback: number) => {
      if (v === undefined) return fallback;
      if (!Number.isInteger(v)) refuse('bad_slice', `dim ${d} of the slice: ${v} is not an integer`);
      return Math.min(size, Math.max(0, v < 0 ? v + size : v));
    };
    const start = clamp(item?.start, 0);
    const stop = clamp(item?.stop, size);
    const n = stop > start ? Math.ceil((stop - start) / step) : 0;
    if (n > 0) offset += start * strides[d];
    outShape.push(n);
    outStrides.push(strides[d] * step);
  }
  return { ...layout, shape: outShape, strides: outStrides, offset };
}

interface Dim {
  size: number;
  src: number;
  dst: number;
}

/**
 * Walks every element of the view in storage order, a chunk at a time, in runs along the innermost dim:
 * `visit(values, src, srcStep, dst, dstStep, n)` stands for the elements values[src + i·srcStep], whose
 * row-major positions in the view are dst + i·dstStep, for i < n. Dims of the view are sorted by
 * storage stride (largest first) and merged where contiguous; the innermost dims that fit in a chunk are read
 * together, and the next dim out is cut into pieces that fit.
 */
function* walk(
  layout: TensorLayout,
  chunkElements: number,
  visit: (values: Float64Array, src: number, srcStep: number, dst: number, dstStep: number, n: number) => void,
): Job<{ lossyIntegers: boolean }> {
  const { shape, strides, dtype, littleEndian, storage } = layout;
  const itemBytes = DTYPES[dtype].bytes;
  const dstStrides = rowMajorStrides(shape);
  if (shape.some((d) => d === 0)) return { lossyIntegers: false };
  let dims: Dim[] = shape
    .map((size, i) => ({ size, src: strides[i], dst: dstStrides[i] }))
    .filter((d) => d.size > 1)
    .sort((a, b) => b.src - a.src || b.dst - a.dst);
  const merged: Dim[] = [];
  for (const d of dims) {
    const prev = merged[merged.length - 1];
    if (prev && prev.src === d.src * d.size && prev.dst === d.dst * d.size) {
      merged[merged.length - 1] = { size: prev.size * d.size, src: d.src, dst: d.dst };
    } else merged.push({ ...d });
  }
  dims = merged;
  const chunk = Math.max(1, chunkElements);
  let k = dims.length;
  let innerSpan = 1;
  for (let j = dims.length - 1; j >= 0; j--) {
    const span = innerSpan + (dims[j].size - 1) * dims[j].src;
    if (span > chunk) break;
    innerSpan = span;
    k = j;
  }
  const inner = dims.slice(k);
  // the dim cut into pieces (or none when everything fits in one chunk), and the dims outside it
  const p = k - 1;
  const piece = p >= 0 ? Math.max(1, Math.floor((chunk - innerSpan) / dims[p].src) + 1) : 1;
  const outer = p >= 0 ? dims.slice(0, p) : [];
  const outerIndex = new Array<number>(outer.length).fill(0);
  const innerIndex = new Array<number>(inner.length).fill(0);
  let lossyIntegers = false;
  const last = inner.length - 1;
  for (;;) {
    let srcBase = layout.offset;
    let dstBase = 0;
    for (let j = 0; j < outer.length; j++) {
      srcBase += outerIndex[j] * outer[j].src;
      dstBase += outerIndex[j] * outer[j].dst;
    }
    const pieces = p >= 0 ? dims[p].size : 1;
    for (let a = 0; a < pieces; a += piece) {
      const n = Math.min(piece, pieces - a);
      const start = p >= 0 ? srcBase + a * dims[p].src : srcBase;
      const dstStart = p >= 0 ? dstBase + a * dims[p].dst : dstBase;
      const span = (p >= 0 ? (n - 1) * dims[p].src : 0) + innerSpan;
      yield* allocate(span * (itemBytes + 8), `decoding ${storage.what}`);
      const bytes = yield* storage.readElements(start, span);
      const decoded = decodeElements(dtype, bytes, span, littleEndian);
      lossyIntegers ||= decoded.lossyIntegers;
      const values = decoded.data;
      for (let i = 0; i < n; i++) {
        const s0 = p >= 0 ? i * dims[p].src : 0;
        const d0 = dstStart + (p >= 0 ? i * dims[p].dst : 0);
        if (inner.length === 0) {
          visit(values, s0, 1, d0, 1, 1);
          continue;
        }
        innerIndex.fill(0);
        const innermost = inner[last];
        for (;;) {
          let s = s0;
          let d = d0;
          for (let j = 0; j < last; j++) {
            s += innerIndex[j] * inner[j].src;
            d += innerIndex[j] * inner[j].dst;
          }
          visit(values, s, innermost.src, d, innermost.dst, innermost.size);
          let j = last - 1;
          while (j >= 0 && ++innerIndex[j] === inner[j].size) innerIndex[j--] = 0;
          if (j < 0) break;
        }
      }
    }
    let j = outer.length - 1;
    while (j >= 0 && ++outerIndex[j] === outer[j].size) outerIndex[j--] = 0;
    if (j < 0) break;
  }
  return { lossyIntegers };
}

export interface Gathered {
  readonly data: Float64Array;
  /** int64/uint64 values beyond ±2^53 were rounded to the nearest float64 */
  readonly lossyIntegers: boolean;
}

/** The view's elements as a dense row-major Float64Array; refused over `maxElements`. */
export function* gather(
  layout: TensorLayout,
  what: string,
  maxElements: number,
  limitName: string,
  chunkElements = DEFAULT_CHUNK_ELEMENTS,
): Job<Gathered> {
  const n = elementCount(layout.shape, what);
  if (n > maxElements) {
    refuse(
      'too_large',
      `${what} has ${count(n)} elements (shape [${layout.shape.join(', ')}]), over the limit of ${count(maxElements)} loaded at once (${limitName}): read a slice of it, or raise the limit`,
    );
  }
  yield* allocate(n * 8, `the values of ${what}`);
  const data = new Float64Array(n);
  const { lossyIntegers } = yield* walk(layout, chunkElements, (values, src, srcStep, dst, dstStep, n) => {
    if (srcStep === 1 && dstStep === 1) data.set(values.subarray(src, src + n), dst);
    else for (let i = 0; i < n; i++) data[dst + i * dstStep] = values[src + i * srcStep];
  });
  return { data, lossyIntegers };
}

/** min/max/mean/std over the finite elements; NaN and ±Inf counted apart, the first of each located. */
export interface TensorStats {
  readonly count: number;
  readonly finite: number;
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number | null;
  /** population standard deviation (NumPy's std, ddof=0) */
  readonly std: number | null;
  readonly nan: number;
  readonly posInf: number;
  readonly negInf: number;
  /** index (one per dim) of the first NaN in row-major order, or null */
  readonly firstNaN: readonly number[] | null;
  readonly firstInf: readonly number[] | null;
  readonly lossyIntegers: boolean;
}

export function unravelIndex(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return idx;
}

/** Statistics of the whole view, read chunk by chunk (never more than a chunk in memory, at any size). */
export function* computeStats(layout: TensorLayout, chunkElements = DEFAULT_CHUNK_ELEMENTS): Job<TensorStats> {
  let finite = 0;
  let min = Infinity;
  let max = -Infinity;
  // the mean from a compensated (Neumaier) sum, exact for integers up to 2^53; the variance from Welford's
  // running sum of squared deviations, which does not cancel catastrophically
  let sum = 0;
  let compensation = 0;
  let mean = 0;
  let m2 = 0;
  let nan = 0;
  let posInf = 0;
  let negInf = 0;
  let firstNaN = Infinity;
  let firstInf = Infinity;
  const { lossyIntegers } = yield* walk(layout, chunkElements, (values, src, srcStep, dst0, dstStep, n) => {
    // the running sums in locals for the loop (closure variables cost a memory access each)
    let f = finite;
    let lo = min;
    let hi = max;
    let total = sum;
    let c = compensation;
    let mu = mean;
    let sq = m2;
    for (let i = 0; i < n; i++) {
      const v = values[src + i * srcStep];
      if (v - v === 0) {
        f++;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        const t = total + v;
        c += Math.abs(total) >= Math.abs(v) ? total - t + v : v - t + total;
        total = t;
        const delta = v - mu;
        mu += delta / f;
        sq += delta * (v - mu);
        continue;
      }
      const dst = dst0 + i * dstStep;
      if (v !== v) {
        nan++;
        if (dst < firstNaN) firstNaN = dst;
      } else {
        if (v > 0) posInf++;
        else negInf++;
        if (dst < firstInf) firstInf = dst;
      }
    }
    finite = f;
    min = lo;
    max = hi;
    sum = total;
    compensation = c;
    mean = mu;
    m2 = sq;
  });
  const n = elementCount(layout.shape, 'the tensor');
  return {
    count: n,
    finite,
    min: finite ? min : null,
    max: finite ? max : null,
    // values near ±1e308 overflow the sum; Welford's running mean does not
    mean: finite ? (Number.isFinite(sum + compensation) ? (sum + compensation) / finite : mean) : null,
    std: finite ? Math.sqrt(m2 / finite) : null,
    nan,
    posInf,
    negInf,
    firstNaN: nan ? unravelIndex(firstNaN, layout.shape) : null,
    firstInf: posInf + negInf ? unravelIndex(firstInf, layout.shape) : null,
    lossyIntegers,
  };
}

/** A storage that is a run of bytes in the file (or in memory): random access, nothing read ahead. */
export function regionStorage(region: Region, dtype: DType, elements: number, what: string): StorageData {
  const item = DTYPES[dtype].bytes;
  if (elements * item > region.size) {
    refuse(
      'truncated',
      `${what} needs ${count(elements * item)} bytes (${count(elements)} × ${dtype}), but ${region.what} holds only ${count(region.size)}`,
    );
  }
  return {
    elements,
    what,
    readElements: (start, n) => region.read(start * item, n * item),
  };
}

/**
 * A storage inside a compressed zip member: the member is inflated whole on first use (checked against the
 * cap by `load`), kept for the next read of the same tensor, then dropped with the document.
 */
export function inflatedStorage(
  load: () => Job<Uint8Array>,
  byteOffset: number,
  dtype: DType,
  elements: number,
  what: string,
): StorageData {
  const item = DTYPES[dtype].bytes;
  let cached: Uint8Array | undefined;
  return {
    elements,
    what,
    *readElements(start, n) {
      cached ??= yield* load();
      const from = byteOffset + start * item;
      if (from + n * item > cached.byteLength) {
        refuse('truncated', `${what}: elements ${start}…${start + n} are past the end of the inflated member`);
      }
      return cached.subarray(from, from + n * item);
    },
  };
}
