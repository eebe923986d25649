/**
 * Traces: the step-by-step data a viewer draws, as plain serialisable objects with a size bound.
 * Every trace reads the same geometry record as the kernels and reports the numbers the kernels computed,
 * so what the panel shows is what the engine returned.
 *
 * Coordinates: `position` is an output position; `at` is a coordinate in the padded input (input coordinate
 * + padBefore); `source` is the input cell the value came from, or null for a zero.
 */
import { conv, convBackward, convTranspose, flipKernel, type ConvOptions } from './conv';
import { fail } from './errors';
import type { ConvGeometry, ConvTransposeGeometry, PoolGeometry, UnfoldGeometry } from './geometry';
import { padIndexMap } from './padding';
import { avgPool, avgPoolDivisors, maxPool, type AvgPoolOptions } from './pool';
import { jsonNumber, stridesOf, toNested, unravel, type Nested, type Tensor } from './tensor';
import { unfold } from './unfold';

export const DEFAULT_TRACE_STEPS = 256;
export const MAX_TRACE_STEPS = 4096;
/** the arithmetic text of a step lists at most this many terms */
const TEXT_TERMS = 48;
const MAX_MATRIX_ENTRIES = 1 << 16;

export interface TraceRange {
  /** first step to include (default 0) */
  readonly start?: number;
  /** how many steps (default 256, at most 4096) */
  readonly count?: number;
}

export interface StepWindow {
  readonly start: number;
  readonly count: number;
  readonly total: number;
  readonly truncated: boolean;
}

function stepWindow(total: number, range: TraceRange): StepWindow {
  const start = range.start ?? 0;
  const wanted = range.count ?? DEFAULT_TRACE_STEPS;
  if (!Number.isInteger(start) || start < 0) fail('start', 'type', `start must be an integer ≥ 0, got ${start}`);
  if (!Number.isInteger(wanted) || wanted < 1 || wanted > MAX_TRACE_STEPS) {
    fail('count', 'size_limit', `count must be an integer from 1 to ${MAX_TRACE_STEPS}, got ${wanted}`);
  }
  const from = Math.min(start, total);
  const count = Math.min(wanted, total - from);
  return { start: from, count, total, truncated: from > 0 || from + count < total };
}

function formatNumber(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  const s = Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6)));
  return x < 0 ? `(${s})` : s;
}

/** "1·0 + 3·0 + 2·0 + … = 16": the arithmetic of one step, bounded in length. */
export function arithmetic(
  pairs: readonly (readonly [number, number])[],
  extra: number | null,
  result: number,
): string {
  const shown = pairs.slice(0, TEXT_TERMS).map(([a, b]) => `${formatNumber(a)}·${formatNumber(b)}`);
  if (pairs.length > TEXT_TERMS) shown.push(`… (${pairs.length - TEXT_TERMS} more)`);
  if (extra !== null) shown.push(`${formatNumber(extra)} (bias)`);
  return `${shown.join(' + ')} = ${formatNumber(result)}`;
}

// ---------------------------------------------------------------------------------------------------------
// Sliding window (conv forward)

export interface ConvTerm {
  readonly channel: number;
  readonly tap: readonly number[];
  readonly at: readonly number[];
  readonly source: readonly number[] | null;
  readonly x: number;
  readonly w: number;
  readonly product: number;
  readonly running: number;
}

export interface ConvStep {
  readonly step: number;
  readonly batch: number;
  readonly outChannel: number;
  readonly group: number;
  readonly position: readonly number[];
  /** padded coordinate of the window's first tap: position·stride */
  readonly windowStart: readonly number[];
  readonly terms: readonly ConvTerm[];
  /** per input channel of the group: its partial sum (the channels view) */
  readonly channelSums: readonly { channel: number; sum: number }[];
  readonly bias: number | null;
  readonly value: number;
  readonly text: string;
}

export interface ConvTrace {
  readonly kind: 'conv';
  readonly rank: number;
  readonly flip: boolean;
  readonly paddingMode: string;
  readonly inputShape: readonly number[];
  readonly weightShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  readonly padBefore: readonly number[];
  readonly padAfter: readonly number[];
  readonly groups: number;
  /** spatial size of the padded input */
  readonly paddedSize: readonly number[];
  /** per spatial dim: for each padded coordinate the input coordinate it shows, or −1 for zero padding */
  readonly padSource: readonly (readonly number[])[];
  readonly input: Nested;
  readonly bias: Nested | null;
  /** the kernel as the window applies it (flipped in true-convolution mode) */
  readonly appliedWeight: Nested;
  readonly output: Nested;
  readonly steps: readonly ConvStep[];
  readonly range: StepWindow;
  readonly formula: readonly string[];
}

export function traceConv(
  g: ConvGeometry,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  options: ConvOptions = {},
  range: TraceRange = {},
): ConvTrace {
  const output = conv(g, input, weight, bias, options);
  const applied = options.flip ? flipKernel(weight) : weight;
  const rank = g.rank;
  const padSource = g.inputSize.map((s, i) => Array.from(padIndexMap(s, g.padBefore[i], g.padAfter[i], g.paddingMode)));
  const paddedSize = padSource.map((m) => m.length);
  const kernel = g.kernelSize;
  const taps = kernel.reduce((a, b) => a * b, 1);
  const outPlane = g.outputSize.reduce((a, b) => a * b, 1);
  const inPlane = g.inputSize.reduce((a, b) => a * b, 1);
  const inStrides = stridesOf(g.inputSize);
  const cg = g.inChannels / g.groups;
  const og = g.outChannels / g.groups;
  const win = stepWindow(g.batch * g.outChannels * outPlane, range);
  const steps: ConvStep[] = [];
  for (let s = win.start; s < win.start + win.count; s++) {
    const n = Math.floor(s / (g.outChannels * outPlane));
    const oc = Math.floor(s / outPlane) % g.outChannels;
    const position = unravel(s % outPlane, g.outputSize);
    const group = Math.floor(oc / og);
    const windowStart = position.map((o, i) => o * g.stride[i]);
    const terms: ConvTerm[] = [];
    const channelSums: { channel: number; sum: number }[] = [];
    let running = 0;
    for (let ci = 0; ci < cg; ci++) {
      const channel = group * cg + ci;
      let partial = 0;
      for (let t = 0; t < taps; t++) {
        const tap = unravel(t, kernel);
        const at = tap.map((k, i) => windowStart[i] + k * g.dilation[i]);
        const src = at.map((a, i) => padSource[i][a]);
        const source = src.some((v) => v < 0) ? null : src;
        let x = 0;
        if (source) {
          let flat = 0;
          for (let i = 0; i < rank; i++) flat += source[i] * inStrides[i];
          x = input.data[(n * g.inChannels + channel) * inPlane + flat];
        }
        const wv = applied.data[(oc * cg + ci) * taps + t];
        const product = x * wv;
        running += product;
        partial += product;
        terms.push({ channel, tap, at, source, x, w: wv, product, running });
      }
      channelSums.push({ channel, sum: partial });
    }
    const b = bias ? bias.data[oc] : null;
    const value = output.data[s];
    steps.push({
      step: s,
      batch: n,
      outChannel: oc,
      group,
      position,
      windowStart,
      terms,
      channelSums,
      bias: b,
      value,
      text: arithmetic(
        terms.map((t) => [t.w, t.x] as const),
        b,
        value,
      ),
    });
  }
  return {
    kind: 'conv',
    rank,
    flip: options.flip === true,
    paddingMode: g.paddingMode,
    inputShape: g.inputShape,
    weightShape: g.weightShape,
    outputShape: g.outputShape,
    stride: g.stride,
    dilation: g.dilation,
    padBefore: g.padBefore,
    padAfter: g.padAfter,
    groups: g.groups,
    paddedSize,
    padSource,
    input: toNested(input),
    bias: bias ? toNested(bias) : null,
    appliedWeight: toNested(applied),
    output: toNested(output),
    steps,
    range: win,
    formula: g.formula.map((f) => f.text),
  };
}

// ---------------------------------------------------------------------------------------------------------
// im2col and the GEMM

export interface Im2colTrace {
  readonly kind: 'im2col';
  readonly inputShape: readonly number[];
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly dilation: readonly number[];
  /** window positions per spatial dim */
  readonly blocks: readonly number[];
  readonly input: Nested;
  readonly batch: number;
  readonly rows: number;
  readonly columns: number;
  /** per row: its channel and kernel tap (rows are channel-major, then taps row-major) */
  readonly rowLabels: readonly { channel: number; tap: readonly number[] }[];
  /** per column: its output position (row-major) */
  readonly columnLabels: readonly (readonly number[])[];
  /** the column matrix of batch item `batch`, rows × columns */
  readonly matrix: readonly (readonly (number | string)[])[];
  /** per entry: the input cell it copies, or null for padding */
  readonly sources: readonly (readonly (readonly number[] | null)[])[];
  /** when the request had a weight: the weight matrix (C_out × rows of its group) and the GEMM result */
  readonly gemm: {
    readonly groups: number;
    readonly weightMatrix: readonly (readonly (number | string)[])[];
    readonly product: readonly (readonly (number | string)[])[];
  } | null;
}

/**
 * The column matrix of one batch item, with where each entry came from; with a conv geometry and weight
 * also the weight matrix and its product, which equals the conv output (rows = output channels).
 */
export function traceIm2col(
  g: UnfoldGeometry,
  input: Tensor,
  batch = 0,
  conv?: { geometry: ConvGeometry; weight: Tensor; bias: Tensor | null; flip?: boolean },
): Im2colTrace {
  if (g.rows * g.columns > MAX_MATRIX_ENTRIES) {
    fail(
      'input',
      'size_limit',
      `the column matrix would have ${g.rows}×${g.columns} = ${g.rows * g.columns} entries, over the trace limit of ${MAX_MATRIX_ENTRIES}: trace a smaller input`,
    );
  }
  if (!Number.isInteger(batch) || batch < 0 || batch >= g.batch)
    fail('batch', 'type', `batch must be an integer from 0 to ${g.batch - 1}, got ${batch}`);
  const cols = unfold(g, input);
  const taps = g.kernelSize.reduce((a, b) => a * b, 1);
  const rowLabels = Array.from({ length: g.rows }, (_, r) => ({
    channel: Math.floor(r / taps),
    tap: unravel(r % taps, g.kernelSize),
  }));
  const columnLabels = Array.from({ length: g.columns }, (_, l) => unravel(l, g.blocks));
  const base = batch * g.rows * g.columns;
  const matrix: (number | string)[][] = [];
  const sources: (number[] | null)[][] = [];
  for (let r = 0; r < g.rows; r++) {
    const row: (number | string)[] = [];
    const srcRow: (number[] | null)[] = [];
    const tap = rowLabels[r].tap;
    for (let l = 0; l < g.columns; l++) {
      row.push(jsonNumber(cols.data[base + r * g.columns + l]));
      const at = columnLabels[l].map((o, i) => o * g.stride[i] - g.padding[i] + tap[i] * g.dilation[i]);
      srcRow.push(at.every((a, i) => a >= 0 && a < g.inputSize[i]) ? at : null);
    }
    matrix.push(row);
    sources.push(srcRow);
  }
  let gemm: Im2colTrace['gemm'] = null;
  if (conv) {
    const out = traceGemm(conv.geometry, input, conv.weight, conv.bias, conv.flip === true, batch);
    gemm = { groups: conv.geometry.groups, ...out };
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
    rows: g.rows,
    columns: g.columns,
    rowLabels,
    columnLabels,
    matrix,
    sources,
    gemm,
  };
}

function traceGemm(g: ConvGeometry, input: Tensor, weight: Tensor, bias: Tensor | null, flip: boolean, batch: number) {
  const applied = flip ? flipKernel(weight) : weight;
  const k = applied.data.length / g.outChannels;
  const weightMatrix = Array.from({ length: g.outChannels }, (_, c) =>
    Array.from(applied.data.subarray(c * k, (c + 1) * k), jsonNumber),
  );
  const output = conv(g, input, weight, bias, { flip });
  const plane = g.outputSize.reduce((a, b) => a * b, 1);
  const product = Array.from({ length: g.outChannels }, (_, c) =>
    Array.from(
      output.data.subarray((batch * g.outChannels + c) * plane, (batch * g.outChannels + c + 1) * plane),
      jsonNumber,
    ),
  );
  return { weightMatrix, product };
}

// ---------------------------------------------------------------------------------------------------------
// Transposed convolution: scatter-add

export interface ScatterContribution {
  readonly outChannel: number;
  readonly tap: readonly number[];
  /** position in the uncropped output: i·stride + t·dilation */
  readonly at: readonly number[];
  /** position in the output after the padding crop, or null where the crop removes it */
  readonly position: readonly number[] | null;
  readonly w: number;
  readonly product: number;
}

export interface ScatterStep {
  readonly step: number;
  readonly batch: number;
  readonly inChannel: number;
  readonly position: readonly number[];
  readonly value: number;
  readonly contributions: readonly ScatterContribution[];
}

export interface TransposeTrace {
  readonly kind: 'conv_transpose';
  readonly inputShape: readonly number[];
  readonly weightShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  readonly padding: readonly number[];
  readonly outputPadding: readonly number[];
  /** spatial size before the crop: (in−1)·s + d·(k−1) + 1 + output_padding */
  readonly uncroppedSize: readonly number[];
  readonly input: Nested;
  readonly weight: Nested;
  readonly output: Nested;
  readonly steps: readonly ScatterStep[];
  readonly range: StepWindow;
  readonly formula: readonly string[];
}

export function traceConvTranspose(
  g: ConvTransposeGeometry,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  range: TraceRange = {},
): TransposeTrace {
  const output = convTranspose(g, input, weight, bias);
  return {
    kind: 'conv_transpose',
    inputShape: g.inputShape,
    weightShape: g.weightShape,
    outputShape: g.outputShape,
    stride: g.stride,
    dilation: g.dilation,
    padding: g.padding,
    outputPadding: g.outputPadding,
    uncroppedSize: g.outputSize.map((o, i) => o + 2 * g.padding[i]),
    input: toNested(input),
    weight: toNested(weight),
    output: toNested(output),
    ...scatterSteps(
      g.batch,
      g.inChannels,
      g.inputSize,
      g.outChannels,
      g.groups,
      g.kernelSize,
      g.stride,
      g.dilation,
      g.padding,
      g.outputSize,
      input,
      weight,
      range,
    ),
    formula: g.formula.map((f) => f.text),
  };
}

/** The scatter of a transposed conv (or of dY through W in a conv's backward pass), step by input cell. */
function scatterSteps(
  batch: number,
  inChannels: number,
  inSize: readonly number[],
  outChannels: number,
  groups: number,
  kernel: readonly number[],
  stride: readonly number[],
  dilation: readonly number[],
  padding: readonly number[],
  outSize: readonly number[],
  input: Tensor,
  weight: Tensor,
  range: TraceRange,
): { steps: ScatterStep[]; range: StepWindow } {
  const inPlane = inSize.reduce((a, b) => a * b, 1);
  const taps = kernel.reduce((a, b) => a * b, 1);
  const perGroupIn = inChannels / groups;
  const perGroupOut = outChannels / groups;
  const win = stepWindow(batch * inChannels * inPlane, range);
  const steps: ScatterStep[] = [];
  for (let s = win.start; s < win.start + win.count; s++) {
    const n = Math.floor(s / (inChannels * inPlane));
    const ic = Math.floor(s / inPlane) % inChannels;
    const position = unravel(s % inPlane, inSize);
    const value = input.data[s];
    const group = Math.floor(ic / perGroupIn);
    const contributions: ScatterContribution[] = [];
    for (let co = 0; co < perGroupOut; co++) {
      for (let t = 0; t < taps; t++) {
        const tap = unravel(t, kernel);
        const at = tap.map((k, i) => position[i] * stride[i] + k * dilation[i]);
        const cropped = at.map((a, i) => a - padding[i]);
        const inside = cropped.every((c, i) => c >= 0 && c < outSize[i]);
        const wv = weight.data[(ic * perGroupOut + co) * taps + t];
        contributions.push({
          outChannel: group * perGroupOut + co,
          tap,
          at,
          position: inside ? cropped : null,
          w: wv,
          product: value * wv,
        });
      }
    }
    steps.push({ step: s, batch: n, inChannel: ic, position, value, contributions });
  }
  return { steps, range: win };
}

// ---------------------------------------------------------------------------------------------------------
// Pooling

export interface PoolCell {
  readonly tap: readonly number[];
  /** input coordinate (may lie in the padding) */
  readonly at: readonly number[];
  readonly inside: boolean;
  readonly value: number | null;
}

export interface PoolStep {
  readonly step: number;
  readonly batch: number;
  readonly channel: number;
  readonly position: readonly number[];
  readonly windowStart: readonly number[];
  readonly cells: readonly PoolCell[];
  /** max pool: the flat index PyTorch returns; avg pool: null */
  readonly argmax: number | null;
  /** avg pool: what the sum is divided by; max pool: null */
  readonly divisor: number | null;
  readonly value: number;
  readonly text: string;
}

export interface PoolTrace {
  readonly kind: 'max_pool' | 'avg_pool';
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly padding: readonly number[];
  readonly dilation: readonly number[];
  readonly ceilMode: boolean;
  readonly input: Nested;
  readonly output: Nested;
  readonly indices: Nested | null;
  readonly steps: readonly PoolStep[];
  readonly range: StepWindow;
  readonly formula: readonly string[];
  /** why the output has the size it has along each dim, in particular ceil_mode's dropped window */
  readonly notes: readonly string[];
}

export function tracePool(
  g: PoolGeometry,
  input: Tensor,
  options: AvgPoolOptions = {},
  range: TraceRange = {},
): PoolTrace {
  const isMax = g.kind === 'max';
  const max = isMax ? maxPool(g, input) : null;
  const output = max ? max.output : avgPool(g, input, options);
  const divisors = isMax ? null : avgPoolDivisors(g, options);
  const outPlane = g.outputSize.reduce((a, b) => a * b, 1);
  const inPlane = g.inputSize.reduce((a, b) => a * b, 1);
  const inStrides = stridesOf(g.inputSize);
  const taps = g.kernelSize.reduce((a, b) => a * b, 1);
  const win = stepWindow(g.batch * g.channels * outPlane, range);
  const steps: PoolStep[] = [];
  for (let s = win.start; s < win.start + win.count; s++) {
    const plane = Math.floor(s / outPlane);
    const position = unravel(s % outPlane, g.outputSize);
    const windowStart = position.map((o, i) => o * g.stride[i] - g.padding[i]);
    const cells: PoolCell[] = [];
    for (let t = 0; t < taps; t++) {
      const tap = unravel(t, g.kernelSize);
      const at = tap.map((k, i) => windowStart[i] + k * g.dilation[i]);
      const inside = at.every((a, i) => a >= 0 && a < g.inputSize[i]);
      const flat = at.reduce((acc, a, i) => acc + a * inStrides[i], 0);
      cells.push({ tap, at, inside, value: inside ? input.data[plane * inPlane + flat] : null });
    }
    const value = output.data[s];
    const argmax = max ? max.indices.data[s] : null;
    const divisor = divisors ? divisors[s % outPlane] : null;
    const shown = cells.filter((c) => c.inside).map((c) => formatNumber(c.value as number));
    const text = isMax
      ? `max(${shown.join(', ')}) = ${formatNumber(value)} at index ${argmax}`
      : `(${shown.join(' + ')}) / ${divisor} = ${formatNumber(value)}`;
    steps.push({
      step: s,
      batch: Math.floor(plane / g.channels),
      channel: plane % g.channels,
      position,
      windowStart,
      cells,
      argmax,
      divisor,
      value,
      text,
    });
  }
  const notes = g.formula.map((f, i) => {
    let note = `${['dim', 'dim', 'dim'][i]} ${i}: ${f.text}`;
    if (g.ceilMode) {
      const effective = g.dilation[i] * (g.kernelSize[i] - 1) + 1;
      const raw = Math.ceil((g.inputSize[i] + 2 * g.padding[i] - effective) / g.stride[i]) + 1;
      if (raw !== f.output) {
        note += ` (ceil gives ${raw}, but window ${raw - 1} would start at ${(raw - 1) * g.stride[i] - g.padding[i]}, inside the right padding, so PyTorch drops it)`;
      } else if (raw !== Math.floor((g.inputSize[i] + 2 * g.padding[i] - effective) / g.stride[i]) + 1) {
        note += ' (ceil_mode keeps a last, partial window)';
      }
    }
    return note;
  });
  return {
    kind: isMax ? 'max_pool' : 'avg_pool',
    inputShape: g.inputShape,
    outputShape: g.outputShape,
    kernelSize: g.kernelSize,
    stride: g.stride,
    padding: g.padding,
    dilation: g.dilation,
    ceilMode: g.ceilMode,
    input: toNested(input),
    output: toNested(output),
    indices: max ? toNested(max.indices) : null,
    steps,
    range: win,
    formula: g.formula.map((f) => f.text),
    notes,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Backward pass

export interface WeightGradTerm {
  readonly batch: number;
  readonly position: readonly number[];
  readonly x: number;
  readonly dy: number;
}

export interface WeightGradStep {
  readonly step: number;
  readonly outChannel: number;
  readonly inChannel: number;
  readonly tap: readonly number[];
  readonly terms: readonly WeightGradTerm[];
  readonly value: number;
  readonly text: string;
}

export interface BackwardTrace {
  readonly kind: 'conv_backward';
  readonly input: Nested;
  readonly appliedWeight: Nested;
  readonly gradOutput: Nested;
  readonly inputShape: readonly number[];
  readonly weightShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  readonly padBefore: readonly number[];
  readonly padAfter: readonly number[];
  readonly gradInput: Nested;
  readonly gradWeight: Nested;
  readonly gradBias: Nested | null;
  /** dX as the transposed conv of dY with W: each dY cell scattered through the kernel (padded coordinates) */
  readonly gradInputSteps: readonly ScatterStep[];
  readonly gradInputRange: StepWindow;
  /** dW as the correlation of X with dY: one step per weight element */
  readonly gradWeightSteps: readonly WeightGradStep[];
  readonly gradWeightRange: StepWindow;
}

export function traceConvBackward(
  g: ConvGeometry,
  input: Tensor,
  weight: Tensor,
  gradOutput: Tensor,
  options: ConvOptions = {},
  range: TraceRange = {},
): BackwardTrace {
  const grads = convBackward(g, input, weight, gradOutput, options);
  const applied = options.flip ? flipKernel(weight) : weight;
  // dY scattered through the kernel into the padded input: (o·s + t·d) is a padded coordinate, so the crop is 0.
  // A conv weight [C_out][C_in/g][k] is already in the scatter's [from-channel][to-channel-in-group] layout.
  const paddedSize = g.inputSize.map((s, i) => s + g.padBefore[i] + g.padAfter[i]);
  const dx = scatterSteps(
    g.batch,
    g.outChannels,
    g.outputSize,
    g.inChannels,
    g.groups,
    g.kernelSize,
    g.stride,
    g.dilation,
    g.kernelSize.map(() => 0),
    paddedSize,
    gradOutput,
    applied,
    range,
  );
  const taps = g.kernelSize.reduce((a, b) => a * b, 1);
  const cg = g.inChannels / g.groups;
  const og = g.outChannels / g.groups;
  const outPlane = g.outputSize.reduce((a, b) => a * b, 1);
  const inPlane = g.inputSize.reduce((a, b) => a * b, 1);
  const inStrides = stridesOf(g.inputSize);
  const padSource = g.inputSize.map((s, i) => padIndexMap(s, g.padBefore[i], g.padAfter[i], g.paddingMode));
  const win = stepWindow(g.outChannels * cg * taps, range);
  const steps: WeightGradStep[] = [];
  for (let s = win.start; s < win.start + win.count; s++) {
    const oc = Math.floor(s / (cg * taps));
    const ci = Math.floor(s / taps) % cg;
    const t = s % taps;
    const tap = unravel(t, g.kernelSize);
    // true convolution applies the flipped kernel, so this weight element sits at the mirrored tap
    const appliedTap = options.flip ? tap.map((k, i) => g.kernelSize[i] - 1 - k) : tap;
    const channel = Math.floor(oc / og) * cg + ci;
    const terms: WeightGradTerm[] = [];
    for (let n = 0; n < g.batch; n++) {
      for (let o = 0; o < outPlane; o++) {
        const position = unravel(o, g.outputSize);
        const src = position.map((p, i) => padSource[i][p * g.stride[i] + appliedTap[i] * g.dilation[i]]);
        const x = src.some((v) => v < 0)
          ? 0
          : input.data[(n * g.inChannels + channel) * inPlane + src.reduce((a, v, i) => a + v * inStrides[i], 0)];
        terms.push({ batch: n, position, x, dy: gradOutput.data[(n * g.outChannels + oc) * outPlane + o] });
      }
    }
    const value = grads.gradWeight.data[s];
    steps.push({
      step: s,
      outChannel: oc,
      inChannel: ci,
      tap,
      terms,
      value,
      text: arithmetic(
        terms.map((u) => [u.x, u.dy] as const),
        null,
        value,
      ),
    });
  }
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
    gradInputSteps: dx.steps,
    gradInputRange: dx.range,
    gradWeightSteps: steps,
    gradWeightRange: win,
  };
}
