/**
 * Tensors as a view carries them: statistics always, every value when the tensor is small, otherwise
 * nothing until the panel asks for the plane it draws (planeOf). Every array handed out is a copy on a buffer
 * of its own: VS Code sends a typed array's whole underlying buffer, and the engine's small tensors are
 * views into a shared slab.
 */
import type { Tensor } from '../engine/tensor';
import { tensorStats as measure } from '../tensorSource';
import { narrowIfExact, type Floats, type TensorPayload, type TensorStats } from '../protocol';

/** tensors of up to this many elements travel whole (512 KiB of float64): a 64×64×3×3 kernel does */
export const WHOLE_TENSOR_ELEMENTS = 65_536;

/** The statistics a view carries: src/tensorSource.ts measures them (compensated sums), in the protocol's words. */
export function tensorStats(t: Tensor): TensorStats {
  const s = measure(t.data, t.shape);
  return {
    count: s.count,
    min: s.min,
    max: s.max,
    mean: s.mean,
    std: s.std,
    nan: s.nanCount,
    posInf: s.posInfCount,
    negInf: s.negInfCount,
    firstNaN: s.firstNaN,
    firstPosInf: s.firstPosInf,
    firstNegInf: s.firstNegInf,
  };
}

export function tensorPayload(id: string, name: string, t: Tensor, dtype = 'float64'): TensorPayload {
  return {
    id,
    name,
    shape: [...t.shape],
    dtype,
    stats: tensorStats(t),
    data: t.data.length <= WHOLE_TENSOR_ELEMENTS ? exactCopy(t.data) : null,
  };
}

/** A copy of `data` on a buffer of its own, as float32 when that is exact (the protocol's floats.ts). */
function exactCopy(data: Float64Array): Floats {
  const narrow = narrowIfExact(data);
  return narrow === data ? data.slice() : narrow;
}

/** Rows and columns of a tensor's planes: the last two dims (rank 1: one row; rank 0: one cell). */
export function planeSize(shape: readonly number[]): [number, number] {
  const r = shape.length;
  return r === 0 ? [1, 1] : r === 1 ? [1, shape[0]] : [shape[r - 2], shape[r - 1]];
}

/**
 * Dims `rows` × `cols` of `t` (two different dims of a tensor of rank ≥ 2), the other dims at `index`, a
 * full multi-index whose entries at `rows` and `cols` are ignored; null when out of range.
 */
export function sliceOf(t: Tensor, rows: number, cols: number, index: readonly number[]): Float64Array | null {
  const rank = t.shape.length;
  if (rank < 2 || index.length !== rank || rows === cols || cols >= rank || rows >= rank) return null;
  if (index.some((v, d) => d !== rows && d !== cols && (!Number.isInteger(v) || v < 0 || v >= t.shape[d]))) return null;
  const strides = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1));
  let base = 0;
  for (let d = 0; d < rank; d++) if (d !== rows && d !== cols) base += index[d] * strides[d];
  const [nr, nc, rs, cs] = [t.shape[rows], t.shape[cols], strides[rows], strides[cols]];
  const out = new Float64Array(nr * nc);
  for (let r = 0; r < nr; r++) for (let c = 0; c < nc; c++) out[r * nc + c] = t.data[base + r * rs + c * cs];
  return out;
}

/** The plane of `t` at `index` of its leading dims (all but the last two), or null when out of range. */
export function planeOf(t: Tensor, index: readonly number[]): Float64Array | null {
  const lead = t.shape.slice(0, Math.max(0, t.shape.length - 2));
  if (index.length !== lead.length || index.some((v, i) => !Number.isInteger(v) || v < 0 || v >= lead[i])) return null;
  const [rows, cols] = planeSize(t.shape);
  let flat = 0;
  for (let i = 0; i < lead.length; i++) flat = flat * lead[i] + index[i];
  const size = rows * cols;
  return t.data.slice(flat * size, (flat + 1) * size);
}
