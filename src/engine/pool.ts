/**
 * Max and average pooling over the shared window geometry, with PyTorch's CPU-kernel rules:
 * - max: padding never wins (it is −inf); the scan is row-major over the window; a value replaces the
 *   running max when it is strictly greater or NaN, so ties keep the first maximum and the last NaN wins;
 *   an index is flat within its input plane (d·H·W + h·W + w).
 * - avg: the window is clipped to the padded input for the divisor (count_include_pad) or to the input
 *   (not count_include_pad); divisor_override replaces both.
 */
import {
  checkBudget,
  estimatePool,
  estimatePoolBackward,
  limitsFrom,
  skipsTinyChecks,
  type EngineLimits,
} from './budget';
import { fail } from './errors';
import { checkIntRange, type PoolGeometry } from './geometry';
import { describe, formatShape, type Tensor } from './tensor';
import { tapRanges } from './window';

export interface MaxPoolResult {
  readonly output: Tensor;
  /** flat indices into each input plane, as PyTorch's return_indices gives */
  readonly indices: Tensor;
}

export interface AvgPoolOptions {
  readonly countIncludePad?: boolean;
  readonly divisorOverride?: number | null;
}

/** Reads avg pooling's two options as PyTorch's keywords give them, refusing what PyTorch refuses. */
export function readAvgPoolOptions(countIncludePad: unknown, divisorOverride: unknown): AvgPoolOptions {
  if (countIncludePad !== undefined && countIncludePad !== null && typeof countIncludePad !== 'boolean') {
    fail('count_include_pad', 'type', `count_include_pad must be true or false, got ${describe(countIncludePad)}`);
  }
  let divisor: number | null = null;
  if (divisorOverride !== undefined && divisorOverride !== null) {
    if (typeof divisorOverride !== 'number' || !Number.isInteger(divisorOverride)) {
      return fail(
        'divisor_override',
        'type',
        `divisor_override must be an integer or null, got ${describe(divisorOverride)}`,
      );
    }
    checkIntRange(divisorOverride, 'divisor_override');
    if (divisorOverride === 0) {
      fail(
        'divisor_override',
        'nonpositive',
        'divisor must be not zero — divisor_override=0 would divide by zero: use a non-zero integer or null',
      );
    }
    divisor = divisorOverride;
  }
  return { countIncludePad: typeof countIncludePad === 'boolean' ? countIncludePad : true, divisorOverride: divisor };
}

function checkInput(g: PoolGeometry, t: Tensor, name: string, shape: readonly number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    fail(
      name,
      'shape_mismatch',
      `${name} has shape ${formatShape(t.shape)} but ${g.kind}_pool${g.rank}d needs ${formatShape(shape)} here`,
    );
  }
}

/** Far inside every limit: no estimate needed (the check must not show in a lecture-sized pool). */
function small(g: PoolGeometry, limits?: Partial<EngineLimits>): boolean {
  if (!skipsTinyChecks(limits)) return false;
  const w = g.window;
  const windows = w.batch * w.smallChannels * w.small[0] * w.small[1] * w.small[2];
  return windows * w.kernel[0] * w.kernel[1] * w.kernel[2] < 1 << 16 && windows < 1 << 16;
}

export function maxPool(g: PoolGeometry, input: Tensor, limits?: Partial<EngineLimits>): MaxPoolResult {
  checkInput(g, input, 'input', g.inputShape);
  if (!small(g, limits)) checkBudget(estimatePool(g), limitsFrom(limits));
  const w = g.window;
  const [, BH, BW] = w.big;
  const [OD, OH, OW] = w.small;
  const [sd, sh, sw] = w.stride;
  const [pd, ph, pw] = w.padBefore;
  const [dd, dh, dw] = w.dilation;
  const rd = tapRanges(OD, w.big[0], w.kernel[0], sd, pd, dd);
  const rh = tapRanges(OH, BH, w.kernel[1], sh, ph, dh);
  const rw = tapRanges(OW, BW, w.kernel[2], sw, pw, dw);
  const bigPlane = w.big[0] * BH * BW;
  const smallPlane = OD * OH * OW;
  const planes = w.batch * w.bigChannels;
  const out = new Float64Array(planes * smallPlane);
  const idx = new Float64Array(planes * smallPlane);
  for (let p = 0; p < planes; p++) {
    const inBase = p * bigPlane;
    let k = p * smallPlane;
    for (let od = 0; od < OD; od++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++, k++) {
          let best = -Infinity;
          let bestIndex = -1;
          for (let kd = rd[2 * od]; kd <= rd[2 * od + 1]; kd++) {
            const id = od * sd - pd + kd * dd;
            for (let kh = rh[2 * oh]; kh <= rh[2 * oh + 1]; kh++) {
              const ih = oh * sh - ph + kh * dh;
              for (let kw = rw[2 * ow]; kw <= rw[2 * ow + 1]; kw++) {
                const iw = ow * sw - pw + kw * dw;
                const flat = (id * BH + ih) * BW + iw;
                const v = input.data[inBase + flat];
                // the first in-bounds cell is the index even when every value is −inf
                if (bestIndex < 0 || v > best || Number.isNaN(v)) {
                  best = v;
                  bestIndex = flat;
                }
              }
            }
          }
          out[k] = best;
          idx[k] = bestIndex;
        }
      }
    }
  }
  return { output: { shape: g.outputShape, data: out }, indices: { shape: g.outputShape, data: idx } };
}

/** Routes each output gradient to the input cell its window's max came from. */
export function maxPoolBackward(
  g: PoolGeometry,
  input: Tensor,
  gradOutput: Tensor,
  limits?: Partial<EngineLimits>,
): Tensor {
  checkInput(g, gradOutput, 'grad_output', g.outputShape);
  if (!small(g, limits)) checkBudget(estimatePoolBackward(g), limitsFrom(limits));
  const { indices } = maxPool(g, input, limits);
  const w = g.window;
  const bigPlane = w.big[0] * w.big[1] * w.big[2];
  const smallPlane = w.small[0] * w.small[1] * w.small[2];
  const grad = new Float64Array(input.data.length);
  const planes = w.batch * w.bigChannels;
  for (let p = 0; p < planes; p++) {
    for (let k = 0; k < smallPlane; k++)
      grad[p * bigPlane + indices.data[p * smallPlane + k]] += gradOutput.data[p * smallPlane + k];
  }
  return { shape: g.inputShape, data: grad };
}

/**
 * The divisor of every output cell, as AvgPoolKernel.cpp: the window [o·s − p, o·s − p + k) clipped to the
 * padded input [−p, size + p) counts padding; clipped to [0, size) it does not.
 */
export function avgPoolDivisors(g: PoolGeometry, options: AvgPoolOptions = {}): Float64Array {
  const w = g.window;
  const [OD, OH, OW] = w.small;
  const counts = (o: number, d: 0 | 1 | 2): [number, number] => {
    const start = o * w.stride[d] - w.padBefore[d];
    const end = Math.min(start + w.kernel[d], w.big[d] + w.padBefore[d]);
    const withPad = end - start;
    const inside = Math.min(end, w.big[d]) - Math.max(start, 0);
    return [withPad, Math.max(0, inside)];
  };
  const div = new Float64Array(OD * OH * OW);
  let k = 0;
  for (let od = 0; od < OD; od++) {
    const [pdN, idN] = counts(od, 0);
    for (let oh = 0; oh < OH; oh++) {
      const [phN, ihN] = counts(oh, 1);
      for (let ow = 0; ow < OW; ow++, k++) {
        const [pwN, iwN] = counts(ow, 2);
        if (options.divisorOverride) div[k] = options.divisorOverride;
        else if (options.countIncludePad ?? true) div[k] = pdN * phN * pwN;
        else div[k] = idN * ihN * iwN;
      }
    }
  }
  return div;
}

export function avgPool(
  g: PoolGeometry,
  input: Tensor,
  options: AvgPoolOptions = {},
  limits?: Partial<EngineLimits>,
): Tensor {
  checkInput(g, input, 'input', g.inputShape);
  if (!small(g, limits)) checkBudget(estimatePool(g), limitsFrom(limits));
  const w = g.window;
  const [, BH, BW] = w.big;
  const [OD, OH, OW] = w.small;
  const [sd, sh, sw] = w.stride;
  const [pd, ph, pw] = w.padBefore;
  const rd = tapRanges(OD, w.big[0], w.kernel[0], sd, pd, 1);
  const rh = tapRanges(OH, BH, w.kernel[1], sh, ph, 1);
  const rw = tapRanges(OW, BW, w.kernel[2], sw, pw, 1);
  const divisors = avgPoolDivisors(g, options);
  const bigPlane = w.big[0] * BH * BW;
  const smallPlane = OD * OH * OW;
  const planes = w.batch * w.bigChannels;
  const out = new Float64Array(planes * smallPlane);
  for (let p = 0; p < planes; p++) {
    const inBase = p * bigPlane;
    for (let od = 0, k = 0; od < OD; od++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++, k++) {
          let sum = 0;
          let any = false;
          for (let kd = rd[2 * od]; kd <= rd[2 * od + 1]; kd++) {
            const id = od * sd - pd + kd;
            for (let kh = rh[2 * oh]; kh <= rh[2 * oh + 1]; kh++) {
              const row = inBase + (id * BH + oh * sh - ph + kh) * BW + ow * sw - pw;
              for (let kw = rw[2 * ow]; kw <= rw[2 * ow + 1]; kw++) {
                sum += input.data[row + kw];
                any = true;
              }
            }
          }
          out[p * smallPlane + k] = any ? sum / divisors[k] : 0;
        }
      }
    }
  }
  return { shape: g.outputShape, data: out };
}

/** Spreads each output gradient, divided by its window's divisor, over the window's in-bounds cells. */
export function avgPoolBackward(
  g: PoolGeometry,
  gradOutput: Tensor,
  options: AvgPoolOptions = {},
  limits?: Partial<EngineLimits>,
): Tensor {
  checkInput(g, gradOutput, 'grad_output', g.outputShape);
  if (!small(g, limits)) checkBudget(estimatePoolBackward(g), limitsFrom(limits));
  const w = g.window;
  const [, BH, BW] = w.big;
  const [OD, OH, OW] = w.small;
  const [sd, sh, sw] = w.stride;
  const [pd, ph, pw] = w.padBefore;
  const rd = tapRanges(OD, w.big[0], w.kernel[0], sd, pd, 1);
  const rh = tapRanges(OH, BH, w.kernel[1], sh, ph, 1);
  const rw = tapRanges(OW, BW, w.kernel[2], sw, pw, 1);
  const divisors = avgPoolDivisors(g, options);
  const bigPlane = w.big[0] * BH * BW;
  const smallPlane = OD * OH * OW;
  const planes = w.batch * w.bigChannels;
  const grad = new Float64Array(planes * bigPlane);
  for (let p = 0; p < planes; p++) {
    const inBase = p * bigPlane;
    for (let od = 0, k = 0; od < OD; od++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++, k++) {
          const share = gradOutput.data[p * smallPlane + k] / divisors[k];
          for (let kd = rd[2 * od]; kd <= rd[2 * od + 1]; kd++) {
            const id = od * sd - pd + kd;
            for (let kh = rh[2 * oh]; kh <= rh[2 * oh + 1]; kh++) {
              const row = inBase + (id * BH + oh * sh - ph + kh) * BW + ow * sw - pw;
              for (let kw = rw[2 * ow]; kw <= rw[2 * ow + 1]; kw++) grad[row + kw] += share;
            }
          }
        }
      }
    }
  }
  return { shape: g.inputShape, data: grad };
}
