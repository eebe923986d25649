import { fail } from './errors';

/** A dense row-major float64 tensor. Every engine op reads and writes this one type. */
export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/** A nested array as it appears in JSON: numbers, or the strings that JSON cannot spell as numbers. */
export type Nested = number | string | Nested[];

export const DEFAULT_MAX_ELEMENTS = 1 << 24;

/** PyTorch's own limit on a tensor's dims; fromNested refuses deeper nesting before it recurses. */
export const MAX_RANK = 64;

/**
 * A zeroed Float64Array of n elements. Small arrays are views into a shared slab: V8 gives every new
 * ArrayBuffer an off-heap backing store, which costs more than a 5×5 convolution itself, while a view on an
 * existing buffer is cheap. Views are never handed out twice, so each one starts zeroed; a slab is freed
 * when no view of it is left.
 */
const SLAB_BYTES = 1 << 20;
const SMALL = 128;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;
export function allocate(n: number): Float64Array {
  if (n > SMALL) return new Float64Array(n);
  if (slabUsed + n * 8 > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const view = new Float64Array(slab, slabUsed, n);
  slabUsed += n * 8;
  return view;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function tensor(shape: readonly number[], data?: Float64Array): Tensor {
  const size = sizeOf(shape);
  if (data && data.length !== size)
    throw new Error(`data length ${data.length} does not match shape [${shape.join(', ')}]`);
  return { shape: [...shape], data: data ?? new Float64Array(size) };
}

export function zeros(shape: readonly number[]): Tensor {
  return tensor(shape);
}

export function filled(shape: readonly number[], value: number): Tensor {
  const t = tensor(shape);
  t.data.fill(value);
  return t;
}

export function reshape(t: Tensor, shape: readonly number[]): Tensor {
  if (sizeOf(shape) !== t.data.length) throw new Error(`cannot view [${t.shape.join(', ')}] as [${shape.join(', ')}]`);
  return { shape: [...shape], data: t.data };
}

/** "1×3×32×32" ("scalar" for a 0-d tensor): a shape as the panel, hovers and messages write it. */
export function shapeText(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join('×');
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Reads one JSON scalar: a number, or "NaN" / "Infinity" / "-Infinity" (also accepted: "inf", "-inf", "nan"). */
export function scalarFromJson(value: unknown, path: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const s = value.trim().toLowerCase();
    if (s === 'nan') return NaN;
    if (s === 'infinity' || s === 'inf' || s === '+infinity' || s === '+inf') return Infinity;
    if (s === '-infinity' || s === '-inf') return -Infinity;
  }
  return fail(
    path.split(/[[.]/)[0],
    'type',
    `${path} must be a number (or "NaN", "Infinity", "-Infinity"), got ${describe(value)}`,
  );
}

/**
 * A value as a message shows it: JSON-like, but bounded whatever the value (at most `max` characters,
 * three levels deep, the first few elements of a long list), and never recursive past that, so a request
 * nested 10,000 deep or a 10 MB string is quoted in a few dozen characters.
 */
export function show(value: unknown, max = 60): string {
  const out: string[] = [];
  let length = 0;
  const put = (s: string): boolean => {
    out.push(s);
    length += s.length;
    return length < max;
  };
  const walk = (v: unknown, depth: number): boolean => {
    if (Array.isArray(v)) {
      if (depth >= 3) return put(v.length === 0 ? '[]' : '[…]');
      if (!put('[')) return false;
      for (let i = 0; i < v.length; i++) {
        if (i > 0 && !put(', ')) return false;
        if (i >= 8) return put(`… ${v.length - 8} more]`);
        if (!walk(v[i], depth + 1)) return false;
      }
      return put(']');
    }
    if (typeof v === 'string') return put(quote(v, 24));
    if (v !== null && typeof v === 'object') return put('{…}');
    return put(typeof v === 'number' && !Number.isFinite(v) ? String(v) : String(v));
  };
  walk(value, 0);
  const text = out.join('');
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** A string as JSON, cut to `max` characters with its length said when it is longer. */
export function quote(text: string, max = 40): string {
  if (text.length <= max) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, max))}… (${text.length} characters)`;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'string') return `the string ${quote(value)}`;
  if (typeof value === 'object' || typeof value === 'function')
    return typeof value === 'object' ? 'an object' : 'a function';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  return typeof value;
}

/** Refuses a tensor of more than `maxElements` elements, naming it, its size and the limit. */
export function checkElementCount(shape: readonly number[], name: string, maxElements: number): void {
  const size = sizeOf(shape);
  if (size > maxElements) {
    fail(
      name,
      'size_limit',
      `${name} has ${size} elements (shape ${formatShape(shape)}), over the limit of ${maxElements}: use a smaller tensor or raise the limit`,
    );
  }
}

/**
 * Turns a nested array into a Tensor. The shape comes from the first element at each depth; every other
 * element is then checked against it, so a ragged row is reported with its path and both lengths.
 */
export function fromNested(value: unknown, name: string, maxElements = DEFAULT_MAX_ELEMENTS): Tensor {
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    if (shape.length === MAX_RANK) {
      fail(
        name,
        'nesting',
        `${name} is nested more than ${MAX_RANK} deep: a tensor has at most ${MAX_RANK} dims (the ops here take 1 to 5)`,
      );
    }
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  const size = sizeOf(shape);
  checkElementCount(shape, name, maxElements);
  const data = new Float64Array(size);
  let k = 0;
  const walk = (v: unknown, depth: number, path: string): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) {
        fail(
          name,
          'ragged',
          `${path} is an array but ${name} has rank ${shape.length} (shape ${formatShape(shape)} from its first elements): every entry at this depth must be a number`,
        );
      }
      data[k++] = scalarFromJson(v, path);
      return;
    }
    if (!Array.isArray(v)) {
      fail(
        name,
        'ragged',
        `${path} is ${describe(v)} but ${name}'s first elements have shape ${formatShape(shape)}: expected an array of length ${shape[depth]} here`,
      );
    }
    if (v.length !== shape[depth]) {
      fail(
        name,
        'ragged',
        `${path} has length ${v.length} but the first ${depth === 0 ? 'dimension' : 'sibling'} has length ${shape[depth]}: ${name} is ragged, every row must have the same length`,
      );
    }
    for (let i = 0; i < v.length; i++) walk(v[i], depth + 1, `${path}[${i}]`);
  };
  walk(value, 0, name);
  return { shape, data };
}

/** The inverse of fromNested, with JSON's missing numbers spelled as strings. */
export function toNested(t: Tensor, encode: (x: number) => number | string = jsonNumber): Nested {
  if (t.shape.length === 0) return encode(t.data[0]);
  let offset = 0;
  const build = (depth: number): Nested[] => {
    const n = t.shape[depth];
    const out = new Array<Nested>(n);
    if (depth === t.shape.length - 1) {
      for (let i = 0; i < n; i++) out[i] = encode(t.data[offset++]);
    } else {
      for (let i = 0; i < n; i++) out[i] = build(depth + 1);
    }
    return out;
  };
  return build(0);
}

export function jsonNumber(x: number): number | string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return x;
}

/** The multi-index of row-major position `flat` in `shape`. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return idx;
}

/** The row-major position of multi-index `index` in `shape` (the inverse of unravel). */
export function ravel(index: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d] + index[d];
  return flat;
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}
