/**
 * Gradient checks in the manner of `torch.autograd.gradcheck`, and a check of gradients that the user
 * computed themselves.
 *
 * Full mode builds both Jacobians of every (output, input) pair: the numerical one column by column from
 * central differences `(f(x + eps·e_j) − f(x − eps·e_j)) / 2eps`, the analytical one row by row from
 * backward passes with `grad_output = e_i`; it passes when `|a − n| ≤ atol + rtol·|n|` everywhere.
 * Fast mode compares `vᵀ J u` for random non-negative unit vectors u, v (torch's `_fast_gradcheck`), with
 * atol scaled by `Σu · Σv` as torch's `_adjusted_atol` does.
 */
import { checkBudget, estimateGradcheck, limitsFrom, type EngineLimits, type PassCost } from './budget';
import { fail } from './errors';
import { formatShape, sizeOf, unravel, type Tensor } from './tensor';

export { unravel };

/** A function of several tensors with one tensor output, and its vector-Jacobian product. */
export interface Differentiable {
  /** the op's name for messages, e.g. "conv2d" */
  readonly op?: string;
  /** what one forward and one backward pass cost: gradcheck multiplies them by its passes to check its budget */
  readonly cost?: PassCost;
  readonly inputNames: readonly string[];
  readonly inputs: readonly Tensor[];
  readonly outputShape: readonly number[];
  forward(values: readonly Float64Array[]): Float64Array;
  /** gradients of Σ output·gradOutput with respect to every input */
  backward(values: readonly Float64Array[], gradOutput: Float64Array): Float64Array[];
}

export interface GradcheckOptions {
  readonly eps?: number;
  readonly atol?: number;
  readonly rtol?: number;
  readonly fastMode?: boolean;
  /** indices into `inputs` to check (default: all) */
  readonly wrt?: readonly number[];
  readonly seed?: number;
  /** refuse a full Jacobian with more entries than this */
  readonly maxJacobianEntries?: number;
  /** called with the fraction done; return false to cancel */
  readonly onProgress?: (fraction: number) => boolean | void;
  /** the budget the whole check (every pass) must fit in (default DEFAULT_LIMITS) */
  readonly limits?: Partial<EngineLimits>;
}

export interface ElementMismatch {
  /** the input element (full mode) as a multi-index into the input */
  readonly inputIndex: readonly number[] | null;
  /** the output element (full mode) as a multi-index into the output */
  readonly outputIndex: readonly number[] | null;
  readonly analytical: number;
  readonly numerical: number;
  readonly difference: number;
  readonly tolerance: number;
}

export interface InputCheck {
  readonly input: string;
  readonly inputNumber: number;
  readonly passed: boolean;
  /** entries compared: Jacobian entries (full) or 1 (fast) */
  readonly compared: number;
  readonly mismatches: number;
  readonly maxDifference: number;
  /** the worst mismatches (all of them when few), worst first */
  readonly worst: readonly ElementMismatch[];
  /** full mode: per input element, the largest |analytical − numerical| over all outputs (the heat map) */
  readonly elementDifference: readonly number[];
  /** full mode: per input element, whether any of its Jacobian entries failed the tolerance */
  readonly elementFailed: readonly boolean[];
}

export interface GradcheckResult {
  readonly passed: boolean;
  readonly mode: 'full' | 'fast';
  readonly eps: number;
  readonly atol: number;
  readonly rtol: number;
  readonly checks: readonly InputCheck[];
  /** torch's words for the first failure, or "" when everything passed */
  readonly message: string;
}

export const GRADCHECK_DEFAULTS = { eps: 1e-6, atol: 1e-5, rtol: 1e-3 } as const;
const WORST_KEPT = 20;

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

/** A small seeded generator (mulberry32) so that fast mode is reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomUnit(n: number, rand: () => number): Float64Array {
  const v = new Float64Array(n);
  let norm = 0;
  for (let i = 0; i < n; i++) {
    v[i] = rand();
    norm += v[i] * v[i];
  }
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < n; i++) v[i] /= norm;
  return v;
}

function close(a: number, n: number, atol: number, rtol: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(n)) return Number.isNaN(a) && Number.isNaN(n);
  return Math.abs(a - n) <= atol + rtol * Math.abs(n);
}

class WorstList {
  readonly items: ElementMismatch[] = [];
  count = 0;
  maxDifference = 0;
  add(m: ElementMismatch): void {
    this.count++;
    this.items.push(m);
    if (this.items.length > WORST_KEPT * 4) this.trim();
  }
  note(diff: number): void {
    if (diff > this.maxDifference || Number.isNaN(diff)) this.maxDifference = diff;
  }
  trim(): void {
    this.items.sort((x, y) => y.difference - x.difference || 0);
    this.items.length = Math.min(this.items.length, WORST_KEPT);
  }
}

export function gradcheck(f: Differentiable, options: GradcheckOptions = {}): GradcheckResult {
  const eps = options.eps ?? GRADCHECK_DEFAULTS.eps;
  const atol = options.atol ?? GRADCHECK_DEFAULTS.atol;
  const rtol = options.rtol ?? GRADCHECK_DEFAULTS.rtol;
  if (!(eps > 0)) fail('eps', 'nonpositive', `eps must be a positive number, got ${eps}`);
  if (!(atol >= 0)) fail('atol', 'nonpositive', `atol must be ≥ 0, got ${atol}`);
  if (!(rtol >= 0)) fail('rtol', 'nonpositive', `rtol must be ≥ 0, got ${rtol}`);
  const wrt = options.wrt ?? f.inputs.map((_, i) => i);
  const outSize = sizeOf(f.outputShape);
  if (!options.fastMode) {
    const limit = options.maxJacobianEntries ?? 5e7;
    for (const i of wrt) {
      const n = f.inputs[i].data.length;
      if (n * outSize > limit) {
        fail(
          'fast_mode',
          'size_limit',
          `the Jacobian of the output (${outSize} elements) with respect to ${f.inputNames[i]} (${n} elements) has ${n * outSize} entries, over the limit of ${limit}: use fast_mode=true or smaller tensors`,
        );
      }
    }
  }
  if (f.cost) {
    const estimate = estimateGradcheck(
      {
        op: f.op ?? 'the function',
        inputSizes: f.inputs.map((t) => t.data.length),
        outputSize: outSize,
        wrt,
        fastMode: options.fastMode === true,
      },
      f.cost,
    );
    checkBudget(estimate, limitsFrom(options.limits), options.fastMode ? undefined : 'use fast_mode=true');
  }
  const values = f.inputs.map((t) => new Float64Array(t.data));
  const checks: InputCheck[] = [];
  const total = wrt.reduce((s, i) => s + (options.fastMode ? 1 : values[i].length + outSize), 0) || 1;
  let done = 0;
  const progress = (units: number): void => {
    done += units;
    if (options.onProgress && options.onProgress(Math.min(1, done / total)) === false) throw new CancelledError();
  };

  if (options.fastMode) {
    const rand = seededRandom(options.seed ?? 0);
    for (const i of wrt) {
      const x = values[i];
      const u = randomUnit(x.length, rand);
      const v = randomUnit(outSize, rand);
      // numerical vᵀ(J u): one central difference along u
      const saved = new Float64Array(x);
      for (let j = 0; j < x.length; j++) x[j] = saved[j] + eps * u[j];
      const plus = f.forward(values);
      for (let j = 0; j < x.length; j++) x[j] = saved[j] - eps * u[j];
      const minus = f.forward(values);
      x.set(saved);
      let numerical = 0;
      for (let k = 0; k < outSize; k++) numerical += v[k] * ((plus[k] - minus[k]) / (2 * eps));
      // analytical (vᵀJ) u: one backward pass
      const grad = f.backward(values, v)[i];
      let analytical = 0;
      for (let j = 0; j < x.length; j++) analytical += grad[j] * u[j];
      let sumU = 0;
      let sumV = 0;
      for (const e of u) sumU += e;
      for (const e of v) sumV += e;
      const tol = atol * sumU * sumV + rtol * Math.abs(numerical);
      const diff = Math.abs(analytical - numerical);
      const passed = close(analytical, numerical, atol * sumU * sumV, rtol);
      checks.push({
        input: f.inputNames[i],
        inputNumber: i,
        passed,
        compared: 1,
        mismatches: passed ? 0 : 1,
        maxDifference: diff,
        worst: passed
          ? []
          : [{ inputIndex: null, outputIndex: null, analytical, numerical, difference: diff, tolerance: tol }],
        elementDifference: [],
        elementFailed: [],
      });
      progress(1);
    }
  } else {
    for (const i of wrt) {
      const x = values[i];
      const n = x.length;
      // numerical[j * outSize + k] = ∂out_k / ∂x_j
      const numerical = new Float64Array(n * outSize);
      for (let j = 0; j < n; j++) {
        const saved = x[j];
        x[j] = saved + eps;
        const plus = f.forward(values);
        x[j] = saved - eps;
        const minus = f.forward(values);
        x[j] = saved;
        for (let k = 0; k < outSize; k++) numerical[j * outSize + k] = (plus[k] - minus[k]) / (2 * eps);
        if ((j & 15) === 15) progress(16);
      }
      progress(n & 15);
      const worst = new WorstList();
      const elementDifference = new Array<number>(n).fill(0);
      const elementFailed = new Array<boolean>(n).fill(false);
      const unit = new Float64Array(outSize);
      for (let k = 0; k < outSize; k++) {
        unit[k] = 1;
        const row = f.backward(values, unit)[i];
        unit[k] = 0;
        for (let j = 0; j < n; j++) {
          const a = row[j];
          const num = numerical[j * outSize + k];
          const diff = Math.abs(a - num);
          worst.note(diff);
          if (diff > elementDifference[j] || Number.isNaN(diff)) elementDifference[j] = diff;
          if (!close(a, num, atol, rtol)) {
            elementFailed[j] = true;
            worst.add({
              inputIndex: unravel(j, f.inputs[i].shape),
              outputIndex: unravel(k, f.outputShape),
              analytical: a,
              numerical: num,
              difference: diff,
              tolerance: atol + rtol * Math.abs(num),
            });
          }
        }
        if ((k & 15) === 15) progress(16);
      }
      progress(outSize & 15);
      worst.trim();
      checks.push({
        input: f.inputNames[i],
        inputNumber: i,
        passed: worst.count === 0,
        compared: n * outSize,
        mismatches: worst.count,
        maxDifference: worst.maxDifference,
        worst: worst.items,
        elementDifference,
        elementFailed,
      });
    }
  }
  const failed = checks.find((c) => !c.passed);
  let message = '';
  if (failed) {
    const w = failed.worst[0];
    message = `Jacobian mismatch for output 0 with respect to input ${failed.inputNumber} (${failed.input}): `;
    message += options.fastMode
      ? `vᵀJu is ${w.analytical} analytically but ${w.numerical} numerically`
      : `${failed.mismatches} of ${failed.compared} entries differ; worst ∂out${bracket(w.outputIndex)}/∂${failed.input}${bracket(w.inputIndex)}: analytical ${w.analytical}, numerical ${w.numerical}`;
  }
  return { passed: !failed, mode: options.fastMode ? 'fast' : 'full', eps, atol, rtol, checks, message };
}

function bracket(idx: readonly number[] | null): string {
  return idx ? `[${idx.join(', ')}]` : '';
}

export interface UserGradientReport {
  readonly name: string;
  readonly passed: boolean;
  readonly compared: number;
  readonly mismatches: number;
  /** every mismatched element (up to `maxReported`), in index order, with what it should be */
  readonly elements: readonly { index: readonly number[]; expected: number; got: number; difference: number }[];
  readonly truncated: boolean;
}

/**
 * Compares a gradient the user supplied with the analytic one element by element, with gradcheck's
 * tolerance rule (|got − expected| ≤ atol + rtol·|expected|).
 */
export function compareUserGradient(
  name: string,
  expected: Tensor,
  got: Tensor,
  options: { atol?: number; rtol?: number; maxReported?: number } = {},
): UserGradientReport {
  if (expected.shape.length !== got.shape.length || expected.shape.some((d, i) => d !== got.shape[i])) {
    fail(
      name,
      'shape_mismatch',
      `${name} has shape ${formatShape(got.shape)} but the gradient has shape ${formatShape(expected.shape)}: it must match the tensor it is the gradient of`,
    );
  }
  const atol = options.atol ?? GRADCHECK_DEFAULTS.atol;
  const rtol = options.rtol ?? GRADCHECK_DEFAULTS.rtol;
  const maxReported = options.maxReported ?? 1000;
  const elements: { index: number[]; expected: number; got: number; difference: number }[] = [];
  let mismatches = 0;
  for (let j = 0; j < expected.data.length; j++) {
    const e = expected.data[j];
    const g = got.data[j];
    if (!close(g, e, atol, rtol)) {
      mismatches++;
      if (elements.length < maxReported)
        elements.push({ index: unravel(j, expected.shape), expected: e, got: g, difference: Math.abs(g - e) });
    }
  }
  return {
    name,
    passed: mismatches === 0,
    compared: expected.data.length,
    mismatches,
    elements,
    truncated: mismatches > elements.length,
  };
}
