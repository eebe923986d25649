/**
 * Convolution and transposed convolution, forward and backward, over the window primitives.
 * `flip` turns PyTorch's cross-correlation into true convolution (the lecture's "flip the filter and slide"):
 * the kernel is reversed in every spatial dim before the window runs, and its gradient is reversed back.
 */
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

/**
 * The algorithm 'auto' picks, by shape (measured with `npm run bench`): direct loops when the whole problem
 * is a few thousand multiply-adds (no packing to amortise) or depthwise (one input channel per filter, where
 * a GEMM degenerates to a dot product); Winograd F(2×2, 3×3) for 3×3 stride-1 layers with enough channels
 * to fill its 16 GEMMs; otherwise im2col + the blocked GEMM.
 */
export function chooseAlgorithm(w: WindowGeometry): Exclude<ConvAlgorithm, 'auto' | 'wasm_f32'> {
  const taps = w.kernel[0] * w.kernel[1] * w.kernel[2];
  const positions = w.small[0] * w.small[1] * w.small[2];
  const perGroup = w.bigChannels / w.groups;
  const work = w.batch * w.smallChannels * positions * perGroup * taps;
  if (work < 20_000 || perGroup === 1) return 'direct';
  if (winogradApplies(w) && perGroup >= 8 && positions >= 64) return 'winograd';
  return 'im2col';
}

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

/** conv1d/2d/3d forward. */
export function conv(
  g: ConvGeometry,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  options: ConvOptions = {},
): Tensor {
  checkOperand(input, g.inputShape, 'input');
  checkOperand(weight, g.weightShape, 'weight');
  const w = options.flip ? flipKernel(weight) : weight;
  const big = g.paddingMode === 'zeros' ? input.data : padInput(g, input.data);
  const out = runWindowConv(g.window, big, w.data, bias ? bias.data : null, options.algorithm ?? 'auto');
  return { shape: g.outputShape, data: out };
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
  const w = options.flip ? flipKernel(weight) : weight;
  const explicit = g.paddingMode !== 'zeros';
  const big = explicit ? padInput(g, input.data) : input.data;
  // ∂/∂x is the transposed conv of dY with W; for a padding mode it flows back through the padding copy.
  // ∂/∂W is the correlation of X with dY. Big problems take both from one column matrix and two GEMMs.
  let gradBig: Float64Array;
  let gradW: Float64Array;
  if (options.sparseGradOutput || chooseAlgorithm(g.window) === 'direct') {
    const skip = options.sparseGradOutput === true;
    gradBig = scatter(g.window, gradOutput.data, w.data, skip);
    gradW = weightGrad(g.window, big, gradOutput.data, skip);
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
export function convTranspose(g: ConvTransposeGeometry, input: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  checkOperand(input, g.inputShape, 'input');
  checkOperand(weight, g.weightShape, 'weight');
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
): ConvGradients {
  checkOperand(input, g.inputShape, 'input');
  checkOperand(weight, g.weightShape, 'weight');
  checkOperand(gradOutput, g.outputShape, 'grad_output');
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
