/**
 * Convolution as im2col + GEMM: per batch item and group, the column matrix (rows = input channel × kernel
 * tap, columns = output positions) is multiplied by the weight matrix (rows = filters of the group).
 * `conv2d(x, w) = w.view(C_out, -1) @ unfold(x)`, group by group.
 */
import type { WindowGeometry } from '../geometry';
import { tapRanges } from '../window';

/**
 * Moves values between batch item n's big channels [c0, c0 + channels) and a column matrix
 * (rows × columns): row r = ci·taps + (kd·kH + kh)·kW + kw, column l = (od·oH + oh)·oW + ow.
 * 'im2col' fills `col` from `big` (taps outside the input read 0); 'col2im' adds `col` back into `big`,
 * the adjoint (entries that came from padding are dropped). One loop nest keeps the two exactly dual.
 */
export function transferColumns(
  w: WindowGeometry, big: Float64Array, n: number, c0: number, channels: number, col: Float64Array,
  direction: 'im2col' | 'col2im',
): void {
  const [, BH, BW] = w.big;
  const [OD, OH, OW] = w.small;
  const [KD, KH, KW] = w.kernel;
  const [sd, sh, sw] = w.stride;
  const [pd, ph, pw] = w.padBefore;
  const [dd, dh, dw] = w.dilation;
  const bigPlane = w.big[0] * BH * BW;
  const L = OD * OH * OW;
  const rd = tapRanges(OD, w.big[0], KD, sd, pd, dd);
  const rh = tapRanges(OH, BH, KH, sh, ph, dh);
  const rw = tapRanges(OW, BW, KW, sw, pw, dw);
  const toColumns = direction === 'im2col';
  if (toColumns) col.fill(0, 0, channels * KD * KH * KW * L);
  for (let ci = 0; ci < channels; ci++) {
    const bigBase = (n * w.bigChannels + c0 + ci) * bigPlane;
    for (let kd = 0; kd < KD; kd++) {
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          const rowBase = (((ci * KD + kd) * KH + kh) * KW + kw) * L;
          for (let od = 0; od < OD; od++) {
            if (kd < rd[2 * od] || kd > rd[2 * od + 1]) continue;
            const id = od * sd - pd + kd * dd;
            for (let oh = 0; oh < OH; oh++) {
              if (kh < rh[2 * oh] || kh > rh[2 * oh + 1]) continue;
              const ih = oh * sh - ph + kh * dh;
              const bigRow = bigBase + (id * BH + ih) * BW - pw + kw * dw;
              const colRow = rowBase + (od * OH + oh) * OW;
              // only ow with kw inside its valid tap range touch the input
              for (let ow = 0; ow < OW; ow++) {
                if (kw < rw[2 * ow] || kw > rw[2 * ow + 1]) continue;
                if (toColumns) col[colRow + ow] = big[bigRow + ow * sw];
                else big[bigRow + ow * sw] += col[colRow + ow];
              }
            }
          }
        }
      }
    }
  }
}

/** C (m × n) = A (m × k) · B (k × n), row-major; i-k-j order streams rows of B and C. */
export function gemm(a: Float64Array, aOffset: number, b: Float64Array, m: number, k: number, n: number, c: Float64Array, cOffset: number): void {
  for (let i = 0; i < m; i++) {
    const cRow = cOffset + i * n;
    for (let p = 0; p < k; p++) {
      const av = a[aOffset + i * k + p];
      const bRow = p * n;
      for (let j = 0; j < n; j++) c[cRow + j] += av * b[bRow + j];
    }
  }
}

export function im2colConv(w: WindowGeometry, big: Float64Array, weight: Float64Array, bias: Float64Array | null): Float64Array {
  const taps = w.kernel[0] * w.kernel[1] * w.kernel[2];
  const L = w.small[0] * w.small[1] * w.small[2];
  const bigPerGroup = w.bigChannels / w.groups;
  const smallPerGroup = w.smallChannels / w.groups;
  const K = bigPerGroup * taps;
  const col = new Float64Array(K * L);
  const out = new Float64Array(w.batch * w.smallChannels * L);
  for (let n = 0; n < w.batch; n++) {
    for (let g = 0; g < w.groups; g++) {
      transferColumns(w, big, n, g * bigPerGroup, bigPerGroup, col, 'im2col');
      const outOffset = (n * w.smallChannels + g * smallPerGroup) * L;
      gemm(weight, g * smallPerGroup * K, col, smallPerGroup, K, L, out, outOffset);
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
