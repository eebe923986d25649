/**
 * One budget for every op and every path, checked before any work starts: each op's geometry (and, for a
 * convolution, its algorithm) gives an estimate of the work, the peak memory, the largest tensor made and,
 * for traces, the terms listed; `checkBudget` refuses an estimate over the limits with an EngineError whose
 * message names the estimate, the limit and what to change.
 *
 * Work is counted in multiply-adds of the engine's plain loops, the unit the direct convolution runs at.
 * The other kernels are converted to it by what they cost per operation, measured on the engine
 * (`test/limits/calibrate.ts`, on a shared 2-core machine, so rounded up): a multiply-add of the blocked GEMM
 * costs 0.4 (it keeps 16 sums in registers), an element allocated 4, copied into a column matrix 6, every
 * inner-loop start of a window 4 and every window 16 (for 1×1 kernels those dominate), an FFT butterfly 20,
 * a trace term 400. So the work tracks time on any path: about 5·10⁸ units a second on one core.
 *
 * The estimates are upper bounds where it matters (window taps clipped by padding are counted as if they
 * were read) and cheap: a few dozen arithmetic operations on the geometry, no tensor is touched.
 */
import type { ConvAlgorithm } from './conv';
import { EngineError } from './errors';
import type { ConvGeometry, ConvTransposeGeometry, PoolGeometry, UnfoldGeometry, WindowGeometry } from './geometry';
import { winogradApplies } from './algorithms/winograd';

// ---------------------------------------------------------------------------------------------------------
// Limits

export interface EngineLimits {
  /** largest tensor, in elements, that an op accepts or produces */
  readonly maxElements: number;
  /** largest work one call may cost, in multiply-adds of the plain loops (see the module comment) */
  readonly maxWork: number;
  /** largest peak working memory of one call, in bytes: operands, results, temporaries and the answer */
  readonly maxBytes: number;
  /** most terms (products, window cells, scatter contributions, matrix entries) one trace may list */
  readonly maxTraceTerms: number;
}

/**
 * About four seconds of work and a gigabyte at most, on one core of a 2-core AMD EPYC: a request at the limit
 * answers well inside the CLI's timeout, and a process running one stays under 2 GB.
 */
export const DEFAULT_LIMITS: EngineLimits = {
  maxElements: 1 << 24,
  maxWork: 2e9,
  maxBytes: 1 << 30,
  maxTraceTerms: 1 << 18,
};

/** Work units per millisecond on the reference machine (one core): what `Estimate.millis` divides by. */
export const WORK_PER_MS = 5e5;

/** Below this much work and memory a call is "tiny": it may run inline on any thread (about 2 ms). */
export const TINY_WORK = 1e6;
export const TINY_BYTES = 16 << 20;

/**
 * Whether limits this loose let a call far inside them (under 65,536 multiply-adds and elements: the lecture's
 * 5×5 convolution) skip its estimate, so that the check never shows in a microsecond call.
 */
export function skipsTinyChecks(limits?: Partial<EngineLimits> | null): boolean {
  if (!limits) return true;
  return (
    (limits.maxElements ?? Infinity) >= 1 << 16 &&
    (limits.maxWork ?? Infinity) >= 1 << 23 &&
    (limits.maxBytes ?? Infinity) >= 1 << 24
  );
}

/** Fills the limits a caller did not give from the defaults; non-positive or non-finite values are ignored. */
export function limitsFrom(partial?: Partial<EngineLimits> | null): EngineLimits {
  if (!partial) return DEFAULT_LIMITS;
  const pick = (key: keyof EngineLimits): number => {
    const v = partial[key];
    return typeof v === 'number' && v > 0 && !Number.isNaN(v) ? v : DEFAULT_LIMITS[key];
  };
  return {
    maxElements: pick('maxElements'),
    maxWork: pick('maxWork'),
    maxBytes: pick('maxBytes'),
    maxTraceTerms: pick('maxTraceTerms'),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Estimates

export interface Estimate {
  /** what is estimated, as messages name it: "conv2d", "conv2d_backward", "trace of conv2d", "gradcheck of conv2d" */
  readonly op: string;
  /** conv forward: the algorithm the estimate is for, after 'auto' and the memory fallback */
  readonly algorithm?: Exclude<ConvAlgorithm, 'auto'>;
  /** the arithmetic multiply-adds of the kernels that run (FFT: butterflies and spectrum products) */
  readonly multiplyAdds: number;
  /** multiply-adds plus copies, allocations and loop overheads, in plain-loop multiply-adds: what maxWork bounds */
  readonly work: number;
  /** the most bytes held at once: operands, results, temporaries; for requests also the JSON answer */
  readonly peakBytes: number;
  /** the largest single buffer among the temporaries, named for messages */
  readonly largestBuffer: { readonly what: string; readonly bytes: number } | null;
  /** the largest tensor the call produces, named for messages */
  readonly largestOutput: { readonly what: string; readonly elements: number; readonly shape: readonly number[] };
  /** bytes of the JSON answer (requests only; 0 for typed calls) */
  readonly answerBytes: number;
  /** trace terms listed (traces only) */
  readonly traceTerms: number;
  /** estimated time on the reference machine, in milliseconds */
  readonly millis: number;
}

/** A mutable accumulator the estimators fill, turned into an Estimate at the end. */
class Tally {
  multiplyAdds = 0;
  work = 0;
  /** bytes held by operands and results for the whole call */
  held = 0;
  /** temporaries: the peak is held + the largest set alive at once, which the estimators add as `transient` */
  transient = 0;
  largestBuffer: { what: string; bytes: number } | null = null;
  largestOutput: { what: string; elements: number; shape: readonly number[] } = {
    what: 'output',
    elements: 0,
    shape: [],
  };
  answerBytes = 0;
  traceTerms = 0;
  algorithm?: Exclude<ConvAlgorithm, 'auto'>;

  constructor(readonly op: string) {}

  buffer(what: string, elements: number, bytesPer = 8): number {
    const bytes = elements * bytesPer;
    if (!this.largestBuffer || bytes > this.largestBuffer.bytes) this.largestBuffer = { what, bytes };
    return bytes;
  }

  output(what: string, shape: readonly number[]): number {
    const elements = sizeOf(shape);
    if (elements > this.largestOutput.elements) this.largestOutput = { what, elements, shape };
    return elements;
  }

  finish(): Estimate {
    const peakBytes = this.held + this.transient + this.answerBytes;
    return {
      op: this.op,
      ...(this.algorithm ? { algorithm: this.algorithm } : {}),
      multiplyAdds: this.multiplyAdds,
      work: this.work,
      peakBytes,
      largestBuffer: this.largestBuffer,
      largestOutput: this.largestOutput,
      answerBytes: this.answerBytes,
      traceTerms: this.traceTerms,
      millis: this.work / WORK_PER_MS,
    };
  }
}

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

// Cost weights, in plain-loop multiply-adds (calibrated with test/limits/calibrate.ts).
const ROW = 4;
const WINDOW = 16;
/** pooling windows carry more per-window bookkeeping (tap ranges, the running max and its index) */
const POOL_WINDOW = 40;
const GEMM_MAC = 0.4;
/** an element newly allocated (zeroed, first touched) */
const ALLOC = 4;
/** an element copied into a column matrix or a transform buffer (strided writes) */
const COPY = 6;
const BUTTERFLY = 20;
const SPECTRUM_MAC = 4;
/** one trace term: an object with its small arrays, built and then encoded */
const TERM = 400;

/** Window sizes shared by the estimators: positions, windows, inner-loop rows, multiply-adds (taps clipped or not). */
function windowCounts(w: WindowGeometry) {
  const smallPlane = w.small[0] * w.small[1] * w.small[2];
  const bigPlane = w.big[0] * w.big[1] * w.big[2];
  const taps = w.kernel[0] * w.kernel[1] * w.kernel[2];
  const bigPerGroup = w.bigChannels / w.groups;
  const windows = w.batch * w.smallChannels * smallPlane;
  const rows = windows * bigPerGroup * w.kernel[0] * w.kernel[1];
  return {
    smallPlane,
    bigPlane,
    taps,
    bigPerGroup,
    smallPerGroup: w.smallChannels / w.groups,
    windows,
    rows,
    macs: windows * bigPerGroup * taps,
    bigElements: w.batch * w.bigChannels * bigPlane,
    smallElements: windows,
    weightElements: w.smallChannels * bigPerGroup * taps,
  };
}

/** The direct loops (gather, scatter, weightGrad): one window per small-side cell, its taps as inner loops. */
function directLoops(t: Tally, w: WindowGeometry, resultElements: number): void {
  const c = windowCounts(w);
  t.multiplyAdds += c.macs;
  t.work += c.macs + ROW * c.rows + WINDOW * c.windows + ALLOC * resultElements;
}

/** Largest column-matrix block im2col builds at once: whole output rows, at most this many bytes (one row at least). */
export const COLUMN_BLOCK_BYTES = 32 << 20;

/** How many output rows (od·oH + oh) one column block of K rows holds. */
export function columnBlockRows(w: WindowGeometry, k: number): number {
  const rowEntries = k * w.small[2];
  return Math.max(1, Math.min(w.small[0] * w.small[1], Math.floor(COLUMN_BLOCK_BYTES / 8 / Math.max(1, rowEntries))));
}

/** im2col + GEMM forward, in column blocks. */
function im2colForward(t: Tally, w: WindowGeometry): void {
  const c = windowCounts(w);
  const K = c.bigPerGroup * c.taps;
  const L = c.smallPlane;
  const blockRows = columnBlockRows(w, K);
  const block = t.buffer(`the column matrix block (${K} × ${blockRows * w.small[2]})`, K * blockRows * w.small[2]);
  t.transient = Math.max(t.transient, block);
  // column fill, then the GEMM (A is padded to 4 rows) and its B packing
  const columns = w.batch * w.groups * K * L;
  const macs = w.batch * w.groups * c.smallPerGroup * K * L;
  t.multiplyAdds += macs;
  t.work +=
    COPY * columns +
    GEMM_MAC * w.batch * w.groups * Math.ceil(c.smallPerGroup / 4) * 4 * K * L +
    ALLOC * (c.smallElements + Math.min(K * L, block / 8));
}

/** im2col backward: both gradients from one column block and two GEMMs, plus col2im. */
function im2colBackwardLoops(t: Tally, w: WindowGeometry, only?: 'input' | 'weight'): void {
  const c = windowCounts(w);
  const K = c.bigPerGroup * c.taps;
  const L = c.smallPlane;
  const blockRows = columnBlockRows(w, K);
  const blockL = blockRows * w.small[2];
  const block = t.buffer(`the column matrix block (${K} × ${blockL})`, K * blockL);
  // col and its gradient, ∂Yᵀ of the block, the transposed weights
  t.transient = Math.max(t.transient, 2 * block + 8 * (blockL * c.smallPerGroup + 2 * K * c.smallPerGroup));
  const gemms = (only ? 1 : 2) * w.batch * w.groups * Math.ceil(c.smallPerGroup / 4) * 4 * K * L;
  t.multiplyAdds += (only ? 1 : 2) * w.batch * w.groups * c.smallPerGroup * K * L;
  t.work +=
    2 * COPY * w.batch * w.groups * K * L +
    GEMM_MAC * gemms +
    ALLOC * (c.bigElements + c.weightElements + (2 * block) / 8);
}

function winogradForward(t: Tally, w: WindowGeometry): void {
  const c = windowCounts(w);
  const tiles = Math.ceil(w.small[1] / 2) * Math.ceil(w.small[2] / 2);
  const slices = w.batch * w.small[0];
  const u = t.buffer('the Winograd filter transforms', 16 * w.smallChannels * c.bigPerGroup);
  const v = t.buffer('the Winograd input transforms', 16 * w.bigChannels * tiles);
  const m = t.buffer('the Winograd products', 16 * w.smallChannels * tiles);
  const padded = 8 * (2 * Math.ceil(w.small[1] / 2) + 2) * (2 * Math.ceil(w.small[2] / 2) + 2);
  t.transient = Math.max(t.transient, u + v + m + padded);
  const macs = slices * 16 * w.smallChannels * c.bigPerGroup * tiles;
  t.multiplyAdds += macs;
  t.work +=
    GEMM_MAC * slices * 16 * w.groups * Math.ceil(c.smallPerGroup / 4) * 4 * c.bigPerGroup * tiles +
    slices * (w.bigChannels * (padded / 8 + 3 * 64 * tiles) + w.smallChannels * 3 * 40 * tiles) +
    16 * 16 * w.smallChannels * c.bigPerGroup;
}

function nextPow2(v: number): number {
  let n = 1;
  while (n < v) n *= 2;
  return n;
}

function fftForward(t: Tally, w: WindowGeometry): void {
  const c = windowCounts(w);
  const N = [0, 1, 2].map((i) => nextPow2((w.small[i] - 1) * w.stride[i] + w.dilation[i] * (w.kernel[i] - 1) + 1));
  const M = N[0] * N[1] * N[2];
  const logM = Math.log2(M);
  const kernels = w.smallChannels * c.bigPerGroup;
  const kernelSpectra = t.buffer(`the kernel spectra (${kernels} × ${N.join('×')} complex)`, 2 * kernels * M);
  const inputSpectra = t.buffer(`the input spectra (${w.bigChannels} × ${N.join('×')} complex)`, 2 * w.bigChannels * M);
  t.transient = Math.max(t.transient, kernelSpectra + inputSpectra + 16 * M);
  const transforms = kernels + w.batch * (w.bigChannels + w.smallChannels);
  const butterflies = transforms * (M / 2) * logM;
  const products = w.batch * w.smallChannels * c.bigPerGroup * M;
  t.multiplyAdds += 2 * butterflies + 4 * products;
  t.work += BUTTERFLY * butterflies + SPECTRUM_MAC * products + (COPY + ALLOC) * transforms * M;
}

function wasmForward(t: Tally, w: WindowGeometry): void {
  const c = windowCounts(w);
  // float32 copies of the operands, the module's memory (operands, result, packed blocks) and the result back
  const copies = 4 * (c.bigElements + c.weightElements) * 2 + 4 * c.smallElements * 2 + (8 << 20);
  t.buffer(
    'the WebAssembly memory (float32 operands and result)',
    (c.bigElements + c.weightElements + c.smallElements) / 2,
  );
  t.transient = Math.max(t.transient, copies);
  t.multiplyAdds += c.macs;
  t.work += GEMM_MAC * c.macs + COPY * (c.bigElements + c.weightElements + c.smallElements) + WINDOW * c.smallElements;
}

export type ConcreteAlgorithm = Exclude<ConvAlgorithm, 'auto'>;

function convForwardLoops(t: Tally, w: WindowGeometry, algorithm: ConcreteAlgorithm): void {
  switch (algorithm) {
    case 'direct':
      directLoops(t, w, windowCounts(w).smallElements);
      return;
    case 'im2col':
      im2colForward(t, w);
      return;
    case 'winograd':
      winogradForward(t, w);
      return;
    case 'fft':
      fftForward(t, w);
      return;
    case 'wasm_f32':
      wasmForward(t, w);
      return;
  }
}

/**
 * The algorithm 'auto' picks by shape (measured with `npm run bench`): direct loops when the whole problem is
 * a few thousand multiply-adds (no packing to amortise) or depthwise (one input channel per filter, where a
 * GEMM degenerates to a dot product); Winograd F(2×2, 3×3) for 3×3 stride-1 layers with enough channels to
 * fill its 16 GEMMs; otherwise im2col + the blocked GEMM.
 */
export function chooseAlgorithm(w: WindowGeometry): 'direct' | 'im2col' | 'winograd' {
  const taps = w.kernel[0] * w.kernel[1] * w.kernel[2];
  const positions = w.small[0] * w.small[1] * w.small[2];
  const perGroup = w.bigChannels / w.groups;
  const work = w.batch * w.smallChannels * positions * perGroup * taps;
  if (work < 20_000 || perGroup === 1) return 'direct';
  if (winogradApplies(w) && perGroup >= 8 && positions >= 64) return 'winograd';
  return 'im2col';
}

function convCommon(t: Tally, g: ConvGeometry, flip: boolean): void {
  const inputElements = sizeOf(g.inputShape);
  const weightElements = sizeOf(g.weightShape);
  const outputElements = t.output('output', g.outputShape);
  t.held += 8 * (inputElements + weightElements + outputElements);
  if (flip) {
    t.held += 8 * weightElements;
    t.work += weightElements;
  }
  if (g.paddingMode !== 'zeros') {
    const w = g.window;
    const padded = w.batch * w.bigChannels * w.big[0] * w.big[1] * w.big[2];
    t.held += t.buffer('the padded input', padded);
    t.work += 2 * padded;
  }
}

export interface ConvEstimateOptions {
  readonly algorithm?: ConvAlgorithm;
  readonly flip?: boolean;
}

/** conv1d/2d/3d forward. With 'auto', the algorithm is the one the engine will run, after the memory fallback. */
export function estimateConv(g: ConvGeometry, options: ConvEstimateOptions = {}, limits?: EngineLimits): Estimate {
  const algorithm = resolveConvAlgorithm(g, options.algorithm ?? 'auto', limits ?? DEFAULT_LIMITS);
  const t = new Tally(`conv${g.rank}d`);
  t.algorithm = algorithm;
  convCommon(t, g, options.flip === true);
  convForwardLoops(t, g.window, algorithm);
  return t.finish();
}

/**
 * The algorithm that runs. 'auto' takes chooseAlgorithm's pick unless it does not fit the budget (its
 * temporaries over maxBytes, or its work over maxWork), then the first other that fits (Winograd, im2col in
 * column blocks, direct loops, which need no temporaries). An explicit algorithm runs as asked (the budget then
 * refuses it if it does not fit, naming what 'auto' would cost).
 */
export function resolveConvAlgorithm(
  g: ConvGeometry,
  requested: ConvAlgorithm,
  limits: EngineLimits = DEFAULT_LIMITS,
): ConcreteAlgorithm {
  if (requested !== 'auto') return requested;
  const pick = chooseAlgorithm(g.window);
  const order: ConcreteAlgorithm[] = [pick];
  for (const a of ['winograd', 'im2col', 'direct'] as const) {
    if (a !== pick && (a !== 'winograd' || winogradApplies(g.window))) order.push(a);
  }
  // the benchmark's pick, unless it does not fit the budget (a column matrix too big, Winograd's transforms,
  // or work): then the first other one that fits
  for (const a of order) {
    const t = new Tally('conv');
    convCommon(t, g, false);
    convForwardLoops(t, g.window, a);
    if (overBudget(t.finish(), limits) === null) return a;
  }
  return pick;
}

/** Both gradients of a conv, as convBackward computes them (direct loops or im2col blocks, as its forward would). */
export function estimateConvBackward(
  g: ConvGeometry,
  options: { readonly flip?: boolean; readonly only?: 'input' | 'weight'; readonly sparse?: boolean } = {},
): Estimate {
  const t = new Tally(`conv${g.rank}d_backward`);
  const w = g.window;
  const inputElements = t.output('grad_input', g.inputShape);
  const weightElements = t.output('grad_weight', g.weightShape);
  const outputElements = sizeOf(g.outputShape);
  // operands (input, weight, grad_output) and the three gradients
  t.held += 8 * (2 * inputElements + 2 * weightElements + outputElements + (g.hasBias ? 2 * g.outChannels : 0));
  if (options.flip) {
    t.held += 16 * weightElements;
    t.work += 2 * weightElements;
  }
  if (g.paddingMode !== 'zeros') {
    const padded = w.batch * w.bigChannels * w.big[0] * w.big[1] * w.big[2];
    t.held += 2 * t.buffer('the padded input and its gradient', padded);
    t.work += 4 * padded;
  }
  const c = windowCounts(w);
  if (options.sparse) {
    // a gradient check's unit grad_output: one window per call, but every cell is visited to skip the zeros
    t.multiplyAdds += 2 * c.bigPerGroup * c.taps;
    t.work += 2 * (c.smallElements + c.bigElements + c.weightElements) + 2 * c.bigPerGroup * c.taps;
  } else if (chooseAlgorithm(w) === 'direct') {
    // the direct path computes both gradients whatever `only` says
    directLoops(t, w, c.bigElements);
    directLoops(t, w, c.weightElements);
  } else {
    im2colBackwardLoops(t, w, options.only);
  }
  if (g.hasBias) t.work += outputElements;
  return t.finish();
}

/** conv_transpose1d/2d/3d forward: the scatter. */
export function estimateConvTranspose(g: ConvTransposeGeometry): Estimate {
  const t = new Tally(`conv_transpose${g.rank}d`);
  const outputElements = t.output('output', g.outputShape);
  t.held += 8 * (sizeOf(g.inputShape) + sizeOf(g.weightShape) + outputElements);
  directLoops(t, g.window, outputElements);
  if (g.hasBias) t.work += outputElements;
  return t.finish();
}

/** The gradients of a transposed conv: a gather and a weight gradient, both dense. */
export function estimateConvTransposeBackward(g: ConvTransposeGeometry): Estimate {
  const t = new Tally(`conv_transpose${g.rank}d_backward`);
  const inputElements = t.output('grad_input', g.inputShape);
  const weightElements = t.output('grad_weight', g.weightShape);
  const outputElements = sizeOf(g.outputShape);
  t.held += 8 * (2 * inputElements + 2 * weightElements + outputElements);
  directLoops(t, g.window, inputElements);
  directLoops(t, g.window, weightElements);
  if (g.hasBias) t.work += outputElements;
  return t.finish();
}

function poolLoops(t: Tally, g: PoolGeometry): void {
  const w = g.window;
  const c = windowCounts(w);
  // one channel per group: every window reads its own plane's taps
  t.multiplyAdds += c.windows * c.taps;
  t.work += c.windows * (c.taps + ROW * w.kernel[0] * w.kernel[1] + POOL_WINDOW + ALLOC);
}

/** max_pool / avg_pool forward (max also makes the indices). */
export function estimatePool(g: PoolGeometry): Estimate {
  const t = new Tally(`${g.kind}_pool${g.rank}d`);
  const outputElements = t.output('output', g.outputShape);
  t.held += 8 * (sizeOf(g.inputShape) + (g.kind === 'max' ? 2 : 1) * outputElements);
  poolLoops(t, g);
  return t.finish();
}

/** max_pool / avg_pool backward: max recomputes the forward for its indices, then routes; avg spreads. */
export function estimatePoolBackward(g: PoolGeometry): Estimate {
  const t = new Tally(`${g.kind}_pool${g.rank}d_backward`);
  const inputElements = t.output('grad_input', g.inputShape);
  const outputElements = sizeOf(g.outputShape);
  t.held += 8 * (2 * inputElements + outputElements);
  if (g.kind === 'max') {
    t.held += 16 * outputElements;
    poolLoops(t, g);
    t.work += outputElements + ALLOC * inputElements;
  } else {
    poolLoops(t, g);
    t.work += ALLOC * inputElements;
  }
  return t.finish();
}

/** F.unfold: the column matrix of every batch item. */
export function estimateUnfold(g: UnfoldGeometry): Estimate {
  const t = new Tally(g.rank === 2 ? 'unfold' : `unfold${g.rank}d`);
  const outputElements = t.output('output', g.outputShape);
  const matrix = g.rows * g.columns;
  t.held +=
    8 * sizeOf(g.inputShape) + t.buffer(`the column matrices (${g.batch} × ${g.rows} × ${g.columns})`, outputElements);
  t.work +=
    (COPY + ALLOC) * g.batch * matrix + ROW * g.batch * g.rows * g.blocks.slice(0, -1).reduce((a, b) => a * b, 1);
  return t.finish();
}

/** F.fold: columns back to the image, overlaps summed. */
export function estimateFold(g: UnfoldGeometry): Estimate {
  const t = new Tally('fold');
  const outputElements = t.output('output', g.outputShape);
  t.held += 8 * (sizeOf(g.inputShape) + outputElements);
  t.work += COPY * g.batch * g.rows * g.columns + ALLOC * outputElements;
  return t.finish();
}

// ---------------------------------------------------------------------------------------------------------
// Traces: the op itself, then a bounded number of steps whose terms are objects in the answer

/** Memory per listed term (a small object with a few short arrays) and its JSON. */
const TERM_BYTES = 400;
/** JSON bytes per number of a tensor written into an answer, at most ("-1.2345678901234567e-308,"). */
export const ANSWER_BYTES_PER_NUMBER = 25;
/** Memory per number of a tensor built as nested arrays for an answer. */
const NESTED_BYTES_PER_NUMBER = 10;

export interface TraceTerms {
  /** total steps of the trace (every output cell, or every weight element for dW) */
  readonly total: number;
  /** terms one step lists */
  readonly termsPerStep: number;
}

/** How many steps a page may hold: the count asked for, clipped so the terms stay within the limit. */
export function traceStepsThatFit(termsPerStep: number, limits: EngineLimits): number {
  return Math.floor(limits.maxTraceTerms / Math.max(1, termsPerStep));
}

function traceTally(
  op: string,
  inner: Estimate,
  pages: readonly { terms: TraceTerms; count: number }[],
  tensorsInAnswer: number,
): Estimate {
  const t = new Tally(`trace of ${op}`);
  t.multiplyAdds = inner.multiplyAdds;
  t.work = inner.work;
  t.held = inner.peakBytes;
  t.largestBuffer = inner.largestBuffer;
  t.largestOutput = inner.largestOutput;
  for (const p of pages) {
    const terms = Math.min(p.count, p.terms.total) * p.terms.termsPerStep;
    t.traceTerms += terms;
    t.work += TERM * terms;
  }
  t.held += TERM_BYTES * t.traceTerms;
  t.held += NESTED_BYTES_PER_NUMBER * tensorsInAnswer;
  // the tensors the answer repeats (input, weight, output) are built as nested lists and written out
  t.work += 40 * tensorsInAnswer;
  t.answerBytes = ANSWER_BYTES_PER_NUMBER * tensorsInAnswer + (TERM_BYTES / 2) * t.traceTerms;
  return t.finish();
}

/** Terms per step of a conv's sliding-window trace: every product of one output cell. */
export function convTraceTerms(g: ConvGeometry): TraceTerms {
  const taps = sizeOf(g.kernelSize);
  return { total: g.batch * g.outChannels * sizeOf(g.outputSize), termsPerStep: (g.inChannels / g.groups) * taps };
}

export function estimateTraceConv(
  g: ConvGeometry,
  count: number,
  options: { readonly flip?: boolean } = {},
  limits?: EngineLimits,
): Estimate {
  const inner = estimateConv(g, { flip: options.flip }, limits);
  const padded = g.inputSize.reduce((a, s, i) => a + s + g.padBefore[i] + g.padAfter[i], 0);
  const tensors = sizeOf(g.inputShape) + 2 * sizeOf(g.weightShape) + sizeOf(g.outputShape) + padded;
  return traceTally(`conv${g.rank}d`, inner, [{ terms: convTraceTerms(g), count }], tensors);
}

/** A conv's backward trace: dX steps scatter one dY cell through the kernel; dW steps sum over batch and positions. */
export function convBackwardTraceTerms(g: ConvGeometry): { gradInput: TraceTerms; gradWeight: TraceTerms } {
  const taps = sizeOf(g.kernelSize);
  return {
    gradInput: {
      total: g.batch * g.outChannels * sizeOf(g.outputSize),
      termsPerStep: (g.inChannels / g.groups) * taps,
    },
    gradWeight: { total: sizeOf(g.weightShape), termsPerStep: g.batch * sizeOf(g.outputSize) },
  };
}

export function estimateTraceConvBackward(
  g: ConvGeometry,
  gradInputSteps: number,
  gradWeightSteps: number,
  options: { readonly flip?: boolean } = {},
): Estimate {
  const inner = estimateConvBackward(g, options);
  const terms = convBackwardTraceTerms(g);
  const tensors = 2 * sizeOf(g.inputShape) + 2 * sizeOf(g.weightShape) + 2 * sizeOf(g.outputShape);
  return traceTally(
    `conv${g.rank}d_backward`,
    inner,
    [
      { terms: terms.gradInput, count: gradInputSteps },
      { terms: terms.gradWeight, count: gradWeightSteps },
    ],
    tensors,
  );
}

export function convTransposeTraceTerms(g: ConvTransposeGeometry): TraceTerms {
  return {
    total: g.batch * g.inChannels * sizeOf(g.inputSize),
    termsPerStep: (g.outChannels / g.groups) * sizeOf(g.kernelSize),
  };
}

export function estimateTraceConvTranspose(g: ConvTransposeGeometry, count: number): Estimate {
  const inner = estimateConvTranspose(g);
  const tensors = sizeOf(g.inputShape) + sizeOf(g.weightShape) + sizeOf(g.outputShape);
  return traceTally(`conv_transpose${g.rank}d`, inner, [{ terms: convTransposeTraceTerms(g), count }], tensors);
}

export function poolTraceTerms(g: PoolGeometry): TraceTerms {
  return { total: g.batch * g.channels * sizeOf(g.outputSize), termsPerStep: sizeOf(g.kernelSize) };
}

export function estimateTracePool(g: PoolGeometry, count: number): Estimate {
  const inner = estimatePool(g);
  const tensors = sizeOf(g.inputShape) + (g.kind === 'max' ? 2 : 1) * sizeOf(g.outputShape);
  return traceTally(`${g.kind}_pool${g.rank}d`, inner, [{ terms: poolTraceTerms(g), count }], tensors);
}

/** The im2col trace lists the whole column matrix of one batch item (values and sources), and with a conv its GEMM. */
export function im2colTraceTerms(g: UnfoldGeometry, conv?: ConvGeometry): number {
  let terms = 2 * g.rows * g.columns + g.rows + g.columns;
  if (conv) terms += sizeOf(conv.weightShape) + conv.outChannels * sizeOf(conv.outputSize);
  return terms;
}

export function estimateTraceIm2col(g: UnfoldGeometry, conv?: ConvGeometry, limits?: EngineLimits): Estimate {
  const unfoldEstimate = estimateUnfold(g);
  const inner = conv ? combine(unfoldEstimate, estimateConv(conv, {}, limits)) : unfoldEstimate;
  const terms = im2colTraceTerms(g, conv);
  return traceTally(
    g.rank === 2 ? 'unfold' : `unfold${g.rank}d`,
    inner,
    [{ terms: { total: 1, termsPerStep: terms }, count: 1 }],
    sizeOf(g.inputShape),
  );
}

/** Two calls one after the other: work adds up, the peak is the larger one plus what the first leaves behind. */
function combine(a: Estimate, b: Estimate): Estimate {
  return {
    ...a,
    multiplyAdds: a.multiplyAdds + b.multiplyAdds,
    work: a.work + b.work,
    peakBytes: a.peakBytes + b.peakBytes,
    largestBuffer:
      !a.largestBuffer || (b.largestBuffer && b.largestBuffer.bytes > a.largestBuffer.bytes)
        ? b.largestBuffer
        : a.largestBuffer,
    largestOutput: b.largestOutput.elements > a.largestOutput.elements ? b.largestOutput : a.largestOutput,
    millis: a.millis + b.millis,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Gradient checks: forward passes × their cost

/** What one forward and one backward of a Differentiable cost; gradcheck multiplies them by its passes. */
export interface PassCost {
  readonly forward: Estimate;
  /** a backward with a dense grad_output */
  readonly backward: Estimate;
  /** a backward with one non-zero in grad_output (full mode's Jacobian rows) */
  readonly unitBackward: Estimate;
}

export function convPassCost(g: ConvGeometry, flip: boolean, limits?: EngineLimits): PassCost {
  return {
    forward: estimateConv(g, { flip }, limits),
    backward: estimateConvBackward(g, { flip }),
    unitBackward: estimateConvBackward(g, { flip, sparse: true }),
  };
}

export function convTransposePassCost(g: ConvTransposeGeometry): PassCost {
  const backward = estimateConvTransposeBackward(g);
  return { forward: estimateConvTranspose(g), backward, unitBackward: backward };
}

export function poolPassCost(g: PoolGeometry): PassCost {
  const backward = estimatePoolBackward(g);
  return { forward: estimatePool(g), backward, unitBackward: backward };
}

export interface GradcheckShape {
  readonly op: string;
  readonly inputSizes: readonly number[];
  readonly outputSize: number;
  readonly wrt: readonly number[];
  readonly fastMode: boolean;
}

/**
 * Full mode: per checked input of n elements, 2n forward passes (central differences) and one backward per
 * output element (the analytic Jacobian's rows), plus the Jacobian itself (n × outputs numbers) and the
 * comparison of every entry. Fast mode: two forwards and one backward per checked input.
 */
export function estimateGradcheck(shape: GradcheckShape, cost: PassCost): Estimate {
  const t = new Tally(`gradcheck of ${shape.op}`);
  let forwards = 0;
  let backwards = 0;
  let unitBackwards = 0;
  let jacobian = 0;
  let compared = 0;
  for (const i of shape.wrt) {
    const n = shape.inputSizes[i] ?? 0;
    if (shape.fastMode) {
      forwards += 2;
      backwards += 1;
      compared += 3 * n + 2 * shape.outputSize;
    } else {
      forwards += 2 * n;
      unitBackwards += shape.outputSize;
      jacobian = Math.max(jacobian, n * shape.outputSize);
      compared += 2 * n * shape.outputSize;
    }
  }
  t.multiplyAdds =
    forwards * cost.forward.multiplyAdds +
    backwards * cost.backward.multiplyAdds +
    unitBackwards * cost.unitBackward.multiplyAdds;
  t.work =
    forwards * cost.forward.work + backwards * cost.backward.work + unitBackwards * cost.unitBackward.work + compared;
  const inputs = shape.inputSizes.reduce((a, b) => a + b, 0);
  t.held = 16 * inputs + t.buffer('the numerical Jacobian', jacobian);
  t.transient = Math.max(cost.forward.peakBytes, cost.backward.peakBytes, cost.unitBackward.peakBytes);
  t.largestOutput = { what: 'the Jacobian', elements: jacobian, shape: [] };
  const est = t.finish();
  return { ...est, largestOutput: cost.forward.largestOutput };
}

// ---------------------------------------------------------------------------------------------------------
// The check

function sci(x: number): string {
  if (x < 1e4) return String(Math.round(x));
  // 7.0e10: short, and what --max-work takes as it is
  return x.toExponential(1).replace('e+', 'e');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} bytes`;
  const units = ['KB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 || u === units.length - 1 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

/** Seconds or minutes for a time estimate. */
function formatMillis(ms: number): string {
  if (ms < 1000) return `${Math.max(1, Math.round(ms))} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} minutes`;
  return `${Math.round(ms / 3_600_000)} hours`;
}

export function describeWork(e: Estimate): string {
  const around = `about ${sci(e.work)} multiply-adds`;
  const algo = e.algorithm ? ` (${e.algorithm === 'direct' ? 'direct loops' : e.algorithm})` : '';
  return `${around}${algo}, ≈ ${formatMillis(e.millis)}`;
}

/** Whether an estimate is small enough to run inline on any thread (an extension host, the CLI's main thread). */
export function isTiny(e: Estimate): boolean {
  return e.work <= TINY_WORK && e.peakBytes <= TINY_BYTES;
}

/** The first limit an estimate breaks, or null. */
export function overBudget(e: Estimate, limits: EngineLimits): 'elements' | 'work' | 'bytes' | 'trace_terms' | null {
  if (e.largestOutput.elements > limits.maxElements) return 'elements';
  if (e.traceTerms > limits.maxTraceTerms) return 'trace_terms';
  if (e.peakBytes > limits.maxBytes) return 'bytes';
  if (e.work > limits.maxWork) return 'work';
  return null;
}

/**
 * Refuses an estimate over the limits: rule 'budget' (or 'size_limit' for a tensor over maxElements, the rule
 * the element limit always had), the estimate and the limit in the message, and what to change. `advice` is
 * the op's own way out ("use algorithm 'auto'", "ask for fewer steps").
 */
export function checkBudget(e: Estimate, limits: EngineLimits, advice?: string): void {
  const broken = overBudget(e, limits);
  if (broken === null) return;
  const fix = advice ? `${advice}, or ` : '';
  switch (broken) {
    case 'elements': {
      const o = e.largestOutput;
      throw new EngineError(
        o.what === 'output' || o.what.startsWith('grad') ? o.what.replace(/ .*/, '') : 'output',
        'size_limit',
        `${e.op} would make ${o.what} with ${o.elements} elements (shape [${o.shape.join(', ')}]), over the limit of ${limits.maxElements}: ${fix}use smaller tensors (or raise maxElements)`,
      );
    }
    case 'trace_terms':
      throw new EngineError(
        'count',
        'budget',
        `the ${e.op} would list ${Math.round(e.traceTerms)} terms, over the trace limit of ${limits.maxTraceTerms} terms (maxTraceTerms): ${fix}trace a smaller input or kernel`,
      );
    case 'bytes': {
      const big =
        e.largestBuffer && e.largestBuffer.bytes > e.peakBytes / 4
          ? `, ${formatBytes(e.largestBuffer.bytes)} of it ${e.largestBuffer.what}`
          : '';
      throw new EngineError(
        'input',
        'budget',
        `${e.op} would need about ${formatBytes(e.peakBytes)} of memory at once${big}, over the limit of ${formatBytes(limits.maxBytes)} (maxBytes): ${fix}use smaller tensors or raise the limit`,
      );
    }
    case 'work':
      throw new EngineError(
        'input',
        'budget',
        `${e.op} would cost ${describeWork(e)}, over the limit of ${sci(limits.maxWork)} (maxWork): ${fix}use smaller tensors or raise the limit`,
      );
  }
}
