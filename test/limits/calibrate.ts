/**
 * Calibration of the budget's cost model (src/engine/budget.ts): runs one problem per kernel and prints the
 * estimated work next to the measured time, so the weights can be checked on a machine (the ratio column
 * should stay near 1; timings on a shared machine are noisy). Not a test: run it by hand with
 *
 *   npx esbuild test/limits/calibrate.ts --bundle --platform=node --log-level=warning | node - [filter]
 */
import {
  WORK_PER_MS,
  estimateConv,
  estimateConvBackward,
  estimateConvTranspose,
  estimateFold,
  estimatePool,
  estimatePoolBackward,
  estimateTraceConv,
  estimateTracePool,
  estimateUnfold,
  type Estimate,
} from '../../src/engine/budget';
import { conv, convBackward, convTranspose, type ConvAlgorithm } from '../../src/engine/conv';
import {
  convGeometry,
  convTransposeGeometry,
  foldGeometry,
  poolGeometry,
  unfoldGeometry,
} from '../../src/engine/geometry';
import { avgPool, avgPoolBackward, maxPool, maxPoolBackward } from '../../src/engine/pool';
import { convTraceAnswer, poolTraceAnswer } from '../../src/engine/traceAnswers';
import { fold, unfold } from '../../src/engine/unfold';
import type { Tensor } from '../../src/engine/tensor';

const filter = process.argv[2] ?? '';
const unlimited = { maxWork: 1e15, maxBytes: 1e13, maxElements: 1e12, maxTraceTerms: 1e9 };

function random(shape: readonly number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.random() - 0.5;
  return { shape, data };
}

function row(name: string, e: Estimate, run: () => void): void {
  if (!name.includes(filter)) return;
  run(); // warm up (JIT, allocation)
  const t0 = performance.now();
  run();
  const ms = performance.now() - t0;
  console.log(
    `${name.padEnd(46)} work ${e.work.toExponential(2).padStart(9)}  est ${(e.work / WORK_PER_MS).toFixed(0).padStart(6)} ms  ` +
      `took ${ms.toFixed(0).padStart(6)} ms  ratio ${(ms / (e.work / WORK_PER_MS)).toFixed(2)}  peak ${(e.peakBytes / 2 ** 20).toFixed(0)} MB`,
  );
}

function convRow(label: string, x: number[], w: number[], params: Record<string, unknown>, algorithm: ConvAlgorithm) {
  const g = convGeometry({ rank: (x.length - 2) as 1 | 2 | 3, inputShape: x, weightShape: w, ...params });
  const input = random(x);
  const weight = random(w);
  const e = estimateConv(g, { algorithm }, unlimited);
  row(`${label} ${e.algorithm}`, e, () => conv(g, input, weight, null, { algorithm, limits: unlimited }));
  return { g, input, weight };
}

const convCases: [string, number[], number[], Record<string, unknown>][] = [
  ['conv 1x1x2048² k1', [1, 1, 2048, 2048], [1, 1, 1, 1], {}],
  ['conv 1x64x64² k1 →64', [1, 64, 64, 64], [64, 64, 1, 1], {}],
  ['conv 1x16x128² k3 →16 p1', [1, 16, 128, 128], [16, 16, 3, 3], { padding: 1 }],
  ['conv 1x1x512² k64', [1, 1, 512, 512], [1, 1, 64, 64], {}],
  ['conv 1d 1x1x100000 k1000', [1, 1, 100000], [1, 1, 1000], {}],
  ['conv 3d 1x4x32³ k3 →8', [1, 4, 32, 32, 32], [8, 4, 3, 3, 3], {}],
  ['conv depthwise 1x32x112² k3', [1, 32, 112, 112], [32, 1, 3, 3], { padding: 1, groups: 32 }],
  ['conv 1x64x56² k3 →64 p1', [1, 64, 56, 56], [64, 64, 3, 3], { padding: 1 }],
  ['conv 1x3x224² k7 s2 →64', [1, 3, 224, 224], [64, 3, 7, 7], { stride: 2, padding: 3 }],
  ['conv 1x2x256² k24 →2', [1, 2, 256, 256], [2, 2, 24, 24], {}],
];
for (const [label, x, w, p] of convCases) {
  for (const a of ['direct', 'im2col'] as const) convRow(label, x, w, p, a);
  if (w.length === 4 && w[2] === 3 && !p.groups) convRow(label, x, w, p, 'winograd');
}
convRow('conv 1x16x128² k3 →16 p1', [1, 16, 128, 128], [16, 16, 3, 3], { padding: 1 }, 'fft');
convRow('conv 1x4x128² k15 →4', [1, 4, 128, 128], [4, 4, 15, 15], {}, 'fft');
convRow('conv 1x64x56² k3 →64 p1', [1, 64, 56, 56], [64, 64, 3, 3], { padding: 1 }, 'wasm_f32');
convRow('conv 1x1x512² k64', [1, 1, 512, 512], [1, 1, 64, 64], {}, 'wasm_f32');

for (const [label, x, w, p] of convCases.slice(1, 7)) {
  const g = convGeometry({ rank: (x.length - 2) as 1 | 2 | 3, inputShape: x, weightShape: w, ...p });
  const input = random(x);
  const weight = random(w);
  const gy = random(g.outputShape);
  row(`backward ${label}`, estimateConvBackward(g), () => convBackward(g, input, weight, gy, { limits: unlimited }));
}

{
  const g = convTransposeGeometry({ rank: 2, inputShape: [1, 16, 128, 128], weightShape: [16, 16, 4, 4], stride: 2 });
  const x = random(g.inputShape);
  const w = random(g.weightShape);
  row('conv_transpose 1x16x128² k4 s2 →16', estimateConvTranspose(g), () => convTranspose(g, x, w, null, unlimited));
}

for (const [k, s] of [
  [2, 2],
  [3, 1],
  [64, 1],
  [512, 64],
]) {
  for (const kind of ['max', 'avg'] as const) {
    const g = poolGeometry({ kind, rank: 2, inputShape: [1, 1, 1024, 1024], kernelSize: k, stride: s });
    const x = random(g.inputShape);
    row(`${kind}_pool 1024² k${k} s${s}`, estimatePool(g), () =>
      kind === 'max' ? maxPool(g, x, unlimited) : avgPool(g, x, {}, unlimited),
    );
    const gy = random(g.outputShape);
    row(`${kind}_pool backward 1024² k${k} s${s}`, estimatePoolBackward(g), () =>
      kind === 'max' ? maxPoolBackward(g, x, gy, unlimited) : avgPoolBackward(g, gy, {}, unlimited),
    );
  }
}

{
  const g = unfoldGeometry({ rank: 2, inputShape: [1, 16, 256, 256], kernelSize: 3, padding: 1 });
  const x = random(g.inputShape);
  row('unfold 1x16x256² k3', estimateUnfold(g), () => unfold(g, x, unlimited));
  const f = foldGeometry({ inputShape: g.outputShape, outputSize: [256, 256], kernelSize: 3, padding: 1 });
  const c = random(f.inputShape);
  row('fold 1x144x65536 → 256²', estimateFold(f), () => fold(f, c, unlimited));
}

{
  const g = convGeometry({ rank: 2, inputShape: [1, 16, 64, 64], weightShape: [16, 16, 5, 5] });
  const x = random(g.inputShape);
  const w = random(g.weightShape);
  row('trace conv 1x16x64² k5, 256 steps', estimateTraceConv(g, 256, {}, unlimited), () =>
    convTraceAnswer(g, x, w, null, false, { count: 256 }, unlimited),
  );
  const p = poolGeometry({ kind: 'max', rank: 2, inputShape: [1, 1, 512, 512], kernelSize: 32, stride: 1 });
  const px = random(p.inputShape);
  row('trace max_pool 512² k32, 256 steps', estimateTracePool(p, 256), () =>
    poolTraceAnswer(p, px, {}, { count: 256 }, unlimited),
  );
}
