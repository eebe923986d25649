/**
 * The three loop nests every linear op in the engine is made of, all over one WindowGeometry
 * (layouts: big = [N][bigChannels][D][H][W], small = [N][smallChannels][oD][oH][oW],
 * weight = [smallChannels][bigChannels/groups][kD][kH][kW]):
 *
 *   gather      small[n,c,o] = Σ_{ci,t} weight[c,ci,t] · big[n, g·Cg+ci, o·s − p + t·d]   conv forward
 *   scatter     big[n, g·Cg+ci, o·s − p + t·d] += weight[c,ci,t] · small[n,c,o]          conv_transpose, ∂conv/∂input
 *   weightGrad  weight[c,ci,t] += small[n,c,o] · big[n, g·Cg+ci, o·s − p + t·d]           ∂conv/∂weight
 *
 * Positions that fall outside the big side read as zero padding (and receive nothing). The three are
 * adjoint to each other by construction, which the property tests check.
 */
import type { WindowGeometry } from './geometry';
import { allocate } from './tensor';

/**
 * For one spatial dim: the valid taps of each output position, as [first, last] with
 * first ≤ t ≤ last ⇔ 0 ≤ o·s − p + t·d < size. Precomputed so the inner loops carry no bounds checks.
 */
export function tapRanges(
  outSize: number,
  size: number,
  kernel: number,
  stride: number,
  pad: number,
  dilation: number,
): Int32Array {
  const ranges = new Int32Array(outSize * 2);
  for (let o = 0; o < outSize; o++) {
    const start = o * stride - pad;
    // smallest t with start + t·d ≥ 0, largest t with start + t·d ≤ size − 1
    let first = start >= 0 ? 0 : Math.ceil(-start / dilation);
    let last = Math.min(kernel - 1, Math.floor((size - 1 - start) / dilation));
    if (first > last) {
      first = 0;
      last = -1;
    }
    ranges[2 * o] = first;
    ranges[2 * o + 1] = last;
  }
  return ranges;
}

interface Prepared {
  readonly rd: Int32Array;
  readonly rh: Int32Array;
  readonly rw: Int32Array;
  readonly bigPerGroup: number;
  readonly smallPerGroup: number;
  readonly bigPlane: number;
  readonly smallPlane: number;
  readonly taps: number;
}

// one geometry is often run many times (a benchmark, a gradient check): its tap ranges are computed once
const prepared = new WeakMap<WindowGeometry, Prepared>();

function prepare(w: WindowGeometry): Prepared {
  let p = prepared.get(w);
  if (!p) {
    p = computePrepared(w);
    prepared.set(w, p);
  }
  return p;
}

function computePrepared(w: WindowGeometry): Prepared {
  return {
    rd: tapRanges(w.small[0], w.big[0], w.kernel[0], w.stride[0], w.padBefore[0], w.dilation[0]),
    rh: tapRanges(w.small[1], w.big[1], w.kernel[1], w.stride[1], w.padBefore[1], w.dilation[1]),
    rw: tapRanges(w.small[2], w.big[2], w.kernel[2], w.stride[2], w.padBefore[2], w.dilation[2]),
    bigPerGroup: w.bigChannels / w.groups,
    smallPerGroup: w.smallChannels / w.groups,
    bigPlane: w.big[0] * w.big[1] * w.big[2],
    smallPlane: w.small[0] * w.small[1] * w.small[2],
    taps: w.kernel[0] * w.kernel[1] * w.kernel[2],
  };
}

/** Conv forward by direct loops. `bias` (one per small channel) may be null. */
export function gather(
  w: WindowGeometry,
  big: Float64Array,
  weight: Float64Array,
  bias: Float64Array | null,
): Float64Array {
  const P = prepare(w);
  // indexed reads rather than destructuring: this runs per call on tiny problems, where it shows
  const BH = w.big[1],
    BW = w.big[2];
  const OD = w.small[0],
    OH = w.small[1],
    OW = w.small[2];
  const KH = w.kernel[1],
    KW = w.kernel[2];
  const sd = w.stride[0],
    sh = w.stride[1],
    sw = w.stride[2];
  const pd = w.padBefore[0],
    ph = w.padBefore[1],
    pw = w.padBefore[2];
  const dd = w.dilation[0],
    dh = w.dilation[1],
    dw = w.dilation[2];
  const out = allocate(w.batch * w.smallChannels * P.smallPlane);
  for (let n = 0; n < w.batch; n++) {
    for (let c = 0; c < w.smallChannels; c++) {
      const g = Math.floor(c / P.smallPerGroup);
      const outBase = (n * w.smallChannels + c) * P.smallPlane;
      const b = bias ? bias[c] : 0;
      for (let od = 0; od < OD; od++) {
        const d0 = P.rd[2 * od],
          d1 = P.rd[2 * od + 1];
        for (let oh = 0; oh < OH; oh++) {
          const h0 = P.rh[2 * oh],
            h1 = P.rh[2 * oh + 1];
          for (let ow = 0; ow < OW; ow++) {
            const w0 = P.rw[2 * ow],
              w1 = P.rw[2 * ow + 1];
            let acc = 0;
            for (let ci = 0; ci < P.bigPerGroup; ci++) {
              const inBase = (n * w.bigChannels + g * P.bigPerGroup + ci) * P.bigPlane;
              const wBase = (c * P.bigPerGroup + ci) * P.taps;
              for (let kd = d0; kd <= d1; kd++) {
                const id = od * sd - pd + kd * dd;
                for (let kh = h0; kh <= h1; kh++) {
                  const ih = oh * sh - ph + kh * dh;
                  const inRow = inBase + (id * BH + ih) * BW + ow * sw - pw;
                  const wRow = wBase + (kd * KH + kh) * KW;
                  for (let kw = w0; kw <= w1; kw++) acc += big[inRow + kw * dw] * weight[wRow + kw];
                }
              }
            }
            out[outBase + (od * OH + oh) * OW + ow] = acc + b;
          }
        }
      }
    }
  }
  return out;
}

/**
 * The loop nest behind both scatter and weightGrad: for every (output position, tap) pair it spreads the
 * small-side value v, either onto the big side (v · weight, the transposed conv / input gradient) or onto
 * the weight gradient (v · big).
 *
 * `skipZeros`: a zero on the small side contributes nothing, except that 0 · ∞ and 0 · NaN are NaN; PyTorch
 * keeps those NaNs, so the default keeps them too. A gradient check's unit vectors (finite weights, one
 * non-zero) skip the zeros and cost one window instead of the whole output.
 */
function spread(
  w: WindowGeometry,
  small: Float64Array,
  operand: Float64Array,
  target: 'big' | 'weight',
  skipZeros: boolean,
): Float64Array {
  const P = prepare(w);
  const BH = w.big[1],
    BW = w.big[2];
  const OD = w.small[0],
    OH = w.small[1],
    OW = w.small[2];
  const KH = w.kernel[1],
    KW = w.kernel[2];
  const sd = w.stride[0],
    sh = w.stride[1],
    sw = w.stride[2];
  const pd = w.padBefore[0],
    ph = w.padBefore[1],
    pw = w.padBefore[2];
  const dd = w.dilation[0],
    dh = w.dilation[1],
    dw = w.dilation[2];
  const toBig = target === 'big';
  const out = new Float64Array(toBig ? w.batch * w.bigChannels * P.bigPlane : w.smallChannels * P.bigPerGroup * P.taps);
  for (let n = 0; n < w.batch; n++) {
    for (let c = 0; c < w.smallChannels; c++) {
      const g = Math.floor(c / P.smallPerGroup);
      const smallBase = (n * w.smallChannels + c) * P.smallPlane;
      for (let od = 0; od < OD; od++) {
        const d0 = P.rd[2 * od],
          d1 = P.rd[2 * od + 1];
        for (let oh = 0; oh < OH; oh++) {
          const h0 = P.rh[2 * oh],
            h1 = P.rh[2 * oh + 1];
          for (let ow = 0; ow < OW; ow++) {
            const w0 = P.rw[2 * ow],
              w1 = P.rw[2 * ow + 1];
            const v = small[smallBase + (od * OH + oh) * OW + ow];
            if (skipZeros && v === 0) continue;
            for (let ci = 0; ci < P.bigPerGroup; ci++) {
              const bigBase = (n * w.bigChannels + g * P.bigPerGroup + ci) * P.bigPlane;
              const wBase = (c * P.bigPerGroup + ci) * P.taps;
              for (let kd = d0; kd <= d1; kd++) {
                const id = od * sd - pd + kd * dd;
                for (let kh = h0; kh <= h1; kh++) {
                  const ih = oh * sh - ph + kh * dh;
                  const bigRow = bigBase + (id * BH + ih) * BW + ow * sw - pw;
                  const wRow = wBase + (kd * KH + kh) * KW;
                  if (toBig) for (let kw = w0; kw <= w1; kw++) out[bigRow + kw * dw] += v * operand[wRow + kw];
                  else for (let kw = w0; kw <= w1; kw++) out[wRow + kw] += v * operand[bigRow + kw * dw];
                }
              }
            }
          }
        }
      }
    }
  }
  return out;
}

/** Transposed conv / input gradient: spreads each small-side value over its window. */
export function scatter(w: WindowGeometry, small: Float64Array, weight: Float64Array, skipZeros = false): Float64Array {
  return spread(w, small, weight, 'big', skipZeros);
}

/** Weight gradient: correlates the big side with the small side over every window position. */
export function weightGrad(w: WindowGeometry, big: Float64Array, small: Float64Array, skipZeros = false): Float64Array {
  return spread(w, small, big, 'weight', skipZeros);
}

/** Sum of the small side over batch and positions, per channel: the bias gradient. */
export function channelSums(w: WindowGeometry, small: Float64Array): Float64Array {
  const plane = w.small[0] * w.small[1] * w.small[2];
  const sums = new Float64Array(w.smallChannels);
  for (let n = 0; n < w.batch; n++) {
    for (let c = 0; c < w.smallChannels; c++) {
      const base = (n * w.smallChannels + c) * plane;
      let s = 0;
      for (let i = 0; i < plane; i++) s += small[base + i];
      sums[c] += s;
    }
  }
  return sums;
}
