/**
 * The `trace` op's answers: the step-by-step account of an op as one JSON-ready object, for the CLI and the
 * golden tests (the panel gets the same steps through the protocol's typed pages instead). Each function
 * runs the op once with the kernels and builds the requested steps from that result.
 */
import type { StepWindow } from '../protocol/steps';
import {
  checkBudget,
  convBackwardTraceTerms,
  convTraceTerms,
  convTransposeTraceTerms,
  estimateTraceConv,
  estimateTraceConvBackward,
  estimateTraceConvTranspose,
  estimateTraceIm2col,
  estimateTracePool,
  limitsFrom,
  poolTraceTerms,
  type EngineLimits,
  type TraceTerms,
} from './budget';
import { conv, convBackward, convTranspose, flipKernel } from './conv';
import { fail } from './errors';
import type { ConvGeometry, ConvTransposeGeometry, PoolGeometry, UnfoldGeometry } from './geometry';
import { avgPool, avgPoolDivisors, maxPool, type AvgPoolOptions } from './pool';
import { toNested, type Tensor } from './tensor';
import {
  convSteps,
  convTraceFacts,
  gradInputScatter,
  im2colGemm,
  im2colMatrix,
  poolNotes,
  poolOverhang,
  poolSteps,
  scatterSteps,
  transposeScatter,
  uncroppedSize,
  weightGradSteps,
  type TraceRange,
} from './trace';
import { unfold } from './unfold';

/** a `trace` answer lists 256 steps unless asked for more, and never more than 4096 */
export const DEFAULT_TRACE_STEPS = 256;
export const MAX_TRACE_STEPS = 4096;

/**
 * The steps of one answer: from `start`, the count asked for, but never more than the term limit allows.
 * Traces are bounded by the terms they list, not by steps: a step of a 512×512 kernel lists 262,144 products.
 */
function budgetedWindow(
  terms: TraceTerms,
  range: TraceRange,
  limits: EngineLimits,
  what: string,
  termBudget = limits.maxTraceTerms,
): StepWindow {
  const start = range.start ?? 0;
  const wanted = range.count ?? DEFAULT_TRACE_STEPS;
  if (!Number.isSafeInteger(start) || start < 0) fail('start', 'type', `start must be an integer ≥ 0, got ${start}`);
  if (!Number.isInteger(wanted) || wanted < 1 || wanted > MAX_TRACE_STEPS) {
    fail('count', 'size_limit', `count must be an integer from 1 to ${MAX_TRACE_STEPS}, got ${wanted}`);
  }
  const fit = Math.floor(termBudget / Math.max(1, terms.termsPerStep));
  if (fit < 1 && terms.total > 0) {
    fail(
      'count',
      'budget',
      `one step of this trace lists ${terms.termsPerStep} terms (${what}), over the trace limit of ${limits.maxTraceTerms} terms (maxTraceTerms): trace a smaller kernel, fewer channels or a smaller input`,
    );
  }
  const from = Math.min(start, terms.total);
  const count = Math.min(wanted, terms.total - from, fit);
  const clipped = count < Math.min(wanted, terms.total - from);
  return {
    start: from,
    count,
    total: terms.total,
    truncated: from > 0 || from + count < terms.total,
    ...(clipped
      ? {
          note: `${count} of the ${wanted} steps asked for: each lists ${terms.termsPerStep} terms (${what}) and a trace lists at most ${limits.maxTraceTerms}; ask for the next steps with start ${from + count}`,
        }
      : {}),
  };
}

export function convTraceAnswer(
  g: ConvGeometry,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  flip: boolean,
  range: TraceRange,
  limitsGiven?: Partial<EngineLimits>,
) {
  const limits = limitsFrom(limitsGiven);
  const win = budgetedWindow(convTraceTerms(g), range, limits, 'one product per input channel and kernel tap');
  checkBudget(estimateTraceConv(g, win.count, { flip }, limits), limits);
  const output = conv(g, input, weight, bias, { flip, limits });
  const applied = flip ? flipKernel(weight) : weight;
  const facts = convTraceFacts(g);
  return {
    kind: 'conv',
    rank: g.rank,
    flip,
    paddingMode: g.paddingMode,
    inputShape: g.inputShape,
    weightShape: g.weightShape,
    outputShape: g.outputShape,
    stride: g.stride,
    dilation: g.dilation,
    padBefore: g.padBefore,
    padAfter: g.padAfter,
    groups: g.groups,
    paddedSize: facts.paddedSize,
    padSource: facts.padSource.map((m) => Array.from(m)),
    input: toNested(input),
    bias: bias ? toNested(bias) : null,
    appliedWeight: toNested(applied),
    output: toNested(output),
    steps: convSteps(g, facts, input, applied, bias, output, win),
    range: win,
    formula: g.formula.map((f) => f.text),
  };
}

export function transposeTraceAnswer(
  g: ConvTransposeGeometry,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  range: TraceRange,
  limitsGiven?: Partial<EngineLimits>,
) {
  const limits = limitsFrom(limitsGiven);
  const what = 'one contribution per output channel and kernel tap';
  const win = budgetedWindow(convTransposeTraceTerms(g), range, limits, what);
  checkBudget(estimateTraceConvTranspose(g, win.count), limits);
  const output = convTranspose(g, input, weight, bias, limits);
  const sc = transposeScatter(g, input, weight);
  return {
    kind: 'conv_transpose',
    inputShape: g.inputShape,
    weightShape: g.weightShape,
    outputShape: g.outputShape,
    stride: g.stride,
    dilation: g.dilation,
    padding: g.padding,
    outputPadding: g.outputPadding,
    uncroppedSize: uncroppedSize(sc),
    input: toNested(input),
    weight: toNested(weight),
    output: toNested(output),
    steps: scatterSteps(sc, win),
    range: win,
    formula: g.formula.map((f) => f.text),
  };
}

export function poolTraceAnswer(
  g: PoolGeometry,
  input: Tensor,
  options: AvgPoolOptions,
  range: TraceRange,
  limitsGiven?: Partial<EngineLimits>,
) {
  const limits = limitsFrom(limitsGiven);
  const win = budgetedWindow(poolTraceTerms(g), range, limits, 'one cell per kernel tap');
  checkBudget(estimateTracePool(g, win.count), limits);
  const max = g.kind === 'max' ? maxPool(g, input, limits) : null;
  const output = max ? max.output : avgPool(g, input, options, limits);
  const results = { output, indices: max ? max.indices : null, divisors: max ? null : avgPoolDivisors(g, options) };
  return {
    kind: g.kind === 'max' ? 'max_pool' : 'avg_pool',
    inputShape: g.inputShape,
    outputShape: g.outputShape,
    kernelSize: g.kernelSize,
    stride: g.stride,
    padding: g.padding,
    dilation: g.dilation,
    ceilMode: g.ceilMode,
    overhang: poolOverhang(g),
    input: toNested(input),
    output: toNested(output),
    indices: max ? toNested(max.indices) : null,
    steps: poolSteps(g, input, results, win),
    range: win,
    formula: g.formula.map((f) => f.text),
    notes: poolNotes(g),
  };
}

export function im2colTraceAnswer(
  g: UnfoldGeometry,
  input: Tensor,
  batch: number,
  withWeight?: { geometry: ConvGeometry; weight: Tensor; bias: Tensor | null; flip: boolean },
  limitsGiven?: Partial<EngineLimits>,
) {
  const limits = limitsFrom(limitsGiven);
  checkBudget(estimateTraceIm2col(g, withWeight?.geometry, limits), limits);
  const m = im2colMatrix(g, unfold(g, input, limits), batch);
  const rank = g.rank;
  const rows = (a: Float64Array, cols: number) =>
    Array.from({ length: a.length / cols }, (_, r) => Array.from(a.subarray(r * cols, (r + 1) * cols)));
  const vec = (a: Int32Array, i: number) => Array.from(a.subarray(i * rank, (i + 1) * rank));
  let gemm = null;
  if (withWeight) {
    const { geometry, weight, bias, flip } = withWeight;
    const output = conv(geometry, input, weight, bias, { flip, limits });
    const gm = im2colGemm(geometry, flip ? flipKernel(weight) : weight, output, batch);
    gemm = {
      groups: gm.groups,
      weightMatrix: rows(gm.weightMatrix, gm.weightColumns),
      product: rows(gm.product, m.columns),
    };
  }
  return {
    kind: 'im2col',
    inputShape: g.inputShape,
    kernelSize: g.kernelSize,
    stride: g.stride,
    padding: g.padding,
    dilation: g.dilation,
    blocks: g.blocks,
    input: toNested(input),
    batch,
    rows: m.rows,
    columns: m.columns,
    rowLabels: Array.from({ length: m.rows }, (_, r) => ({ channel: m.rowChannel[r], tap: vec(m.rowTap, r) })),
    columnLabels: Array.from({ length: m.columns }, (_, l) => vec(m.columnPosition, l)),
    matrix: rows(m.matrix, m.columns),
    sources: Array.from({ length: m.rows }, (_, r) =>
      Array.from({ length: m.columns }, (_, l) => {
        const k = r * m.columns + l;
        return m.sources[k * rank] < 0 ? null : Array.from(m.sources.subarray(k * rank, (k + 1) * rank));
      }),
    ),
    gemm,
  };
}

export function backwardTraceAnswer(
  g: ConvGeometry,
  input: Tensor,
  weight: Tensor,
  gradOutput: Tensor,
  flip: boolean,
  range: TraceRange,
  limitsGiven?: Partial<EngineLimits>,
) {
  const limits = limitsFrom(limitsGiven);
  const terms = convBackwardTraceTerms(g);
  // one answer holds dX steps and dW steps: the term limit is shared in proportion to what each asks for
  const start = range.start ?? 0;
  const wanted = range.count ?? DEFAULT_TRACE_STEPS;
  const dxPer = terms.gradInput.termsPerStep;
  const dwPer = terms.gradWeight.termsPerStep;
  const dxWant = Math.max(0, Math.min(wanted, terms.gradInput.total - start)) * dxPer;
  const dwWant = Math.max(0, Math.min(wanted, terms.gradWeight.total - start)) * dwPer;
  const all = limits.maxTraceTerms;
  let dxBudget = dxWant + dwWant <= all ? all : Math.floor((all * dxWant) / (dxWant + dwWant));
  if (dwWant > 0 && all - dxBudget < dwPer) dxBudget = all - dwPer;
  if (dxWant > 0 && dxBudget < dxPer) dxBudget = Math.min(dxPer, all);
  const dxWhat = 'one contribution per input channel and kernel tap';
  const dxWindow = budgetedWindow(terms.gradInput, range, limits, dxWhat, dxBudget);
  const dwWhat = 'one product per batch item and output position';
  const dwWindow = budgetedWindow(terms.gradWeight, range, limits, dwWhat, all - dxWindow.count * dxPer);
  checkBudget(estimateTraceConvBackward(g, dxWindow.count, dwWindow.count, { flip }), limits);
  const grads = convBackward(g, input, weight, gradOutput, { flip, limits });
  const applied = flip ? flipKernel(weight) : weight;
  const facts = convTraceFacts(g);
  const sc = gradInputScatter(g, gradOutput, applied);
  return {
    kind: 'conv_backward',
    input: toNested(input),
    appliedWeight: toNested(applied),
    gradOutput: toNested(gradOutput),
    inputShape: g.inputShape,
    weightShape: g.weightShape,
    outputShape: g.outputShape,
    stride: g.stride,
    dilation: g.dilation,
    padBefore: g.padBefore,
    padAfter: g.padAfter,
    gradInput: toNested(grads.gradInput),
    gradWeight: toNested(grads.gradWeight),
    gradBias: grads.gradBias ? toNested(grads.gradBias) : null,
    gradInputSteps: scatterSteps(sc, dxWindow),
    gradInputRange: dxWindow,
    gradWeightSteps: weightGradSteps(g, facts, input, gradOutput, grads.gradWeight, flip, dwWindow),
    gradWeightRange: dwWindow,
  };
}

export type ConvTraceAnswer = ReturnType<typeof convTraceAnswer>;
export type TransposeTraceAnswer = ReturnType<typeof transposeTraceAnswer>;
export type PoolTraceAnswer = ReturnType<typeof poolTraceAnswer>;
export type Im2colTraceAnswer = ReturnType<typeof im2colTraceAnswer>;
export type BackwardTraceAnswer = ReturnType<typeof backwardTraceAnswer>;
