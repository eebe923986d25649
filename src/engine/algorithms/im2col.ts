/**
 * Convolution as im2col + GEMM: per batch item and group, the column matrix (rows = input channel × kernel
 * tap, columns = output positions) is multiplied by the weight matrix (rows = filters of the group).
 * `conv2d(x, w) = w.view(C_out, -1) @ unfold(x)`, group by group.
 */
import type { WindowGeometry } from '../geometry';
import { tapRanges } from '../window';
import { gemm } from './gemm';
import { columnBlockRows } from '../budget';

/**
 * Moves values between batch item n's big channels [c0, c0 + channels) and a column matrix
 * (rows × columns): row r = ci·taps + (kd·kH + kh)·kW + kw, column l = (od·oH + oh)·oW + ow.
 * 'im2col' fills `col` from `big` (taps outside the input read 0); 'col2im' adds `col` back into `big`,
 * the adjoint (entries that came from padding are dropped). One loop nest keeps the two exactly dual.
 *
 * `rowFrom`/`rowTo` select a block of output rows q = od·oH + oh: the block's column matrix has
 * (rowTo − rowFrom)·oW columns, column l = (q − rowFrom)·oW + ow, so a big problem is done block by block
 * with a bounded column matrix.
 */
export function transferColumns(
  w: WindowGeometry,
  big: Float64Array,
  n: number,
  c0: number,
  channels: number,
  col: Float64Array,
  direction: 'im2col' | 'col2im',
  rowFrom = 0,
  rowTo = w.small[0] * w.small[1],
): void {
  const [, BH, BW] = w.big;
  const [OD, OH, OW] = w.small;
  const [KD, KH, KW] = w.kernel;
  const [sd, sh, sw] = w.stride;
  const [pd, ph, pw] = w.padBefore;
  const [dd, dh, dw] = w.dilation;
  const bigPlane = w.big[0] * BH * BW;
  const L = (rowTo - rowFrom) * OW;
  const rd = tapRanges(OD, w.big[0], KD, sd, pd, dd);
  const rh = tapRanges(OH, BH, KH, sh, ph, dh);
  const toColumns = direction === 'im2col';
  if (toColumns) col.fill(0, 0, channels * KD * KH * KW * L);
  // for tap kw, the output columns whose input column ow·sw − pw + kw·dw lies inside [0, BW):
  // owFirst = ceil((pw − kw·dw) / sw), owLast = floor((BW − 1 + pw − kw·dw) / sw), clipped to [0, OW)
  const owFirst = new Int32Array(KW);
  const owLast = new Int32Array(KW);
  for (let kw = 0; kw < KW; kw++) {
    owFirst[kw] = Math.max(0, Math.ceil((pw - kw * dw) / sw));
    owLast[kw] = Math.min(OW - 1, Math.floor((BW - 1 + pw - kw * dw) / sw));
  }
  for (let ci = 0; ci < channels; ci++) {
    const bigBase = (n * w.bigChannels + c0 + ci) * bigPlane;
    for (let kd = 0; kd < KD; kd++) {
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          const rowBase = (((ci * KD + kd) * KH + kh) * KW + kw) * L;
          const o0 = owFirst[kw];
          const o1 = owLast[kw];
          for (let q = rowFrom; q < rowTo; q++) {
            const od = Math.floor(q / OH);
            const oh = q - od * OH;
            if (kd < rd[2 * od] || kd > rd[2 * od + 1]) continue;
            if (kh < rh[2 * oh] || kh > rh[2 * oh + 1]) continue;
            const id = od * sd - pd + kd * dd;
            {
              const ih = oh * sh - ph + kh * dh;
              const bigRow = bigBase + (id * BH + ih) * BW - pw + kw * dw;
              const colRow = rowBase + (q - rowFrom) * OW;
              if (toColumns) {
                if (sw === 1) for (let ow = o0; ow <= o1; ow++) col[colRow + ow] = big[bigRow + ow];
                else for (let ow = o0; ow <= o1; ow++) col[colRow + ow] = big[bigRow + ow * sw];
              } else {
                for (let ow = o0; ow <= o1; ow++) big[bigRow + ow * sw] += col[colRow + ow];
              }
            }
          }
        }
      }
    }
  }
}

export function im2colConv(
  w: WindowGeometry,
  big: Float64Array,
  weight: Float64Array,
  bias: Float64Array | null,
): Float64Array {
  const taps = w.kernel[0] * w.kernel[1] * w.kernel[2];
  const OW = w.small[2];
  const rows = w.small[0] * w.small[1];
  const L = rows * OW;
  const bigPerGroup = w.bigChannels / w.groups;
  const smallPerGroup = w.smallChannels / w.groups;
  const K = bigPerGroup * taps;
  const blockRows = columnBlockRows(w, K);
  const col = new Float64Array(K * blockRows * OW);
  const out = new Float64Array(w.batch * w.smallChannels * L);
  for (let n = 0; n < w.batch; n++) {
    for (let g = 0; g < w.groups; g++) {
      const outOffset = (n * w.smallChannels + g * smallPerGroup) * L;
      for (let q0 = 0; q0 < rows; q0 += blockRows) {
        const q1 = Math.min(rows, q0 + blockRows);
        const Lb = (q1 - q0) * OW;
        transferColumns(w, big, n, g * bigPerGroup, bigPerGroup, col, 'im2col', q0, q1);
        gemm(weight, g * smallPerGroup * K, col, smallPerGroup, K, Lb, out, outOffset + q0 * OW, 0, Lb, L);
      }
    }
  }
  if (bias) {
    for (let n = 0; n < w.batch; n++) {
      for (let c = 0; c < w.smallChannels; c++) {
        const base = (n * w.smallChannels + c) * L;
        for (let l = 0; l < L; l++) out[base + l] += bias[c];
      }
    }
  }
  return out;
}

/** Row-major transpose of a rows × cols block at `offset` (rows `stride` apart) into `out` (cols × rows). */
function transpose(
  src: Float64Array,
  offset: number,
  rows: number,
  cols: number,
  out: Float64Array,
  stride = cols,
): Float64Array {
  for (let r = 0; r < rows; r++) {
    const row = offset + r * stride;
    for (let c = 0; c < cols; c++) out[c * rows + r] = src[row + c];
  }
  return out;
}

/**
 * Both gradients of a conv through the same column matrix, per batch item and group:
 *   ∂W_g (Og × K) += ∂Y_g (Og × L) · colᵀ (L × K)
 *   ∂col (K × L)  = W_gᵀ (K × Og) · ∂Y_g (Og × L), scattered back by col2im into ∂X
 * Each costs one GEMM the size of the forward one.
 */
export function im2colBackward(
  w: WindowGeometry,
  big: Float64Array,
  weight: Float64Array,
  gradSmall: Float64Array,
  only?: 'input' | 'weight',
): { gradBig: Float64Array; gradWeight: Float64Array } {
  const taps = w.kernel[0] * w.kernel[1] * w.kernel[2];
  const OW = w.small[2];
  const rows = w.small[0] * w.small[1];
  const L = rows * OW;
  const bigPerGroup = w.bigChannels / w.groups;
  const smallPerGroup = w.smallChannels / w.groups;
  const K = bigPerGroup * taps;
  const bigPlane = w.big[0] * w.big[1] * w.big[2];
  const blockRows = columnBlockRows(w, K);
  const blockL = blockRows * OW;
  const col = new Float64Array(K * blockL);
  const dyT = new Float64Array(blockL * smallPerGroup);
  const gradWT = new Float64Array(K * smallPerGroup);
  const weightT = new Float64Array(K * smallPerGroup);
  const gradCol = new Float64Array(K * blockL);
  const gradWeight = new Float64Array(w.smallChannels * K);
  const gradBig = new Float64Array(w.batch * w.bigChannels * bigPlane);
  for (let g = 0; g < w.groups; g++) {
    transpose(weight, g * smallPerGroup * K, smallPerGroup, K, weightT);
    for (let n = 0; n < w.batch; n++) {
      const dyOffset = (n * w.smallChannels + g * smallPerGroup) * L;
      gradWT.fill(0);
      for (let q0 = 0; q0 < rows; q0 += blockRows) {
        const q1 = Math.min(rows, q0 + blockRows);
        const Lb = (q1 - q0) * OW;
        if (only !== 'input') {
          // ∂Wᵀ (K × Og) += col (K × Lb) · ∂Yᵀ (Lb × Og): the big column matrix is read as it is and only the
          // small ∂Y block and the result are transposed
          transferColumns(w, big, n, g * bigPerGroup, bigPerGroup, col, 'im2col', q0, q1);
          transpose(gradSmall, dyOffset + q0 * OW, smallPerGroup, Lb, dyT, L);
          gemm(col, 0, dyT, K, Lb, smallPerGroup, gradWT, 0);
        }
        if (only !== 'weight') {
          gradCol.fill(0, 0, K * Lb);
          gemm(weightT, 0, gradSmall, K, smallPerGroup, Lb, gradCol, 0, dyOffset + q0 * OW, L, Lb);
          transferColumns(w, gradBig, n, g * bigPerGroup, bigPerGroup, gradCol, 'col2im', q0, q1);
        }
      }
      if (only !== 'input') {
        for (let kk = 0; kk < K; kk++) {
          for (let c = 0; c < smallPerGroup; c++)
            gradWeight[(g * smallPerGroup + c) * K + kk] += gradWT[kk * smallPerGroup + c];
        }
      }
    }
  }
  return { gradBig, gradWeight };
}
