/**
 * What each command computes, as plain data: operands + parameters → engine requests → the PanelView the
 * panel draws. No vscode here, so every command's arithmetic is unit-tested without an editor.
 */
import { handleRequest, type Answer } from '../engine/requests';
import { toNested, type Nested, type Tensor } from '../engine/tensor';
import { formatNumber } from '../format';
import type { PanelView, TensorView, ViewKind } from '../protocol';
import type { KwValue } from './kwargs';
import { readConvOperands, readPoolOperands, squeezeTo } from './operands';

export type OperationKind = 'conv' | 'conv_transpose' | 'max_pool' | 'avg_pool' | 'im2col';

export interface OperationInput {
  readonly kind: OperationKind;
  readonly input: Tensor;
  /** required for conv, conv_transpose; optional for im2col (then kernel_size comes from the params) */
  readonly kernel?: Tensor;
  readonly params: Record<string, KwValue>;
  /** the text the user typed, shown back in the panel */
  readonly paramsText: string;
  /** true convolution unless the params say flip= */
  readonly flipByDefault: boolean;
  readonly precision: number;
  readonly canInsert: boolean;
  readonly limits?: { maxElements?: number };
  readonly traceSteps?: number;
}

export interface OperationResult {
  readonly view: PanelView;
  readonly answer: Answer;
  /** the output as the user's own rank (what "insert" writes back) */
  readonly output: Tensor | null;
  /** the trace request behind the view, for paging through more steps (see traceMore) */
  readonly traceRequest: Record<string, unknown> | null;
  /** the request `answer` answers (Verify in PyTorch runs it again) */
  readonly request?: Record<string, unknown>;
}

/** The next page of a view's steps: the same trace request from another start. */
export function traceMore(
  traceRequest: Record<string, unknown>,
  start: number,
  limits: { maxElements?: number } = {},
): unknown | null {
  const a = handleRequest({ ...traceRequest, start, count: 256 }, limits);
  return a.ok ? a.trace : null;
}

let nextId = 1;
export function newViewId(kind: string): string {
  return `${kind}-${Date.now().toString(36)}-${nextId++}`;
}

function nested(t: Tensor): Nested {
  return toNested(t);
}

function errorView(answer: Answer): PanelView['error'] {
  if (answer.ok) return null;
  return {
    message: answer.error,
    param: answer.param,
    rule: answer.rule,
    torch: answer.torch_error,
    why: answer.why,
    fix: answer.fix,
  };
}

function flattenNested(v: unknown, out: number[] = []): number[] {
  if (Array.isArray(v)) for (const x of v) flattenNested(x, out);
  else
    out.push(
      typeof v === 'number' ? v : v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : NaN,
    );
  return out;
}

function tensorFromAnswer(value: unknown, shape: readonly number[]): Tensor {
  return { shape: [...shape], data: Float64Array.from(flattenNested(value)) };
}

/** "height", "width"… for the formula line of spatial dim i of a rank-`rank` op. */
function dimLabel(rank: number, i: number): string {
  const names = rank === 1 ? ['width'] : rank === 2 ? ['height', 'width'] : ['depth', 'height', 'width'];
  return names[i] ?? `dim ${i}`;
}

function shapeText(shape: readonly number[]): string {
  return shape.length === 0 ? 'scalar' : shape.join('×');
}

/** Builds and answers the request for one operation, with its trace for the panel. */
export function runOperation(op: OperationInput): OperationResult {
  const notes: string[] = [];
  const request: Record<string, unknown> = {};
  let kind: ViewKind;
  let squeeze: number | null = null;
  const params = { ...op.params };
  switch (op.kind) {
    case 'conv':
    case 'conv_transpose': {
      if (!op.kernel) throw new Error('a kernel is needed');
      const read = readConvOperands(op.input, op.kernel);
      notes.push(...read.notes);
      squeeze = read.squeezeOutputTo;
      request.op = op.kind === 'conv' ? `conv${read.rank}d` : `conv_transpose${read.rank}d`;
      request.input = nested(read.input);
      request.weight = nested(read.weight);
      if (op.kind === 'conv') {
        const flip = typeof params.flip === 'boolean' ? params.flip : op.flipByDefault;
        request.flip = flip;
        delete params.flip;
        notes.push(
          flip
            ? 'true convolution: the kernel is flipped in every spatial dim, then slid'
            : 'cross-correlation, as PyTorch computes conv (no kernel flip)',
        );
      }
      // a bias keyword in the box is one number per output channel, or one number for every channel
      if (params.bias !== undefined && params.bias !== null && params.bias !== false) {
        const channels =
          read.weight.shape[op.kind === 'conv' ? 0 : 1] * (op.kind === 'conv' ? 1 : Number(params.groups ?? 1));
        const b = params.bias;
        request.bias = Array.isArray(b) ? b : new Array(channels).fill(Number(b));
      }
      delete params.bias;
      kind = op.kind;
      break;
    }
    case 'max_pool':
    case 'avg_pool': {
      const read = readPoolOperands(op.input, params.kernel_size);
      notes.push(...read.notes);
      squeeze = read.squeezeOutputTo;
      request.op = `${op.kind}${read.rank}d`;
      request.input = nested(read.input);
      if (op.kind === 'max_pool') request.return_indices = true;
      kind = op.kind;
      break;
    }
    case 'im2col': {
      let rank = 2;
      let input = op.input;
      if (op.kernel) {
        const read = readConvOperands(op.input, op.kernel);
        notes.push(...read.notes);
        rank = read.rank;
        input = read.input;
        request.weight = nested(read.weight);
        if (params.kernel_size === undefined) params.kernel_size = read.weight.shape.slice(2);
        const flip = typeof params.flip === 'boolean' ? params.flip : op.flipByDefault;
        if (flip) request.flip = true;
      } else {
        const read = readPoolOperands(op.input, params.kernel_size);
        notes.push(...read.notes);
        rank = read.rank;
        input = read.input;
      }
      delete params.flip;
      request.op = rank === 2 ? 'unfold' : `unfold${rank}d`;
      request.input = nested(input);
      kind = 'im2col';
      break;
    }
  }
  Object.assign(request, params);
  const limits = { maxElements: op.limits?.maxElements };
  // the im2col command's answer is the column matrix; its trace carries the GEMM
  const forwardRequest =
    op.kind === 'im2col'
      ? { ...request, weight: undefined, bias: undefined, flip: undefined, groups: undefined, padding_mode: undefined }
      : request;
  const answer = handleRequest(forwardRequest, limits);
  const summary: { label: string; value: string }[] = [];
  const tensors: TensorView[] = [];
  let output: Tensor | null = null;
  let trace: unknown = null;
  let traceRequest: Record<string, unknown> | null = null;
  if (answer.ok) {
    const shape = answer.shape as number[];
    const userShape = op.kind === 'im2col' ? shape : squeezeTo(shape, squeeze);
    output = tensorFromAnswer(answer.output, userShape);
    summary.push({ label: 'op', value: String(request.op) });
    summary.push({ label: 'input', value: shapeText(op.input.shape) });
    if (op.kernel) summary.push({ label: 'kernel', value: shapeText(op.kernel.shape) });
    summary.push({ label: 'output', value: shapeText(userShape) });
    tensors.push({
      name: op.kind === 'im2col' ? 'columns' : 'output',
      shape: userShape,
      values: nested(output) as TensorView['values'],
    });
    if (answer.indices !== undefined)
      tensors.push({
        name: 'indices',
        shape: userShape,
        values: nested(tensorFromAnswer(answer.indices, userShape)) as TensorView['values'],
      });
    traceRequest = { ...request, op: 'trace', of: request.op };
    delete traceRequest.return_indices;
    const traced = handleRequest({ ...traceRequest, count: op.traceSteps ?? 256 }, limits);
    if (traced.ok) {
      trace = traced.trace;
      const formula = (traced.trace as { formula?: string[] }).formula;
      if (formula) formula.forEach((f, i) => summary.push({ label: dimLabel(formula.length, i), value: f }));
    } else notes.push(`no step-by-step view: ${traced.error}`);
  }
  // the shift demonstration costs another conv and two pools and ships four more tensors: for inputs that the
  // panel draws as tables, where a person can follow it cell by cell
  const showEquivariance = op.kind === 'conv' && answer.ok && op.input.data.length <= EQUIVARIANCE_MAX_INPUT;
  if (op.kind === 'conv' && answer.ok && !showEquivariance) {
    notes.push(
      `the Equivariance tab is shown for inputs of up to ${EQUIVARIANCE_MAX_INPUT.toLocaleString('en-US')} numbers; this one has ${op.input.data.length.toLocaleString('en-US')}`,
    );
  }
  const view: PanelView = {
    id: newViewId(op.kind),
    kind,
    title: title(op.kind, String(request.op)),
    params: op.paramsText,
    summary,
    notes,
    tensors,
    error: errorView(answer),
    trace,
    canInsert: op.canInsert && answer.ok,
    precision: op.precision,
    equivariance: showEquivariance ? equivariance(request, answer, limits) : null,
  };
  return { view, answer, output, traceRequest, request: forwardRequest };
}

/** The backward pass of a conv of the given operands: dX, dW, db for grad_output (default ones). */
export function runBackward(op: Omit<OperationInput, 'kind'> & { readonly gradOutput?: Tensor }): OperationResult {
  if (!op.kernel) throw new Error('a kernel is needed');
  const read = readConvOperands(op.input, op.kernel);
  const params = { ...op.params };
  const flip = typeof params.flip === 'boolean' ? params.flip : op.flipByDefault;
  delete params.flip;
  const hasBias = params.bias !== undefined && params.bias !== null && params.bias !== false;
  delete params.bias;
  const forward: Record<string, unknown> = {
    op: `conv${read.rank}d`,
    input: nested(read.input),
    weight: nested(read.weight),
    flip,
    ...params,
  };
  if (hasBias) forward.bias = new Array(read.weight.shape[0]).fill(0);
  const limits = { maxElements: op.limits?.maxElements };
  const y = handleRequest(forward, limits);
  const notes = [...read.notes];
  let answer: Answer = y;
  let answered: Record<string, unknown> = forward;
  let traceRequest: Record<string, unknown> | null = null;
  let trace: unknown = null;
  const summary: { label: string; value: string }[] = [];
  const tensors: TensorView[] = [];
  if (y.ok) {
    const outShape = y.shape as number[];
    let gradOutput: Nested;
    if (op.gradOutput) {
      gradOutput = nested(
        op.gradOutput.data.length === outShape.reduce((a, b) => a * b, 1)
          ? { shape: outShape, data: op.gradOutput.data }
          : op.gradOutput,
      );
    } else {
      gradOutput = nested({ shape: outShape, data: new Float64Array(outShape.reduce((a, b) => a * b, 1)).fill(1) });
      notes.push('dY = ones (the gradient of output.sum()); select a third literal to give your own dY');
    }
    const backwardRequest = { ...forward, op: `conv${read.rank}d_backward`, grad_output: gradOutput };
    answer = handleRequest(backwardRequest, limits);
    answered = backwardRequest;
    if (answer.ok) {
      traceRequest = { ...backwardRequest, op: 'trace', of: backwardRequest.op };
      const traced = handleRequest({ ...traceRequest, count: op.traceSteps ?? 256 }, limits);
      if (traced.ok) trace = traced.trace;
      summary.push(
        { label: 'op', value: String(backwardRequest.op) },
        { label: 'input', value: shapeText(read.input.shape) },
        { label: 'kernel', value: shapeText(read.weight.shape) },
        { label: 'dY', value: shapeText(outShape) },
      );
      tensors.push({ name: 'grad_input', shape: read.input.shape, values: answer.grad_input as TensorView['values'] });
      tensors.push({
        name: 'grad_weight',
        shape: read.weight.shape,
        values: answer.grad_weight as TensorView['values'],
      });
    }
  }
  const view: PanelView = {
    id: newViewId('backward'),
    kind: 'backward',
    title: `Backward pass · conv${read.rank}d`,
    params: op.paramsText,
    summary,
    notes,
    tensors,
    error: errorView(answer),
    trace,
    canInsert: false,
    precision: op.precision,
    equivariance: null,
  };
  return { view, answer, output: null, traceRequest, request: answered };
}

function title(kind: OperationKind, op: string): string {
  switch (kind) {
    case 'conv':
      return `Convolution · ${op}`;
    case 'conv_transpose':
      return `Transposed convolution · ${op}`;
    case 'max_pool':
      return `Max pooling · ${op}`;
    case 'avg_pool':
      return `Average pooling · ${op}`;
    case 'im2col':
      return `im2col · ${op}`;
  }
}

export type ShapeOp = 'conv' | 'conv_transpose' | 'max_pool' | 'avg_pool';

/** Output shape from shapes alone: the formula with the numbers, or PyTorch's error and the fix. */
export function checkShape(
  op: ShapeOp,
  inputShape: readonly number[],
  weightShape: readonly number[] | null,
  params: Record<string, KwValue>,
  paramsText: string,
  precision: number,
): { view: PanelView; answer: Answer; request: Record<string, unknown> } {
  let rank: number;
  if (op === 'conv' || op === 'conv_transpose')
    rank = weightShape ? Math.max(1, Math.min(3, weightShape.length - 2)) : 2;
  else
    rank = Array.isArray(params.kernel_size)
      ? params.kernel_size.length
      : Math.max(1, Math.min(3, inputShape.length - 2));
  const of = `${op}${rank}d`;
  const request: Record<string, unknown> = { op: 'shape', of, input_shape: inputShape, ...params };
  if (weightShape) request.weight_shape = weightShape;
  delete request.flip;
  if (request.bias !== undefined) request.bias = request.bias === true || Array.isArray(request.bias);
  const answer = handleRequest(request);
  const summary: { label: string; value: string }[] = [
    { label: 'op', value: of },
    { label: 'input', value: shapeText(inputShape) },
  ];
  if (weightShape) summary.push({ label: 'weight', value: shapeText(weightShape) });
  if (answer.ok) {
    summary.push({ label: 'output', value: shapeText(answer.shape as number[]) });
    const formula = answer.formula as { text: string }[];
    formula.forEach((f, i) => summary.push({ label: dimLabel(formula.length, i), value: f.text }));
  }
  const view: PanelView = {
    id: newViewId('shape'),
    kind: 'shape',
    title: `Output shape · ${of}`,
    params: paramsText,
    summary,
    notes: [],
    tensors: [],
    error: errorView(answer),
    trace: null,
    canInsert: false,
    precision,
    equivariance: null,
  };
  return { view, answer, request };
}

export interface GradientCheckInput {
  readonly input: Tensor;
  readonly kernel: Tensor;
  readonly params: Record<string, KwValue>;
  readonly paramsText: string;
  readonly flipByDefault: boolean;
  /** the user's own gradient and which operand it is the gradient of */
  readonly userGradient?: { readonly of: 'input' | 'weight'; readonly tensor: Tensor };
  readonly gradOutput?: Tensor;
  readonly precision: number;
}

/** The gradcheck request for a conv of the given operands (runs in a worker: the host sends it there). */
export function gradientCheckRequest(g: GradientCheckInput): {
  request: Record<string, unknown>;
  notes: string[];
  rank: number;
} {
  const read = readConvOperands(g.input, g.kernel);
  const params = { ...g.params };
  const flip = typeof params.flip === 'boolean' ? params.flip : g.flipByDefault;
  delete params.flip;
  const request: Record<string, unknown> = {
    op: 'gradcheck',
    of: `conv${read.rank}d`,
    input: nested(read.input),
    weight: nested(read.weight),
    flip,
    ...params,
  };
  const notes = [...read.notes];
  if (g.userGradient) {
    // the user's gradient has the user's shape; give it the shape the operand was read as
    const target = g.userGradient.of === 'input' ? read.input : read.weight;
    const t = g.userGradient.tensor;
    const reshaped = t.data.length === target.data.length ? { shape: target.shape, data: t.data } : t;
    request[g.userGradient.of === 'input' ? 'grad_input' : 'grad_weight'] = nested(reshaped);
    if (g.gradOutput) {
      request.grad_output = nested(g.gradOutput);
    } else {
      notes.push('grad_output = ones: your gradient is compared with the gradient of output.sum()');
    }
  }
  return { request, notes, rank: read.rank };
}

export function gradientCheckView(g: GradientCheckInput, notes: readonly string[], answer: Answer): PanelView {
  const summary: { label: string; value: string }[] = [];
  if (answer.ok) {
    summary.push({ label: 'result', value: answer.passed ? 'passed' : 'FAILED' });
    summary.push({
      label: 'mode',
      value: `${answer.mode} (eps ${answer.eps}, atol ${answer.atol}, rtol ${answer.rtol})`,
    });
    for (const c of answer.checks as {
      input: string;
      passed: boolean;
      compared: number;
      mismatches: number;
      max_difference: number;
    }[]) {
      summary.push({
        label: `∂/∂${c.input}`,
        value: `${c.passed ? 'ok' : 'mismatch'}: ${c.mismatches} of ${c.compared} differ, max |analytic − numeric| = ${formatNumber(Number(c.max_difference), 3)}`,
      });
    }
    for (const u of (answer.user_gradients as
      { name: string; passed: boolean; mismatches: number; compared: number }[] | undefined) ?? []) {
      summary.push({
        label: `your ${u.name}`,
        value: u.passed ? `correct (${u.compared} elements)` : `${u.mismatches} of ${u.compared} elements wrong`,
      });
    }
  }
  return {
    id: newViewId('gradcheck'),
    kind: 'gradcheck',
    title: 'Gradient check',
    params: g.paramsText,
    summary,
    notes: [...notes],
    tensors: [],
    error: errorView(answer),
    trace: answer.ok
      ? {
          kind: 'gradcheck',
          checks: answer.checks,
          user_gradients: answer.user_gradients ?? [],
          message: answer.message,
        }
      : null,
    canInsert: false,
    precision: g.precision,
    equivariance: null,
  };
}

/**
 * The same conv, and a 2×2 max pool, on the input shifted one cell along its last dim (x'[…, j] = x[…, j − 1],
 * zero in front). A conv with stride 1 gives the shifted output wherever its window stays clear of the
 * edges; a pool with stride 2 mostly changes. `a` is the conv's own answer.
 */
const EQUIVARIANCE_MAX_INPUT = 4096;

function equivariance(
  request: Record<string, unknown>,
  a: Answer,
  limits: { maxElements?: number },
): PanelView['equivariance'] {
  const shiftLast = (v: unknown): unknown =>
    Array.isArray(v) && Array.isArray(v[0]) ? v.map(shiftLast) : Array.isArray(v) ? [0, ...v.slice(0, -1)] : v;
  const shifted = shiftLast(request.input);
  const b = handleRequest({ ...request, input: shifted }, limits);
  const rank = Number(String(request.op).match(/(\d)d$/)?.[1] ?? 2);
  const poolRequest = (input: unknown) => ({
    op: `max_pool${rank}d`,
    input,
    kernel_size: 2,
    stride: 2,
    ceil_mode: true,
  });
  const p = handleRequest(poolRequest(request.input), limits);
  const q = handleRequest(poolRequest(shifted), limits);
  if (!a.ok || !b.ok || !p.ok || !q.ok) return null;
  const rows = (v: unknown): number[][] => {
    const out: number[][] = [];
    const walk = (x: unknown) => {
      if (Array.isArray(x) && !Array.isArray(x[0])) out.push(x.map(Number));
      else if (Array.isArray(x)) x.forEach(walk);
    };
    walk(v);
    return out;
  };
  const ya = rows(a.output);
  const yb = rows(b.output);
  let convMatches = 0;
  let convCompared = 0;
  ya.forEach((row, i) =>
    row.forEach((v, j) => {
      if (j === 0) return;
      convCompared++;
      if (Math.abs(yb[i][j] - row[j - 1]) <= 1e-9 * (1 + Math.abs(v))) convMatches++;
    }),
  );
  const pa = rows(p.output).flat();
  const pb = rows(q.output).flat();
  const poolUnchanged = pa.filter((v, i) => v === pb[i]).length;
  return {
    input: request.input as Nested,
    shiftedInput: shifted as Nested,
    output: a.output as Nested,
    shiftedOutput: b.output as Nested,
    pooled: p.output as Nested,
    shiftedPooled: q.output as Nested,
    convMatches,
    convCompared,
    poolUnchanged,
    poolCompared: pa.length,
  };
}
