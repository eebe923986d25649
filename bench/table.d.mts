// Types of bench/table.mjs for the bench tests.
import type { Cell } from './harness.mjs';

export interface Column {
  id: string;
  header: string;
  ceiling: 'scalar-js-f64' | 'wasm-simd-f32';
}
export interface TableRow {
  id: string;
  label: string;
  flops: number | null;
}
export interface Ceilings {
  'wasm-simd-f32': { gflops: number; chains: number | null };
  'scalar-js-f64': { gflops: number; chains: number | null };
  'page-fault': { us: number | null };
}
export interface AggregatedCell {
  status: Cell['status'];
  ms: number | null;
  delta: number | null;
  tol: number | null;
  faultsPerCall: number | null;
  faultMs: number | null;
  rounds: number;
  note?: string;
  gflops: number | null;
  share: number | null;
}
export const ALL_COLUMNS: Column[];
export const ALL_RATIOS: [string, string][];
export const CEILING_NAMES: Record<string, string>;
export const FAULT_MARK_SHARE: number;
export function median(xs: unknown[]): number | null;
export function fmtMs(ms: number): string;
export function aggregateCeilings(rounds: Record<string, Record<string, number | null>>[]): Ceilings;
export function aggregate(options: {
  columns: Column[];
  rows: TableRow[];
  perRound: Record<
    string,
    Record<
      string,
      { status: string; ms?: number; delta?: number | null; tol?: number | null; faultsPerCall?: number; note?: string }
    >[]
  >;
  ceilings: Ceilings;
}): Record<string, Record<string, AggregatedCell>>;
export function render(options: {
  date: string;
  machine: string;
  rounds: number;
  versions: Record<string, unknown>;
  meta: Record<string, Record<string, unknown>>;
  ceilings: Ceilings;
  columns: Column[];
  ratios: [string, string][];
  rows: TableRow[];
  cells: Record<string, Record<string, AggregatedCell>>;
  extras?: Record<string, number | null>;
}): string;
