/**
 * Convolution and transposed convolution, forward and backward, over the window primitives.
 * `flip` turns PyTorch's cross-correlation into true convolution (the lecture's "flip the filter and slide"):
 * the kernel is reversed in every spatial dim before the window runs, and its gradient is reversed back.
 */
import {
  checkBudget,
  describeWork,
  estimateConv,
  estimateConvBackward,
  estimateConvTranspose,
  estimateConvTransposeBackward,
  limitsFrom,
  chooseAlgorithm,
  overBudget,
  skipsTinyChecks,
  type EngineLimits,
} from './budget';
import { fail } from './errors';
import type { ConvGeometry, ConvTransposeGeometry, WindowGeometry } from './geometry';
import { padInput, padInputBackward } from './padding';
import { formatShape, sizeOf, type Tensor } from './tensor';
import { channelSums, gather, scatter, weightGrad } from './window';
import { im2colBackward, im2colConv } from './algorithms/im2col';
import { winogradApplies, winogradConv } from './algorithms/winograd';
import { fftConv } from './algorithms/fft';
import { convWasmF32, wasmSimdAvailable } from './fast/wasmConv';

/** 'wasm_f32' is the WebAssembly SIMD fast path: float32 arithmetic, so its answers are labelled float32. */
export const CONV_ALGORITHMS = ['auto', 'direct', 'im2col', 'winograd', 'fft', 'wasm_f32'] as const;
export type ConvAlgorithm = (typeof CONV_ALGORITHMS)[number];

export interface ConvOptions {
  readonly flip?: boolean;
  readonly algorithm?: ConvAlgorithm;
  /** backward only: compute just this gradient (the other comes back empty) */
  readonly only?: 'input' | 'weight';
  /** backward only: grad_output is mostly zeros (a gradient check's unit vectors): run the direct loops and skip them */
  readonly sparseGradOutput?: boolean;
  /** the budget the call is checked against before it starts (default DEFAULT_LIMITS) */
  readonly limits?: Partial<EngineLimits>;
}

/**
 * Below this many multiply-adds and elements a call needs no estimate: it is far inside every limit (the
 * lecture's 5×5 convolution is 81 multiply-adds, about a microsecond, and the check must not show in it).
 */
const NO_CHECK_BELOW = 1 << 16;

function windowMacs(w: WindowGeometry): number {
  return (
    w.batch *
    w.smallChannels *
    w.small[0] *
    w.small[1] *
    w.small[2] *
    (w.bigChannels / w.groups) *
    w.kernel[0] *
    w.kernel[1] *
    w.kernel[2]
  );
}

function smallEnough(w: WindowGeometry, limits: Partial<EngineLimits> | undefined, ...elements: number[]): boolean {
  if (!skipsTinyChecks(limits) || windowMacs(w) >= NO_CHECK_BELOW) return false;
  for (const e of elements) if (e >= NO_CHECK_BELOW) return false;
  return true;
}

export interface ConvGradients {
  readonly gradInput: Tensor;
  readonly gradWeight: Tensor;
  readonly gradBias: Tensor | null;
}

/**
 * Reverses a weight [C0][C1][*k] along every spatial dim. Reversing the row-major order of a whole
 * kD×kH×kW block is the same as reversing each of its dims, so each block is simply read backwards.
 */
export function flipKernel(weight: Tensor): Tensor {
  const taps = sizeOf(weight.shape.slice(2));
  const out = new Float64Array(weight.data.length);
  for (let base = 0; base < weight.data.length; base += taps) {
    for (let t = 0; t < taps; t++) out[base + taps - 1 - t] = weight.data[base + t];
  }
  return { shape: weight.shape, data: out };
}

function checkOperand(t: Tensor, expected: readonly number[], name: string): void {
  if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
    fail(
      name,
      'shape_mismatch',
      `${name} has shape ${formatShape(t.shape)} but the request's geometry needs ${formatShape(expected)}`,
    );
  }
}

export { chooseAlgorithm };

export function runWindowConv(
  w: WindowGeometry,
  big: Float64Array,
  weight: Float64Array,
  bias: Float64Array | null,
  algorithm: ConvAlgorithm,
): Float64Array {
  switch (algorithm) {
    case 'auto':
      return runWindowConv(w, big, weight, bias, chooseAlgorithm(w));
    case 'direct':
      return gather(w, big, weight, bias);
    case 'im2col':
      return im2colConv(w, big, weight, bias);
    case 'winograd':
      if (!winogradApplies(w)) {
        fail(
          'algorithm',
          'not_applicable',
          "algorithm 'winograd' computes F(2x2, 3x3): it needs a 2-D 3x3 kernel with stride 1 and dilation 1; use 'auto', 'direct', 'im2col' or 'fft' here",
        );
      }
      return winogradConv(w, big, weight, bias);
    case 'fft':
      return fftConv(w, big, weight, bias);
    case 'wasm_f32': {
      if (!wasmSimdAvailable())
        fail(
          'algorithm',
          'not_applicable',
          "algorithm 'wasm_f32' needs WebAssembly SIMD, which this runtime lacks: use 'auto'",
        );
      const out = convWasmF32(
        w,
        Float32Array.from(big),
        Float32Array.from(weight),
        bias ? Float32Array.from(bias) : null,
      );
      return Float64Array.from(out);
    }
  }
}

/**
 * conv1d/2d/3d forward. The budget is checked first: 'auto' runs the algorithm the estimate picked (direct
 * loops when a column matrix or Winograd's transforms would not fit in maxBytes); an explicit algorithm that
 * does not fit is refused, naming what 'auto' would cost.
 */
export function conv(
  g: ConvGeometry,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  options: ConvOptions = {},
): Tensor {
  checkOperand(input, g.inputShape, 'input');
  checkOperand(weight, g.weightShape, 'weight');
  const requested = options.algorithm ?? 'auto';
  let algorithm: ConvAlgorithm;
  if (smallEnough(g.window, options.limits, input.data.length, weight.data.length) && requested !== 'fft') {
    algorithm = requested === 'auto' ? chooseAlgorithm(g.window) : requested;
  } else {
    const limits = limitsFrom(options.limits);
    const estimate = estimateConv(g, { algorithm: requested, flip: options.flip }, limits);
    let advice: string | undefined;
    if (requested !== 'auto' && overBudget(estimate, limits) !== null) {
      const auto = estimateConv(g, { flip: options.flip }, limits);
      if (overBudget(auto, limits) === null)
        advice = `use algorithm 'auto' (it would run ${auto.algorithm === 'direct' ? 'direct loops' : auto.algorithm}: ${describeWork(auto)})`;
    }
    checkBudget(estimate, limits, advice);
    algorithm = estimate.algorithm ?? requested;
  }
  const w = options.flip ? flipKernel(weight) : weight;
  const big = g.paddingMode === 'zeros' ? input.data : padInput(g, input.data);
  const out = runWindowConv(g.window, big, w.data, bias ? bias.data : null, algorithm);
  if (bias && hasNegativeZero(bias.data)) signedZeros(g.window, big, w.data, bias.data, out);
  return { shape: g.outputShape, data: out };
}

function hasNegativeZero(v: Float64Array): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] === 0 && 1 / v[i] < 0) return true;
  return false;
}

/**
 * PyTorch adds the products to the bias (and its column matrix has a 0 for every padding tap), so an output
 * is −0.0 exactly when its bias is −0.0 and every product, the padding taps' 0·w included, is −0.0. The
 * kernels here add the bias last, which gives +0.0; this pass gives zero outputs of −0.0-bias channels
 * PyTorch's sign. It only runs when a bias holds −0.0.
 */
function signedZeros(
  w: WindowGeometry,
  big: Float64Array,
  weight: Float64Array,
  bias: Float64Array,
  out: Float64Array,
): void {
  const [BD, BH, BW] = w.big;
  const [OD, OH, OW] = w.small;
  const [KD, KH, KW] = w.kernel;
  const bigPerGroup = w.bigChannels / w.groups;
  const smallPerGroup = w.smallChannels / w.groups;
  const taps = KD * KH * KW;
  const negZero = (x: number) => x === 0 && 1 / x < 0;
  for (let n = 0; n < w.batch; n++) {
    for (let c = 0; c < w.smallChannels; c++) {
      if (!negZero(bias[c])) continue;
      const g = Math.floor(c / smallPerGroup);
      for (let od = 0, k = (n * w.smallChannels + c) * OD * OH * OW; od < OD; od++) {
        for (let oh = 0; oh < OH; oh++) {
          for (let ow = 0; ow < OW; ow++, k++) {
            if (out[k] !== 0) continue;
            let all = true;
            for (let ci = 0; ci < bigPerGroup && all; ci++) {
              const inBase = (n * w.bigChannels + g * bigPerGroup + ci) * BD * BH * BW;
              const wBase = (c * bigPerGroup + ci) * taps;
              for (let t = 0; t < taps && all; t++) {
                const kd = Math.floor(t / (KH * KW));
                const kh = Math.floor(t / KW) % KH;
                const kw = t % KW;
                const id = od * w.stride[0] - w.padBefore[0] + kd * w.dilation[0];
                const ih = oh * w.stride[1] - w.padBefore[1] + kh * w.dilation[1];
                const iw = ow * w.stride[2] - w.padBefore[2] + kw * w.dilation[2];
                const inside = id >= 0 && id < BD && ih >= 0 && ih < BH && iw >= 0 && iw < BW;
                const x = inside ? big[inBase + (id * BH + ih) * BW + iw] : 0;
                all = negZero(x * weight[wBase + t]);
              }
            }
            out[k] = all ? -0 : 0;
          }
        }
      }
    }
  }
}

/** Gradients of sum(conv(x, w, b) · gradOutput) with respect to x, w and b. */
export function convBackward(
  g: ConvGeometry,
  input: Tensor,
  weight: Tensor,
  gradOutput: Tensor,
  options: ConvOptions = {},
): ConvGradients {
  checkOperand(input, g.inputShape, 'input');
  checkOperand(weight, g.weightShape, 'weight');
  checkOperand(gradOutput, g.outputShape, 'grad_output');
  const sparse = options.sparseGradOutput === true;
  if (!smallEnough(g.window, options.limits, input.data.length, weight.data.length)) {
    const estimate = estimateConvBackward(g, { flip: options.flip, only: options.only, sparse });
    checkBudget(estimate, limitsFrom(options.limits));
  }
  const w = options.flip ? flipKernel(weight) : weight;
  const explicit = g.paddingMode !== 'zeros';
  const big = explicit ? padInput(g, input.data) : input.data;
  // ∂/∂x is the transposed conv of dY with W; for a padding mode it flows back through the padding copy.
  // ∂/∂W is the correlation of X with dY. Big problems take both from column-matrix blocks and two GEMMs.
  let gradBig: Float64Array;
  let gradW: Float64Array;
  if (sparse || chooseAlgorithm(g.window) === 'direct') {
    gradBig = scatter(g.window, gradOutput.data, w.data, sparse);
    gradW = weightGrad(g.window, big, gradOutput.data, sparse);
  } else {
    ({ gradBig, gradWeight: gradW } = im2colBackward(g.window, big, w.data, gradOutput.data, options.only));
  }
  const gradInput = explicit ? padInputBackward(g, gradBig) : gradBig;
  let gradWeight: Tensor = { shape: g.weightShape, data: gradW };
  if (options.flip) gradWeight = flipKernel(gradWeight);
  const gradBias = g.hasBias ? { shape: [g.outChannels], data: channelSums(g.window, gradOutput.data) } : null;
  return { gradInput: { shape: g.inputShape, data: gradInput }, gradWeight, gradBias };
}

/** conv_transpose1d/2d/3d forward: every input cell times the kernel, scattered and summed into the output. */
export function convTranspose(
  g: ConvTransposeGeometry,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  limits?: Partial<EngineLimits>,
): Tensor {
  checkOperand(input, g.inputShape, 'input');
  checkOperand(weight, g.weightShape, 'weight');
  if (!smallEnough(g.window, limits, sizeOf(g.outputShape), weight.data.length))
    checkBudget(estimateConvTranspose(g), limitsFrom(limits));
  const out = scatter(g.window, input.data, weight.data);
  if (bias) addChannelBias(out, bias.data, g.window.batch, g.outChannels);
  return { shape: g.outputShape, data: out };
}

/** Gradients of a transposed conv: the roles of gather and scatter swap. */
export function convTransposeBackward(
  g: ConvTransposeGeometry,
  input: Tensor,
  weight: Tensor,
  gradOutput: Tensor,
  limits?: Partial<EngineLimits>,
): ConvGradients {
  checkOperand(input, g.inputShape, 'input');
  checkOperand(weight, g.weightShape, 'weight');
  checkOperand(gradOutput, g.outputShape, 'grad_output');
  if (!smallEnough(g.window, limits, gradOutput.data.length, weight.data.length))
    checkBudget(estimateConvTransposeBackward(g), limitsFrom(limits));
  const w = g.window;
  const gradInput = gather(w, gradOutput.data, weight.data, null);
  const gradWeight = weightGrad(w, gradOutput.data, input.data);
  let gradBias: Tensor | null = null;
  if (g.hasBias) {
    const plane = w.big[0] * w.big[1] * w.big[2];
    const sums = new Float64Array(g.outChannels);
    for (let n = 0; n < w.batch; n++) {
      for (let c = 0; c < g.outChannels; c++) {
        const base = (n * g.outChannels + c) * plane;
        for (let i = 0; i < plane; i++) sums[c] += gradOutput.data[base + i];
      }
    }
    gradBias = { shape: [g.outChannels], data: sums };
  }
  return {
    gradInput: { shape: g.inputShape, data: gradInput },
    gradWeight: { shape: g.weightShape, data: gradWeight },
    gradBias,
  };
}

function addChannelBias(out: Float64Array, bias: Float64Array, batch: number, channels: number): void {
  const plane = out.length / (batch * channels);
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      const base = (n * channels + c) * plane;
      for (let i = 0; i < plane; i++) out[base + i] += bias[c];
    }
  }
}
