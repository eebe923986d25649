/** Reading the nested arrays the host sends: a flat view with shape, and 2-D planes of it. */
import type { NestedValue } from '../src/protocol';

export class NdArray {
  readonly data: Float64Array;
  readonly strides: number[];

  constructor(
    readonly shape: readonly number[],
    data: Float64Array,
  ) {
    this.data = data;
    this.strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  }

  static from(values: unknown, shape?: readonly number[]): NdArray {
    const flat: number[] = [];
    const inferred: number[] = [];
    let probe: unknown = values;
    while (Array.isArray(probe)) {
      inferred.push(probe.length);
      probe = probe[0];
    }
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else flat.push(typeof v === 'number' ? v : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : NaN);
    };
    walk(values as NestedValue);
    return new NdArray(shape ?? inferred, Float64Array.from(flat));
  }

  get(index: readonly number[]): number {
    let k = 0;
    for (let i = 0; i < index.length; i++) k += index[i] * this.strides[i];
    return this.data[k];
  }

  /** The plane spanned by the last two dims (one row for rank 1) at the given leading index. */
  plane(prefix: readonly number[]): Plane {
    const rank = this.shape.length;
    const rows = rank >= 2 ? this.shape[rank - 2] : 1;
    const cols = rank >= 1 ? this.shape[rank - 1] : 1;
    let base = 0;
    for (let i = 0; i < prefix.length; i++) base += prefix[i] * this.strides[i];
    return { rows, cols, get: (r, c) => this.data[base + r * cols + c] };
  }
}

export interface Plane {
  readonly rows: number;
  readonly cols: number;
  get(r: number, c: number): number;
}

/** The last two of a spatial index (or [0, x] for 1-D). */
export function rowCol(index: readonly number[]): [number, number] {
  return index.length >= 2 ? [index[index.length - 2], index[index.length - 1]] : [0, index[0] ?? 0];
}
