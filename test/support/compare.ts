/**
 * Tolerant comparison of nested JSON answers against PyTorch's: numbers within `rtol` of the largest
 * magnitude in the expected tensor (float64 summation order differs between kernels), an exact zero with
 * its sign, the strings "NaN"/"Infinity"/"-Infinity" exactly, and shapes exactly.
 */
import { EngineError } from '../../src/engine/errors';
type J = unknown;

function flatten(v: J, out: unknown[] = []): unknown[] {
  if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else out.push(v);
  return out;
}

function shapeOf(v: J): number[] {
  const s: number[] = [];
  let p: J = v;
  while (Array.isArray(p)) {
    s.push(p.length);
    p = p[0];
  }
  return s;
}

/** Returns null when `actual` matches `expected`, else a description of the first difference. */
export function diffTensor(actual: J, expected: J, rtol = 1e-9, exact = false): string | null {
  const sa = shapeOf(actual);
  const se = shapeOf(expected);
  if (sa.join() !== se.join()) return `shape [${sa}] vs expected [${se}]`;
  const a = flatten(actual);
  const e = flatten(expected);
  if (a.length !== e.length) return `ragged: ${a.length} vs ${e.length} elements`;
  let scale = 0;
  for (const x of e) if (typeof x === 'number') scale = Math.max(scale, Math.abs(x));
  const tol = exact ? 0 : rtol * Math.max(1, scale);
  for (let i = 0; i < e.length; i++) {
    const x = a[i];
    const y = e[i];
    if (typeof y === 'string' || typeof x === 'string') {
      if (x !== y) return `element ${i}: ${JSON.stringify(x)} vs expected ${JSON.stringify(y)}`;
    } else if (typeof x !== 'number' || typeof y !== 'number' || !(Math.abs(x - y) <= tol)) {
      return `element ${i}: ${JSON.stringify(x)} vs expected ${JSON.stringify(y)} (tolerance ${tol})`;
    } else if (x === 0 && y === 0 && Object.is(x, -0) !== Object.is(y, -0)) {
      // PyTorch keeps the sign of zero (max pooling over −0.0, a −0.0 bias): so must the answer
      return `element ${i}: ${Object.is(x, -0) ? '-0.0' : '0'} vs expected ${Object.is(y, -0) ? '-0.0' : '0'} (the sign of zero)`;
    }
  }
  return null;
}

/** The EngineError that `run` throws; any other outcome fails the test. */
export function refusal(run: () => unknown): EngineError {
  try {
    run();
  } catch (e) {
    if (e instanceof EngineError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}
