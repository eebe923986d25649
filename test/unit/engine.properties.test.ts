/**
 * Identities that hold for every parameter choice, checked on random problems:
 * algorithm agreement, adjointness of conv and conv_transpose, im2col·W = conv, translation
 * equivariance, commutativity of true convolution, and gradcheck on every differentiable op.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conv, convBackward, convTranspose, type ConvAlgorithm } from '../../src/engine/conv';
import { convFunction, convTransposeFunction, avgPoolFunction, maxPoolFunction } from '../../src/engine/differentiable';
import {
  convGeometry,
  convTransposeGeometry,
  poolGeometry,
  restoringOutputPadding,
  unfoldGeometry,
  foldGeometry,
  type SpatialRank,
} from '../../src/engine/geometry';
import { gradcheck } from '../../src/engine/gradcheck';
import { EngineError } from '../../src/engine/errors';
import { padInput, padInputBackward } from '../../src/engine/padding';
import { fold, unfold } from '../../src/engine/unfold';
import { im2colBackward } from '../../src/engine/algorithms/im2col';
import { scatter, weightGrad } from '../../src/engine/window';
import {
  convOperands,
  convProblem,
  dot,
  maxAbs,
  maxAbsDiff,
  randomTensor,
  type ConvProblem,
} from '../support/arbitraries';

const RUNS = 120;

function geometryOf(p: ConvProblem) {
  const o = convOperands(p);
  const g = convGeometry({
    rank: p.rank,
    inputShape: o.inputShape,
    weightShape: o.weightShape,
    biasShape: o.bias ? o.bias.shape : null,
    stride: p.stride,
    padding: p.padding,
    dilation: p.dilation,
    groups: p.groups,
    paddingMode: p.paddingMode,
  });
  return { g, ...o };
}

/**
 * A full gradcheck of a random problem, or the problem skipped when the engine's budget refuses it (as it
 * would refuse it from a user: a few random 3-D problems cost over 2e9 multiply-adds, seconds each); what the
 * property is about, the gradients, is checked on every problem that fits.
 */
function gradcheckWithinBudget(f: Parameters<typeof gradcheck>[0]): ReturnType<typeof gradcheck> {
  try {
    return gradcheck(f);
  } catch (e) {
    fc.pre(!(e instanceof EngineError && e.rule === 'budget'));
    throw e;
  }
}

describe('every conv algorithm agrees with the direct loops', () => {
  for (const algorithm of ['im2col', 'fft'] as ConvAlgorithm[]) {
    it(algorithm, () => {
      fc.assert(
        fc.property(convProblem(), (p) => {
          const { g, input, weight, bias } = geometryOf(p);
          const direct = conv(g, input, weight, bias, { flip: p.flip, algorithm: 'direct' });
          const other = conv(g, input, weight, bias, { flip: p.flip, algorithm });
          expect(maxAbsDiff(other.data, direct.data)).toBeLessThanOrEqual(1e-9 * (1 + maxAbs(direct.data)));
        }),
        { numRuns: RUNS },
      );
    });
  }
  it('wasm_f32, the float32 WebAssembly SIMD path, within float32 rounding (1e-4 relative)', () => {
    fc.assert(
      fc.property(convProblem(), (p) => {
        const { g, input, weight, bias } = geometryOf(p);
        const direct = conv(g, input, weight, bias, { flip: p.flip, algorithm: 'direct' });
        const fast = conv(g, input, weight, bias, { flip: p.flip, algorithm: 'wasm_f32' });
        expect(maxAbsDiff(fast.data, direct.data)).toBeLessThanOrEqual(1e-4 * (1 + maxAbs(direct.data)));
      }),
      { numRuns: RUNS },
    );
  });
  it('winograd, on the 3x3 stride-1 problems it applies to', () => {
    fc.assert(
      fc.property(convProblem(), (raw) => {
        const p: ConvProblem = {
          ...raw,
          rank: 2,
          kernel: [3, 3],
          stride: [1, 1],
          dilation: [1, 1],
          size: raw.size
            .slice(0, 2)
            .map((s) => Math.max(s, 3))
            .concat(raw.size.length < 2 ? [3, 3].slice(raw.size.length) : []),
          padding:
            raw.padding === 'valid' || raw.padding === 'same'
              ? raw.padding
              : [raw.padding[0] ?? 0, raw.padding[1] ?? 0],
        };
        const { g, input, weight, bias } = geometryOf(p);
        const direct = conv(g, input, weight, bias, { flip: p.flip, algorithm: 'direct' });
        const wino = conv(g, input, weight, bias, { flip: p.flip, algorithm: 'winograd' });
        expect(maxAbsDiff(wino.data, direct.data)).toBeLessThanOrEqual(1e-9 * (1 + maxAbs(direct.data)));
      }),
      { numRuns: RUNS },
    );
  });
  it('winograd refuses a problem it cannot compute, naming the parameter', () => {
    const g = convGeometry({ rank: 2, inputShape: [1, 1, 6, 6], weightShape: [1, 1, 3, 3], stride: 2 });
    expect(() =>
      conv(g, randomTensor([1, 1, 6, 6], 1), randomTensor([1, 1, 3, 3], 2), null, { algorithm: 'winograd' }),
    ).toThrow(/algorithm 'winograd'.*stride 1/);
  });
});

describe('the backward passes agree', () => {
  it('im2col + GEMM backward equals the direct scatter and weight-gradient loops', () => {
    fc.assert(
      fc.property(convProblem(), (p) => {
        const { g, input, weight } = geometryOf(p);
        const big = g.paddingMode === 'zeros' ? input.data : padInput(g, input.data);
        const gy = randomTensor(g.outputShape, p.seed + 9).data;
        const fast = im2colBackward(g.window, big, weight.data, gy);
        const slowBig = scatter(g.window, gy, weight.data);
        const slowW = weightGrad(g.window, big, gy);
        expect(maxAbsDiff(fast.gradBig, slowBig)).toBeLessThanOrEqual(1e-9 * (1 + maxAbs(slowBig)));
        expect(maxAbsDiff(fast.gradWeight, slowW)).toBeLessThanOrEqual(1e-9 * (1 + maxAbs(slowW)));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('conv_transpose is the adjoint of conv: <conv(x), y> = <x, conv_transpose(y)>', () => {
  it('for random zero-padded problems', () => {
    fc.assert(
      fc.property(convProblem({ modes: ['zeros'], allowSame: false }), (p) => {
        const { g, input, weight } = geometryOf(p);
        const y = randomTensor(g.outputShape, p.seed + 7);
        const lhs = dot(conv(g, input, weight, null).data, y.data);
        const t = convTransposeGeometry({
          rank: p.rank,
          inputShape: g.outputShape,
          weightShape: g.weightShape,
          stride: g.stride,
          padding: g.padBefore,
          dilation: g.dilation,
          groups: g.groups,
          outputPadding: restoringOutputPadding(g),
        });
        expect(t.outputShape).toEqual(g.inputShape);
        const back = convTranspose(t, y, weight, null);
        const rhs = dot(input.data, back.data);
        expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(lhs)));
        // and the input gradient of conv is exactly that transposed conv
        const grads = convBackward(g, input, weight, y);
        expect(maxAbsDiff(grads.gradInput.data, back.data)).toBeLessThanOrEqual(1e-12 * (1 + maxAbs(back.data)));
      }),
      { numRuns: RUNS },
    );
  });
  it('padding with a mode and its backward are adjoint too', () => {
    fc.assert(
      fc.property(convProblem({ modes: ['reflect', 'replicate', 'circular'] }), (p) => {
        const { g, input } = geometryOf(p);
        const padded = padInput(g, input.data);
        const z = randomTensor([padded.length], p.seed + 3).data;
        const lhs = dot(padded, z);
        const rhs = dot(input.data, padInputBackward(g, z));
        expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-9 * (1 + Math.abs(lhs)));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('im2col', () => {
  it('W · unfold(x) equals conv(x, W) for every rank', () => {
    fc.assert(
      fc.property(convProblem({ modes: ['zeros'], allowSame: false }), (raw) => {
        const p = { ...raw, groups: 1, batched: true };
        const { g, input, weight } = geometryOf(p);
        const u = unfoldGeometry({
          rank: p.rank,
          inputShape: input.shape,
          kernelSize: p.kernel,
          stride: p.stride,
          padding: g.padBefore,
          dilation: p.dilation,
        });
        const cols = unfold(u, input);
        const y = conv(g, input, weight, null);
        const K = u.rows;
        const L = u.columns;
        const cout = g.outChannels;
        for (let n = 0; n < g.batch; n++) {
          for (let c = 0; c < cout; c++) {
            for (let l = 0; l < L; l++) {
              let s = 0;
              for (let k = 0; k < K; k++) s += weight.data[c * K + k] * cols.data[(n * K + k) * L + l];
              expect(Math.abs(s - y.data[(n * cout + c) * L + l])).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(s)));
            }
          }
        }
      }),
      { numRuns: RUNS },
    );
  });
  it('fold is the adjoint of unfold', () => {
    fc.assert(
      fc.property(convProblem({ modes: ['zeros'], allowSame: false }), (raw) => {
        const p = {
          ...raw,
          rank: 2 as SpatialRank,
          size: [raw.size[0], raw.size[1] ?? 3].map((s, i) =>
            Math.max(s, (raw.dilation[i] ?? 1) * ((raw.kernel[i] ?? 1) - 1) + 1),
          ),
          kernel: [raw.kernel[0], raw.kernel[1] ?? 2],
          stride: [raw.stride[0], raw.stride[1] ?? 1],
          dilation: [raw.dilation[0], raw.dilation[1] ?? 1],
          padding: [0, 0],
          batched: true,
        };
        const { input } = geometryOf(p);
        const u = unfoldGeometry({
          rank: 2,
          inputShape: input.shape,
          kernelSize: p.kernel,
          stride: p.stride,
          dilation: p.dilation,
        });
        const cols = unfold(u, input);
        const c = randomTensor(cols.shape, p.seed + 5);
        const f = foldGeometry({
          inputShape: cols.shape,
          outputSize: p.size,
          kernelSize: p.kernel,
          stride: p.stride,
          dilation: p.dilation,
        });
        const back = fold(f, c);
        expect(back.shape).toEqual(input.shape);
        expect(Math.abs(dot(cols.data, c.data) - dot(input.data, back.data))).toBeLessThanOrEqual(
          1e-9 * (1 + Math.abs(dot(cols.data, c.data))),
        );
      }),
      { numRuns: RUNS },
    );
  });
});

describe('translation equivariance', () => {
  it('shifting the input by one stride shifts the output by one cell', () => {
    fc.assert(
      fc.property(convProblem({ modes: ['zeros'], allowSame: false }), fc.nat(2), (raw, dimPick) => {
        const p: ConvProblem = {
          ...raw,
          padding: 'valid',
          size: raw.size.map((n, i) => Math.max(n, raw.dilation[i] * (raw.kernel[i] - 1) + 1)),
        };
        const dim = dimPick % p.rank;
        const { g, input, weight, bias } = geometryOf(p);
        if (g.outputSize[dim] < 2) return;
        const s = p.stride[dim];
        // x'[i] = x[i + s] along `dim` (the tail is filled with fresh values that only the last window sees)
        const shifted = randomTensor(input.shape, p.seed + 11);
        const spatial = g.inputSize;
        const planes = input.data.length / spatial.reduce((a, b) => a * b, 1);
        const strides = spatial.map((_, i) => spatial.slice(i + 1).reduce((a, b) => a * b, 1));
        const plane = spatial.reduce((a, b) => a * b, 1);
        for (let q = 0; q < planes; q++) {
          for (let k = 0; k < plane; k++) {
            const coord = Math.floor(k / strides[dim]) % spatial[dim];
            if (coord + s < spatial[dim]) shifted.data[q * plane + k] = input.data[q * plane + k + s * strides[dim]];
          }
        }
        const y = conv(g, input, weight, bias, { flip: p.flip });
        const y2 = conv(g, shifted, weight, bias, { flip: p.flip });
        const out = g.outputSize;
        const oStrides = out.map((_, i) => out.slice(i + 1).reduce((a, b) => a * b, 1));
        const oPlane = out.reduce((a, b) => a * b, 1);
        for (let q = 0; q < y.data.length / oPlane; q++) {
          for (let k = 0; k < oPlane; k++) {
            const coord = Math.floor(k / oStrides[dim]) % out[dim];
            if (coord + 1 < out[dim]) {
              expect(y2.data[q * oPlane + k]).toBeCloseTo(y.data[q * oPlane + k + oStrides[dim]], 10);
            }
          }
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('true convolution (flip)', () => {
  it('is commutative in 1-D: x ∗ w = w ∗ x with full padding', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 1 << 30 }),
        (n, k, seed) => {
          const x = randomTensor([1, 1, n], seed);
          const w = randomTensor([1, 1, k], seed + 1);
          const a = conv(
            convGeometry({ rank: 1, inputShape: x.shape, weightShape: w.shape, padding: k - 1 }),
            x,
            w,
            null,
            { flip: true },
          );
          const b = conv(
            convGeometry({ rank: 1, inputShape: w.shape, weightShape: x.shape, padding: n - 1 }),
            w,
            x,
            null,
            { flip: true },
          );
          expect(maxAbsDiff(a.data, b.data)).toBeLessThanOrEqual(1e-12);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('analytic gradients pass gradcheck for random parameters', () => {
  it('conv: input, weight and bias, every padding mode, flip', () => {
    fc.assert(
      fc.property(convProblem({ maxSize: 5 }), (p) => {
        const { g, input, weight, bias } = geometryOf(p);
        const r = gradcheckWithinBudget(convFunction(g, input, weight, bias, { flip: p.flip }));
        expect(r.passed, r.message).toBe(true);
        const fast = gradcheck(convFunction(g, input, weight, bias, { flip: p.flip }), {
          fastMode: true,
          seed: p.seed,
        });
        expect(fast.passed, fast.message).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
  it('conv_transpose: input, weight and bias', () => {
    fc.assert(
      fc.property(convProblem({ modes: ['zeros'], allowSame: false, maxSize: 4 }), fc.nat(5), (p, opPick) => {
        const cin = p.groups * p.inPerGroup;
        const inputShape = p.batched ? [p.batch, cin, ...p.size] : [cin, ...p.size];
        const weightShape = [cin, p.outPerGroup, ...p.kernel];
        const pads = (Array.isArray(p.padding) ? p.padding : p.size.map(() => 0)).map((q, i) =>
          Math.min(q, Math.floor(((p.size[i] - 1) * p.stride[i] + p.dilation[i] * (p.kernel[i] - 1)) / 2)),
        );
        const outputPadding = p.stride.map((s, i) =>
          Math.min(opPick % Math.max(s, p.dilation[i]), Math.max(s, p.dilation[i]) - 1),
        );
        const g = convTransposeGeometry({
          rank: p.rank,
          inputShape,
          weightShape,
          biasShape: p.bias ? [p.groups * p.outPerGroup] : null,
          stride: p.stride,
          padding: pads,
          dilation: p.dilation,
          groups: p.groups,
          outputPadding,
        });
        const input = randomTensor(inputShape, p.seed);
        const weight = randomTensor(weightShape, p.seed + 1);
        const bias = p.bias ? randomTensor([p.groups * p.outPerGroup], p.seed + 2) : null;
        const r = gradcheckWithinBudget(convTransposeFunction(g, input, weight, bias));
        expect(r.passed, r.message).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
  it('max and avg pooling, with distinct values so that no tie makes the max non-differentiable', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<SpatialRank>(1, 2, 3),
        fc.integer({ min: 2, max: 3 }),
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 0, max: 1 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 1 << 30 }),
        (rank, k, s, pad, ceilMode, countIncludePad, seed) => {
          const shape = [1, 2, ...new Array(rank).fill(5)];
          const input = randomTensor(shape, seed);
          // distinct values 0.1 apart keep every max strict, far beyond eps
          const order = Array.from(input.data.keys()).sort((a, b) => input.data[a] - input.data[b]);
          order.forEach((idx, rankPos) => (input.data[idx] = rankPos * 0.1));
          const maxG = poolGeometry({
            kind: 'max',
            rank,
            inputShape: shape,
            kernelSize: k,
            stride: s,
            padding: pad,
            ceilMode,
          });
          const rm = gradcheckWithinBudget(maxPoolFunction(maxG, input));
          expect(rm.passed, rm.message).toBe(true);
          const avgG = poolGeometry({
            kind: 'avg',
            rank,
            inputShape: shape,
            kernelSize: k,
            stride: s,
            padding: pad,
            ceilMode,
          });
          const ra = gradcheckWithinBudget(avgPoolFunction(avgG, input, { countIncludePad }));
          expect(ra.passed, ra.message).toBe(true);
        },
      ),
      { numRuns: 30 },
    );
  });
});
