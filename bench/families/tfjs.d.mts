// Types of bench/families/tfjs.mjs for the bench family test (test/bench).
import type * as tfjs from '@tensorflow/tfjs';
import type { ManifestRow } from '../harness.mjs';

type Tf = typeof tfjs;
type Results = tfjs.Tensor | tfjs.Tensor[];
export function initTfjs(backend: 'cpu' | 'wasm'): Promise<Tf>;
export function tfjsMeta(backend: 'cpu' | 'wasm'): Record<string, unknown>;
export function permute(
  data: ArrayLike<number>,
  shape: number[],
  perm: number[],
  Out?: Float32ArrayConstructor | Float64ArrayConstructor,
): Float32Array | Float64Array;
export function tfjsOp(
  tf: Tf,
  row: Pick<ManifestRow, 'kind' | 'params' | 'inputs' | 'outputs'>,
  inputs: Record<string, Float64Array>,
): {
  run: () => Results;
  toReference: (values: ArrayLike<number>[]) => Record<string, Float64Array>;
  dispose: () => void;
};
export function opOnly(run: () => Results): () => void;
export function withReadback(run: () => Results): () => ArrayLike<number>[];
