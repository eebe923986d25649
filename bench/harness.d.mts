// Types of bench/harness.mjs for the TypeScript families and tests.
export interface Entry {
  file: string;
  shape: number[];
  reduction?: number;
  maxAbs?: number;
}
export interface ManifestRow {
  id: string;
  kind: 'conv' | 'backward' | 'maxpool';
  label: string;
  flops: number | null;
  params: { stride: number; padding?: number; groups?: number; kernel: number | number[] };
  inputs: Record<string, Entry>;
  outputs: Record<string, Entry>;
}
export interface Manifest {
  dir: string;
  rows: ManifestRow[];
}
export interface Cell {
  status: 'ok' | 'wrong' | 'n/a' | 'failed' | 'skipped';
  ms?: number;
  delta?: number | null;
  tol?: number | null;
  faultsPerCall?: number;
  samples?: number;
  note?: string;
}
export type Precision = 'float64' | 'float32';
export const ROUNDOFF: Record<Precision, number>;
export function readManifest(dir: string): Manifest;
export function readTensor(dir: string, entry: Entry): Float64Array;
export function tolerance(precision: Precision, reduction: number, maxAbs: number): number;
export function checkOutputs(
  dir: string,
  row: ManifestRow,
  outputs: Record<string, ArrayLike<number>>,
  precision: Precision,
): { ok: boolean; delta: number | null; tol: number | null; note?: string };
export function measure(
  fn: () => unknown,
  options?: { samples?: number; maxMs?: number; firstMs?: number },
): { ms: number; faultsPerCall: number; samples: number };
export function runRow(
  dir: string,
  row: ManifestRow,
  options: {
    precision: Precision;
    compute: () => Record<string, ArrayLike<number>>;
    timed: Record<string, () => unknown>;
    sameAsCompute?: string;
  },
): Record<string, Cell>;
export function familyArgs(argv?: string[]): { variant: string; data: string; skip: Set<string> };
export function emit(columns: Record<string, { meta: Record<string, unknown>; rows: Record<string, Cell> }>): void;
export const SAMPLE_MS: number;
export function warmUp(
  fn: () => unknown,
  options?: { minMs?: number; maxMs?: number; windowMs?: number; agree?: number },
): number;
