/**
 * The budget as the engine's typed calls see it (the extension host calls them on Tensors): estimates from
 * geometry and algorithm, refusals before any work with the estimate and the limit, 'auto' choosing a cheaper
 * algorithm instead of refusing, im2col in column blocks equal to the direct loops, traces bounded by terms,
 * gradient checks by passes × cost, and the sign of zero on every conv path.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LIMITS,
  checkBudget,
  columnBlockRows,
  estimateConv,
  estimateGradcheck,
  convPassCost,
  isTiny,
  limitsFrom,
  resolveConvAlgorithm,
} from '../../src/engine/budget';
import { conv, convBackward } from '../../src/engine/conv';
import { convFunction } from '../../src/engine/differentiable';
import { refusal } from '../support/compare';
import { convGeometry, poolGeometry } from '../../src/engine/geometry';
import { gradcheck } from '../../src/engine/gradcheck';
import { maxPool } from '../../src/engine/pool';
import { estimateRequest } from '../../src/engine/requests';
import { scatter, weightGrad } from '../../src/engine/window';
import { im2colBackward } from '../../src/engine/algorithms/im2col';
import { backwardTraceAnswer, convTraceAnswer } from '../../src/engine/traceAnswers';
import type { Tensor } from '../../src/engine/tensor';

function random(shape: readonly number[], seed = 1): Tensor {
  let s = seed;
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    data[i] = (s / 2147483648) * 2 - 1;
  }
  return { shape, data };
}

const maxDiff = (a: Float64Array, b: Float64Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

describe('estimates from the geometry', () => {
  it("the lecture's 5×5 convolution is tiny: it runs inline anywhere", () => {
    const g = convGeometry({ rank: 2, inputShape: [1, 1, 5, 5], weightShape: [1, 1, 3, 3], padding: 1 });
    const e = estimateConv(g);
    expect(e.algorithm).toBe('direct');
    expect(e.multiplyAdds).toBe(25 * 9);
    expect(isTiny(e)).toBe(true);
    expect(e.millis).toBeLessThan(1);
  });

  it('names the column matrix, the spectra and the work of each algorithm', () => {
    const g = convGeometry({ rank: 2, inputShape: [1, 48, 256, 256], weightShape: [48, 48, 1, 1] });
    const fft = estimateConv(g, { algorithm: 'fft' });
    expect(fft.largestBuffer?.what).toMatch(/kernel spectra \(2304 × 1×256×256 complex\)/);
    expect(fft.peakBytes).toBeGreaterThan(2 * 2 ** 30);
    const auto = estimateConv(g);
    expect(auto.peakBytes).toBeLessThan(256 * 2 ** 20);
    expect(auto.work).toBeLessThan(fft.work / 10);
  });

  it('im2col works in blocks of output rows: 32 MB at most, not a 2.2 GB column matrix', () => {
    const g = convGeometry({ rank: 2, inputShape: [1, 2, 512, 512], weightShape: [2, 2, 24, 24] });
    const e = estimateConv(g, { algorithm: 'im2col' }, limitsFrom({ maxWork: 1e12 }));
    expect(e.largestBuffer?.bytes).toBeLessThanOrEqual(32 * 2 ** 20);
    expect(e.peakBytes).toBeLessThan(64 * 2 ** 20);
  });

  it("'auto' picks a cheaper algorithm instead of refusing", () => {
    const g = convGeometry({ rank: 2, inputShape: [1, 64, 128, 128], weightShape: [64, 64, 3, 3], padding: 1 });
    expect(resolveConvAlgorithm(g, 'auto')).toBe('winograd');
    // with the operands' 17 MB: Winograd's transforms (67 MB) do not fit in 60 MB, one 32 MB column block does
    expect(resolveConvAlgorithm(g, 'auto', limitsFrom({ maxBytes: 60 * 2 ** 20 }))).toBe('im2col');
    // neither fits in 30 MB: the direct loops need no temporaries
    expect(resolveConvAlgorithm(g, 'auto', limitsFrom({ maxBytes: 30 * 2 ** 20 }))).toBe('direct');
    // an explicit algorithm is run as asked, or refused
    expect(resolveConvAlgorithm(g, 'im2col', limitsFrom({ maxBytes: 30 * 2 ** 20 }))).toBe('im2col');
  });
});

describe('typed calls are checked before they start', () => {
  it('conv refuses with rule budget, the estimate and the limit, and names the cheaper way', () => {
    const g = convGeometry({ rank: 2, inputShape: [1, 1, 1024, 1024], weightShape: [1, 1, 512, 512] });
    // no tensor is needed to be refused: the check comes before any work
    const x = { shape: g.inputShape, data: new Float64Array(1024 * 1024) };
    const w = { shape: g.weightShape, data: new Float64Array(512 * 512) };
    const e = refusal(() => conv(g, x, w, null));
    expect(e.rule).toBe('budget');
    expect(e.message).toMatch(
      /conv2d would cost about 7\.\de10 multiply-adds \(direct loops\).*over the limit of 2\.0e9/,
    );
    const f = refusal(() =>
      conv(
        convGeometry({ rank: 2, inputShape: [1, 48, 64, 64], weightShape: [48, 48, 1, 1] }),
        random([1, 48, 64, 64]),
        random([48, 48, 1, 1]),
        null,
        { algorithm: 'fft', limits: { maxBytes: 64 * 2 ** 20 } },
      ),
    );
    expect(f.message).toMatch(/over the limit of 64\.0 MB \(maxBytes\): use algorithm 'auto' \(it would run im2col/);
  });

  it('checkBudget refuses a tensor over maxElements with rule size_limit', () => {
    const g = poolGeometry({ kind: 'max', rank: 1, inputShape: [1, 1, 100], kernelSize: 1 });
    const e = refusal(() => maxPool(g, random([1, 1, 100]), { maxElements: 50 }));
    expect(e.rule).toBe('size_limit');
    expect(e.message).toMatch(/100 elements .*over the limit of 50/);
  });

  it('gradcheck counts forward passes × their cost, before the first pass', () => {
    const g = convGeometry({ rank: 2, inputShape: [1, 4, 24, 24], weightShape: [8, 4, 3, 3], padding: 1 });
    const fn = convFunction(g, random(g.inputShape), random(g.weightShape), null);
    const cost = convPassCost(g, false);
    const full = estimateGradcheck(
      { op: 'conv2d', inputSizes: [2304, 288], outputSize: 4608, wrt: [0, 1], fastMode: false },
      cost,
    );
    const fast = estimateGradcheck(
      { op: 'conv2d', inputSizes: [2304, 288], outputSize: 4608, wrt: [0, 1], fastMode: true },
      cost,
    );
    // 2·(2304 + 288) forward passes against 4 for fast mode
    expect(full.work / fast.work).toBeGreaterThan(500);
    let passes = 0;
    const counted = { ...fn, forward: (v: readonly Float64Array[]) => (passes++, fn.forward(v)) };
    const e = refusal(() => gradcheck(counted, { limits: { maxWork: full.work / 2 } }));
    expect(passes).toBe(0);
    expect(e.message).toMatch(/gradcheck of conv2d would cost about .* use fast_mode=true/);
    expect(gradcheck(counted, { fastMode: true, limits: { maxWork: full.work / 2 } }).passed).toBe(true);
  });
});

describe('im2col in column blocks equals the direct loops', () => {
  // 1152 rows × 105 columns per output row: 34 rows per 32 MB block, 4 blocks
  const g = convGeometry({ rank: 2, inputShape: [1, 2, 128, 128], weightShape: [4, 2, 24, 24], padding: 2 });
  const x = random(g.inputShape, 3);
  const w = random(g.weightShape, 5);
  it('has several blocks', () => {
    expect(columnBlockRows(g.window, 2 * 24 * 24)).toBeLessThan(g.outputSize[0]);
  });
  it('forward', () => {
    const a = conv(g, x, w, null, { algorithm: 'im2col' });
    const b = conv(g, x, w, null, { algorithm: 'direct' });
    expect(maxDiff(a.data, b.data)).toBeLessThan(1e-10);
  });
  it('backward: both gradients', () => {
    const gy = random(g.outputShape, 7);
    const blocked = im2colBackward(g.window, x.data, w.data, gy.data);
    const gradBig = scatter(g.window, gy.data, w.data);
    const gradW = weightGrad(g.window, x.data, gy.data);
    expect(maxDiff(blocked.gradBig, gradBig)).toBeLessThan(1e-10);
    expect(maxDiff(blocked.gradWeight, gradW)).toBeLessThan(1e-9);
    const r = convBackward(g, x, w, gy);
    expect(maxDiff(r.gradWeight.data, gradW)).toBeLessThan(1e-9);
  });
});

describe('traces are bounded by terms, not steps', () => {
  it('a page of 4096 steps of 576 terms is clipped to what fits, and says so', () => {
    const g = convGeometry({ rank: 2, inputShape: [1, 64, 16, 16], weightShape: [64, 64, 3, 3], padding: 1 });
    const t = convTraceAnswer(g, random(g.inputShape), random(g.weightShape), null, false, { count: 4096 });
    expect(t.range.count).toBe(Math.floor(DEFAULT_LIMITS.maxTraceTerms / 576));
    expect(t.range.note).toMatch(/ask for the next steps with start 455/);
    expect(t.steps.reduce((n, s) => n + s.terms.length, 0)).toBeLessThanOrEqual(DEFAULT_LIMITS.maxTraceTerms);
  });
  it('one step over the limit is refused', () => {
    const g = convGeometry({ rank: 2, inputShape: [1, 1, 600, 600], weightShape: [1, 1, 520, 520] });
    const x = { shape: g.inputShape, data: new Float64Array(360_000) };
    const w = { shape: g.weightShape, data: new Float64Array(520 * 520) };
    const e = refusal(() => convTraceAnswer(g, x, w, null, false, { count: 1 }, { maxWork: 1e12 }));
    expect(e.param).toBe('count');
    expect(e.message).toMatch(/one step of this trace lists 270400 terms .*over the trace limit of 262144/);
  });
  it('a backward page shares the limit between its dX and dW steps', () => {
    const g = convGeometry({ rank: 2, inputShape: [1, 8, 100, 100], weightShape: [8, 8, 3, 3], padding: 1 });
    const t = backwardTraceAnswer(g, random(g.inputShape), random(g.weightShape), random(g.outputShape), false, {
      count: 256,
    });
    const terms =
      t.gradInputSteps.reduce((n, s) => n + s.contributions.length, 0) +
      t.gradWeightSteps.reduce((n, s) => n + s.terms.length, 0);
    expect(terms).toBeLessThanOrEqual(DEFAULT_LIMITS.maxTraceTerms);
    expect(t.gradWeightRange.count).toBeGreaterThan(0);
    expect(t.gradInputRange.count).toBeGreaterThan(0);
  });
});

describe('requests', () => {
  it('estimateRequest reads shapes only, and is null for what is refused at once', () => {
    const e = estimateRequest({
      op: 'conv2d',
      input: [
        [
          [1, 2],
          [3, 4],
        ],
      ],
      weight: [[[[1]]]],
    });
    expect(e && isTiny(e)).toBe(true);
    expect(estimateRequest({ op: 'conv2d', input: 'x' })).toBeNull();
    expect(estimateRequest({ op: 'conv2d', input: [[[1]]], weight: [[[[1, 2]]]] })).toBeNull();
    expect(estimateRequest({ op: 'nope' })).toBeNull();
  });
  it('checkBudget passes what fits', () => {
    const g = convGeometry({
      rank: 2,
      inputShape: [1, 3, 224, 224],
      weightShape: [64, 3, 7, 7],
      stride: 2,
      padding: 3,
    });
    expect(() => checkBudget(estimateConv(g), DEFAULT_LIMITS)).not.toThrow();
  });
});

describe('the sign of zero on every conv path', () => {
  const g = convGeometry({ rank: 2, inputShape: [1, 8, 10, 10], weightShape: [8, 8, 3, 3], padding: 1 });
  const x = { shape: g.inputShape, data: new Float64Array(800).fill(-0) };
  const w = { shape: g.weightShape, data: new Float64Array(576).fill(1) };
  const b = { shape: [8], data: new Float64Array(8).fill(-0) };
  for (const algorithm of ['direct', 'im2col', 'winograd'] as const) {
    it(`${algorithm}: −0.0 inside, where every product is −0.0; +0.0 where a padding tap adds +0.0`, () => {
      const y = conv(g, x, w, b, { algorithm });
      expect(Object.is(y.data[11], -0)).toBe(true); // row 1, column 1: no padding tap
      expect(Object.is(y.data[0], 0)).toBe(true); // the corner reads the padding
    });
  }
});
