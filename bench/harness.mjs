// What every engine family of `npm run bench` shares: the problems' data (written once per run by
// bench/reference.ts: inputs and Conv Lens's float64 answers as raw little-endian float64 files, so that every
// family, PyTorch included, reads the very same numbers), the output check, the timer, and the family's report.
//
// A family is a process `node <family> <variant> --data <dir> [--skip id,id]` whose last stdout line is
//   {"columns": {"<column id>": {"meta": {...}, "rows": {"<row id>": Cell}}}}
// Cell: {status: 'ok' | 'wrong' | 'n/a' | 'failed' | 'skipped', ms?, delta?, tol?, faultsPerCall?, note?}
//  - 'ok': the output agreed with the reference (max |Δ| ≤ tol) and `ms` is the median time per call;
//  - 'wrong': it did not (delta > tol, or a shape/length mismatch in `note`); it is not timed;
//  - 'n/a': the engine has no such operation (note says why); 'failed': it threw (note has the message).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export function readManifest(dir) {
  return { dir, ...JSON.parse(readFileSync(resolve(dir, 'manifest.json'), 'utf8')) };
}

/** A float64 file of the data folder (little-endian, as written by reference.ts). */
export function readTensor(dir, entry) {
  const bytes = readFileSync(resolve(dir, entry.file));
  const data = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  if (data.length !== entry.shape.reduce((a, b) => a * b, 1))
    throw new Error(`${entry.file}: ${data.length} values for shape ${entry.shape.join('×')}`);
  return data;
}

/** Unit roundoff of the engine's arithmetic. */
export const ROUNDOFF = { float64: 2 ** -53, float32: 2 ** -24 };

/**
 * The largest |Δ| an engine computing in `precision` may show against the float64 reference: a sum of
 * `reduction` products each rounded once (inputs rounded to float32 too, for float32 engines) is off by at most
 * about reduction·u·Σ|terms|; 4·reduction·u·max(1, max|reference|) is that bound with the output's own size in
 * place of Σ|terms| (generous for a correct engine by 10–100×, while a wrong index or padding is off by O(1)).
 */
export function tolerance(precision, reduction, maxAbs) {
  return 4 * reduction * ROUNDOFF[precision] * Math.max(1, maxAbs);
}

/**
 * Checks `outputs` (name → values in the reference's NCHW/OIHW order) against the row's reference outputs.
 * Returns {ok, delta, tol, note?}; delta is the worst |Δ| over all outputs.
 */
export function checkOutputs(dir, row, outputs, precision) {
  let delta = 0;
  let tol = Infinity;
  for (const [name, entry] of Object.entries(row.outputs)) {
    const got = outputs[name];
    const want = readTensor(dir, entry);
    if (!got) return { ok: false, delta: null, tol: null, note: `no ${name} returned` };
    if (got.length !== want.length)
      return { ok: false, delta: null, tol: null, note: `${name} has ${got.length} values, expected ${want.length}` };
    let d = 0;
    for (let i = 0; i < want.length; i++) {
      const e = Math.abs(got[i] - want[i]);
      // NaN compares false: count it as a disagreement
      if (!(e <= d)) d = Number.isNaN(e) ? Infinity : e;
    }
    delta = Math.max(delta, d);
    tol = Math.min(tol, tolerance(precision, entry.reduction, entry.maxAbs));
  }
  return { ok: delta <= tol, delta, tol };
}

const faults = () => process.resourceUsage().minorPageFault;
export const SAMPLE_MS = 25;

/**
 * Calls `fn` until its cost has settled: windows of ≥ 50 ms, until two windows in a row agree within 15%
 * (after ≥ 200 ms) or 1.5 s have passed. A fresh process needs that long: besides the JIT tiering up, V8 grows
 * its heap during the first second, and the page faults of that growth made S1 look 50× slower than it is.
 * Returns the last window's ms per call.
 */
export function warmUp(fn, { minMs = 200, maxMs = 1500, windowMs = 50, agree = 0.15 } = {}) {
  const start = performance.now();
  let previous = Infinity;
  for (;;) {
    const t = performance.now();
    let calls = 0;
    do {
      fn();
      calls++;
    } while (performance.now() - t < windowMs);
    const perCall = (performance.now() - t) / calls;
    const elapsed = performance.now() - start;
    if ((elapsed >= minMs && Math.abs(perCall - previous) <= agree * perCall) || elapsed >= maxMs) return perCall;
    previous = perCall;
  }
}

/**
 * Times `fn` and returns {ms: median per call, faultsPerCall, samples}. After the warm-up, calls are batched so
 * that one sample lasts ≥ 25 ms: costs that come every so many calls (a garbage collection, page faults on
 * memory the allocator gave back to the OS after it) are averaged inside each sample, as a caller making many
 * calls pays them, while the median of the 15 samples rejects the odd interruption by another process. S1's
 * microseconds are measured over thousands of calls per sample.
 * `firstMs`: the duration of a call already made (the output check); if it exceeded 1 s (tfjs-cpu's S3
 * gradients take ~20 s), that call was the warm-up and one more call is the measurement.
 */
export function measure(fn, { samples = 15, maxMs = 4000, firstMs } = {}) {
  let first = firstMs;
  if (first === undefined) {
    const t0 = performance.now();
    fn();
    first = performance.now() - t0;
  }
  if (first > 1000) {
    const f0 = faults();
    const t = performance.now();
    fn();
    return { ms: performance.now() - t, faultsPerCall: faults() - f0, samples: 1 };
  }
  const perCall = warmUp(fn);
  const batch = Math.max(1, Math.ceil(SAMPLE_MS / Math.max(perCall, 1e-4)));
  const times = [];
  const deadline = performance.now() + maxMs;
  const f0 = faults();
  for (let s = 0; s < samples; s++) {
    const t = performance.now();
    for (let i = 0; i < batch; i++) fn();
    times.push((performance.now() - t) / batch);
    if (performance.now() > deadline && times.length >= 3) break;
  }
  const faultsPerCall = (faults() - f0) / (times.length * batch);
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], faultsPerCall, samples: times.length };
}

/**
 * One row of a JS family: `compute()` runs the engine once and returns its outputs in the reference's layout
 * (the check, untimed); if they agree, each of `timed` (column id → the call as its users make it) is timed.
 * `sameAsCompute`: the column whose call is the one `compute` makes (tfjs: op + readback); when that call took
 * over a second (tfjs-cpu's ~20 s gradients), its check run is its measurement and it is not called again.
 * Returns column id → Cell.
 */
export function runRow(dir, row, { precision, compute, timed, sameAsCompute }) {
  const columns = Object.keys(timed);
  const all = (cell) => Object.fromEntries(columns.map((c) => [c, { ...cell }]));
  let check;
  let firstMs;
  let computeFaults;
  try {
    const f0 = faults();
    const t0 = performance.now();
    const outputs = compute();
    firstMs = performance.now() - t0;
    computeFaults = faults() - f0;
    check = checkOutputs(dir, row, outputs, precision);
  } catch (e) {
    return all({ status: 'failed', note: String(e?.message ?? e).split('\n')[0] });
  }
  const base = { delta: check.delta, tol: check.tol };
  if (!check.ok) return all({ status: 'wrong', ...base, note: check.note });
  const cells = {};
  for (const c of columns) {
    try {
      cells[c] =
        c === sameAsCompute && firstMs > 1000
          ? { status: 'ok', ...base, ms: firstMs, faultsPerCall: computeFaults, samples: 1 }
          : { status: 'ok', ...base, ...measure(timed[c], { firstMs }) };
    } catch (e) {
      cells[c] = { status: 'failed', ...base, note: String(e?.message ?? e).split('\n')[0] };
    }
  }
  return cells;
}

/** The family's arguments: variant, --data dir, --skip ids. */
export function familyArgs(argv = process.argv.slice(2)) {
  const value = (name) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const data = value('data');
  if (!data) throw new Error('usage: <family> <variant> --data <dir> [--skip id,id]');
  return { variant: argv[0], data: resolve(data), skip: new Set((value('skip') ?? '').split(',').filter(Boolean)) };
}

/** Prints the family's report as its last stdout line (tfjs prints a banner to stdout before it). */
export function emit(columns) {
  process.stdout.write(`\n${JSON.stringify({ columns })}\n`);
}
