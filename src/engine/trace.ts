/**
 * Traces: the step-by-step account a viewer draws, built from results the kernels already computed (a
 * trace never runs the op again). Every function here reads the same geometry record as the kernels and
 * reports the kernels' numbers, so what the panel shows is what the engine returned. Steps come in windows
 * (pages) bounded by terms: a step of a 64-channel 3×3 conv has 576 terms, of a 5×5 lecture conv 9.
 *
 * Coordinates: `position` is an output position; `at` is a coordinate in the padded input (input coordinate
 * + padBefore); `source` is the input cell the value came from, or null for zero padding.
 */
import type {
  ConvStep,
  ConvTerm,
  PoolCell,
  PoolStep,
  ScatterContribution,
  ScatterStep,
  StepWindow,
  WeightGradStep,
  WeightGradTerm,
} from '../protocol/steps';
import { fail } from './errors';
import type { ConvGeometry, ConvTransposeGeometry, PoolGeometry, UnfoldGeometry } from './geometry';
import { padIndexMap } from './padding';
import { sizeOf, stridesOf, unravel, type Tensor } from './tensor';

/**
 * a page holds at most this many terms (products, contributions, window cells)… A page is posted to the panel
 * through VS Code's transport, whose write holds the extension host's thread for the whole message (measured in
 * code-server: 8192 terms, a 0.8 MB first message, stalled the host 55–84 ms; 2048 terms stays under 50 ms).
 */
export const PAGE_TERMS = 2048;
/** …and at most this many steps */
export const MAX_PAGE_STEPS = 256;
/** the arithmetic text of a step lists at most this many terms */
const TEXT_TERMS = 48;
/** the im2col view draws its whole column matrix: at most this many entries */
export const MAX_MATRIX_ENTRIES = 1 << 16;

export interface TraceRange {
  /** first step to include (default 0) */
  readonly start?: number;
  /** how many steps (default: one page) */
  readonly count?: number;
}

/** Steps per page when each step has `termsPerStep` terms. */
export function pageSize(termsPerStep: number): number {
  return Math.max(1, Math.min(MAX_PAGE_STEPS, Math.floor(PAGE_TERMS / Math.max(1, termsPerStep))));
}

/** The page of `size` steps that holds step `index` (pages start at multiples of their size). */
export function pageWindow(total: number, index: number, size: number): StepWindow {
  if (!Number.isSafeInteger(index) || index < 0) fail('start', 'type', `start must be an integer ≥ 0, got ${index}`);
  return stepWindow(total, { start: Math.min(total, Math.floor(index / size) * size) }, size);
}

/** The steps [start, start + count) of `total`, refusing a start or count that is not an index. */
export function stepWindow(total: number, range: TraceRange, size: number): StepWindow {
  const start = range.start ?? 0;
  const wanted = range.count ?? size;
  if (!Number.isSafeInteger(start) || start < 0) fail('start', 'type', `start must be an integer ≥ 0, got ${start}`);
  if (!Number.isSafeInteger(wanted) || wanted < 1) fail('count', 'type', `count must be an integer ≥ 1, got ${wanted}`);
  const from = Math.min(start, total);
  const count = Math.min(wanted, size, total - from);
  return { start: from, count, total, truncated: from > 0 || from + count < total };
}

/** A number inside a step's arithmetic text: negative numbers in brackets so that "2·(−1)" reads right. */
function termText(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  const s = Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6)));
  return x < 0 ? `(${s})` : s;
}

/**
 * "1·0 + 3·0 + 2·0 + … = 16": the arithmetic of one step, bounded in length. `count` is the number of terms
 * when `pairs` holds only the first ones.
 */
export function arithmetic(
  pairs: readonly (readonly [number, number])[],
  extra: number | null,
  result: number,
  count = pairs.length,
): string {
  const shown = pairs.slice(0, TEXT_TERMS).map(([a, b]) => `${termText(a)}·${termText(b)}`);
  if (count > TEXT_TERMS) shown.push(`… (${count - TEXT_TERMS} more)`);
  if (extra !== null) shown.push(`${termText(extra)} (bias)`);
  return `${shown.join(' + ')} = ${termText(result)}`;
}

// ---------------------------------------------------------------------------------------------------------
// Sliding window (conv forward)

/** What the sliding-window picture needs beyond the geometry: where each padded cell comes from. */
export interface ConvTraceFacts {
  /** per spatial dim: for each padded coordinate the input coordinate it shows, or −1 for zero padding */
  readonly padSource: readonly Int32Array[];
  readonly paddedSize: readonly number[];
  readonly termsPerStep: number;
  readonly total: number;
}

export function convTraceFacts(g: ConvGeometry): ConvTraceFacts {
  const padSource = g.inputSize.map((s, i) => padIndexMap(s, g.padBefore[i], g.padAfter[i], g.paddingMode));
  return {
    padSource,
    paddedSize: padSource.map((m) => m.length),
    termsPerStep: (g.inChannels / g.groups) * sizeOf(g.kernelSize),
    total: g.batch * g.outChannels * sizeOf(g.outputSize),
  };
}

/**
 * The steps of a conv: step s is output element s (row-major over N, C_out, spatial). `applied` is the kernel
 * as the window applies it (flipped for true convolution); `output` is the kernels' own result.
 */
export function convSteps(
  g: ConvGeometry,
  facts: ConvTraceFacts,
  input: Tensor,
  applied: Tensor,
  bias: Tensor | null,
  output: Tensor,
  win: StepWindow,
): ConvStep[] {
  const kernel = g.kernelSize;
  const taps = sizeOf(kernel);
  const outPlane = sizeOf(g.outputSize);
  const inPlane = sizeOf(g.inputSize);
  const inStrides = stridesOf(g.inputSize);
  const cg = g.inChannels / g.groups;
  const og = g.outChannels / g.groups;
  const tapIndex = Array.from({ length: taps }, (_, t) => unravel(t, kernel));
  const steps: ConvStep[] = [];
  for (let s = win.start; s < win.start + win.count; s++) {
    const n = Math.floor(s / (g.outChannels * outPlane));
    const oc = Math.floor(s / outPlane) % g.outChannels;
    const position = unravel(s % outPlane, g.outputSize);
    const group = Math.floor(oc / og);
    const windowStart = position.map((o, i) => o * g.stride[i]);
    // where each tap falls is the same for every input channel of the step: one set of coordinates per tap
    const at = tapIndex.map((tap) => tap.map((k, i) => windowStart[i] + k * g.dilation[i]));
    const sources = at.map((a) => {
      const src = a.map((v, i) => facts.padSource[i][v]);
      return src.some((v) => v < 0) ? null : src;
    });
    const offsets = sources.map((src) => (src ? src.reduce((acc, v, i) => acc + v * inStrides[i], 0) : -1));
    const terms: ConvTerm[] = [];
    const channelSums: { channel: number; sum: number }[] = [];
    let running = 0;
    for (let ci = 0; ci < cg; ci++) {
      const channel = group * cg + ci;
      const base = (n * g.inChannels + channel) * inPlane;
      let partial = 0;
      for (let t = 0; t < taps; t++) {
        const x = offsets[t] < 0 ? 0 : input.data[base + offsets[t]];
        const w = applied.data[(oc * cg + ci) * taps + t];
        const product = x * w;
        running += product;
        partial += product;
        terms.push({ channel, tap: tapIndex[t], at: at[t], source: sources[t], x, w, product, running });
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
        terms.slice(0, TEXT_TERMS + 1).map((t) => [t.w, t.x] as const),
        b,
        value,
        terms.length,
      ),
    });
  }
  return steps;
}

// ---------------------------------------------------------------------------------------------------------
// Scatter-add: a transposed conv, and dX of a conv's backward pass (dY scattered through W)

/** One scatter: `source` (N, C_from, spatial) times the kernel added into (N, C_to, uncropped spatial). */
export interface Scatter {
  readonly batch: number;
  readonly fromChannels: number;
  readonly fromSize: readonly number[];
  readonly toChannels: number;
  readonly groups: number;
  readonly kernel: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  /** cells cropped before each dim of the result (a transposed conv's padding; 0 for dX over the padded input) */
  readonly crop: readonly number[];
  /** the result's spatial size after the crop */
  readonly toSize: readonly number[];
  readonly source: Tensor;
  /** [C_from][C_to / groups][kernel…] */
  readonly weight: Tensor;
  readonly total: number;
  readonly termsPerStep: number;
}

function scatter(
  batch: number,
  fromChannels: number,
  fromSize: readonly number[],
  toChannels: number,
  groups: number,
  kernel: readonly number[],
  stride: readonly number[],
  dilation: readonly number[],
  crop: readonly number[],
  toSize: readonly number[],
  source: Tensor,
  weight: Tensor,
): Scatter {
  return {
    batch,
    fromChannels,
    fromSize,
    toChannels,
    groups,
    kernel,
    stride,
    dilation,
    crop,
    toSize,
    source,
    weight,
    total: batch * fromChannels * sizeOf(fromSize),
    termsPerStep: (toChannels / groups) * sizeOf(kernel),
  };
}

export function transposeScatter(g: ConvTransposeGeometry, input: Tensor, weight: Tensor): Scatter {
  return scatter(
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
  );
}

/**
 * dX of a conv as a scatter of dY through the applied kernel into the padded input: (o·s + t·d) is a padded
 * coordinate, so nothing is cropped here. A conv weight [C_out][C_in/g][k] is already in the scatter's
 * [from-channel][to-channel-in-group] layout.
 */
export function gradInputScatter(g: ConvGeometry, gradOutput: Tensor, applied: Tensor): Scatter {
  const paddedSize = g.inputSize.map((s, i) => s + g.padBefore[i] + g.padAfter[i]);
  return scatter(
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
  );
}

/** The spatial size of a scatter's result before the crop. */
export function uncroppedSize(sc: Scatter): number[] {
  return sc.toSize.map((o, i) => o + 2 * sc.crop[i]);
}

/**
 * The uncropped result plane (batch item `n`, channel `toChannel`) as it stands once steps 0 … `step` have
 * been scattered — the picture of a transposed conv (or of dX) building up, step by step — followed by how
 * many contributions each cell has had so far (0: not reached yet): 2 × plane size numbers.
 */
export function scatterPartial(sc: Scatter, step: number, n: number, toChannel: number): Float64Array {
  const rank = sc.kernel.length;
  const size = uncroppedSize(sc);
  const cells = sizeOf(size);
  const plane = new Float64Array(2 * cells);
  const fromPlane = sizeOf(sc.fromSize);
  const taps = sizeOf(sc.kernel);
  const perGroupFrom = sc.fromChannels / sc.groups;
  const perGroupTo = sc.toChannels / sc.groups;
  const group = Math.floor(toChannel / perGroupTo);
  const co = toChannel % perGroupTo;
  const sizeStrides = stridesOf(size);
  const tapIndex = Array.from({ length: taps }, (_, t) => unravel(t, sc.kernel));
  for (let ci = 0; ci < perGroupFrom; ci++) {
    const from = group * perGroupFrom + ci;
    const base = (n * sc.fromChannels + from) * fromPlane;
    for (let i = 0; i < fromPlane && base + i <= step; i++) {
      const x = sc.source.data[base + i];
      const position = unravel(i, sc.fromSize);
      for (let t = 0; t < taps; t++) {
        let flat = 0;
        for (let d = 0; d < rank; d++)
          flat += (position[d] * sc.stride[d] + tapIndex[t][d] * sc.dilation[d]) * sizeStrides[d];
        plane[flat] += x * sc.weight.data[(from * perGroupTo + co) * taps + t];
        plane[cells + flat]++;
      }
    }
  }
  return plane;
}

/**
 * The scatter's steps: step s is source element s. Each contribution also says what its target cell holds
 * once it is added (`after`): the sum of every contribution to that cell from steps ≤ s. One step adds at
 * most once to a cell (distinct taps land on distinct cells), so `after` enumerates the source cells that can
 * reach the target along each dim — (u − t·d) divisible by the stride — instead of replaying earlier steps.
 */
export function scatterSteps(sc: Scatter, win: StepWindow): ScatterStep[] {
  const rank = sc.kernel.length;
  const fromPlane = sizeOf(sc.fromSize);
  const taps = sizeOf(sc.kernel);
  const perGroupFrom = sc.fromChannels / sc.groups;
  const perGroupTo = sc.toChannels / sc.groups;
  const fromStrides = stridesOf(sc.fromSize);
  const kernelStrides = stridesOf(sc.kernel);
  const tapIndex = Array.from({ length: taps }, (_, t) => unravel(t, sc.kernel));
  // per dim and uncropped coordinate u: the (source coordinate, tap) pairs with i·s + t·d = u
  const uncropped = uncroppedSize(sc);
  const reach = uncropped.map((size, d) =>
    Array.from({ length: size }, (_, u) => {
      const pairs: [number, number][] = [];
      for (let t = 0; t < sc.kernel[d]; t++) {
        const off = u - t * sc.dilation[d];
        if (off >= 0 && off % sc.stride[d] === 0 && off / sc.stride[d] < sc.fromSize[d])
          pairs.push([off / sc.stride[d], t]);
      }
      return pairs;
    }),
  );
  const sumBefore = (n: number, toChannel: number, u: readonly number[], lastStep: number): number => {
    const group = Math.floor(toChannel / perGroupTo);
    const co = toChannel % perGroupTo;
    let combos: [number, number][] = [[0, 0]];
    for (let d = 0; d < rank; d++) {
      const next: [number, number][] = [];
      for (const [flatI, flatT] of combos)
        for (const [i, t] of reach[d][u[d]]) next.push([flatI + i * fromStrides[d], flatT + t * kernelStrides[d]]);
      combos = next;
    }
    let sum = 0;
    for (let ci = 0; ci < perGroupFrom; ci++) {
      const from = group * perGroupFrom + ci;
      const base = (n * sc.fromChannels + from) * fromPlane;
      if (base > lastStep) break;
      for (const [flatI, flatT] of combos) {
        if (base + flatI > lastStep) continue;
        sum += sc.source.data[base + flatI] * sc.weight.data[(from * perGroupTo + co) * taps + flatT];
      }
    }
    return sum;
  };
  const steps: ScatterStep[] = [];
  for (let s = win.start; s < win.start + win.count; s++) {
    const n = Math.floor(s / (sc.fromChannels * fromPlane));
    const ic = Math.floor(s / fromPlane) % sc.fromChannels;
    const position = unravel(s % fromPlane, sc.fromSize);
    const value = sc.source.data[s];
    const group = Math.floor(ic / perGroupFrom);
    const contributions: ScatterContribution[] = [];
    for (let co = 0; co < perGroupTo; co++) {
      for (let t = 0; t < taps; t++) {
        const tap = tapIndex[t];
        const at = tap.map((k, i) => position[i] * sc.stride[i] + k * sc.dilation[i]);
        const cropped = at.map((a, i) => a - sc.crop[i]);
        const inside = cropped.every((c, i) => c >= 0 && c < sc.toSize[i]);
        const w = sc.weight.data[(ic * perGroupTo + co) * taps + t];
        const outChannel = group * perGroupTo + co;
        contributions.push({
          outChannel,
          tap,
          at,
          position: inside ? cropped : null,
          w,
          product: value * w,
          after: sumBefore(n, outChannel, at, s),
        });
      }
    }
    steps.push({ step: s, batch: n, inChannel: ic, position, value, contributions });
  }
  return steps;
}

// ---------------------------------------------------------------------------------------------------------
// Pooling

export interface PoolResults {
  readonly output: Tensor;
  /** max pooling: PyTorch's flat indices per output element */
  readonly indices: Tensor | null;
  /** avg pooling: the divisor of each output position (one plane, shared by every channel) */
  readonly divisors: Float64Array | null;
}

export function poolTermsPerStep(g: PoolGeometry): number {
  return sizeOf(g.kernelSize);
}

export function poolTotal(g: PoolGeometry): number {
  return g.batch * g.channels * sizeOf(g.outputSize);
}

export function poolSteps(g: PoolGeometry, input: Tensor, r: PoolResults, win: StepWindow): PoolStep[] {
  const isMax = g.kind === 'max';
  const outPlane = sizeOf(g.outputSize);
  const inPlane = sizeOf(g.inputSize);
  const inStrides = stridesOf(g.inputSize);
  const taps = sizeOf(g.kernelSize);
  const tapIndex = Array.from({ length: taps }, (_, t) => unravel(t, g.kernelSize));
  const steps: PoolStep[] = [];
  for (let s = win.start; s < win.start + win.count; s++) {
    const plane = Math.floor(s / outPlane);
    const position = unravel(s % outPlane, g.outputSize);
    const windowStart = position.map((o, i) => o * g.stride[i] - g.padding[i]);
    const cells: PoolCell[] = [];
    for (let t = 0; t < taps; t++) {
      const tap = tapIndex[t];
      const at = tap.map((k, i) => windowStart[i] + k * g.dilation[i]);
      const inside = at.every((a, i) => a >= 0 && a < g.inputSize[i]);
      const flat = at.reduce((acc, a, i) => acc + a * inStrides[i], 0);
      cells.push({ tap, at, inside, value: inside ? input.data[plane * inPlane + flat] : null });
    }
    const value = r.output.data[s];
    const argmax = r.indices ? r.indices.data[s] : null;
    const divisor = r.divisors ? r.divisors[s % outPlane] : null;
    const shown = cells.filter((c) => c.inside).map((c) => termText(c.value as number));
    const text = isMax
      ? `max(${shown.join(', ')}) = ${termText(value)} at index ${argmax}`
      : `(${shown.join(' + ')}) / ${divisor} = ${termText(value)}`;
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
  return steps;
}

/**
 * Per spatial dim: how many cells the last window reaches past the input — into the right padding, or with
 * ceil_mode beyond it (a last, partial window). The picture needs room for it.
 */
export function poolOverhang(g: PoolGeometry): number[] {
  return g.inputSize.map((size, d) =>
    Math.max(0, (g.outputSize[d] - 1) * g.stride[d] - g.padding[d] + (g.kernelSize[d] - 1) * g.dilation[d] + 1 - size),
  );
}

/** Why each dim has the size it has; with ceil_mode, whether a last window was kept or dropped. */
export function poolNotes(g: PoolGeometry): string[] {
  return g.formula.map((f, i) => {
    let note = `dim ${i}: ${f.text}`;
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
}

// ---------------------------------------------------------------------------------------------------------
// im2col and the GEMM

export interface Im2colMatrix {
  readonly rows: number;
  readonly columns: number;
  /** batch item `batch`'s column matrix, rows × columns, row-major */
  readonly matrix: Float64Array;
  /** rows × columns × rank: the input cell each entry copies, −1 in every entry for padding */
  readonly sources: Int32Array;
  readonly rowChannel: Int32Array;
  readonly rowTap: Int32Array;
  readonly columnPosition: Int32Array;
}

/** Where every entry of the column matrix of batch item `batch` comes from; `columns` is unfold's output. */
export function im2colMatrix(g: UnfoldGeometry, columns: Tensor, batch: number): Im2colMatrix {
  if (g.rows * g.columns > MAX_MATRIX_ENTRIES) {
    fail(
      'input',
      'size_limit',
      `the column matrix would have ${g.rows}×${g.columns} = ${g.rows * g.columns} entries, over the trace limit of ${MAX_MATRIX_ENTRIES}: trace a smaller input`,
    );
  }
  if (!Number.isInteger(batch) || batch < 0 || batch >= g.batch) {
    fail('batch', 'type', `batch must be an integer from 0 to ${g.batch - 1}, got ${batch}`);
  }
  const rank = g.rank;
  const taps = sizeOf(g.kernelSize);
  const rowChannel = new Int32Array(g.rows);
  const rowTap = new Int32Array(g.rows * rank);
  for (let r = 0; r < g.rows; r++) {
    rowChannel[r] = Math.floor(r / taps);
    rowTap.set(unravel(r % taps, g.kernelSize), r * rank);
  }
  const columnPosition = new Int32Array(g.columns * rank);
  for (let l = 0; l < g.columns; l++) columnPosition.set(unravel(l, g.blocks), l * rank);
  const base = batch * g.rows * g.columns;
  const matrix = columns.data.slice(base, base + g.rows * g.columns);
  const sources = new Int32Array(g.rows * g.columns * rank);
  for (let r = 0; r < g.rows; r++) {
    for (let l = 0; l < g.columns; l++) {
      const k = (r * g.columns + l) * rank;
      let inside = true;
      for (let d = 0; d < rank; d++) {
        const a = columnPosition[l * rank + d] * g.stride[d] - g.padding[d] + rowTap[r * rank + d] * g.dilation[d];
        sources[k + d] = a;
        if (a < 0 || a >= g.inputSize[d]) inside = false;
      }
      if (!inside) sources.fill(-1, k, k + rank);
    }
  }
  return { rows: g.rows, columns: g.columns, matrix, sources, rowChannel, rowTap, columnPosition };
}

/** The GEMM of im2col: the weight as a matrix (C_out × C_in/groups·taps) and batch item `batch` of the conv output. */
export function im2colGemm(g: ConvGeometry, applied: Tensor, output: Tensor, batch: number) {
  const plane = sizeOf(g.outputSize);
  return {
    groups: g.groups,
    outChannels: g.outChannels,
    weightColumns: applied.data.length / g.outChannels,
    weightMatrix: applied.data.slice(),
    product: output.data.slice(batch * g.outChannels * plane, (batch + 1) * g.outChannels * plane),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Backward pass: dW as the correlation of X with dY

export function weightGradTermsPerStep(g: ConvGeometry): number {
  return g.batch * sizeOf(g.outputSize);
}

export function weightGradTotal(g: ConvGeometry): number {
  return g.outChannels * (g.inChannels / g.groups) * sizeOf(g.kernelSize);
}

/** Step s is weight element s: Σ over batch and output positions of X at the tap's cell times dY. */
export function weightGradSteps(
  g: ConvGeometry,
  facts: ConvTraceFacts,
  input: Tensor,
  gradOutput: Tensor,
  gradWeight: Tensor,
  flip: boolean,
  win: StepWindow,
): WeightGradStep[] {
  const taps = sizeOf(g.kernelSize);
  const cg = g.inChannels / g.groups;
  const og = g.outChannels / g.groups;
  const outPlane = sizeOf(g.outputSize);
  const inPlane = sizeOf(g.inputSize);
  const inStrides = stridesOf(g.inputSize);
  const positions = Array.from({ length: outPlane }, (_, o) => unravel(o, g.outputSize));
  const steps: WeightGradStep[] = [];
  for (let s = win.start; s < win.start + win.count; s++) {
    const oc = Math.floor(s / (cg * taps));
    const ci = Math.floor(s / taps) % cg;
    const tap = unravel(s % taps, g.kernelSize);
    // true convolution applies the flipped kernel, so this weight element sits at the mirrored tap
    const appliedTap = flip ? tap.map((k, i) => g.kernelSize[i] - 1 - k) : tap;
    const channel = Math.floor(oc / og) * cg + ci;
    const terms: WeightGradTerm[] = [];
    for (let n = 0; n < g.batch; n++) {
      for (let o = 0; o < outPlane; o++) {
        const position = positions[o];
        const src = position.map((p, i) => facts.padSource[i][p * g.stride[i] + appliedTap[i] * g.dilation[i]]);
        const x = src.some((v) => v < 0)
          ? 0
          : input.data[(n * g.inChannels + channel) * inPlane + src.reduce((a, v, i) => a + v * inStrides[i], 0)];
        terms.push({ batch: n, position, x, dy: gradOutput.data[(n * g.outChannels + oc) * outPlane + o] });
      }
    }
    const value = gradWeight.data[s];
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
  return steps;
}
