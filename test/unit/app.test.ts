/**
 * The application layer (src/app, no vscode): keyword parsing, reading literals as PyTorch operands, and the
 * result sessions behind each command — their views, pages and planes.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatKwargs, KEYWORDS, parseKwargs } from '../../src/app/keywords';
import { readConvOperands, readPoolOperands } from '../../src/app/operands';
import type { OperationSpec } from '../../src/app/operation';
import { estimateCost, openResult } from '../../src/app/results';
import { openGradcheckResult } from '../../src/app/results/gradcheck';
import { checkShape } from '../../src/app/results/shape';
import { WHOLE_TENSOR_ELEMENTS } from '../../src/app/tensorPayload';
import { PAGE_TERMS } from '../../src/engine/trace';
import { markdownTable } from '../../src/app/tensorText';
import { fromNested } from '../../src/engine/tensor';
import {
  decodeConvStep,
  isPanelView,
  panelViewProblem,
  type ConvPage,
  type ConvTrace,
  type Im2colTrace,
} from '../../src/protocol';

const lecture = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/lecture-examples.json'), 'utf8')).cases;

describe('parseKwargs: PyTorch keyword syntax', () => {
  it('reads ints, tuples, strings, booleans and None', () => {
    const r = parseKwargs("stride=2, padding=(1, 0), padding_mode='reflect', flip=True, bias=None, dilation=[2,1]");
    expect(r).toEqual({
      ok: true,
      values: { stride: 2, padding: [1, 0], padding_mode: 'reflect', flip: true, bias: null, dilation: [2, 1] },
    });
  });
  it('accepts bare words for strings (padding=same)', () => {
    expect(parseKwargs('padding=same')).toEqual({ ok: true, values: { padding: 'same' } });
  });
  it('points at the column of a syntax error', () => {
    const r = parseKwargs('stride=2 padding=1');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.offset).toBe(9);
      expect(r.message).toContain("expected ',' between keywords at column 10");
    }
  });
  it('refuses an unknown keyword with a suggestion', () => {
    const r = parseKwargs('strides=2', KEYWORDS.conv);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain("did you mean 'stride'");
  });
  it('round-trips through formatKwargs', () => {
    const values = { stride: 2, padding: [1, 0], padding_mode: 'reflect', ceil_mode: false, divisor_override: null };
    expect(parseKwargs(formatKwargs(values))).toEqual({ ok: true, values });
  });
});

describe('reading selected literals as PyTorch operands', () => {
  const t = (v: unknown) => fromNested(v, 'x');
  it("a lecture 5×5 input and 3×3 kernel become conv2d's (1, 5, 5) and (1, 1, 3, 3)", () => {
    const r = readConvOperands(t(lecture[0].request.input[0]), t(lecture[0].request.weight[0][0]));
    expect(r.rank).toBe(2);
    expect(r.input.shape).toEqual([1, 5, 5]);
    expect(r.weight.shape).toEqual([1, 1, 3, 3]);
    expect(r.squeezeOutputTo).toBe(2);
  });
  it('a (C, kH, kW) kernel with a (C, H, W) input is one filter over C channels', () => {
    const r = readConvOperands(
      { shape: [3, 5, 5], data: new Float64Array(75) },
      { shape: [3, 3, 3], data: new Float64Array(27) },
    );
    expect(r.rank).toBe(2);
    expect(r.weight.shape).toEqual([1, 3, 3, 3]);
  });
  it('PyTorch-shaped weights are used as they are', () => {
    const r = readConvOperands(
      { shape: [1, 3, 8, 8, 8], data: new Float64Array(1536) },
      { shape: [4, 3, 2, 2, 2], data: new Float64Array(96) },
    );
    expect(r.rank).toBe(3);
    expect(r.weight.shape).toEqual([4, 3, 2, 2, 2]);
    expect(r.notes).toEqual([]);
  });
  it('pooling: the kernel_size tuple fixes the rank', () => {
    expect(readPoolOperands({ shape: [4, 6], data: new Float64Array(24) }, 2).input.shape).toEqual([1, 4, 6]);
    expect(readPoolOperands({ shape: [2, 4, 6], data: new Float64Array(48) }, [2, 2, 2]).rank).toBe(3);
  });
});

const base = { paramsText: '', flipByDefault: false, precision: 6, canInsert: false, maxElements: 1_000_000 };
const X = () => fromNested(lecture[0].request.input[0], 'input');
const W = () => fromNested(lecture[0].request.weight[0][0], 'kernel');
const spec = (s: Partial<OperationSpec> & Pick<OperationSpec, 'kind' | 'input'>): OperationSpec => ({
  params: {},
  ...base,
  ...s,
});

describe('the conv result: what Convolve shows', () => {
  const r = openResult(
    spec({ kind: 'conv', input: X(), kernel: W(), params: { padding: 1 }, paramsText: 'padding=1', canInsert: true }),
  );
  const trace = r.view.trace as ConvTrace;
  it("gives the lecture's numbers for the user's 2-D matrices, as a 2-D output", () => {
    expect(r.output?.shape).toEqual([5, 5]);
    expect(Array.from(r.output!.data)).toEqual((lecture[0].expect.output as number[][][]).flat(2));
    expect(panelViewProblem(r.view)).toBeNull();
    expect(r.view.summary.find((s) => s.label === 'height')?.value).toBe(
      'floor((5 + 2·1 − 1·(3 − 1) − 1) / 1) + 1 = 5',
    );
    expect(r.view.canInsert).toBe(true);
  });
  it('says what is batched and the padded extent; the first page holds every step of a 5×5 conv', () => {
    expect(trace.batched).toBe(false);
    expect(trace.inputShape).toEqual([1, 1, 5, 5]);
    expect(trace.paddedSize).toEqual([7, 7]);
    expect(trace.steps.total).toBe(25);
    expect(trace.steps.first.window.count).toBe(25);
    const step = decodeConvStep(trace.steps.first, 0);
    expect(step.text.startsWith('1·0 + 3·0 + 2·0 + 1·0 + 3·1 + 3·3')).toBe(true);
    expect(step.value).toBe(16);
    expect(step.terms[4]).toMatchObject({ at: [1, 1], source: [0, 0], x: 1, w: 3, product: 3 });
  });
  it('pages later steps from the same result, and planes of its tensors', () => {
    const page = r.page('steps', 20) as ConvPage;
    expect(page.window).toMatchObject({ start: 0, count: 25 });
    expect(Array.from(r.plane('input', [0, 0]))).toEqual(Array.from(X().data));
    expect(() => r.plane('input', [0, 1])).toThrow(/no plane at \[0, 1\]/);
    expect(() => r.plane('nope', [])).toThrow(/no tensor "nope"/);
    expect(() => r.page('gradInput', 0)).toThrow(/no gradInput steps/);
  });
  it('true convolution by default when the setting says so, and flip= overrides it', () => {
    const b = { kind: 'conv' as const, input: fromNested([[1, 2, 3]], 'i'), kernel: fromNested([1, 0], 'k') };
    expect(Array.from(openResult(spec({ ...b, flipByDefault: true })).output!.data)).toEqual([2, 3]);
    expect(Array.from(openResult(spec({ ...b, params: { flip: false }, flipByDefault: true })).output!.data)).toEqual([
      1, 2,
    ]);
  });
  it('a refused request carries the explanation for the panel', () => {
    const bad = openResult(
      spec({
        kind: 'conv',
        input: fromNested(
          [
            [1, 2],
            [3, 4],
          ],
          'i',
        ),
        kernel: fromNested(
          [
            [1, 2, 3],
            [4, 5, 6],
            [7, 8, 9],
          ],
          'k',
        ),
        canInsert: true,
      }),
    );
    expect(bad.output).toBeNull();
    expect(bad.view.error?.fix).toContain('padding ≥ 1');
    expect(bad.view.canInsert).toBe(false);
    expect(isPanelView(bad.view)).toBe(true);
  });
  it('pages a big conv by terms, not by steps: a 64-channel 3×3 step has 576 terms', () => {
    const big = openResult(
      spec({
        kind: 'conv',
        input: { shape: [1, 64, 12, 12], data: new Float64Array(64 * 144).map((_, i) => (i % 5) - 2) },
        kernel: { shape: [64, 64, 3, 3], data: new Float64Array(64 * 64 * 9).map((_, i) => (i % 3) - 1) },
        params: { padding: 1 },
      }),
    );
    const t = big.view.trace as ConvTrace;
    expect(t.steps.pageSize).toBe(Math.floor(PAGE_TERMS / 576));
    expect(t.steps.first.termStart[t.steps.first.window.count]).toBe(576 * t.steps.pageSize);
    // the input is sent plane by plane, the kernel whole
    expect(big.view.tensors.find((x) => x.id === 'input')?.data).not.toBeNull();
    expect(big.view.tensors.find((x) => x.id === 'weight')?.data?.length).toBe(64 * 64 * 9);
    const page = big.page('steps', 1000) as ConvPage;
    expect(page.window.start).toBe(Math.floor(1000 / t.steps.pageSize) * t.steps.pageSize);
    expect(decodeConvStep(page, 1000 - page.window.start)).toMatchObject({
      step: 1000,
      value: big.tensor('output')!.data[1000],
    });
  });
});

describe('the other results', () => {
  it('max pool shows the indices; im2col shows the column matrix with its GEMM', () => {
    const pool = openResult(
      spec({
        kind: 'max_pool',
        input: fromNested(lecture[3].request.input[0], 'i'),
        params: { kernel_size: 3, stride: 2, padding: 1 },
      }),
    );
    expect(pool.view.results.map((id) => pool.view.tensors.find((t) => t.id === id)?.name)).toEqual([
      'output',
      'indices',
    ]);
    const im = openResult(spec({ kind: 'im2col', input: X(), kernel: W(), params: { padding: 1 } }));
    expect(im.view.error).toBeNull();
    expect(im.output?.shape).toEqual([9, 25]);
    const gemm = (im.view.trace as Im2colTrace).gemm!;
    expect(Array.from(gemm.product.subarray(0, 2))).toEqual([16, 28]);
  });
  it("the backward pass: the lecture's dX", () => {
    const back = lecture.find((c: { request: { op: string } }) => c.request.op === 'conv2d_backward');
    const r = openResult(
      spec({
        kind: 'backward',
        input: fromNested(back.request.input, 'x'),
        kernel: fromNested(back.request.weight, 'w'),
        gradOutput: fromNested(back.request.grad_output, 'dy'),
        params: { stride: back.request.stride ?? 1, padding: back.request.padding ?? 0 },
      }),
    );
    expect(r.view.error).toBeNull();
    expect(Array.from(r.tensor('dX')!.data)).toEqual((back.expect.grad_input as number[]).flat(Infinity));
    expect(r.page('gradWeight', 0).kind).toBe('weight_grad');
  });
  it('a big tensor travels as statistics, its planes on request', () => {
    const n = WHOLE_TENSOR_ELEMENTS * 2;
    const r = openResult(
      spec({
        kind: 'max_pool',
        input: { shape: [2, 1, n / 256, 128], data: new Float64Array(n).map((_, i) => i) },
        params: { kernel_size: 2 },
      }),
    );
    const input = r.view.tensors.find((t) => t.id === 'input')!;
    expect(input.data).toBeNull();
    expect(input.stats).toMatchObject({ count: n, min: 0, max: n - 1, nan: 0 });
    expect(r.plane('input', [1, 0])[0]).toBe(n / 2);
  });
});

describe('checkShape and the gradient check', () => {
  it('the formula, or the error with the fix', () => {
    const ok = checkShape('conv', [1, 3, 224, 224], [64, 3, 7, 7], { stride: 2, padding: 3 }, 'stride=2, padding=3', 6);
    expect(ok.shape).toEqual([1, 64, 112, 112]);
    const bad = checkShape('conv', [1, 4, 224, 224], [64, 3, 7, 7], {}, '', 6);
    expect(bad.session.view.error?.fix).toContain('in_channels=4');
    expect(bad.refusal).toContain('in_channels=4');
  });
  it("a user's wrong grad_input is found element by element, and the headline says so", () => {
    const input = fromNested(
      [
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ],
      'i',
    );
    const kernel = fromNested(
      [
        [1, 0],
        [0, -1],
      ],
      'k',
    );
    // d(sum(conv))/dx for this kernel: each x[i][j] gets w[0][0] from window (i, j) and w[1][1] from (i−1, j−1)
    const truth = [
      [1, 1, 0],
      [1, 0, -1],
      [0, -1, -1],
    ];
    const wrong = truth.map((r) => [...r]);
    wrong[1][1] = 5;
    const r = openGradcheckResult(
      spec({ kind: 'gradcheck', input, kernel, userGradient: { of: 'input', tensor: fromNested(wrong, 'g') } }),
    );
    expect(r.outcome).toMatchObject({ passed: false, headline: 'your grad_input has 1 wrong element of 9' });
    expect(r.outcome!.wrongElements).toEqual([{ index: [1, 1], got: 5, expected: 0 }]);
    expect(r.view.summary[0].value).toMatch(/^FAILED: your grad_input has 1 wrong element/);
    const right = openGradcheckResult(
      spec({ kind: 'gradcheck', input, kernel, userGradient: { of: 'input', tensor: fromNested(truth, 'g') } }),
    );
    expect(right.outcome).toMatchObject({ passed: true, headline: 'your grad_input is correct (9 elements)' });
  });
  it('counts failing elements, not Jacobian entries', () => {
    const r = openGradcheckResult(spec({ kind: 'gradcheck', input: X(), kernel: W(), params: { padding: 1 } }));
    expect(r.outcome?.passed).toBe(true);
    expect(r.view.summary.find((s) => s.label === '∂/∂input')?.value).toMatch(
      /^∂output\/∂input: passed \(25 elements\)/,
    );
    expect(isPanelView(r.view)).toBe(true);
  });
});

describe('the equivariance demonstration: for inputs a person can follow cell by cell', () => {
  const conv = (size: number) =>
    openResult(
      spec({
        kind: 'conv',
        input: { shape: [1, 1, size, size], data: new Float64Array(size * size).map((_, i) => i % 7) },
        kernel: { shape: [1, 1, 3, 3], data: new Float64Array(9).fill(1) },
        params: { padding: 1 },
      }),
    );
  it('is there for a 64×64 input (4,096 numbers) and left out, with a note, for 65×65', () => {
    const small = conv(64);
    expect(small.view.equivariance).not.toBeNull();
    expect(small.view.equivariance!.text).toContain('kernel_size=2, stride=2, ceil_mode=True');
    expect(Array.from(small.tensor(small.view.equivariance!.output)!.data)).toEqual(Array.from(small.output!.data));
    const big = conv(65);
    expect(big.view.error).toBeNull();
    expect(big.view.equivariance).toBeNull();
    expect(big.view.notes.join(' ')).toContain(
      'the Equivariance tab is shown for inputs of up to 4,096 numbers; this one has 4,225',
    );
  });
});

describe('where the work runs, and copies', () => {
  it('the lecture conv is cheap enough for the host; a 64-channel 56×56 conv is not', () => {
    expect(estimateCost(spec({ kind: 'conv', input: X(), kernel: W() }))).toBeLessThan(1e6);
    const x = { shape: [1, 64, 56, 56], data: new Float64Array(64 * 56 * 56) };
    const w = { shape: [64, 64, 3, 3], data: new Float64Array(64 * 64 * 9) };
    expect(estimateCost(spec({ kind: 'conv', input: x, kernel: w }))).toBeGreaterThan(1e8);
  });
  it('a tensor as a Markdown table', () => {
    expect(
      markdownTable(
        'out',
        fromNested(
          [
            [1, 2],
            [3, NaN],
          ],
          'o',
        ),
        6,
      ),
    ).toBe('**out** (2×2)\n\n| 0 | 1 |\n|---:|---:|\n| 1 | 2 |\n| 3 | NaN |');
  });
});
