/** The commands' pure logic: keyword parsing, reading literals as PyTorch operands, and the views. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatKwargs, KEYWORDS, parseKwargs } from '../../src/commands/kwargs';
import { readConvOperands, readPoolOperands } from '../../src/commands/operands';
import { checkShape, gradientCheckRequest, runOperation } from '../../src/commands/views';
import { handleRequest } from '../../src/engine/requests';
import { fromNested } from '../../src/engine/tensor';
import { isPanelView } from '../../src/protocol';

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

describe('runOperation: what Convolve shows', () => {
  it("gives the lecture's numbers for the user's 2-D matrices, as a 2-D output", () => {
    const r = runOperation({
      kind: 'conv',
      input: fromNested(lecture[0].request.input[0], 'input'),
      kernel: fromNested(lecture[0].request.weight[0][0], 'kernel'),
      params: { padding: 1 },
      paramsText: 'padding=1',
      flipByDefault: false,
      precision: 6,
      canInsert: true,
    });
    expect(r.answer.ok).toBe(true);
    expect(r.output?.shape).toEqual([5, 5]);
    expect(Array.from(r.output!.data)).toEqual((lecture[0].expect.output as number[][][]).flat(2));
    expect(isPanelView(r.view)).toBe(true);
    expect(r.view.summary.find((s) => s.label === 'height')?.value).toBe(
      'floor((5 + 2·1 − 1·(3 − 1) − 1) / 1) + 1 = 5',
    );
    expect((r.view.trace as { steps: { text: string }[] }).steps[0].text.endsWith('= 16')).toBe(true);
  });
  it('true convolution by default when the setting says so, and flip= overrides it', () => {
    const base = {
      kind: 'conv' as const,
      input: fromNested([[1, 2, 3]], 'i'),
      kernel: fromNested([1, 0], 'k'),
      paramsText: '',
      precision: 6,
      canInsert: false,
    };
    expect(Array.from(runOperation({ ...base, params: {}, flipByDefault: true }).output!.data)).toEqual([2, 3]);
    expect(Array.from(runOperation({ ...base, params: { flip: false }, flipByDefault: true }).output!.data)).toEqual([
      1, 2,
    ]);
  });
  it('a refused request carries the explanation for the panel', () => {
    const r = runOperation({
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
      params: {},
      paramsText: '',
      flipByDefault: false,
      precision: 6,
      canInsert: true,
    });
    expect(r.answer.ok).toBe(false);
    expect(r.view.error?.fix).toContain('padding ≥ 1');
    expect(r.view.canInsert).toBe(false);
  });
  it('max pool shows the indices; im2col shows the column matrix with its GEMM', () => {
    const pool = runOperation({
      kind: 'max_pool',
      input: fromNested(lecture[3].request.input[0], 'i'),
      params: { kernel_size: 3, stride: 2, padding: 1 },
      paramsText: '',
      flipByDefault: false,
      precision: 6,
      canInsert: false,
    });
    expect(pool.view.tensors.map((t) => t.name)).toEqual(['output', 'indices']);
    const im = runOperation({
      kind: 'im2col',
      input: fromNested(lecture[0].request.input[0], 'i'),
      kernel: fromNested(lecture[0].request.weight[0][0], 'k'),
      params: { padding: 1 },
      paramsText: '',
      flipByDefault: false,
      precision: 6,
      canInsert: false,
    });
    expect(im.answer.ok).toBe(true);
    expect(im.view.tensors[0].shape).toEqual([9, 25]);
    expect((im.view.trace as { gemm: { product: number[][] } }).gemm.product[0].slice(0, 2)).toEqual([16, 28]);
  });
});

describe('checkShape and the gradient check request', () => {
  it('the formula, or the error with the fix', () => {
    const ok = checkShape('conv', [1, 3, 224, 224], [64, 3, 7, 7], { stride: 2, padding: 3 }, 'stride=2, padding=3', 6);
    expect(ok.answer.ok && ok.answer.shape).toEqual([1, 64, 112, 112]);
    const bad = checkShape('conv', [1, 4, 224, 224], [64, 3, 7, 7], {}, '', 6);
    expect(bad.view.error?.fix).toContain('in_channels=4');
  });
  it("a user's wrong grad_input is found element by element", () => {
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
    const { request } = gradientCheckRequest({
      input,
      kernel,
      params: {},
      paramsText: '',
      flipByDefault: false,
      userGradient: { of: 'input', tensor: fromNested(wrong, 'g') },
      precision: 6,
    });
    const a = handleRequest(request) as Record<string, any>;
    expect(a.ok).toBe(true);
    expect(a.passed).toBe(true);
    expect(a.user_gradients[0].elements).toEqual([{ index: [0, 1, 1], expected: 0, got: 5, difference: 5 }]);
  });
});

describe('the equivariance demonstration: for inputs a person can follow cell by cell', () => {
  const conv = (size: number) =>
    runOperation({
      kind: 'conv',
      input: { shape: [1, 1, size, size], data: new Float64Array(size * size).map((_, i) => i % 7) },
      kernel: { shape: [1, 1, 3, 3], data: new Float64Array(9).fill(1) },
      params: { padding: 1 },
      paramsText: 'padding=1',
      flipByDefault: false,
      precision: 6,
      canInsert: false,
    });
  it('is there for a 64×64 input (4,096 numbers) and left out, with a note, for 65×65', () => {
    const small = conv(64);
    expect(small.view.equivariance).not.toBeNull();
    expect(small.view.equivariance!.output).toEqual(small.view.tensors[0].values);
    const big = conv(65);
    expect(big.answer.ok).toBe(true);
    expect(big.view.equivariance).toBeNull();
    expect(big.view.notes.join(' ')).toContain(
      'the Equivariance tab is shown for inputs of up to 4,096 numbers; this one has 4,225',
    );
  });
});
