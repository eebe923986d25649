/**
 * One step of each animation, as objects: what the engine's trace builders produce (src/engine/trace.ts),
 * what the CLI's `trace` op prints, and what the webview reads after decoding a page (pages.ts packs these
 * into typed arrays for the trip, so NaN and infinities survive without a codec).
 *
 * Coordinates: `position` is an output position; `at` is a coordinate in the padded input (input coordinate
 * + padBefore); `source` is the input cell a value came from, or null for zero padding.
 */

/** Which steps a trace or page holds: steps [start, start + count) of `total`. */
export interface StepWindow {
  readonly start: number;
  readonly count: number;
  readonly total: number;
  readonly truncated: boolean;
  /** when fewer steps than asked for came back because of the trace's term limit: why */
  readonly note?: string;
}

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
  readonly channelSums: readonly { readonly channel: number; readonly sum: number }[];
  readonly bias: number | null;
  readonly value: number;
  readonly text: string;
}

export interface ScatterContribution {
  readonly outChannel: number;
  readonly tap: readonly number[];
  /** position in the uncropped output: i·stride + t·dilation */
  readonly at: readonly number[];
  /** position in the output after the padding crop, or null where the crop removes it */
  readonly position: readonly number[] | null;
  readonly w: number;
  readonly product: number;
  /** the uncropped output cell `at` once this contribution is added (the sum so far, in step order) */
  readonly after: number;
}

export interface ScatterStep {
  readonly step: number;
  readonly batch: number;
  readonly inChannel: number;
  readonly position: readonly number[];
  readonly value: number;
  readonly contributions: readonly ScatterContribution[];
}

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
