// `node reference.cjs <dir>`: writes every problem's inputs and Conv Lens's float64 answers into <dir> as raw
// little-endian float64 files, plus manifest.json (see bench/harness.mjs). Every family reads its inputs from
// these files, so all engines see the very same numbers, and checks its outputs against these answers.
// The answers come from the engine's direct loops (algorithm 'direct'; for gradients the direct scatter and
// weight-gradient loops), the plainest form of the float64 semantics; the conv-lens f64 family then times the
// algorithm 'auto' picks (Winograd, im2col + GEMM), so its own max |Δ| is a real check too.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { conv, convBackward } from '../src/engine/conv';
import { convGeometry, poolGeometry } from '../src/engine/geometry';
import { maxPool } from '../src/engine/pool';
import { ROWS, fill, size, type Row } from './shapes.mjs';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node reference.cjs <dir>');
mkdirSync(dir, { recursive: true });

interface Entry {
  file: string;
  shape: number[];
  /** outputs: products summed into one value (for the tolerance), and the largest |value| */
  reduction?: number;
  maxAbs?: number;
}
const written = new Set<string>();
function write(name: string, shape: number[], data: Float64Array, extra: Partial<Entry> = {}): Entry {
  const file = `${name.replace(/[^A-Za-z0-9._-]+/g, '_')}.f64`;
  if (!written.has(file)) {
    writeFileSync(join(dir, file), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    written.add(file);
  }
  return { file, shape, ...extra };
}
function maxAbs(a: Float64Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

interface ManifestRow {
  id: string;
  kind: Row['kind'];
  label: string;
  flops: number | null;
  params: Record<string, unknown>;
  inputs: Record<string, Entry>;
  outputs: Record<string, Entry>;
}
const rows: ManifestRow[] = [];
const started = performance.now();
for (const row of ROWS) {
  if (row.kind === 'maxpool') {
    const p = row.pool;
    const g = poolGeometry({ kind: 'max', rank: 2, inputShape: p.input, kernelSize: p.kernel, stride: p.stride });
    const x = fill(size(p.input), 4);
    const y = maxPool(g, { shape: p.input, data: x }).output;
    rows.push({
      id: row.id,
      kind: row.kind,
      label: row.label,
      flops: null,
      params: { kernel: p.kernel, stride: p.stride },
      inputs: { input: write('pool.input', p.input, x) },
      outputs: { output: write(`${row.id}.output`, [...y.shape], y.data, { reduction: 1, maxAbs: maxAbs(y.data) }) },
    });
    continue;
  }
  const s = row.shape;
  const g = convGeometry({
    rank: 2,
    inputShape: s.input,
    weightShape: s.weight,
    stride: s.stride,
    padding: s.padding,
    groups: s.groups,
  });
  const x = fill(size(s.input), 1);
  const w = fill(size(s.weight), 2);
  const taps = s.weight[2] * s.weight[3];
  const inputs: Record<string, Entry> = {
    input: write(`${s.id}.input`, s.input, x),
    weight: write(`${s.id}.weight`, s.weight, w),
  };
  const params = { stride: s.stride, padding: s.padding, groups: s.groups, kernel: [s.weight[2], s.weight[3]] };
  const outputs: Record<string, Entry> = {};
  if (row.kind === 'conv') {
    const y = conv(g, { shape: s.input, data: x }, { shape: s.weight, data: w }, null, { algorithm: 'direct' });
    outputs.output = write(`${row.id}.output`, [...y.shape], y.data, {
      reduction: (s.input[1] / s.groups) * taps,
      maxAbs: maxAbs(y.data),
    });
  } else {
    const gy = fill(size(g.outputShape), 3);
    inputs.grad_output = write(`${s.id}.grad_output`, [...g.outputShape], gy);
    // sparseGradOutput: the direct loops (which skip zeros of grad_output, exactly)
    const r = convBackward(
      g,
      { shape: s.input, data: x },
      { shape: s.weight, data: w },
      { shape: g.outputShape, data: gy },
      { sparseGradOutput: true },
    );
    if (row.grads === 'both')
      outputs.grad_input = write(`${row.id}.grad_input`, s.input, r.gradInput.data, {
        reduction: (s.weight[0] / s.groups) * taps,
        maxAbs: maxAbs(r.gradInput.data),
      });
    outputs.grad_weight = write(`${row.id}.grad_weight`, s.weight, r.gradWeight.data, {
      reduction: g.outputShape[0] * g.outputShape[2] * g.outputShape[3],
      maxAbs: maxAbs(r.gradWeight.data),
    });
  }
  rows.push({ id: row.id, kind: row.kind, label: row.label, flops: row.flops, params, inputs, outputs });
}
writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ rows }, null, 2));
process.stdout.write(JSON.stringify({ ms: performance.now() - started, rows: rows.length }));
