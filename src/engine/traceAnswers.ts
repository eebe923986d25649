/**
 * The `trace` op's answers: the step-by-step account of an op as one JSON-ready object, for the CLI and the
 * golden tests (the panel gets the same steps through the protocol's typed pages instead). Each function
 * runs the op once with the kernels and builds the requested steps from that result.
 */
import type { StepWindow } from '../protocol/steps';
import { conv, convBackward, convTranspose, flipKernel } from './conv';
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
  poolTermsPerStep,
  poolTotal,
  scatterSteps,
  stepWindow,
  transposeScatter,
  uncroppedSize,
  weightGradSteps,
  weightGradTermsPerStep,
  weightGradTotal,
  type TraceRange,
} from './trace';
import { unfold } from './unfold';

/** a `trace` answer lists 256 steps unless asked for more, and never more than 2^20 terms */
const DEFAULT_STEPS = 256;
const MAX_ANSWER_TERMS = 1 << 20;

function window(total: number, termsPerStep: number, range: TraceRange): StepWindow {
  const most = Math.max(1, Math.min(4096, Math.floor(MAX_ANSWER_TERMS / Math.max(1, termsPerStep))));
  return stepWindow(total, { start: range.start, count: range.count ?? Math.min(DEFAULT_STEPS, most) }, most);
}

export function convTraceAnswer(
  g: ConvGeometry,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  flip: boolean,
  range: TraceRange,
) {
  const output = conv(g, input, weight, bias, { flip });
  const applied = flip ? flipKernel(weight) : weight;
  const facts = convTraceFacts(g);
  const win = window(facts.total, facts.termsPerStep, range);
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
) {
  const output = convTranspose(g, input, weight, bias);
  const sc = transposeScatter(g, input, weight);
  const win = window(sc.total, sc.termsPerStep, range);
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

export function poolTraceAnswer(g: PoolGeometry, input: Tensor, options: AvgPoolOptions, range: TraceRange) {
  const max = g.kind === 'max' ? maxPool(g, input) : null;
  const output = max ? max.output : avgPool(g, input, options);
  const results = { output, indices: max ? max.indices : null, divisors: max ? null : avgPoolDivisors(g, options) };
  const win = window(poolTotal(g), poolTermsPerStep(g), range);
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
) {
  const m = im2colMatrix(g, unfold(g, input), batch);
  const rank = g.rank;
  const rows = (a: Float64Array, cols: number) =>
    Array.from({ length: a.length / cols }, (_, r) => Array.from(a.subarray(r * cols, (r + 1) * cols)));
  const vec = (a: Int32Array, i: number) => Array.from(a.subarray(i * rank, (i + 1) * rank));
  let gemm = null;
  if (withWeight) {
    const { geometry, weight, bias, flip } = withWeight;
    const output = conv(geometry, input, weight, bias, { flip });
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
) {
  const grads = convBackward(g, input, weight, gradOutput, { flip });
  const applied = flip ? flipKernel(weight) : weight;
  const facts = convTraceFacts(g);
  const sc = gradInputScatter(g, gradOutput, applied);
  const dxWindow = window(sc.total, sc.termsPerStep, range);
  const dwWindow = window(weightGradTotal(g), weightGradTermsPerStep(g), range);
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
