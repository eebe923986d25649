/** gradcheck must fail on a wrong gradient and say where; the user-gradient check must list every wrong element. */
import { describe, expect, it } from 'vitest';
import { convBackward } from '../../src/engine/conv';
import { convFunction } from '../../src/engine/differentiable';
import { convGeometry } from '../../src/engine/geometry';
import { compareUserGradient, gradcheck, type Differentiable } from '../../src/engine/gradcheck';
import { handleRequest } from '../../src/engine/requests';
import { randomTensor } from '../support/arbitraries';

const g = convGeometry({
  rank: 2,
  inputShape: [1, 2, 5, 5],
  weightShape: [3, 2, 3, 3],
  biasShape: [3],
  stride: 2,
  padding: 1,
});
const x = randomTensor(g.inputShape, 1);
const w = randomTensor(g.weightShape, 2);
const b = randomTensor([3], 3);

function withBrokenWeightGrad(f: Differentiable): Differentiable {
  return {
    ...f,
    backward: (values, gy) => {
      const grads = f.backward(values, gy);
      grads[1] = grads[1].map((v, i) => (i === 4 ? v * 1.5 + 0.1 : v));
      return grads;
    },
  };
}

describe('gradcheck', () => {
  it('passes on the engine’s conv in full and fast mode', () => {
    expect(gradcheck(convFunction(g, x, w, b)).passed).toBe(true);
    expect(gradcheck(convFunction(g, x, w, b), { fastMode: true }).passed).toBe(true);
  });
  it('finds a wrong weight gradient and names input 1 and the element', () => {
    const r = gradcheck(withBrokenWeightGrad(convFunction(g, x, w, b)));
    expect(r.passed).toBe(false);
    const bad = r.checks.find((c) => !c.passed)!;
    expect(bad.input).toBe('weight');
    expect(r.message).toMatch(/^Jacobian mismatch for output 0 with respect to input 1 \(weight\)/);
    expect(bad.worst.every((m) => m.inputIndex!.join() === '0,0,1,1')).toBe(true);
    expect(r.checks.find((c) => c.input === 'input')!.passed).toBe(true);
  });
  it('fast mode finds it too', () => {
    const r = gradcheck(withBrokenWeightGrad(convFunction(g, x, w, b)), { fastMode: true, seed: 4 });
    expect(r.passed).toBe(false);
    expect(r.mode).toBe('fast');
  });
  it('reports progress and can be cancelled', () => {
    const seen: number[] = [];
    expect(() => gradcheck(convFunction(g, x, w, b), { onProgress: (f) => (seen.push(f), f < 0.3) })).toThrow(
      'cancelled',
    );
    expect(seen.length).toBeGreaterThan(0);
  });
});

describe("the user's own gradients", () => {
  it('lists each wrong element with what it should be', () => {
    const gy = randomTensor(g.outputShape, 9);
    const truth = convBackward(g, x, w, gy);
    const mine = { shape: truth.gradInput.shape, data: new Float64Array(truth.gradInput.data) };
    mine.data[7] += 1;
    mine.data[30] = -mine.data[30] + 3;
    const r = compareUserGradient('grad_input', truth.gradInput, mine);
    expect(r.passed).toBe(false);
    expect(r.mismatches).toBe(2);
    expect(r.elements.map((e) => e.index.join())).toEqual(['0,0,1,2', '0,1,1,0']);
    expect(r.elements[0].expected).toBe(truth.gradInput.data[7]);
  });
  it('through the request API: grad_output defaults to ones (the gradient of output.sum())', () => {
    const ones = new Float64Array(g.outputShape.reduce((a, c) => a * c, 1)).fill(1);
    const truth = convBackward(g, x, w, { shape: g.outputShape, data: ones });
    const nested = (t: { shape: readonly number[]; data: Float64Array }) => {
      const [n, c, h, wd] = t.shape;
      return Array.from({ length: n }, (_, i) =>
        Array.from({ length: c }, (_, j) =>
          Array.from({ length: h }, (_, k) =>
            Array.from({ length: wd }, (_, l) => t.data[((i * c + j) * h + k) * wd + l]),
          ),
        ),
      );
    };
    const userWeight = nested(truth.gradWeight);
    userWeight[2][1][0][2] += 0.5;
    const a = handleRequest({
      op: 'gradcheck',
      of: 'conv2d',
      input: nested(x),
      weight: nested(w),
      stride: 2,
      padding: 1,
      grad_weight: userWeight,
      fast_mode: true,
    }) as Record<string, any>;
    expect(a.ok).toBe(true);
    expect(a.passed).toBe(true);
    expect(a.user_gradients[0].name).toBe('grad_weight');
    expect(a.user_gradients[0].mismatches).toBe(1);
    expect(a.user_gradients[0].elements[0].index).toEqual([2, 1, 0, 2]);
  });
});
