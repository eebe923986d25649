/**
 * The engine's JSON face: one request object in (fields named as in `torch.nn.functional`), one answer
 * object out. The CLI speaks it line by line; the extension host and its tests call it directly.
 * Nothing here throws: a malformed or refused request becomes `{ ok: false, error, param, rule }`.
 */
import {
  ANSWER_BYTES_PER_NUMBER,
  DEFAULT_LIMITS,
  checkBudget,
  describeWork,
  overBudget,
  convPassCost,
  convTransposePassCost,
  estimateConv,
  estimateConvBackward,
  estimateConvTranspose,
  estimateFold,
  estimateGradcheck,
  estimatePool,
  estimatePoolBackward,
  estimateTraceConv,
  estimateTraceConvBackward,
  estimateTraceConvTranspose,
  estimateTraceIm2col,
  estimateTracePool,
  estimateUnfold,
  limitsFrom,
  poolPassCost,
  convBackwardTraceTerms,
  convTraceTerms,
  convTransposeTraceTerms,
  poolTraceTerms,
  type EngineLimits,
  type Estimate,
  type PassCost,
  type TraceTerms,
} from './budget';
import { CONV_ALGORITHMS, conv, convBackward, convTranspose, type ConvAlgorithm } from './conv';
import { convFunction, convTransposeFunction, avgPoolFunction, maxPoolFunction } from './differentiable';
import { EngineError, fail } from './errors';
import {
  convGeometry,
  convTransposeGeometry,
  foldGeometry,
  poolGeometry,
  unfoldGeometry,
  type DimFormula,
  type PoolKind,
  type SpatialRank,
} from './geometry';
import {
  CancelledError,
  compareUserGradient,
  gradcheck,
  type Differentiable,
  type UserGradientReport,
} from './gradcheck';
import { avgPool, avgPoolBackward, maxPool, maxPoolBackward, readAvgPoolOptions, type AvgPoolOptions } from './pool';
import {
  DEFAULT_MAX_ELEMENTS,
  MAX_RANK,
  checkElementCount,
  describe,
  formatShape,
  fromNested,
  quote,
  show,
  sizeOf,
  toNested,
  type Nested,
  type Tensor,
} from './tensor';
import {
  DEFAULT_TRACE_STEPS,
  backwardTraceAnswer,
  convTraceAnswer,
  im2colTraceAnswer,
  poolTraceAnswer,
  transposeTraceAnswer,
} from './traceAnswers';
import { fold, unfold } from './unfold';

/** The budget (see budget.ts; any limit left out takes its default) and a progress callback. */
export interface RequestLimits extends Partial<EngineLimits> {
  /** gradcheck progress; return false to cancel */
  readonly onProgress?: (fraction: number) => boolean | void;
  /**
   * Reads a tensor given as something other than a nested list — the CLI's `{"file": "weights.pt", "name":
   * "conv1.weight"}` — or returns null for a value it does not know. Throws an EngineError naming `key`.
   */
  readonly resolveTensor?: (value: unknown, key: string, maxElements: number) => Tensor | null;
}

export const DEFAULT_MAX_WORK = DEFAULT_LIMITS.maxWork;

export type Answer = { readonly ok: true; readonly [key: string]: unknown } | ErrorAnswer;

export interface ErrorAnswer {
  readonly ok: false;
  readonly error: string;
  readonly param?: string;
  readonly rule?: string;
  readonly torch_error?: string;
  readonly why?: string;
  readonly fix?: string;
  readonly id?: unknown;
  /** where a text (the parse op's literal) went wrong: 0-based line and column, and the offset */
  readonly line?: number;
  readonly column?: number;
  readonly offset?: number;
}

type Fields = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------------
// Op table: which fields each op takes. Unknown fields are refused (a typo such as "strides" would
// otherwise be silently ignored and the answer would be for different parameters).

const CONV_FIELDS = [
  'input',
  'weight',
  'bias',
  'stride',
  'padding',
  'dilation',
  'groups',
  'padding_mode',
  'flip',
  'algorithm',
];
const CONV_T_FIELDS = ['input', 'weight', 'bias', 'stride', 'padding', 'output_padding', 'dilation', 'groups'];
const MAX_POOL_FIELDS = ['input', 'kernel_size', 'stride', 'padding', 'dilation', 'ceil_mode', 'return_indices'];
const AVG_POOL_FIELDS = [
  'input',
  'kernel_size',
  'stride',
  'padding',
  'ceil_mode',
  'count_include_pad',
  'divisor_override',
];
const UNFOLD_FIELDS = ['input', 'kernel_size', 'dilation', 'padding', 'stride'];
const FOLD_FIELDS = ['input', 'output_size', 'kernel_size', 'dilation', 'padding', 'stride'];
const GRADCHECK_FIELDS = [
  'of',
  'wrt',
  'fast_mode',
  'eps',
  'atol',
  'rtol',
  'seed',
  'grad_output',
  'grad_input',
  'grad_weight',
  'grad_bias',
];
const TRACE_FIELDS = ['of', 'start', 'count', 'batch', 'grad_output'];
const COMMON_FIELDS = ['op', 'id'];

type OpFamily =
  | { kind: 'conv'; rank: SpatialRank }
  | { kind: 'conv_transpose'; rank: SpatialRank }
  | { kind: 'pool'; pool: PoolKind; rank: SpatialRank }
  | { kind: 'unfold'; rank: SpatialRank }
  | { kind: 'fold' };

export const OPS: readonly string[] = [
  ...[1, 2, 3].flatMap((r) => [
    `conv${r}d`,
    `conv_transpose${r}d`,
    `max_pool${r}d`,
    `avg_pool${r}d`,
    `conv${r}d_backward`,
    `max_pool${r}d_backward`,
    `avg_pool${r}d_backward`,
  ]),
  'unfold',
  'unfold1d',
  'unfold3d',
  'fold',
  'gradcheck',
  'shape',
  'trace',
];

function family(op: string, field = 'op'): OpFamily {
  let m = /^conv([123])d$/.exec(op);
  if (m) return { kind: 'conv', rank: Number(m[1]) as SpatialRank };
  m = /^conv_transpose([123])d$/.exec(op);
  if (m) return { kind: 'conv_transpose', rank: Number(m[1]) as SpatialRank };
  m = /^(max|avg)_pool([123])d$/.exec(op);
  if (m) return { kind: 'pool', pool: m[1] as PoolKind, rank: Number(m[2]) as SpatialRank };
  if (op === 'unfold') return { kind: 'unfold', rank: 2 };
  m = /^unfold([13])d$/.exec(op);
  if (m) return { kind: 'unfold', rank: Number(m[1]) as SpatialRank };
  if (op === 'fold') return { kind: 'fold' };
  return fail(field, 'unknown_op', `unknown ${field} ${quote(op)}${suggest(op, OPS)}; the ops are ${OPS.join(', ')}`);
}

function fieldsOf(f: OpFamily): string[] {
  switch (f.kind) {
    case 'conv':
      return CONV_FIELDS;
    case 'conv_transpose':
      return CONV_T_FIELDS;
    case 'pool':
      return f.pool === 'max' ? MAX_POOL_FIELDS : AVG_POOL_FIELDS.filter((k) => f.rank > 1 || k !== 'divisor_override');
    case 'unfold':
      return UNFOLD_FIELDS;
    case 'fold':
      return FOLD_FIELDS;
  }
}

function suggest(word: string, options: readonly string[]): string {
  // the edit distance costs |word| × |option|: a word far longer than every option is no typo of one
  if (word.length > 2 * Math.max(...options.map((o) => o.length)) + 2) return '';
  let best = '';
  let bestDistance = Infinity;
  for (const o of options) {
    const d = editDistance(word.toLowerCase(), o);
    if (d < bestDistance) {
      bestDistance = d;
      best = o;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? ` (did you mean ${JSON.stringify(best)}?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = next;
    }
  }
  return row[b.length];
}

function checkFields(req: Fields, allowed: readonly string[], op: string): void {
  for (const key of Object.keys(req)) {
    // a null is "not given", so {"divisor_override": null} is fine even where the field does not exist
    if (req[key] != null && !allowed.includes(key) && !COMMON_FIELDS.includes(key)) {
      fail(
        key,
        'unknown_field',
        `${op} has no field ${quote(key)}${suggest(key, allowed)}; its fields are ${allowed.join(', ')}`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Field readers

function bool(req: Fields, key: string, fallback: boolean): boolean {
  const v = req[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') fail(key, 'type', `${key} must be true or false, got ${describe(v)}`);
  return v;
}

function num(req: Fields, key: string): number | undefined {
  const v = req[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v))
    fail(key, 'type', `${key} must be a finite number, got ${describe(v)}`);
  return v;
}

function tensorField(req: Fields, key: string, limits: RequestLimits, required = true): Tensor | null {
  const v = req[key];
  if (v === undefined || v === null) {
    if (required) fail(key, 'missing_field', `${String(req.op)} needs ${key} (a nested list of numbers)`);
    return null;
  }
  if (!Array.isArray(v)) {
    const resolved = limits.resolveTensor?.(v, key, limits.maxElements ?? DEFAULT_MAX_ELEMENTS);
    if (resolved) return resolved;
    fail(key, 'type', `${key} must be a nested list of numbers, got ${describe(v)}`);
  }
  return fromNested(v, key, limits.maxElements ?? DEFAULT_MAX_ELEMENTS);
}

function shapeField(req: Fields, key: string): number[] {
  const v = req[key];
  if (v === undefined || v === null) fail(key, 'missing_field', `shape needs ${key}, e.g. [1, 3, 224, 224]`);
  if (typeof v === 'string') return parseShape(v, key);
  if (!Array.isArray(v) || !v.every((d) => Number.isInteger(d) && d >= 0)) {
    fail(
      key,
      'type',
      `${key} must be a list of non-negative integers such as [1, 3, 224, 224] (or "1x3x224x224"), got ${describe(v)}`,
    );
  }
  return v as number[];
}

/** "1x3x224x224", "1×3×224×224", "[1, 3, 224, 224]" or "(1, 3, 224, 224)". */
export function parseShape(text: string, key = 'shape'): number[] {
  const parts = text
    .trim()
    .replace(/^[[(]|[\])]$/g, '')
    .split(/\s*[x×,*]\s*|\s+/)
    .filter((p) => p !== '');
  if (parts.length === 0 || !parts.every((p) => /^\d+$/.test(p))) {
    fail(key, 'type', `${key} must look like 1x3x224x224, got ${quote(text)}`);
  }
  return parts.map(Number);
}

function out(t: Tensor): Nested {
  return toNested(t);
}

// ---------------------------------------------------------------------------------------------------------
// Building geometries from a request (values or shapes)

function convGeom(
  req: Fields,
  rank: SpatialRank,
  inputShape: readonly number[],
  weightShape: readonly number[],
  biasShape: readonly number[] | null,
) {
  return convGeometry({
    rank,
    inputShape,
    weightShape,
    biasShape,
    stride: req.stride,
    padding: req.padding,
    dilation: req.dilation,
    groups: req.groups,
    paddingMode: req.padding_mode,
  });
}

function convTGeom(
  req: Fields,
  rank: SpatialRank,
  inputShape: readonly number[],
  weightShape: readonly number[],
  biasShape: readonly number[] | null,
) {
  return convTransposeGeometry({
    rank,
    inputShape,
    weightShape,
    biasShape,
    stride: req.stride,
    padding: req.padding,
    outputPadding: req.output_padding,
    dilation: req.dilation,
    groups: req.groups,
  });
}

function poolGeom(req: Fields, kind: PoolKind, rank: SpatialRank, inputShape: readonly number[]) {
  return poolGeometry({
    kind,
    rank,
    inputShape,
    kernelSize: req.kernel_size,
    stride: req.stride,
    padding: req.padding,
    dilation: req.dilation,
    ceilMode: req.ceil_mode,
  });
}

function avgOptions(req: Fields): AvgPoolOptions {
  return readAvgPoolOptions(req.count_include_pad, req.divisor_override);
}

function algorithm(req: Fields): ConvAlgorithm {
  const a = req.algorithm ?? 'auto';
  if (typeof a !== 'string' || !(CONV_ALGORITHMS as readonly string[]).includes(a)) {
    fail('algorithm', 'type', `algorithm must be one of ${CONV_ALGORITHMS.join(', ')}, got ${describe(a)}`);
  }
  return a as ConvAlgorithm;
}

interface Operands {
  readonly input: Tensor;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
}

function operands(req: Fields, f: OpFamily, limits: RequestLimits): Operands {
  const input = tensorField(req, 'input', limits) as Tensor;
  const hasWeight = f.kind === 'conv' || f.kind === 'conv_transpose';
  const weight = hasWeight ? tensorField(req, 'weight', limits) : null;
  const bias = hasWeight ? tensorField(req, 'bias', limits, false) : null;
  return { input, weight, bias };
}

// ---------------------------------------------------------------------------------------------------------
// The budget of a request, from its shapes alone (no tensor is read): checked before anything is built

/** A nested list's shape from its first elements (as fromNested reads it), or null when it is not a list. */
function probeShape(v: unknown): number[] | null {
  if (!Array.isArray(v)) return null;
  const shape: number[] = [];
  let p: unknown = v;
  while (Array.isArray(p)) {
    if (shape.length >= MAX_RANK) return null;
    shape.push(p.length);
    if (p.length === 0) break;
    p = p[0];
  }
  return shape;
}

function shapes(req: Fields, f: OpFamily): { input: number[]; weight: number[] | null; bias: number[] | null } | null {
  const input = probeShape(req.input);
  if (!input) return null;
  if (f.kind !== 'conv' && f.kind !== 'conv_transpose') return { input, weight: null, bias: null };
  const weight = probeShape(req.weight);
  if (!weight) return null;
  return { input, weight, bias: req.bias === undefined || req.bias === null ? null : probeShape(req.bias) };
}

/**
 * A JSON request costs more than its op: every number of its tensors is read from the request's nested lists,
 * and every number of the answer is built into nested lists and written out. Each counts as this much work
 * (in plain-loop multiply-adds, as the budget counts; measured with test/limits/calibrate.ts).
 */
const JSON_WORK_PER_NUMBER = 40;
/** The request's own tensors as nested lists and as typed arrays (its line's text is the caller's). */
const REQUEST_BYTES_PER_NUMBER = 16;

/** Adds reading the request's tensors and the JSON answer (nested arrays, then text) of `numbers` numbers. */
function withAnswer(e: Estimate, numbers: number, req?: Fields): Estimate {
  let inputs = 0;
  if (req) {
    for (const key of ['input', 'weight', 'bias', 'grad_output', 'grad_input', 'grad_weight', 'grad_bias']) {
      const shape = probeShape(req[key]);
      if (shape) inputs += sizeOf(shape);
    }
  }
  const answerBytes = e.answerBytes + ANSWER_BYTES_PER_NUMBER * numbers;
  const work = e.work + JSON_WORK_PER_NUMBER * (numbers + inputs);
  return {
    ...e,
    answerBytes,
    work,
    millis: (e.millis * work) / Math.max(1, e.work),
    peakBytes: e.peakBytes - e.answerBytes + answerBytes + 8 * numbers + REQUEST_BYTES_PER_NUMBER * inputs,
  };
}

function forwardEstimate(req: Fields, f: OpFamily, limits: EngineLimits): Estimate | null {
  const sh = shapes(req, f);
  if (!sh) return null;
  switch (f.kind) {
    case 'conv': {
      const g = convGeom(req, f.rank, sh.input, sh.weight as number[], sh.bias);
      const e = estimateConv(g, { algorithm: algorithm(req), flip: req.flip === true }, limits);
      return withAnswer(e, sizeOf(g.outputShape), req);
    }
    case 'conv_transpose': {
      const g = convTGeom(req, f.rank, sh.input, sh.weight as number[], sh.bias);
      return withAnswer(estimateConvTranspose(g), sizeOf(g.outputShape), req);
    }
    case 'pool': {
      const g = poolGeom(req, f.pool, f.rank, sh.input);
      return withAnswer(estimatePool(g), (req.return_indices === true ? 2 : 1) * sizeOf(g.outputShape), req);
    }
    case 'unfold': {
      const g = unfoldGeom(req, f.rank, sh.input);
      return withAnswer(estimateUnfold(g), sizeOf(g.outputShape), req);
    }
    case 'fold': {
      const g = foldGeom(req, sh.input);
      return withAnswer(estimateFold(g), sizeOf(g.outputShape), req);
    }
  }
}

function backwardEstimate(req: Fields, f: OpFamily): Estimate | null {
  const sh = shapes(req, f);
  if (!sh) return null;
  if (f.kind === 'conv') {
    const g = convGeom(req, f.rank, sh.input, sh.weight as number[], sh.bias);
    const e = estimateConvBackward(g, { flip: req.flip === true });
    return withAnswer(e, sizeOf(g.inputShape) + sizeOf(g.weightShape) + (g.hasBias ? g.outChannels : 0), req);
  }
  if (f.kind === 'pool') {
    const g = poolGeom(req, f.pool, f.rank, sh.input);
    return withAnswer(estimatePoolBackward(g), sizeOf(g.inputShape), req);
  }
  return null;
}

function gradcheckEstimate(req: Fields, limits: EngineLimits): Estimate | null {
  if (typeof req.of !== 'string') return null;
  const f = family(req.of, 'of');
  const sh = shapes(req, f);
  if (!sh) return null;
  let cost: PassCost;
  let inputSizes: number[];
  let outputSize: number;
  let names: string[];
  switch (f.kind) {
    case 'conv': {
      const g = convGeom(req, f.rank, sh.input, sh.weight as number[], sh.bias);
      cost = convPassCost(g, req.flip === true, limits);
      inputSizes = [sizeOf(g.inputShape), sizeOf(g.weightShape), ...(g.hasBias ? [g.outChannels] : [])];
      outputSize = sizeOf(g.outputShape);
      names = ['input', 'weight', 'bias'];
      break;
    }
    case 'conv_transpose': {
      const g = convTGeom(req, f.rank, sh.input, sh.weight as number[], sh.bias);
      cost = convTransposePassCost(g);
      inputSizes = [sizeOf(g.inputShape), sizeOf(g.weightShape), ...(g.hasBias ? [g.outChannels] : [])];
      outputSize = sizeOf(g.outputShape);
      names = ['input', 'weight', 'bias'];
      break;
    }
    case 'pool': {
      const g = poolGeom(req, f.pool, f.rank, sh.input);
      cost = poolPassCost(g);
      inputSizes = [sizeOf(g.inputShape)];
      outputSize = sizeOf(g.outputShape);
      names = ['input'];
      break;
    }
    default:
      return null;
  }
  const asked = req.wrt === undefined || req.wrt === null ? null : Array.isArray(req.wrt) ? req.wrt : [req.wrt];
  const wrt = inputSizes.map((_, i) => i).filter((i) => asked === null || asked.includes(names[i]));
  const fastMode = req.fast_mode === true;
  const e = estimateGradcheck({ op: req.of, inputSizes, outputSize, wrt, fastMode }, cost);
  // the answer: per checked input element its largest difference and whether it failed (full mode)
  const perElement = fastMode ? 0 : wrt.reduce((a, i) => a + 2 * inputSizes[i], 0);
  return withAnswer(e, perElement + 200, req);
}

function traceCount(req: Fields, terms: TraceTerms, limits: EngineLimits): number {
  const count = typeof req.count === 'number' ? req.count : DEFAULT_TRACE_STEPS;
  const start = typeof req.start === 'number' ? req.start : 0;
  const fit = Math.floor(limits.maxTraceTerms / Math.max(1, terms.termsPerStep));
  return Math.max(0, Math.min(count, terms.total - start, Math.max(1, fit)));
}

function traceEstimate(req: Fields, limits: EngineLimits): Estimate | null {
  if (typeof req.of !== 'string') return null;
  const isBackward = req.of.endsWith('_backward');
  const f = family(isBackward ? req.of.slice(0, -'_backward'.length) : req.of, 'of');
  const sh = shapes(req, f);
  if (!sh) return null;
  switch (f.kind) {
    case 'conv': {
      const g = convGeom(req, f.rank, sh.input, sh.weight as number[], sh.bias);
      if (isBackward) {
        const t = convBackwardTraceTerms(g);
        const half = { ...limits, maxTraceTerms: limits.maxTraceTerms / 2 };
        return withAnswer(
          estimateTraceConvBackward(g, traceCount(req, t.gradInput, half), traceCount(req, t.gradWeight, half), {
            flip: req.flip === true,
          }),
          0,
          req,
        );
      }
      return withAnswer(
        estimateTraceConv(g, traceCount(req, convTraceTerms(g), limits), { flip: req.flip === true }, limits),
        0,
        req,
      );
    }
    case 'conv_transpose': {
      const g = convTGeom(req, f.rank, sh.input, sh.weight as number[], sh.bias);
      return withAnswer(estimateTraceConvTranspose(g, traceCount(req, convTransposeTraceTerms(g), limits)), 0, req);
    }
    case 'pool': {
      const g = poolGeom(req, f.pool, f.rank, sh.input);
      return withAnswer(estimateTracePool(g, traceCount(req, poolTraceTerms(g), limits)), 0, req);
    }
    case 'unfold': {
      const g = unfoldGeom(req, f.rank, sh.input);
      const w = probeShape(req.weight);
      const cg = w
        ? convGeometry({
            rank: f.rank,
            inputShape: sh.input,
            weightShape: w,
            biasShape: req.bias === undefined || req.bias === null ? null : probeShape(req.bias),
            stride: req.stride,
            padding: req.padding,
            dilation: req.dilation,
            groups: req.groups,
          })
        : undefined;
      return withAnswer(estimateTraceIm2col(g, cg, limits), 0, req);
    }
    default:
      return null;
  }
}

/**
 * The estimate of a JSON request from its shapes alone, no tensor read: what the CLI and the extension host
 * use to decide where to run it (inline when `isTiny`, else in a worker) and to refuse it early. Null when
 * the request is malformed or refused by PyTorch's rules: answering it costs nothing, it is refused at once.
 */
export function estimateRequest(request: unknown, given: RequestLimits = {}): Estimate | null {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) return null;
  const req = request as Fields;
  const op = req.op;
  if (typeof op !== 'string') return null;
  const limits = limitsFrom(given);
  try {
    if (op === 'shape') return null;
    if (op === 'gradcheck') return gradcheckEstimate(req, limits);
    if (op === 'trace') return traceEstimate(req, limits);
    if (op.endsWith('_backward')) return backwardEstimate(req, family(op.slice(0, -'_backward'.length)));
    return forwardEstimate(req, family(op), limits);
  } catch (e) {
    if (e instanceof EngineError) return null;
    throw e;
  }
}

const TENSOR_FIELDS = ['input', 'weight', 'bias', 'grad_output', 'grad_input', 'grad_weight', 'grad_bias'];

/** The way out a refusal suggests for this request, when there is a cheaper one that fits. */
function adviceFor(req: Fields, limits: RequestLimits, all: EngineLimits): string | undefined {
  if (req.op === 'gradcheck' && req.fast_mode !== true) {
    const fast = estimateRequest({ ...req, fast_mode: true }, limits);
    return fast && overBudget(fast, all) === null
      ? `use fast_mode=true (it would cost ${describeWork(fast)})`
      : undefined;
  }
  if (typeof req.op === 'string' && /^conv[123]d$/.test(req.op) && req.algorithm && req.algorithm !== 'auto') {
    const auto = estimateRequest({ ...req, algorithm: 'auto' }, limits);
    if (auto && overBudget(auto, all) === null)
      return `use algorithm 'auto' (it would run ${auto.algorithm === 'direct' ? 'direct loops' : auto.algorithm}: ${describeWork(auto)})`;
  }
  return undefined;
}

/**
 * Refuses a request over the budget before its tensors are read: a tensor over the element limit as fromNested
 * would, then the estimate (a malformed request is left to the op, which refuses it as it reads it).
 */
function checkRequestBudget(req: Fields, limits: RequestLimits): void {
  const all = limitsFrom(limits);
  const maxElements = req.op === 'trace' ? Math.min(all.maxElements, 1 << 20) : all.maxElements;
  for (const key of TENSOR_FIELDS) {
    const shape = probeShape(req[key]);
    if (shape) checkElementCount(shape, key, maxElements);
  }
  const e = estimateRequest(req, limits);
  if (e && overBudget(e, all) !== null) checkBudget(e, all, adviceFor(req, limits, all));
}

// ---------------------------------------------------------------------------------------------------------
// Ops

function unfoldGeom(req: Fields, rank: SpatialRank, inputShape: readonly number[]) {
  return unfoldGeometry({
    rank,
    inputShape,
    kernelSize: req.kernel_size,
    stride: req.stride,
    padding: req.padding,
    dilation: req.dilation,
  });
}

function foldGeom(req: Fields, inputShape: readonly number[]) {
  return foldGeometry({
    inputShape,
    outputSize: req.output_size,
    kernelSize: req.kernel_size,
    stride: req.stride,
    padding: req.padding,
    dilation: req.dilation,
  });
}

function forward(req: Fields, f: OpFamily, limits: RequestLimits): Answer {
  const { input, weight, bias } = operands(req, f, limits);
  switch (f.kind) {
    case 'conv': {
      const g = convGeom(req, f.rank, input.shape, (weight as Tensor).shape, bias ? bias.shape : null);
      const alg = algorithm(req);
      const y = conv(g, input, weight as Tensor, bias, { flip: bool(req, 'flip', false), algorithm: alg, limits });
      return { ok: true, output: out(y), shape: y.shape, dtype: alg === 'wasm_f32' ? 'float32' : 'float64' };
    }
    case 'conv_transpose': {
      const g = convTGeom(req, f.rank, input.shape, (weight as Tensor).shape, bias ? bias.shape : null);
      const y = convTranspose(g, input, weight as Tensor, bias, limits);
      return { ok: true, output: out(y), shape: y.shape };
    }
    case 'pool': {
      const g = poolGeom(req, f.pool, f.rank, input.shape);
      if (f.pool === 'max') {
        const r = maxPool(g, input, limits);
        return bool(req, 'return_indices', false)
          ? { ok: true, output: out(r.output), shape: r.output.shape, indices: out(r.indices) }
          : { ok: true, output: out(r.output), shape: r.output.shape };
      }
      const y = avgPool(g, input, avgOptions(req), limits);
      return { ok: true, output: out(y), shape: y.shape };
    }
    case 'unfold': {
      const y = unfold(unfoldGeom(req, f.rank, input.shape), input, limits);
      return { ok: true, output: out(y), shape: y.shape };
    }
    case 'fold': {
      const y = fold(foldGeom(req, input.shape), input, limits);
      return { ok: true, output: out(y), shape: y.shape };
    }
  }
}

function backward(req: Fields, f: OpFamily, limits: RequestLimits): Answer {
  const { input, weight, bias } = operands(req, f, limits);
  const gradOutput = tensorField(req, 'grad_output', limits) as Tensor;
  if (f.kind === 'conv') {
    const g = convGeom(req, f.rank, input.shape, (weight as Tensor).shape, bias ? bias.shape : null);
    const r = convBackward(g, input, weight as Tensor, gradOutput, { flip: bool(req, 'flip', false), limits });
    return {
      ok: true,
      grad_input: out(r.gradInput),
      grad_weight: out(r.gradWeight),
      grad_bias: r.gradBias ? out(r.gradBias) : null,
      shape: g.outputShape,
    };
  }
  if (f.kind === 'pool') {
    const g = poolGeom(req, f.pool, f.rank, input.shape);
    const gi =
      f.pool === 'max'
        ? maxPoolBackward(g, input, gradOutput, limits)
        : avgPoolBackward(g, gradOutput, avgOptions(req), limits);
    return { ok: true, grad_input: out(gi), shape: g.outputShape };
  }
  return fail('op', 'unknown_op', 'backward exists for conv1d/2d/3d and the pooling ops');
}

function formulaAnswer(formula: readonly DimFormula[]) {
  return formula.map((d) => ({
    dim: d.dim,
    input: d.input,
    pad_before: d.padBefore,
    pad_after: d.padAfter,
    kernel: d.kernel,
    dilation: d.dilation,
    stride: d.stride,
    effective_kernel: d.effectiveKernel,
    output: d.output,
    text: d.text,
  }));
}

function shapeOnly(req: Fields): Answer {
  const of = req.of;
  if (typeof of !== 'string') fail('of', 'missing_field', `shape needs "of": the op to check, e.g. "conv2d"`);
  const f = family(of, 'of');
  // the op's own fields are accepted as they are (flip, return_indices… do not change the shape)
  const allowed = [
    'of',
    'input_shape',
    'weight_shape',
    'bias',
    ...fieldsOf(f).filter((k) => k !== 'input' && k !== 'weight'),
  ];
  checkFields(req, allowed, 'shape');
  const inputShape = shapeField(req, 'input_shape');
  const withBias = req.bias === true || Array.isArray(req.bias);
  switch (f.kind) {
    case 'conv': {
      const weightShape = shapeField(req, 'weight_shape');
      const g = convGeom(req, f.rank, inputShape, weightShape, withBias ? [weightShape[0]] : null);
      return {
        ok: true,
        shape: g.outputShape,
        formula: formulaAnswer(g.formula),
        pad_before: g.padBefore,
        pad_after: g.padAfter,
      };
    }
    case 'conv_transpose': {
      const weightShape = shapeField(req, 'weight_shape');
      const g = convTGeom(req, f.rank, inputShape, weightShape, null);
      return { ok: true, shape: g.outputShape, formula: formulaAnswer(g.formula) };
    }
    case 'pool': {
      const g = poolGeom(req, f.pool, f.rank, inputShape);
      return { ok: true, shape: g.outputShape, formula: formulaAnswer(g.formula) };
    }
    case 'unfold': {
      const g = unfoldGeometry({
        rank: f.rank,
        inputShape,
        kernelSize: req.kernel_size,
        stride: req.stride,
        padding: req.padding,
        dilation: req.dilation,
      });
      return { ok: true, shape: g.outputShape, formula: formulaAnswer(g.formula) };
    }
    case 'fold': {
      const g = foldGeometry({
        inputShape,
        outputSize: req.output_size,
        kernelSize: req.kernel_size,
        stride: req.stride,
        padding: req.padding,
        dilation: req.dilation,
      });
      return { ok: true, shape: g.outputShape, formula: formulaAnswer(g.formula) };
    }
  }
}

function differentiable(req: Fields, f: OpFamily, o: Operands, limits: RequestLimits): Differentiable {
  switch (f.kind) {
    case 'conv': {
      const g = convGeom(req, f.rank, o.input.shape, (o.weight as Tensor).shape, o.bias ? o.bias.shape : null);
      return convFunction(g, o.input, o.weight as Tensor, o.bias, { flip: bool(req, 'flip', false), limits });
    }
    case 'conv_transpose': {
      const g = convTGeom(req, f.rank, o.input.shape, (o.weight as Tensor).shape, o.bias ? o.bias.shape : null);
      return convTransposeFunction(g, o.input, o.weight as Tensor, o.bias, limits);
    }
    case 'pool': {
      const g = poolGeom(req, f.pool, f.rank, o.input.shape);
      return f.pool === 'max'
        ? maxPoolFunction(g, o.input, limits)
        : avgPoolFunction(g, o.input, avgOptions(req), limits);
    }
    default:
      return fail('of', 'unknown_op', 'gradcheck works on conv, conv_transpose and pooling ops');
  }
}

function gradcheckRequest(req: Fields, limits: RequestLimits): Answer {
  const of = req.of;
  if (typeof of !== 'string') fail('of', 'missing_field', 'gradcheck needs "of": the op to check, e.g. "conv2d"');
  const f = family(of, 'of');
  checkFields(req, [...fieldsOf(f), ...GRADCHECK_FIELDS], 'gradcheck');
  checkRequestBudget(req, limits);
  const o = operands(req, f, limits);
  const fn = differentiable(req, f, o, limits);
  let wrt: number[] | undefined;
  if (req.wrt !== undefined && req.wrt !== null) {
    const names = Array.isArray(req.wrt) ? req.wrt : [req.wrt];
    wrt = names.map((name) => {
      const i = fn.inputNames.indexOf(name as string);
      if (i < 0) fail('wrt', 'type', `wrt may name ${fn.inputNames.join(', ')} for this request, got ${show(name)}`);
      return i;
    });
  }
  const fastMode = bool(req, 'fast_mode', false);
  const seed = num(req, 'seed');
  const result = gradcheck(fn, {
    eps: num(req, 'eps'),
    atol: num(req, 'atol'),
    rtol: num(req, 'rtol'),
    fastMode,
    wrt,
    seed,
    onProgress: limits.onProgress,
    limits,
  });
  const answer: Record<string, unknown> = {
    ok: true,
    passed: result.passed,
    mode: result.mode,
    eps: result.eps,
    atol: result.atol,
    rtol: result.rtol,
    message: result.message,
    checks: result.checks.map((c) => ({
      input: c.input,
      input_number: c.inputNumber,
      passed: c.passed,
      compared: c.compared,
      mismatches: c.mismatches,
      max_difference: jsonSafe(c.maxDifference),
      shape: fn.inputs[c.inputNumber].shape,
      element_difference: c.elementDifference.map(jsonSafe),
      element_failed: c.elementFailed,
      worst: c.worst.map((w) => ({
        input_index: w.inputIndex,
        output_index: w.outputIndex,
        analytical: jsonSafe(w.analytical),
        numerical: jsonSafe(w.numerical),
        difference: jsonSafe(w.difference),
        tolerance: jsonSafe(w.tolerance),
      })),
    })),
  };
  // The user's own gradients, compared element by element with the analytic ones for the same grad_output.
  const userKeys = ['grad_input', 'grad_weight', 'grad_bias'].filter((k) => req[k] !== undefined && req[k] !== null);
  if (userKeys.length > 0) {
    const gy = tensorField(req, 'grad_output', limits, false) ?? {
      shape: fn.outputShape,
      data: new Float64Array(sizeOf(fn.outputShape)).fill(1),
    };
    if (gy.shape.length !== fn.outputShape.length || gy.shape.some((d, i) => d !== fn.outputShape[i])) {
      fail(
        'grad_output',
        'shape_mismatch',
        `grad_output has shape ${formatShape(gy.shape)} but the output has shape ${formatShape(fn.outputShape)}`,
      );
    }
    const analytic = fn.backward(
      fn.inputs.map((t) => t.data),
      gy.data,
    );
    const reports: UserGradientReport[] = [];
    for (const key of userKeys) {
      const i = fn.inputNames.indexOf(key.slice('grad_'.length));
      if (i < 0) fail(key, 'type', `${key} was given but this request has no ${key.slice('grad_'.length)}`);
      const user = tensorField(req, key, limits) as Tensor;
      reports.push(
        compareUserGradient(key, { shape: fn.inputs[i].shape, data: analytic[i] }, user, {
          atol: num(req, 'atol'),
          rtol: num(req, 'rtol'),
        }),
      );
    }
    answer.user_gradients = reports.map((r) => ({
      name: r.name,
      passed: r.passed,
      compared: r.compared,
      mismatches: r.mismatches,
      truncated: r.truncated,
      elements: r.elements.map((e) => ({
        index: e.index,
        expected: jsonSafe(e.expected),
        got: jsonSafe(e.got),
        difference: jsonSafe(e.difference),
      })),
    }));
    answer.grad_output_default =
      req.grad_output === undefined || req.grad_output === null ? 'ones (the gradient of output.sum())' : undefined;
  }
  return answer as Answer;
}

function jsonSafe(x: number): number | string {
  return Number.isFinite(x) ? x : Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
}

function traceRequest(req: Fields, limits: RequestLimits): Answer {
  const of = req.of;
  if (typeof of !== 'string')
    fail('of', 'missing_field', 'trace needs "of": the op to trace, e.g. "conv2d", "conv2d_backward", "unfold"');
  const isBackward = of.endsWith('_backward');
  const f = family(isBackward ? of.slice(0, -'_backward'.length) : of, 'of');
  checkFields(
    req,
    [
      ...fieldsOf(f),
      ...TRACE_FIELDS,
      ...(f.kind === 'unfold' ? ['weight', 'bias', 'groups', 'flip', 'padding_mode'] : []),
    ],
    'trace',
  );
  const range = { start: num(req, 'start'), count: num(req, 'count') };
  checkRequestBudget(req, limits);
  const limitsForTrace = { ...limits, maxElements: Math.min(limitsFrom(limits).maxElements, 1 << 20) };
  const o = operands(req, f, limitsForTrace);
  if (isBackward && f.kind !== 'conv') fail('of', 'unknown_op', 'backward traces exist for conv1d/2d/3d');
  switch (f.kind) {
    case 'conv': {
      const g = convGeom(req, f.rank, o.input.shape, (o.weight as Tensor).shape, o.bias ? o.bias.shape : null);
      const flip = bool(req, 'flip', false);
      if (isBackward) {
        const gy = tensorField(req, 'grad_output', limitsForTrace) as Tensor;
        return { ok: true, trace: backwardTraceAnswer(g, o.input, o.weight as Tensor, gy, flip, range, limits) };
      }
      return { ok: true, trace: convTraceAnswer(g, o.input, o.weight as Tensor, o.bias, flip, range, limits) };
    }
    case 'conv_transpose': {
      const g = convTGeom(req, f.rank, o.input.shape, (o.weight as Tensor).shape, o.bias ? o.bias.shape : null);
      return { ok: true, trace: transposeTraceAnswer(g, o.input, o.weight as Tensor, o.bias, range, limits) };
    }
    case 'pool': {
      const g = poolGeom(req, f.pool, f.rank, o.input.shape);
      const options = f.pool === 'avg' ? avgOptions(req) : {};
      return { ok: true, trace: poolTraceAnswer(g, o.input, options, range, limits) };
    }
    case 'unfold': {
      const g = unfoldGeometry({
        rank: f.rank,
        inputShape: o.input.shape,
        kernelSize: req.kernel_size,
        stride: req.stride,
        padding: req.padding,
        dilation: req.dilation,
      });
      const weight = tensorField(req, 'weight', limitsForTrace, false);
      const batch = num(req, 'batch') ?? 0;
      if (!weight) return { ok: true, trace: im2colTraceAnswer(g, o.input, batch, undefined, limits) };
      const bias = tensorField(req, 'bias', limitsForTrace, false);
      const cg = convGeometry({
        rank: f.rank,
        inputShape: o.input.shape,
        weightShape: weight.shape,
        biasShape: bias ? bias.shape : null,
        stride: req.stride,
        padding: req.padding,
        dilation: req.dilation,
        groups: req.groups,
      });
      return {
        ok: true,
        trace: im2colTraceAnswer(
          g,
          o.input,
          batch,
          { geometry: cg, weight, bias, flip: bool(req, 'flip', false) },
          limits,
        ),
      };
    }
    case 'fold':
      return fail('of', 'unknown_op', 'fold has no trace; trace unfold instead');
  }
}

// ---------------------------------------------------------------------------------------------------------

export function errorAnswer(e: unknown, id?: unknown): ErrorAnswer {
  const withId = id === undefined ? {} : { id };
  if (e instanceof EngineError) {
    const ex = e.explanation;
    return {
      ok: false,
      error: e.message,
      param: e.param,
      rule: e.rule,
      ...(ex ? { torch_error: ex.torch, why: ex.why, fix: ex.fix } : {}),
      ...withId,
    };
  }
  if (e instanceof CancelledError) return { ok: false, error: 'cancelled', rule: 'cancelled', ...withId };
  // Anything else is a bug in the engine; say so rather than pretend it is the user's fault.
  const message = e instanceof Error ? e.message : String(e);
  return {
    ok: false,
    error: `internal error in Conv Lens (please report it): ${message}`,
    rule: 'internal',
    ...withId,
  };
}

/** Answers one request. Never throws. */
export function handleRequest(request: unknown, limits: RequestLimits = {}): Answer {
  let id: unknown;
  try {
    if (request === null || typeof request !== 'object' || Array.isArray(request)) {
      fail(
        'request',
        'type',
        `a request must be a JSON object such as {"op": "conv2d", "input": [...], "weight": [...]}, got ${describe(request)}`,
      );
    }
    const req = request as Fields;
    id = req.id;
    const op = req.op;
    if (typeof op !== 'string') fail('op', 'missing_field', `every request needs "op", one of ${OPS.join(', ')}`);
    let answer: Answer;
    if (op === 'shape') answer = shapeOnly(req);
    else if (op === 'gradcheck') answer = gradcheckRequest(req, limits);
    else if (op === 'trace') answer = traceRequest(req, limits);
    else if (op.endsWith('_backward')) {
      const f = family(op.slice(0, -'_backward'.length));
      if (f.kind !== 'conv' && f.kind !== 'pool')
        fail('op', 'unknown_op', `unknown op ${quote(op)}: backward exists for conv1d/2d/3d and the pooling ops`);
      checkFields(req, [...fieldsOf(f), 'grad_output'], op);
      checkRequestBudget(req, limits);
      answer = backward(req, f, limits);
    } else {
      const f = family(op);
      checkFields(req, fieldsOf(f), op);
      checkRequestBudget(req, limits);
      answer = forward(req, f, limits);
    }
    return id === undefined ? answer : { ...answer, id };
  } catch (e) {
    return errorAnswer(e, id);
  }
}
