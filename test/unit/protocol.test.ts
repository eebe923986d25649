/**
 * The protocol: the host's guard on webview messages and the webview's guard on host messages, against
 * hostile input; and the page codec, which must carry every step field (NaN, ±∞ and −0 included) unchanged.
 */
import { describe, expect, it } from 'vitest';
import { openResult } from '../../src/app/results';
import type { OperationSpec } from '../../src/app/operation';
import { fromNested } from '../../src/engine/tensor';
import {
  decodeConvStep,
  decodePoolStep,
  decodeScatterStep,
  encodeConvPage,
  encodePoolPage,
  encodeScatterPage,
  hostMessageProblem,
  isHostMessage,
  isPanelView,
  isStepPage,
  isWebviewMessage,
  narrowIfExact,
  widen,
  type ConvStep,
  type ConvTrace,
  type PanelView,
} from '../../src/protocol';

describe('isWebviewMessage', () => {
  it('accepts the messages the panel sends', () => {
    expect(isWebviewMessage({ type: 'ready', viewId: null })).toBe(true);
    expect(isWebviewMessage({ type: 'ready', viewId: 'conv-1' })).toBe(true);
    expect(isWebviewMessage({ type: 'insert', viewId: 'conv-1', tensor: 'result' })).toBe(true);
    expect(isWebviewMessage({ type: 'page', requestId: 3, viewId: 'v', part: 'steps', start: 256 })).toBe(true);
    expect(isWebviewMessage({ type: 'plane', requestId: 4, viewId: 'v', tensor: 'input', index: [0, 3] })).toBe(true);
    expect(isWebviewMessage({ type: 'copyTensor', viewId: 'v', tensor: 'result', format: 'latex' })).toBe(true);
    expect(isWebviewMessage({ type: 'save', text: '<svg/>', fileName: 'conv-lens-conv.svg' })).toBe(true);
    expect(isWebviewMessage({ type: 'runCommand', command: 'convLens.convolve' })).toBe(true);
  });
  it.each([
    null,
    undefined,
    42,
    'ready',
    [],
    { type: 'nope' },
    { type: 'ready' },
    { type: 'insert', viewId: 5, tensor: 'output' },
    { type: 'page', requestId: 1, viewId: 'v', part: 'steps', start: -1 },
    { type: 'page', requestId: -1, viewId: 'v', part: 'steps', start: 0 },
    { type: 'page', requestId: 1, viewId: 'v', part: '__proto__', start: 0 },
    { type: 'plane', requestId: 1, viewId: 'v', tensor: 'x', index: [-1] },
    { type: 'plane', requestId: 1, viewId: 'v', tensor: 'x', index: new Array(100).fill(0) },
    { type: 'copyTensor', viewId: 'v', tensor: 'x', format: 'html' },
    { type: 'save', text: 'x', fileName: '../../etc/passwd' },
    { type: 'save', text: 'x', fileName: 'a/b.svg' },
    { type: 'runCommand', command: 'workbench.action.terminal.sendSequence' },
    { type: 'copy', text: 'x'.repeat((1 << 20) + 1) },
  ])('refuses %j', (m) => {
    expect(isWebviewMessage(m)).toBe(false);
  });
});

const spec = (s: Partial<OperationSpec> & Pick<OperationSpec, 'kind' | 'input'>): OperationSpec => ({
  params: {},
  paramsText: '',
  flipByDefault: false,
  precision: 6,
  canInsert: false,
  maxElements: 1e6,
  ...s,
});

describe('isHostMessage', () => {
  const view = openResult(
    spec({
      kind: 'conv',
      input: fromNested(
        [
          [1, 2, 3],
          [4, 5, 6],
          [7, 8, 9],
        ],
        'x',
      ),
      kernel: fromNested(
        [
          [1, 0],
          [0, 1],
        ],
        'w',
      ),
    }),
  ).view;
  const trace = view.trace as ConvTrace;
  it('accepts real views of every kind', () => {
    expect(isPanelView(view)).toBe(true);
    expect(isHostMessage({ type: 'show', view })).toBe(true);
    const x = fromNested([[1, 2, 3, 4]], 'x');
    const w = fromNested([[[1, -1]]], 'w');
    for (const s of [
      spec({ kind: 'conv_transpose', input: x, kernel: w }),
      spec({ kind: 'max_pool', input: x, params: { kernel_size: 2 } }),
      spec({ kind: 'avg_pool', input: x, params: { kernel_size: 2 } }),
      spec({
        kind: 'im2col',
        input: fromNested(
          [
            [1, 2],
            [3, 4],
          ],
          'x',
        ),
        params: { kernel_size: 1 },
      }),
      spec({ kind: 'backward', input: x, kernel: w }),
      spec({ kind: 'gradcheck', input: x, kernel: w }),
    ]) {
      const v = openResult(s).view;
      expect(hostMessageProblem({ type: 'show', view: v }), s.kind).toBeNull();
    }
  });
  const withTensor = (patch: Record<string, unknown>): PanelView => ({
    ...view,
    tensors: [{ ...view.tensors[0], ...patch }, ...view.tensors.slice(1)],
  });
  it.each([
    ['a wrong precision', { ...view, precision: 99 }],
    ['tensors that are not a list', { ...view, tensors: 'x' }],
    ['a shape with a negative dim', withTensor({ shape: [-1] })],
    ['data of the wrong length', withTensor({ data: new Float64Array(3) })],
    ['data that is a plain array', withTensor({ data: [1, 2, 3] })],
    ['stats with a non-finite min', withTensor({ stats: { ...view.tensors[0].stats, min: NaN } })],
    ['an unknown kind', { ...view, kind: 'script' }],
    ['a trace that is not an object', { ...view, trace: 'x' }],
    ['a trace naming a tensor the view lacks', { ...view, trace: { ...trace, output: 'ghost' } }],
    [
      'a page whose term arrays are short',
      {
        ...view,
        trace: { ...trace, steps: { ...trace.steps, first: { ...trace.steps.first, termX: new Float64Array(1) } } },
      },
    ],
    [
      'a padSource that is not typed',
      {
        ...view,
        trace: {
          ...trace,
          padSource: [
            [0, 1, 2],
            [0, 1, 2],
          ],
        },
      },
    ],
    ['results naming no tensor', { ...view, results: ['ghost'] }],
    ['duplicate tensor ids', { ...view, tensors: [view.tensors[0], view.tensors[0]] }],
  ])('refuses a view with %s', (_what, bad) => {
    expect(isHostMessage({ type: 'show', view: bad })).toBe(false);
  });
  it('replies need their request id, and an empty reply its reason', () => {
    expect(isHostMessage({ type: 'page', inReplyTo: 1, page: trace.steps.first, error: null })).toBe(true);
    expect(isHostMessage({ type: 'page', inReplyTo: 1, page: null, error: 'gone' })).toBe(true);
    expect(isHostMessage({ type: 'page', inReplyTo: 1, page: null, error: null })).toBe(false);
    expect(isHostMessage({ type: 'plane', inReplyTo: 2, data: new Float64Array(4), error: null })).toBe(true);
    expect(isHostMessage({ type: 'plane', inReplyTo: 2, data: [1, 2], error: null })).toBe(false);
  });
});

describe('the page codec', () => {
  it('carries every field of a conv step, NaN, infinities and −0 included', () => {
    const steps: ConvStep[] = [
      {
        step: 7,
        batch: 0,
        outChannel: 1,
        group: 0,
        position: [2, 3],
        windowStart: [2, 3],
        terms: [
          { channel: 0, tap: [0, 0], at: [2, 3], source: null, x: 0, w: -0, product: -0, running: -0 },
          { channel: 0, tap: [0, 1], at: [2, 4], source: [1, 3], x: NaN, w: Infinity, product: NaN, running: NaN },
        ],
        channelSums: [{ channel: 0, sum: NaN }],
        bias: -Infinity,
        value: NaN,
        text: 'x',
      },
      {
        step: 8,
        batch: 0,
        outChannel: 1,
        group: 0,
        position: [2, 4],
        windowStart: [2, 4],
        terms: [],
        channelSums: [],
        bias: null,
        value: 1.5,
        text: 'y',
      },
    ];
    const page = encodeConvPage(steps, 2, { start: 7, count: 2, total: 9, truncated: true });
    expect(isStepPage(page)).toBe(true);
    expect(decodeConvStep(page, 0)).toEqual(steps[0]);
    expect(Object.is(decodeConvStep(page, 0).terms[0].w, -0)).toBe(true);
    expect(decodeConvStep(page, 1)).toEqual(steps[1]);
  });
  it('carries scatter and pooling steps', () => {
    const scatter = {
      step: 0,
      batch: 0,
      inChannel: 0,
      position: [1],
      value: 2,
      contributions: [{ outChannel: 0, tap: [0], at: [1], position: null, w: 3, product: 6, after: 6 }],
    };
    expect(
      decodeScatterStep(encodeScatterPage([scatter], 1, { start: 0, count: 1, total: 1, truncated: false }), 0),
    ).toEqual(scatter);
    const pool = {
      step: 0,
      batch: 0,
      channel: 0,
      position: [0],
      windowStart: [-1],
      cells: [
        { tap: [0], at: [-1], inside: false, value: null },
        { tap: [1], at: [0], inside: true, value: -0 },
      ],
      argmax: 0,
      divisor: null,
      value: -0,
      text: 't',
    };
    const decoded = decodePoolStep(encodePoolPage([pool], 1, { start: 0, count: 1, total: 1, truncated: false }), 0);
    expect(decoded).toEqual(pool);
    expect(Object.is(decoded.value, -0)).toBe(true);
  });
});

describe('a plane on its way to the panel', () => {
  it('travels as float32 when every value is one (NaN, ±∞ and −0 included), and arrives as the same float64s', () => {
    const plane = Float64Array.from([1.5, -0, Math.fround(0.1), NaN, Infinity, -Infinity, 3, 2 ** 24]);
    const sent = narrowIfExact(plane);
    expect(sent).toBeInstanceOf(Float32Array);
    expect(isHostMessage({ type: 'plane', inReplyTo: 1, data: sent, error: null })).toBe(true);
    expect(Array.from(widen(sent))).toEqual(Array.from(plane));
    expect(Object.is(widen(sent)[1], -0)).toBe(true);
  });

  it('stays float64 when one value is not a float32 (0.1, or an integer above 2^24)', () => {
    for (const odd of [0.1, 2 ** 24 + 1, 1e-50, 1e300]) {
      const plane = Float64Array.from([1, 2, odd]);
      expect(narrowIfExact(plane)).toBe(plane);
    }
  });

  it('is refused as any other typed array', () => {
    expect(isHostMessage({ type: 'plane', inReplyTo: 1, data: new Int32Array(3), error: null })).toBe(false);
  });
});

describe('float columns of a view and its pages', () => {
  const view = (x: number[][], k: number[][]): PanelView =>
    openResult(spec({ kind: 'conv', input: fromNested(x, 'x'), kernel: fromNested(k, 'k'), params: { padding: 1 } }))
      .view;
  const firstPage = (v: PanelView) => (v.trace as ConvTrace).steps.first;

  it('are float32 when every value is one (small integers), and the view still passes the guard', () => {
    const v = view(
      [
        [1, -2, 3],
        [0, 4, -5],
      ],
      [
        [1, 0],
        [-1, 2],
      ],
    );
    expect(isPanelView(v)).toBe(true);
    for (const t of v.tensors) expect(t.data).toBeInstanceOf(Float32Array);
    const page = firstPage(v);
    for (const column of [page.termX, page.termW, page.termProduct, page.termRunning, page.value])
      expect(column).toBeInstanceOf(Float32Array);
    // read back, a step adds up as the engine wrote it
    const step = decodeConvStep(page, 0);
    expect(step.value).toBe(step.terms.reduce((s, t) => s + t.product, 0));
  });

  it('stay float64 when one value is not a float32, and then carry it exactly', () => {
    const v = view(
      [
        [0.1, 2],
        [3, 4],
      ],
      [[1, 1]],
    );
    expect(isPanelView(v)).toBe(true);
    const input = v.tensors.find((t) => t.id === 'input');
    expect(input?.data).toBeInstanceOf(Float64Array);
    expect(input?.data?.[0]).toBe(0.1);
    const page = firstPage(v);
    expect(page.termX).toBeInstanceOf(Float64Array);
    expect(Array.from(page.termX)).toContain(0.1);
    // the kernel's values are all float32s: its own data narrows independently of the input's
    expect(v.tensors.find((t) => t.id === 'weight')?.data).toBeInstanceOf(Float32Array);
  });
});
