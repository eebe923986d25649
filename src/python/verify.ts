/**
 * Verify in PyTorch: the current operation's request, answered again by PyTorch in the person's own Python
 * (verifyScript.ts), and compared with what Conv Lens answered — the largest |Conv Lens − PyTorch| per output and
 * per gradient, or PyTorch's own error when it refuses. No vscode.
 */
import { handleRequest, type Answer } from '../engine/requests';
import { shapeText } from '../engine/tensor';
import { runPythonScript, type PythonRun } from './runPython';
import { VERIFY_SCRIPT } from './verifyScript';

/** What the panel (for now: the last command) computed: the request and the engine's answer to it. */
export interface CurrentOperation {
  readonly request: Record<string, unknown>;
  readonly answer: unknown;
}

export interface Comparison {
  /** output, indices, grad_input, grad_weight, grad_bias */
  readonly name: string;
  readonly shape: readonly number[];
  readonly torchShape: readonly number[];
  /** over the elements where both are finite; null when the shapes differ */
  readonly maxAbsDifference: number | null;
  /** where it is largest (row-major multi-index) */
  readonly worstIndex: readonly number[] | null;
  /** elements where one side is NaN or ±Infinity and the other is not the same */
  readonly specialMismatches: number;
}

export type VerifyReport =
  | {
      readonly kind: 'compared';
      readonly interpreter: string;
      readonly torchVersion: string;
      readonly comparisons: readonly Comparison[];
      /** every shape equal, every difference within `tolerance`, no NaN/Infinity mismatch */
      readonly agree: boolean;
      readonly tolerance: number;
      /** shape checks: the two output shapes */
      readonly shape?: { readonly convLens: readonly number[]; readonly torch: readonly number[] };
      /** gradient checks: both verdicts */
      readonly gradcheck?: { readonly convLens: boolean; readonly torch: boolean };
      readonly ms: number;
    }
  /** PyTorch refused it too (or alone: then convLensError is null and Conv Lens computed an answer) */
  | {
      readonly kind: 'torch-refused';
      readonly interpreter: string;
      readonly torchVersion: string;
      readonly torchError: string;
      readonly convLensError: string | null;
    }
  /** Conv Lens refused what PyTorch computes */
  | {
      readonly kind: 'conv-lens-refused';
      readonly interpreter: string;
      readonly torchVersion: string;
      readonly convLensError: string;
    }
  | { readonly kind: 'no-torch'; readonly interpreter: string; readonly pythonVersion: string; readonly error: string }
  | { readonly kind: 'not-started'; readonly interpreter: string; readonly message: string }
  | { readonly kind: 'timeout'; readonly interpreter: string; readonly ms: number }
  | { readonly kind: 'cancelled' }
  | { readonly kind: 'failed'; readonly interpreter: string; readonly detail: string }
  | { readonly kind: 'not-applicable'; readonly reason: string };

/** Differences up to this count as agreement: float64 summation order differs between the two. */
export const AGREEMENT_TOLERANCE = 1e-9;

const ENGINE_ONLY_FIELDS = ['algorithm', 'id'];
const TRACE_ONLY_FIELDS = ['of', 'start', 'count', 'batch'];
const GRADCHECK_ONLY_FIELDS = [
  'of',
  'wrt',
  'fast_mode',
  'eps',
  'atol',
  'rtol',
  'seed',
  'grad_input',
  'grad_weight',
  'grad_bias',
];

/** The request PyTorch is asked: the operation itself (a trace request becomes the op it traces). */
export function torchRequest(request: Record<string, unknown>): Record<string, unknown> | string {
  let r: Record<string, unknown> = { ...request };
  if (r.op === 'trace') {
    const of = r.of;
    for (const k of TRACE_ONLY_FIELDS) delete r[k];
    r = { ...r, op: of };
  }
  for (const k of ENGINE_ONLY_FIELDS) delete r[k];
  const op = String(r.op);
  if (op === 'unfold1d' || op === 'unfold3d')
    return `${op} is Conv Lens's own generalisation of unfold; torch.nn.functional.unfold is 2-D only`;
  if (op === 'parse') return 'parse reads text; there is nothing for PyTorch to compute';
  return r;
}

type NestedNumber = number | string | NestedNumber[];

function shapeOf(v: unknown): number[] {
  const shape: number[] = [];
  let p = v;
  while (Array.isArray(p)) {
    shape.push(p.length);
    p = p[0];
  }
  return shape;
}

function flatten(v: unknown, out: number[] = []): number[] {
  if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else if (typeof v === 'number') out.push(v);
  else if (v === 'Infinity') out.push(Infinity);
  else if (v === '-Infinity') out.push(-Infinity);
  else out.push(NaN);
  return out;
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return idx;
}

/** max |a − b| over elements where both are finite, and the elements where NaN/±Infinity disagree. */
export function compareTensors(name: string, ours: unknown, theirs: unknown): Comparison {
  const shape = shapeOf(ours);
  const torchShape = shapeOf(theirs);
  const a = flatten(ours);
  const b = flatten(theirs);
  if (shape.length !== torchShape.length || shape.some((d, i) => d !== torchShape[i]) || a.length !== b.length)
    return { name, shape, torchShape, maxAbsDifference: null, worstIndex: null, specialMismatches: 0 };
  let max = 0;
  let worst = -1;
  let special = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (Number.isFinite(x) && Number.isFinite(y)) {
      const d = Math.abs(x - y);
      if (d > max) {
        max = d;
        worst = i;
      }
    } else if (!(Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)))) special++;
  }
  return {
    name,
    shape,
    torchShape,
    maxAbsDifference: max,
    worstIndex: worst < 0 ? null : unravel(worst, shape),
    specialMismatches: special,
  };
}

/** Conv Lens's own analytic gradients for a gradcheck request (the engine's backward for the same grad_output). */
function convLensGradients(request: Record<string, unknown>): Record<string, unknown> | null {
  const forward: Record<string, unknown> = { ...request, op: request.of };
  for (const k of GRADCHECK_ONLY_FIELDS) delete forward[k];
  delete forward.grad_output;
  const y = handleRequest(forward);
  if (!y.ok) return null;
  const shape = y.shape as number[];
  const ones = (depth: number): NestedNumber =>
    depth === shape.length ? 1 : Array.from({ length: shape[depth] }, () => ones(depth + 1));
  const backward = handleRequest({
    ...forward,
    op: `${String(request.of)}_backward`,
    grad_output: request.grad_output ?? ones(0),
  });
  return backward.ok ? backward : null;
}

function errorText(a: Answer): string {
  if (a.ok) return '';
  return a.torch_error ?? a.error;
}

/** A string field of Python's answer, or the fallback. */
function text(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function isAnswer(x: unknown): x is Answer {
  return typeof x === 'object' && x !== null && typeof (x as { ok?: unknown }).ok === 'boolean';
}

/** What PyTorch answered, compared with the engine's answer. */
export function compareWithTorch(
  operation: CurrentOperation,
  torch: Record<string, unknown>,
  interpreter: string,
  ms: number,
): VerifyReport {
  const answer: Answer = isAnswer(operation.answer)
    ? operation.answer
    : { ok: false, error: 'Conv Lens has no answer for this operation' };
  const torchVersion = text(torch.torch, '?');
  if (torch.ok !== true) {
    return {
      kind: 'torch-refused',
      interpreter,
      torchVersion,
      torchError: text(torch.torch_error, text(torch.error, 'PyTorch gave no reason')),
      convLensError: answer.ok ? null : errorText(answer),
    };
  }
  if (!answer.ok) return { kind: 'conv-lens-refused', interpreter, torchVersion, convLensError: errorText(answer) };
  const request = operation.request;
  const op = request.op === 'trace' ? String(request.of) : String(request.op);
  const comparisons: Comparison[] = [];
  let shape: { convLens: number[]; torch: number[] } | undefined;
  let gradcheck: { convLens: boolean; torch: boolean } | undefined;
  const theirs = (torch.outputs ?? {}) as Record<string, unknown>;
  if (op === 'shape') {
    shape = { convLens: (answer.shape as number[]) ?? [], torch: (torch.shape as number[]) ?? [] };
  } else if (op === 'gradcheck') {
    gradcheck = { convLens: answer.passed === true, torch: torch.passed === true };
    const ours: Record<string, unknown> = convLensGradients(request) ?? {};
    for (const name of ['grad_input', 'grad_weight', 'grad_bias'])
      if (theirs[name] != null && ours[name] != null) comparisons.push(compareTensors(name, ours[name], theirs[name]));
  } else {
    for (const name of ['output', 'indices', 'grad_input', 'grad_weight', 'grad_bias'])
      if (theirs[name] != null && answer[name] != null)
        comparisons.push(compareTensors(name, answer[name], theirs[name]));
  }
  const shapesAgree =
    !shape || (shape.convLens.length === shape.torch.length && shape.convLens.every((d, i) => d === shape?.torch[i]));
  const agree =
    shapesAgree &&
    (!gradcheck || gradcheck.convLens === gradcheck.torch) &&
    comparisons.every(
      (c) => c.maxAbsDifference !== null && c.maxAbsDifference <= AGREEMENT_TOLERANCE && c.specialMismatches === 0,
    );
  return {
    kind: 'compared',
    interpreter,
    torchVersion,
    comparisons,
    agree,
    tolerance: AGREEMENT_TOLERANCE,
    shape,
    gradcheck,
    ms,
  };
}

export interface VerifyOptions {
  readonly interpreter: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** Runs the operation in PyTorch and compares. */
export async function verifyInTorch(operation: CurrentOperation, options: VerifyOptions): Promise<VerifyReport> {
  const request = torchRequest(operation.request);
  if (typeof request === 'string') return { kind: 'not-applicable', reason: request };
  const run: PythonRun = await runPythonScript(options.interpreter, VERIFY_SCRIPT, request, {
    timeoutMs: options.timeoutMs,
    signal: options.signal,
  });
  const interpreter = options.interpreter;
  switch (run.kind) {
    case 'not-started':
      return { kind: 'not-started', interpreter, message: run.message };
    case 'timeout':
      return { kind: 'timeout', interpreter, ms: run.ms };
    case 'cancelled':
      return { kind: 'cancelled' };
    case 'failed':
      return {
        kind: 'failed',
        interpreter,
        detail: `exit ${run.exitCode ?? run.signal}${run.stderr ? `: ${run.stderr.trim().split('\n').slice(-3).join(' ')}` : ''}`,
      };
    case 'answer': {
      const value = (run.value ?? {}) as Record<string, unknown>;
      if (value.missing === 'torch')
        return {
          kind: 'no-torch',
          interpreter,
          pythonVersion: text(value.python_version, '?'),
          error: text(value.error, 'torch could not be imported'),
        };
      return compareWithTorch(operation, value, interpreter, run.ms);
    }
  }
}

/** One line per comparison for messages and the log: "output 5×5: max |Conv Lens − PyTorch| = 0". */
export function reportLines(report: VerifyReport): string[] {
  switch (report.kind) {
    case 'compared': {
      const lines = report.comparisons.map((c) =>
        c.maxAbsDifference === null
          ? `${c.name}: shapes differ, Conv Lens ${shapeText(c.shape)} vs PyTorch ${shapeText(c.torchShape)}`
          : `${c.name} ${shapeText(c.shape)}: max |Conv Lens − PyTorch| = ${c.maxAbsDifference === 0 ? '0' : c.maxAbsDifference.toExponential(3)}${c.worstIndex && c.maxAbsDifference > 0 ? ` at [${c.worstIndex.join(', ')}]` : ''}${c.specialMismatches ? `, ${c.specialMismatches} NaN/Infinity mismatches` : ''}`,
      );
      if (report.shape)
        lines.unshift(
          `output shape: Conv Lens ${shapeText(report.shape.convLens)}, PyTorch ${shapeText(report.shape.torch)}`,
        );
      if (report.gradcheck)
        lines.unshift(
          `gradcheck: Conv Lens ${report.gradcheck.convLens ? 'passed' : 'failed'}, torch.autograd.gradcheck ${report.gradcheck.torch ? 'passed' : 'failed'}`,
        );
      return lines;
    }
    case 'torch-refused':
      return [
        `PyTorch refuses it: ${report.torchError}`,
        report.convLensError
          ? `Conv Lens refuses it too: ${report.convLensError}`
          : 'Conv Lens computed an answer: they disagree',
      ];
    case 'conv-lens-refused':
      return [`Conv Lens refused it (${report.convLensError}), but PyTorch computes it: they disagree`];
    default:
      return [];
  }
}
