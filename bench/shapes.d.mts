// Types of bench/shapes.mjs for the TypeScript families.
export interface ConvShape {
  id: string;
  label: string;
  input: number[];
  weight: number[];
  stride: number;
  padding: number;
  groups: number;
}
export const CONV_SHAPES: ConvShape[];
export const BACKWARD: { id: string; shape: string; grads: 'both' | 'weight' }[];
export const POOL: { id: string; input: number[]; kernel: number; stride: number };
export function fill(n: number, seed: number): Float64Array;
export function size(shape: readonly number[]): number;
export function measure(fn: () => unknown, options?: { samples?: number; maxMs?: number }): number;
