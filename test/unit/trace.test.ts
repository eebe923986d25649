/** Traces carry the lecture's arithmetic with the user's numbers, and they agree with the kernels. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { handleRequest } from '../../src/engine/requests';
import type {
  BackwardTraceAnswer as BackwardTrace,
  ConvTraceAnswer as ConvTrace,
  Im2colTraceAnswer as Im2colTrace,
  PoolTraceAnswer as PoolTrace,
  TransposeTraceAnswer as TransposeTrace,
} from '../../src/engine/traceAnswers';

const lecture = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/lecture-examples.json'), 'utf8')).cases as {
  request: Record<string, unknown>;
  expect: Record<string, any>;
}[];
const convCase = lecture[0];

function trace<T>(request: Record<string, unknown>): T {
  const a = handleRequest({ ...request, op: 'trace', of: request.op }) as Record<string, unknown>;
  expect(a.ok, String(a.error)).toBe(true);
  return a.trace as T;
}

describe('sliding-window trace', () => {
  const t = trace<ConvTrace>(convCase.request);
  it("step 0 is the lecture's first output: kernel taps times the padded window", () => {
    const s = t.steps[0];
    expect(s.text.startsWith('1·0 + 3·0 + 2·0 + 1·0 + 3·1 + 3·3')).toBe(true);
    expect(s.text.endsWith('= 16')).toBe(true);
    expect(s.terms[0].source).toBeNull();
    expect(s.terms[4]).toMatchObject({ at: [1, 1], source: [0, 0], x: 1, w: 3, product: 3 });
    expect(s.terms[8].running).toBe(16);
  });
  it('every step’s value is the engine output', () => {
    const flat = (convCase.expect.output as number[][][]).flat(2);
    expect(t.steps.map((s) => s.value)).toEqual(flat);
    expect(t.range).toMatchObject({ start: 0, count: 25, total: 25, truncated: false });
  });
  it('is bounded: a range of steps', () => {
    const part = trace<ConvTrace>({ ...convCase.request, start: 20, count: 3 });
    expect(part.steps.map((s) => s.step)).toEqual([20, 21, 22]);
    expect(part.range.truncated).toBe(true);
  });
  it('true convolution shows the flipped kernel', () => {
    const f = trace<ConvTrace>({ ...convCase.request, flip: true });
    expect((f.appliedWeight as number[][][][])[0][0][0]).toEqual([1, 1, 3]);
  });
  it('reflect padding says which input cell each padding cell copies', () => {
    const r = trace<ConvTrace>({ ...convCase.request, padding_mode: 'reflect' });
    expect(r.padSource[0]).toEqual([1, 0, 1, 2, 3, 4, 3]);
    expect(r.steps[0].terms[0]).toMatchObject({ source: [1, 1], x: 1 });
  });
});

describe('im2col trace', () => {
  it('columns are windows, and the GEMM product is the conv output', () => {
    const t = trace<Im2colTrace>({
      op: 'unfold',
      input: [convCase.request.input],
      weight: convCase.request.weight,
      kernel_size: 3,
      padding: 1,
    });
    expect(t.rows).toBe(9);
    expect(t.columns).toBe(25);
    expect(t.matrix.map((row) => row[0])).toEqual([0, 0, 0, 0, 1, 3, 0, 3, 1]);
    expect(t.sources[4][0]).toEqual([0, 0]);
    expect(t.sources[0][0]).toBeNull();
    expect(t.gemm!.product[0]).toEqual((convCase.expect.output as number[][][]).flat(2));
  });
});

describe('pooling trace', () => {
  it("max pool: the lecture's first row and PyTorch's indices", () => {
    const pool = lecture.find((c) => c.request.op === 'max_pool2d')!;
    const t = trace<PoolTrace>(pool.request);
    expect(t.steps.slice(0, 3).map((s) => s.value)).toEqual([3, 3, 3]);
    expect(t.steps.map((s) => s.argmax)).toEqual((pool.expect.indices as number[][][]).flat(2));
    expect(t.steps[0].cells.filter((c) => !c.inside)).toHaveLength(5);
  });
  it('avg pool: the divisor of each window', () => {
    const t = trace<PoolTrace>({
      op: 'avg_pool1d',
      input: [[1, 2, 3, 4, 5]],
      kernel_size: 3,
      stride: 2,
      padding: 1,
      count_include_pad: false,
    });
    expect(t.steps.map((s) => s.divisor)).toEqual([2, 3, 2]);
    expect(t.steps[0].text).toBe('(1 + 2) / 2 = 1.5');
  });
  it('ceil_mode notes the dropped window', () => {
    const t = trace<PoolTrace>({
      op: 'max_pool1d',
      input: [[1, 2, 3, 4, 5]],
      kernel_size: 2,
      stride: 2,
      padding: 1,
      ceil_mode: true,
    });
    expect(t.notes[0]).toContain('PyTorch drops it');
  });
});

describe('transposed conv and backward traces', () => {
  const back = lecture.find((c) => c.request.op === 'conv2d_backward')!;
  it('conv_transpose scatter: every contribution lands where the output says', () => {
    const tc = lecture.find((c) => c.request.op === 'conv_transpose2d')!;
    const t = trace<TransposeTrace>(tc.request);
    const out = (tc.expect.output as number[][][]).flat(2);
    const sums = new Array(out.length).fill(0);
    const width = (tc.expect.shape as number[]).at(-1)!;
    for (const s of t.steps)
      for (const c of s.contributions) if (c.position) sums[c.position[0] * width + c.position[1]] += c.product;
    expect(sums).toEqual(out);
  });
  it("dX is dY scattered through W: the lecture's dX[0][1] = w1·z'2 + w2·z'1 = 16", () => {
    const t = trace<BackwardTrace>(back.request);
    expect(t.gradInput).toEqual(back.expect.grad_input);
    expect(t.gradWeightSteps.map((s) => s.value)).toEqual((back.expect.grad_weight as number[][][][]).flat(3));
  });
});

describe('a step with more terms than its text shows', () => {
  it('counts the terms left out', () => {
    const wide = trace<ConvTrace>({
      op: 'conv1d',
      input: [Array.from({ length: 60 }, (_, i) => i)],
      weight: [[Array.from({ length: 50 }, () => 1)]],
    });
    expect(wide.steps[0].terms).toHaveLength(50);
    expect(wide.steps[0].text).toContain('… (2 more) = ');
  });
});
