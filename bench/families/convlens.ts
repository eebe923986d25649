// Conv Lens's engine as a bench family: `node convlens.cjs f64|f32 --data <dir> [--skip ids]` (bench/harness.mjs).
// f64 is the exact path (what literals, the panel and gradient checks use), with the algorithm 'auto' picks;
// f32 the WebAssembly SIMD fast path, called as its callers do (convWasmF32: copy in, plan, run, copy out).
// Both return their result in a JS typed array: "op" and "op + result in JS memory" are the same call here.
import { conv, convBackward } from '../../src/engine/conv';
import { convGeometry, poolGeometry } from '../../src/engine/geometry';
import { maxPool } from '../../src/engine/pool';
import { convWasmF32, wasmSimdAvailable } from '../../src/engine/fast/wasmConv';
import packageJson from '../../package.json';
import { emit, familyArgs, readManifest, readTensor, runRow, type Cell, type ManifestRow } from '../harness.mjs';

const { variant, data, skip } = familyArgs();
const manifest = readManifest(data);
const column = variant === 'f32' ? 'conv-lens f32 wasm' : 'conv-lens f64';
const rows: Record<string, Cell> = {};

const convGeometryOf = (row: ManifestRow) =>
  convGeometry({
    rank: 2,
    inputShape: row.inputs.input.shape,
    weightShape: row.inputs.weight.shape,
    stride: row.params.stride,
    padding: row.params.padding,
    groups: row.params.groups,
  });

function runF64(row: ManifestRow): Record<string, Cell> {
  const x = { shape: row.inputs.input.shape, data: readTensor(data, row.inputs.input) };
  if (row.kind === 'maxpool') {
    const k = row.params.kernel as number;
    const g = poolGeometry({ kind: 'max', rank: 2, inputShape: x.shape, kernelSize: k, stride: row.params.stride });
    return runRow(data, row, {
      precision: 'float64',
      compute: () => ({ output: maxPool(g, x).output.data }),
      timed: { [column]: () => maxPool(g, x) },
    });
  }
  const g = convGeometryOf(row);
  const w = { shape: row.inputs.weight.shape, data: readTensor(data, row.inputs.weight) };
  if (row.kind === 'conv') {
    return runRow(data, row, {
      precision: 'float64',
      compute: () => ({ output: conv(g, x, w, null).data }),
      timed: { [column]: () => conv(g, x, w, null) },
    });
  }
  const gy = { shape: row.inputs.grad_output.shape, data: readTensor(data, row.inputs.grad_output) };
  const options = row.outputs.grad_input ? {} : { only: 'weight' as const };
  return runRow(data, row, {
    precision: 'float64',
    compute: () => {
      const r = convBackward(g, x, w, gy, options);
      return { grad_input: r.gradInput.data, grad_weight: r.gradWeight.data };
    },
    timed: { [column]: () => convBackward(g, x, w, gy, options) },
  });
}

function runF32(row: ManifestRow): Record<string, Cell> {
  if (row.kind !== 'conv') return { [column]: { status: 'n/a', note: 'the float32 path is conv forward only' } };
  const g = convGeometryOf(row).window;
  // operands already in float32, as a float32 caller holds them (the rounding is not timed)
  const x = Float32Array.from(readTensor(data, row.inputs.input));
  const w = Float32Array.from(readTensor(data, row.inputs.weight));
  return runRow(data, row, {
    precision: 'float32',
    compute: () => ({ output: convWasmF32(g, x, w, null) }),
    timed: { [column]: () => convWasmF32(g, x, w, null) },
  });
}

const meta = {
  name: variant === 'f32' ? 'Conv Lens, float32 WebAssembly SIMD' : 'Conv Lens, float64',
  version: packageJson.version,
  precision: variant === 'f32' ? 'float32' : 'float64',
  threads: 1,
};
for (const row of manifest.rows) {
  if (skip.has(row.id)) {
    rows[row.id] = { status: 'skipped' };
    continue;
  }
  if (variant === 'f32' && !wasmSimdAvailable()) {
    rows[row.id] = { status: 'n/a', note: 'this runtime has no WebAssembly SIMD' };
    continue;
  }
  Object.assign(rows, { [row.id]: (variant === 'f32' ? runF32(row) : runF64(row))[column] });
}
emit({ [column]: { meta, rows } });
