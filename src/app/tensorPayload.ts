/**
 * Tensors as a view carries them: statistics always, every value when the tensor is small, otherwise
 * nothing until the panel asks for the plane it draws (planeOf). Every array handed out is a copy on a buffer
 * of its own: VS Code sends a typed array's whole underlying buffer, and the engine's small tensors are
 * views into a shared slab.
 */
import { unravel, type Tensor } from '../engine/tensor';
import type { TensorPayload, TensorStats } from '../protocol';

/** tensors of up to this many elements travel whole (512 KiB of float64): a 64×64×3×3 kernel does */
export const WHOLE_TENSOR_ELEMENTS = 65_536;

export function tensorStats(t: Tensor): TensorStats {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let finite = 0;
  let nan = 0;
  let posInf = 0;
  let negInf = 0;
  let firstNaN = -1;
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (Number.isFinite(v)) {
      finite++;
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    } else if (Number.isNaN(v)) {
      if (firstNaN < 0) firstNaN = i;
      nan++;
    } else if (v > 0) posInf++;
    else negInf++;
  }
  const mean = finite ? sum / finite : null;
  let squares = 0;
  if (mean !== null) for (let i = 0; i < d.length; i++) if (Number.isFinite(d[i])) squares += (d[i] - mean) ** 2;
  return {
    count: d.length,
    min: finite ? min : null,
    max: finite ? max : null,
    mean,
    // the population standard deviation, as numpy's std (torch.std is the sample one: it says so in its name)
    std: finite ? Math.sqrt(squares / finite) : null,
    nan,
    posInf,
    negInf,
    firstNaN: firstNaN < 0 ? null : unravel(firstNaN, t.shape),
  };
}

export function tensorPayload(id: string, name: string, t: Tensor, dtype = 'float64'): TensorPayload {
  return {
    id,
    name,
    shape: [...t.shape],
    dtype,
    stats: tensorStats(t),
    data: t.data.length <= WHOLE_TENSOR_ELEMENTS ? t.data.slice() : null,
  };
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
