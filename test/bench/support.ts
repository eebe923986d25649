// A tiny data folder in the format of bench/reference.ts (inputs and Conv Lens's float64 answer as raw float64
// files + manifest rows), so that the bench families can be driven on small problems in tests.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { conv } from '../../src/engine/conv';
import { convGeometry } from '../../src/engine/geometry';
import type { ManifestRow } from '../../bench/harness.mjs';
import { fill, size } from '../../bench/shapes.mjs';

export interface SmallConv {
  id: string;
  input: number[];
  weight: number[];
  stride: number;
  padding: number;
  groups: number;
}

export function writeConvProblem(
  dir: string,
  p: SmallConv,
): { row: ManifestRow; input: Float64Array; weight: Float64Array; output: Float64Array } {
  const g = convGeometry({
    rank: 2,
    inputShape: p.input,
    weightShape: p.weight,
    stride: p.stride,
    padding: p.padding,
    groups: p.groups,
  });
  const input = fill(size(p.input), 1);
  const weight = fill(size(p.weight), 2);
  const y = conv(g, { shape: p.input, data: input }, { shape: p.weight, data: weight }, null, {
    algorithm: 'direct',
  });
  const save = (name: string, data: Float64Array) => {
    const file = `${p.id}.${name}.f64`;
    writeFileSync(join(dir, file), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return file;
  };
  let maxAbs = 0;
  for (const v of y.data) maxAbs = Math.max(maxAbs, Math.abs(v));
  const row: ManifestRow = {
    id: p.id,
    kind: 'conv',
    label: p.id,
    flops: 2 * size([...y.shape]) * (p.input[1] / p.groups) * p.weight[2] * p.weight[3],
    params: { stride: p.stride, padding: p.padding, groups: p.groups, kernel: [p.weight[2], p.weight[3]] },
    inputs: {
      input: { file: save('input', input), shape: p.input },
      weight: { file: save('weight', weight), shape: p.weight },
    },
    outputs: {
      output: {
        file: save('output', y.data),
        shape: [...y.shape],
        reduction: (p.input[1] / p.groups) * p.weight[2] * p.weight[3],
        maxAbs,
      },
    },
  };
  return { row, input, weight, output: y.data };
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median ms per call of `fn` over `runs` loops of ~targetMs each: a plain hand-written timing loop. */
export function handTimed(fn: () => void, { runs = 5, targetMs = 25 } = {}): number {
  for (let i = 0; i < 3; i++) fn();
  const t0 = performance.now();
  fn();
  const n = Math.max(1, Math.round(targetMs / Math.max(performance.now() - t0, 0.01)));
  const perCall: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) fn();
    perCall.push((performance.now() - t) / n);
  }
  return median(perCall);
}
