/**
 * The engine's ops as Differentiable functions of their tensor operands, for gradcheck. Each wraps one
 * geometry, computed once, and the op's forward and backward kernels.
 */
import { convPassCost, convTransposePassCost, limitsFrom, poolPassCost, type EngineLimits } from './budget';
import { conv, convBackward, convTranspose, convTransposeBackward, type ConvOptions } from './conv';
import type { ConvGeometry, ConvTransposeGeometry, PoolGeometry } from './geometry';
import type { Differentiable } from './gradcheck';
import { avgPool, avgPoolBackward, maxPool, maxPoolBackward, type AvgPoolOptions } from './pool';
import type { Tensor } from './tensor';

const asTensor = (shape: readonly number[], data: Float64Array): Tensor => ({ shape, data });

export function convFunction(
  g: ConvGeometry,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  options: ConvOptions = {},
): Differentiable {
  const inputs = bias ? [input, weight, bias] : [input, weight];
  return {
    op: `conv${g.rank}d`,
    cost: convPassCost(g, options.flip === true, limitsFrom(options.limits)),
    inputNames: bias ? ['input', 'weight', 'bias'] : ['input', 'weight'],
    inputs,
    outputShape: g.outputShape,
    forward: ([x, w, b]) =>
      conv(g, asTensor(g.inputShape, x), asTensor(g.weightShape, w), b ? asTensor([g.outChannels], b) : null, options)
        .data,
    backward: ([x, w], gy) => {
      // gradcheck asks for one Jacobian row at a time (a unit grad_output): only one window is non-zero
      const r = convBackward(g, asTensor(g.inputShape, x), asTensor(g.weightShape, w), asTensor(g.outputShape, gy), {
        ...options,
        sparseGradOutput: isUnit(gy),
      });
      return r.gradBias
        ? [r.gradInput.data, r.gradWeight.data, r.gradBias.data]
        : [r.gradInput.data, r.gradWeight.data];
    },
  };
}

export function convTransposeFunction(
  g: ConvTransposeGeometry,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  limits?: Partial<EngineLimits>,
): Differentiable {
  const inputs = bias ? [input, weight, bias] : [input, weight];
  return {
    op: `conv_transpose${g.rank}d`,
    cost: convTransposePassCost(g),
    inputNames: bias ? ['input', 'weight', 'bias'] : ['input', 'weight'],
    inputs,
    outputShape: g.outputShape,
    forward: ([x, w, b]) =>
      convTranspose(
        g,
        asTensor(g.inputShape, x),
        asTensor(g.weightShape, w),
        b ? asTensor([g.outChannels], b) : null,
        limits,
      ).data,
    backward: ([x, w], gy) => {
      const r = convTransposeBackward(
        g,
        asTensor(g.inputShape, x),
        asTensor(g.weightShape, w),
        asTensor(g.outputShape, gy),
        limits,
      );
      return r.gradBias
        ? [r.gradInput.data, r.gradWeight.data, r.gradBias.data]
        : [r.gradInput.data, r.gradWeight.data];
    },
  };
}

export function maxPoolFunction(g: PoolGeometry, input: Tensor, limits?: Partial<EngineLimits>): Differentiable {
  return {
    op: `max_pool${g.rank}d`,
    cost: poolPassCost(g),
    inputNames: ['input'],
    inputs: [input],
    outputShape: g.outputShape,
    forward: ([x]) => maxPool(g, asTensor(g.inputShape, x), limits).output.data,
    backward: ([x], gy) => [maxPoolBackward(g, asTensor(g.inputShape, x), asTensor(g.outputShape, gy), limits).data],
  };
}

export function avgPoolFunction(
  g: PoolGeometry,
  input: Tensor,
  options: AvgPoolOptions,
  limits?: Partial<EngineLimits>,
): Differentiable {
  return {
    op: `avg_pool${g.rank}d`,
    cost: poolPassCost(g),
    inputNames: ['input'],
    inputs: [input],
    outputShape: g.outputShape,
    forward: ([x]) => avgPool(g, asTensor(g.inputShape, x), options, limits).data,
    backward: (_values, gy) => [avgPoolBackward(g, asTensor(g.outputShape, gy), options, limits).data],
  };
}

/** Whether a grad_output has a single non-zero (a gradient check's Jacobian row). */
function isUnit(v: Float64Array): boolean {
  let nonZero = 0;
  for (let i = 0; i < v.length && nonZero < 2; i++) if (v[i] !== 0) nonZero++;
  return nonZero === 1;
}
