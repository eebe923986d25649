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
export interface PoolShape {
  id: string;
  input: number[];
  kernel: number;
  stride: number;
}
export const CONV_SHAPES: ConvShape[];
export const BACKWARD: { id: string; label: string; shape: string; grads: 'both' | 'weight' }[];
export const POOL: PoolShape;
export type Row =
  | { id: string; kind: 'conv'; label: string; shape: ConvShape; flops: number }
  | { id: string; kind: 'backward'; label: string; shape: ConvShape; grads: 'both' | 'weight'; flops: number }
  | { id: string; kind: 'maxpool'; label: string; pool: PoolShape; flops: null };
export const ROWS: Row[];
export function fill(n: number, seed: number): Float64Array;
export function size(shape: readonly number[]): number;
export function convOutputShape(s: ConvShape): number[];
export function convMultiplyAdds(s: ConvShape): number;
