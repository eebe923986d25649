#!/usr/bin/env node
/**
 * Timing probe for the float32 WebAssembly SIMD conv (src/engine/fast/wasmConv.ts). Single thread.
 *
 *   node scripts/build-wasm.mjs && node bench/wasm-probe.mjs [--runs 31] [--only S3,S4]
 *       [--variant 'name:kc=576,nc=64,mc=0,explicit,wasm=/tmp/other.wasm']...
 *
 * Per shape: the median (and min) over --runs of
 *  - "full": convWasmF32 as callers use it (copy in, plan, run, copy out);
 *  - "run":  the kernels alone (`run()` on operands already in wasm memory, as a tfjs backend times them),
 *            for every --variant (default: one variant with the default blocking). Variants are timed
 *            round-robin, one sample each per round, so that machine noise hits them all alike.
 * S1 is timed in batches of 1000 calls. Warm-up: 300 ms per shape and variant (Liftoff → TurboFan tier-up).
 */
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const optAll = (name) => args.flatMap((a, i) => (a === `--${name}` ? [args[i + 1]] : []));
const RUNS = Math.max(15, Number(opt('runs', 31)));
const only = opt('only', '').split(',').filter(Boolean);

const dir = mkdtempSync(join(tmpdir(), 'wasm-probe-'));
const entry = join(dir, 'entry.ts');
writeFileSync(
  entry,
  `export * from ${JSON.stringify(join(root, 'src/engine/fast/wasmConv.ts'))};\nexport { CONV_WASM_BASE64 } from ${JSON.stringify(join(root, 'src/engine/fast/convWasm.generated.ts'))};\n`,
);
await build({
  entryPoints: [entry],
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  outfile: join(dir, 'probe.mjs'),
  logLevel: 'error',
});
const lib = await import(pathToFileURL(join(dir, 'probe.mjs')).href);
rmSync(dir, { recursive: true, force: true });

const defaultBytes = Uint8Array.from(atob(lib.CONV_WASM_BASE64), (c) => c.charCodeAt(0));

function parseVariant(text) {
  const [name, spec = ''] = text.includes(':') ? text.split(/:(.*)/s) : [text, text];
  const v = { name, kc: 0, nc: 0, mc: 0, explicit: false, path: 0, bytes: defaultBytes };
  for (const part of spec.split(',').filter(Boolean)) {
    const [k, val] = part.split('=');
    if (k === 'explicit') v.explicit = true;
    else if (k === 'gemm') v.path = 1;
    else if (k === 'wasm') v.bytes = new Uint8Array(readFileSync(val));
    else if (k in v) v[k] = Number(val);
  }
  return v;
}
const variants = (optAll('variant').length ? optAll('variant') : ['default:']).map(parseVariant);
for (const v of variants) {
  v.inst = new WebAssembly.Instance(new WebAssembly.Module(v.bytes), {
    env: {
      abort() {
        throw new Error('abort');
      },
    },
  }).exports;
}

function rand(n, seed) {
  let s = seed >>> 0 || 1;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    a[i] = (s / 4294967296) * 2 - 1;
  }
  return a;
}

const shapes = [
  // name, N, C, HW, O (0 = depthwise), k, stride, pad
  ['S1', 1, 1, 5, 1, 3, 1, 1],
  ['S2', 1, 3, 32, 16, 3, 1, 1],
  ['S3', 1, 64, 56, 64, 3, 1, 1],
  ['S4', 1, 3, 224, 64, 7, 2, 3],
  ['S5', 1, 32, 112, 0, 3, 1, 1],
];

/** Drives one instance through the parameter-block protocol of wasm/conv.ts; returns what plan() chose. */
function setup(v, w, big, weight, bias) {
  const inst = v.inst;
  const p = inst.paramsPtr() >> 2;
  let i32 = new Int32Array(inst.memory.buffer);
  const vals = [
    w.batch,
    w.groups,
    w.bigChannels,
    w.smallChannels,
    ...w.big,
    ...w.small,
    ...w.kernel,
    ...w.stride,
    ...w.dilation,
    ...w.padBefore,
    bias ? 1 : 0,
    v.path,
    v.kc,
    v.nc,
    v.mc,
    v.explicit ? 1 : 0,
  ];
  vals.forEach((x, i) => {
    i32[p + i] = x;
  });
  if (inst.plan() < 0) throw new Error('plan failed');
  i32 = new Int32Array(inst.memory.buffer);
  const f32 = new Float32Array(inst.memory.buffer);
  f32.set(big, i32[p + 32] >> 2);
  f32.set(weight, i32[p + 33] >> 2);
  if (bias) f32.set(bias, i32[p + 34] >> 2);
  return { kc: i32[p + 38], nc: i32[p + 39], mc: i32[p + 40], path: i32[p + 37] === 2 ? 'depthwise' : 'gemm' };
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0] };
};

/** Round-robin timing of several functions: RUNS samples each, after a 300 ms warm-up each. */
function timeAll(fns, batch) {
  for (const fn of fns) {
    const t = performance.now();
    while (performance.now() - t < 300) fn();
  }
  const samples = fns.map(() => []);
  for (let r = 0; r < RUNS; r++) {
    fns.forEach((fn, i) => {
      const t0 = performance.now();
      for (let j = 0; j < batch; j++) fn();
      samples[i].push((performance.now() - t0) / batch);
    });
  }
  return samples.map(stats);
}

const rows = [];
for (const [name, n, c, hw, o, k, s, pad] of shapes) {
  if (only.length && !only.includes(name)) continue;
  const out = Math.floor((hw + 2 * pad - k) / s) + 1;
  const dw = o === 0;
  const w = {
    batch: n,
    groups: dw ? c : 1,
    bigChannels: c,
    smallChannels: dw ? c : o,
    big: [1, hw, hw],
    small: [1, out, out],
    kernel: [1, k, k],
    stride: [1, s, s],
    dilation: [1, 1, 1],
    padBefore: [0, pad, pad],
  };
  const big = rand(n * c * hw * hw, 1);
  const weight = rand(w.smallChannels * (c / w.groups) * k * k, 2);
  const bias = rand(w.smallChannels, 3);
  const batch = name === 'S1' ? 1000 : 1;
  const flops = 2 * w.smallChannels * (c / w.groups) * k * k * out * out * n;
  const infos = variants.map((v) => setup(v, w, big, weight, bias));
  const fns = [() => lib.convWasmF32(w, big, weight, bias), ...variants.map((v) => () => v.inst.run())];
  const [full, ...runs] = timeAll(fns, batch);
  rows.push({
    shape: name,
    variant: 'convWasmF32 (full call)',
    path: '',
    blocking: '',
    'median ms': full.median.toFixed(4),
    'min ms': full.min.toFixed(4),
    'GFLOP/s': (flops / full.median / 1e6).toFixed(1),
  });
  runs.forEach((t, i) => {
    const info = infos[i];
    rows.push({
      shape: name,
      variant: `run() ${variants[i].name}`,
      path: info.path,
      blocking: info.path === 'gemm' ? `kc ${info.kc} nc ${info.nc} mc ${info.mc}` : '',
      'median ms': t.median.toFixed(4),
      'min ms': t.min.toFixed(4),
      'GFLOP/s': (flops / t.median / 1e6).toFixed(1),
    });
  });
}
console.table(rows);
