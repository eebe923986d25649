// This machine's multiply-add ceilings for code that runs in Node, measured in the same `npm run bench` run as
// the engines, so that every GFLOP/s in the table can be read as a share of what is possible here:
//  - WebAssembly SIMD128, f32x4: a hand-assembled module (below, ~100 bytes) whose loop updates K independent
//    f32x4 accumulators as acc = acc·m + b (one f32x4.mul and one f32x4.add each: 8 FLOPs). SIMD128 has no
//    fused multiply-add (relaxed-simd is not enabled in Node 20), so mul + add is also what every wasm conv
//    kernel here executes (Conv Lens's wasm/conv.ts, XNNPACK inside tfjs-wasm).
//  - scalar JS, float64: the same recurrence on K independent `number` locals (2 FLOPs each), which TurboFan
//    keeps in registers (mulsd + addsd): the ceiling of plain-JS float64 loops such as Conv Lens's exact path
//    and tfjs's cpu backend (whose Float32Array values are computed in float64 arithmetic).
// K independent chains hide the mul → add latency; several K are tried (too few leave the pipes idle, too
// many spill registers) and the best is the ceiling. Values stay near 1 (the fixed point b / (1 − m)), so no
// denormals or infinities slow anything down. A ceiling is the best sample: noise only ever lowers it.
//
// Also the cost of memory touched for the first time: a call that allocates fresh buffers (a new typed array for
// its result, say) page-faults each 4 KiB page in on first write, and that price differs a lot between machines
// (~0.1–0.3 µs on bare metal, ~10 µs in some VMs): the bench reports each cell's page faults per call.
//
// `node bench/ceilings.mjs` prints {"wasm-simd-f32": {gflops, chains}, "scalar-js-f64": {gflops, chains},
// "page-fault": {us, faults}}.

const M = 0.999;
const B = 0.001;

function uleb(n) {
  const out = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n) byte |= 0x80;
    out.push(byte);
  } while (n);
  return out;
}
const f32 = (x) => [...new Uint8Array(new Float32Array([x]).buffer)];
const section = (id, bytes) => [id, ...uleb(bytes.length), ...bytes];
const SIMD = 0xfd;
const op = {
  f32Const: 0x43,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Const: 0x41,
  i32Sub: 0x6b,
  block: 0x02,
  loop: 0x03,
  brIf: 0x0d,
  end: 0x0b,
  void: 0x40,
  v128: 0x7b,
  i32: 0x7f,
  f32: 0x7d,
  func: 0x60,
};
const f32x4Splat = [SIMD, ...uleb(0x13)];
const f32x4ExtractLane0 = [SIMD, ...uleb(0x1f), 0];
const f32x4Add = [SIMD, ...uleb(0xe4)];
const f32x4Mul = [SIMD, ...uleb(0xe6)];

/**
 * `(func (export "peak") (param $n i32) (result f32))`: $n iterations of `acc_j = acc_j * m + b` for
 * j < chains, all f32x4; returns lane 0 of the sum of the accumulators (so that nothing is dead code).
 * Locals: 0 = $n, 1 = m, 2 = b, 3.. = the accumulators.
 */
export function wasmPeakModule(chains) {
  const code = [];
  const acc = (j) => 3 + j;
  code.push(op.f32Const, ...f32(M), ...f32x4Splat, op.localSet, 1);
  code.push(op.f32Const, ...f32(B), ...f32x4Splat, op.localSet, 2);
  for (let j = 0; j < chains; j++) code.push(op.f32Const, ...f32(1 + j / 64), ...f32x4Splat, op.localSet, acc(j));
  code.push(op.loop, op.void);
  for (let j = 0; j < chains; j++) {
    code.push(op.localGet, acc(j), op.localGet, 1, ...f32x4Mul, op.localGet, 2, ...f32x4Add, op.localSet, acc(j));
  }
  code.push(op.localGet, 0, op.i32Const, 1, op.i32Sub, op.localTee, 0, op.brIf, 0, op.end);
  code.push(op.localGet, acc(0));
  for (let j = 1; j < chains; j++) code.push(op.localGet, acc(j), ...f32x4Add);
  code.push(...f32x4ExtractLane0, op.end);
  const locals = [1, ...uleb(chains + 2), op.v128];
  const body = [...locals, ...code];
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, op.func, 1, op.i32, 1, op.f32]),
    ...section(3, [1, 0]),
    ...section(7, [1, 4, ...Buffer.from('peak'), 0x00, 0]),
    ...section(10, [1, ...uleb(body.length), ...body]),
  ];
  return new Uint8Array(bytes);
}

/** A plain-JS function running `n` iterations of `a_j = a_j * m + b` on `chains` independent float64 locals. */
export function scalarPeakFunction(chains) {
  const names = Array.from({ length: chains }, (_, j) => `a${j}`);
  const source = [
    `let ${names.map((a, j) => `${a} = ${1 + j / 64}`).join(', ')};`,
    'for (let i = 0; i < n; i++) {',
    ...names.map((a) => `  ${a} = ${a} * m + b;`),
    '}',
    `return ${names.join(' + ')};`,
  ].join('\n');
  return new Function('n', 'm', 'b', source);
}

/**
 * Best GFLOP/s of `run(iterations)` (flopsPerIteration each) over `samples` timed calls of ~`sampleMs`, after
 * ~`warmMs` of warm-up calls (Liftoff → TurboFan for the wasm, Ignition → TurboFan for the JS).
 */
function best(run, flopsPerIteration, { samples = 15, sampleMs = 4, warmMs = 150 } = {}) {
  let iterations = 10_000;
  const warmUntil = performance.now() + warmMs;
  while (performance.now() < warmUntil) run(iterations);
  const t = performance.now();
  run(iterations);
  const perIteration = Math.max((performance.now() - t) / iterations, 1e-7);
  iterations = Math.max(10_000, Math.round(sampleMs / perIteration));
  let top = 0;
  for (let s = 0; s < samples; s++) {
    const t0 = performance.now();
    run(iterations);
    const ms = performance.now() - t0;
    top = Math.max(top, (flopsPerIteration * iterations) / (ms * 1e6));
  }
  return top;
}

export function measureCeilings(options = {}) {
  const chainsTried = options.chains ?? [6, 8, 10, 12, 14];
  const result = {};
  const wasm = { gflops: 0, chains: 0, tried: {} };
  if (WebAssembly.validate(wasmPeakModule(4))) {
    for (const chains of chainsTried) {
      const { peak } = new WebAssembly.Instance(new WebAssembly.Module(wasmPeakModule(chains))).exports;
      const g = best((n) => peak(n), chains * 8, options);
      wasm.tried[chains] = g;
      if (g > wasm.gflops) Object.assign(wasm, { gflops: g, chains });
    }
  }
  result['wasm-simd-f32'] = wasm;
  const scalar = { gflops: 0, chains: 0, tried: {} };
  for (const chains of chainsTried) {
    const fn = scalarPeakFunction(chains);
    const g = best((n) => fn(n, M, B), chains * 2, options);
    scalar.tried[chains] = g;
    if (g > scalar.gflops) Object.assign(scalar, { gflops: g, chains });
  }
  result['scalar-js-f64'] = scalar;
  result['page-fault'] = measurePageFault();
  return result;
}

/** Best µs per minor page fault when first writing to fresh 8 MiB buffers (one byte per 4 KiB page). */
export function measurePageFault(runs = 7) {
  const perFault = [];
  let faults = 0;
  for (let r = 0; r < runs; r++) {
    const f0 = process.resourceUsage().minorPageFault;
    const t = performance.now();
    const bytes = new Uint8Array(8 << 20);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = 1;
    const ms = performance.now() - t;
    const n = process.resourceUsage().minorPageFault - f0;
    if (n > 0) perFault.push((ms * 1000) / n);
    faults = Math.max(faults, n);
  }
  // the best run: being scheduled out (the machine is shared) only ever makes a run slower
  return { us: perFault.length ? Math.min(...perFault) : null, faults };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(JSON.stringify(measureCeilings()));
}
