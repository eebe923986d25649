/**
 * Pages of steps on the wire: each list of step objects (steps.ts) packed into typed arrays, one array per
 * field, so a page crosses to the webview as a few buffers instead of thousands of small objects, and NaN,
 * ±∞ and −0 arrive as they left. The webview decodes a page back into the same step objects.
 *
 * Layout: per-step fields hold one entry per step (vectors: `rank` entries per step); the terms of step i are
 * entries termStart[i] … termStart[i + 1] − 1 of the per-term fields. A null coordinate (padding, a cropped
 * position) is written as rank entries of −1, which no real coordinate can be.
 */
import { narrowIfExact, type Floats } from './floats';
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
} from './steps';

interface PageBase {
  readonly rank: number;
  readonly window: StepWindow;
  readonly step: Int32Array;
  /** per step: where its terms start in the per-term fields; one more entry than steps */
  readonly termStart: Int32Array;
}

export interface ConvPage extends PageBase {
  readonly kind: 'conv';
  readonly batch: Int32Array;
  readonly outChannel: Int32Array;
  readonly group: Int32Array;
  readonly position: Int32Array;
  readonly windowStart: Int32Array;
  readonly value: Floats;
  /** NaN where the step has no bias (hasBias tells the two apart) */
  readonly bias: Floats;
  readonly hasBias: Uint8Array;
  readonly text: readonly string[];
  readonly termChannel: Int32Array;
  readonly termTap: Int32Array;
  readonly termAt: Int32Array;
  readonly termSource: Int32Array;
  readonly termX: Floats;
  readonly termW: Floats;
  readonly termProduct: Floats;
  readonly termRunning: Floats;
  /** per step: the partial sum of each input channel of its group */
  readonly sumStart: Int32Array;
  readonly sumChannel: Int32Array;
  readonly sumValue: Floats;
}

export interface ScatterPage extends PageBase {
  readonly kind: 'scatter';
  readonly batch: Int32Array;
  readonly inChannel: Int32Array;
  readonly position: Int32Array;
  readonly value: Floats;
  readonly termOutChannel: Int32Array;
  readonly termTap: Int32Array;
  readonly termAt: Int32Array;
  readonly termPosition: Int32Array;
  readonly termW: Floats;
  readonly termProduct: Floats;
  readonly termAfter: Floats;
}

export interface PoolPage extends PageBase {
  readonly kind: 'pool';
  readonly batch: Int32Array;
  readonly channel: Int32Array;
  readonly position: Int32Array;
  readonly windowStart: Int32Array;
  /** −1 for avg pooling */
  readonly argmax: Floats;
  /** NaN for max pooling */
  readonly divisor: Floats;
  readonly value: Floats;
  readonly text: readonly string[];
  readonly termTap: Int32Array;
  readonly termAt: Int32Array;
  readonly termInside: Uint8Array;
  readonly termValue: Floats;
}

export interface WeightGradPage extends PageBase {
  readonly kind: 'weight_grad';
  readonly outChannel: Int32Array;
  readonly inChannel: Int32Array;
  readonly tap: Int32Array;
  readonly value: Floats;
  readonly text: readonly string[];
  readonly termBatch: Int32Array;
  readonly termPosition: Int32Array;
  readonly termX: Floats;
  readonly termDy: Floats;
}

export type StepPage = ConvPage | ScatterPage | PoolPage | WeightGradPage;

// ---------------------------------------------------------------------------------------------------------
// Packing helpers

function vectors(list: readonly (readonly number[] | null)[], rank: number): Int32Array {
  const out = new Int32Array(list.length * rank);
  list.forEach((v, i) => {
    for (let d = 0; d < rank; d++) out[i * rank + d] = v ? v[d] : -1;
  });
  return out;
}

function vectorAt(a: Int32Array, i: number, rank: number): number[] {
  return Array.from(a.subarray(i * rank, (i + 1) * rank));
}

function nullableVectorAt(a: Int32Array, i: number, rank: number): number[] | null {
  return rank > 0 && a[i * rank] < 0 ? null : vectorAt(a, i, rank);
}

function starts<T>(steps: readonly T[], terms: (s: T) => readonly unknown[]): Int32Array {
  const out = new Int32Array(steps.length + 1);
  steps.forEach((s, i) => (out[i + 1] = out[i] + terms(s).length));
  return out;
}

const ints = (xs: readonly number[]) => Int32Array.from(xs);
const floats = (xs: readonly number[]) => narrowIfExact(Float64Array.from(xs));

function range<T>(page: PageBase, i: number, read: (k: number) => T): T[] {
  const out: T[] = [];
  for (let k = page.termStart[i]; k < page.termStart[i + 1]; k++) out.push(read(k));
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Conv (sliding window)

export function encodeConvPage(steps: readonly ConvStep[], rank: number, window: StepWindow): ConvPage {
  const terms: ConvTerm[] = steps.flatMap((s) => s.terms);
  const sums = steps.flatMap((s) => s.channelSums);
  return {
    kind: 'conv',
    rank,
    window,
    step: ints(steps.map((s) => s.step)),
    termStart: starts(steps, (s) => s.terms),
    batch: ints(steps.map((s) => s.batch)),
    outChannel: ints(steps.map((s) => s.outChannel)),
    group: ints(steps.map((s) => s.group)),
    position: vectors(
      steps.map((s) => s.position),
      rank,
    ),
    windowStart: vectors(
      steps.map((s) => s.windowStart),
      rank,
    ),
    value: floats(steps.map((s) => s.value)),
    bias: floats(steps.map((s) => s.bias ?? NaN)),
    hasBias: Uint8Array.from(steps.map((s) => (s.bias === null ? 0 : 1))),
    text: steps.map((s) => s.text),
    termChannel: ints(terms.map((t) => t.channel)),
    termTap: vectors(
      terms.map((t) => t.tap),
      rank,
    ),
    termAt: vectors(
      terms.map((t) => t.at),
      rank,
    ),
    termSource: vectors(
      terms.map((t) => t.source),
      rank,
    ),
    termX: floats(terms.map((t) => t.x)),
    termW: floats(terms.map((t) => t.w)),
    termProduct: floats(terms.map((t) => t.product)),
    termRunning: floats(terms.map((t) => t.running)),
    sumStart: starts(steps, (s) => s.channelSums),
    sumChannel: ints(sums.map((c) => c.channel)),
    sumValue: floats(sums.map((c) => c.sum)),
  };
}

export function decodeConvStep(p: ConvPage, i: number): ConvStep {
  const r = p.rank;
  const channelSums: { channel: number; sum: number }[] = [];
  for (let k = p.sumStart[i]; k < p.sumStart[i + 1]; k++)
    channelSums.push({ channel: p.sumChannel[k], sum: p.sumValue[k] });
  return {
    step: p.step[i],
    batch: p.batch[i],
    outChannel: p.outChannel[i],
    group: p.group[i],
    position: vectorAt(p.position, i, r),
    windowStart: vectorAt(p.windowStart, i, r),
    terms: range(p, i, (k) => ({
      channel: p.termChannel[k],
      tap: vectorAt(p.termTap, k, r),
      at: vectorAt(p.termAt, k, r),
      source: nullableVectorAt(p.termSource, k, r),
      x: p.termX[k],
      w: p.termW[k],
      product: p.termProduct[k],
      running: p.termRunning[k],
    })),
    channelSums,
    bias: p.hasBias[i] ? p.bias[i] : null,
    value: p.value[i],
    text: p.text[i],
  };
}

// ---------------------------------------------------------------------------------------------------------
// Scatter (transposed conv, and dX of a conv's backward pass)

export function encodeScatterPage(steps: readonly ScatterStep[], rank: number, window: StepWindow): ScatterPage {
  const terms: ScatterContribution[] = steps.flatMap((s) => s.contributions);
  return {
    kind: 'scatter',
    rank,
    window,
    step: ints(steps.map((s) => s.step)),
    termStart: starts(steps, (s) => s.contributions),
    batch: ints(steps.map((s) => s.batch)),
    inChannel: ints(steps.map((s) => s.inChannel)),
    position: vectors(
      steps.map((s) => s.position),
      rank,
    ),
    value: floats(steps.map((s) => s.value)),
    termOutChannel: ints(terms.map((t) => t.outChannel)),
    termTap: vectors(
      terms.map((t) => t.tap),
      rank,
    ),
    termAt: vectors(
      terms.map((t) => t.at),
      rank,
    ),
    termPosition: vectors(
      terms.map((t) => t.position),
      rank,
    ),
    termW: floats(terms.map((t) => t.w)),
    termProduct: floats(terms.map((t) => t.product)),
    termAfter: floats(terms.map((t) => t.after)),
  };
}

export function decodeScatterStep(p: ScatterPage, i: number): ScatterStep {
  const r = p.rank;
  return {
    step: p.step[i],
    batch: p.batch[i],
    inChannel: p.inChannel[i],
    position: vectorAt(p.position, i, r),
    value: p.value[i],
    contributions: range(p, i, (k) => ({
      outChannel: p.termOutChannel[k],
      tap: vectorAt(p.termTap, k, r),
      at: vectorAt(p.termAt, k, r),
      position: nullableVectorAt(p.termPosition, k, r),
      w: p.termW[k],
      product: p.termProduct[k],
      after: p.termAfter[k],
    })),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Pooling

export function encodePoolPage(steps: readonly PoolStep[], rank: number, window: StepWindow): PoolPage {
  const cells: PoolCell[] = steps.flatMap((s) => s.cells);
  return {
    kind: 'pool',
    rank,
    window,
    step: ints(steps.map((s) => s.step)),
    termStart: starts(steps, (s) => s.cells),
    batch: ints(steps.map((s) => s.batch)),
    channel: ints(steps.map((s) => s.channel)),
    position: vectors(
      steps.map((s) => s.position),
      rank,
    ),
    windowStart: vectors(
      steps.map((s) => s.windowStart),
      rank,
    ),
    argmax: floats(steps.map((s) => s.argmax ?? -1)),
    divisor: floats(steps.map((s) => s.divisor ?? NaN)),
    value: floats(steps.map((s) => s.value)),
    text: steps.map((s) => s.text),
    termTap: vectors(
      cells.map((c) => c.tap),
      rank,
    ),
    // a window cell in the padding has a negative coordinate: keep it as it is, `inside` says which it is
    termAt: Int32Array.from(cells.flatMap((c) => [...c.at])),
    termInside: Uint8Array.from(cells.map((c) => (c.inside ? 1 : 0))),
    termValue: floats(cells.map((c) => c.value ?? NaN)),
  };
}

export function decodePoolStep(p: PoolPage, i: number): PoolStep {
  const r = p.rank;
  return {
    step: p.step[i],
    batch: p.batch[i],
    channel: p.channel[i],
    position: vectorAt(p.position, i, r),
    windowStart: vectorAt(p.windowStart, i, r),
    cells: range(p, i, (k) => ({
      tap: vectorAt(p.termTap, k, r),
      at: vectorAt(p.termAt, k, r),
      inside: p.termInside[k] === 1,
      value: p.termInside[k] === 1 ? p.termValue[k] : null,
    })),
    argmax: p.argmax[i] < 0 ? null : p.argmax[i],
    divisor: Number.isNaN(p.divisor[i]) ? null : p.divisor[i],
    value: p.value[i],
    text: p.text[i],
  };
}

// ---------------------------------------------------------------------------------------------------------
// Weight gradient (dW of a conv's backward pass: one step per weight element)

export function encodeWeightGradPage(
  steps: readonly WeightGradStep[],
  rank: number,
  window: StepWindow,
): WeightGradPage {
  const terms: WeightGradTerm[] = steps.flatMap((s) => s.terms);
  return {
    kind: 'weight_grad',
    rank,
    window,
    step: ints(steps.map((s) => s.step)),
    termStart: starts(steps, (s) => s.terms),
    outChannel: ints(steps.map((s) => s.outChannel)),
    inChannel: ints(steps.map((s) => s.inChannel)),
    tap: vectors(
      steps.map((s) => s.tap),
      rank,
    ),
    value: floats(steps.map((s) => s.value)),
    text: steps.map((s) => s.text),
    termBatch: ints(terms.map((t) => t.batch)),
    termPosition: vectors(
      terms.map((t) => t.position),
      rank,
    ),
    termX: floats(terms.map((t) => t.x)),
    termDy: floats(terms.map((t) => t.dy)),
  };
}

export function decodeWeightGradStep(p: WeightGradPage, i: number): WeightGradStep {
  const r = p.rank;
  return {
    step: p.step[i],
    outChannel: p.outChannel[i],
    inChannel: p.inChannel[i],
    tap: vectorAt(p.tap, i, r),
    terms: range(p, i, (k) => ({
      batch: p.termBatch[k],
      position: vectorAt(p.termPosition, k, r),
      x: p.termX[k],
      dy: p.termDy[k],
    })),
    value: p.value[i],
    text: p.text[i],
  };
}

/** Step `index` (a global step number) from a page, or undefined when the page does not hold it. */
export function stepOfPage(
  page: StepPage,
  index: number,
): ConvStep | ScatterStep | PoolStep | WeightGradStep | undefined {
  const i = index - page.window.start;
  if (i < 0 || i >= page.window.count) return undefined;
  switch (page.kind) {
    case 'conv':
      return decodeConvStep(page, i);
    case 'scatter':
      return decodeScatterStep(page, i);
    case 'pool':
      return decodePoolStep(page, i);
    case 'weight_grad':
      return decodeWeightGradStep(page, i);
  }
}
