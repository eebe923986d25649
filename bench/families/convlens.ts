// One benchmark round of Conv Lens's engine: `node convlens.js f64|f32 [skip,ids]` prints {id: ms} as JSON.
// f64 is the exact path (what literals and gradient checks use); f32 the WebAssembly SIMD fast path.
import { conv, convBackward } from '../../src/engine/conv';
import { convGeometry, poolGeometry } from '../../src/engine/geometry';
import { maxPool } from '../../src/engine/pool';
import { convWasmF32, wasmSimdAvailable } from '../../src/engine/fast/wasmConv';
import { BACKWARD, CONV_SHAPES, POOL, fill, measure, size } from '../shapes.mjs';

const mode = process.argv[2] ?? 'f64';
const skip = new Set((process.argv[3] ?? '').split(',').filter(Boolean));
const results: Record<string, number | null> = {};

const geometries = new Map(
  CONV_SHAPES.map((s) => [
    s.id,
    convGeometry({
      rank: 2,
      inputShape: s.input,
      weightShape: s.weight,
      stride: s.stride,
      padding: s.padding,
      groups: s.groups,
    }),
  ]),
);
const data = new Map(
  CONV_SHAPES.map((s) => [
    s.id,
    {
      input: { shape: s.input, data: fill(size(s.input), 1) },
      weight: { shape: s.weight, data: fill(size(s.weight), 2) },
    },
  ]),
);

if (mode === 'f32') {
  if (!wasmSimdAvailable()) {
    process.stdout.write(JSON.stringify({ unavailable: true }));
    process.exit(0);
  }
  for (const s of CONV_SHAPES) {
    if (skip.has(s.id)) continue;
    const g = geometries.get(s.id)!;
    const d = data.get(s.id)!;
    const x = Float32Array.from(d.input.data);
    const w = Float32Array.from(d.weight.data);
    results[s.id] = measure(() => convWasmF32(g.window, x, w, null));
  }
} else {
  for (const s of CONV_SHAPES) {
    if (skip.has(s.id)) continue;
    const g = geometries.get(s.id)!;
    const d = data.get(s.id)!;
    results[s.id] = measure(() => conv(g, d.input, d.weight, null));
  }
  for (const b of BACKWARD) {
    if (skip.has(b.id)) continue;
    const g = geometries.get(b.shape)!;
    const d = data.get(b.shape)!;
    const gy = { shape: g.outputShape, data: fill(size(g.outputShape), 3) };
    // the weight gradient alone is the same GEMM path; both gradients are what convBackward returns
    results[b.id] = measure(
      () => convBackward(g, d.input, d.weight, gy, b.grads === 'weight' ? { only: 'weight' } : {}),
      { samples: 7 },
    );
  }
  if (!skip.has(POOL.id)) {
    const g = poolGeometry({
      kind: 'max',
      rank: 2,
      inputShape: POOL.input,
      kernelSize: POOL.kernel,
      stride: POOL.stride,
    });
    const x = { shape: POOL.input, data: fill(size(POOL.input), 4) };
    results[POOL.id] = measure(() => maxPool(g, x));
  }
}
process.stdout.write(JSON.stringify(results));
