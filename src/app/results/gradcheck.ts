/**
 * Check Gradient…: torch.autograd.gradcheck's test of the conv's analytic gradients against finite
 * differences, and — when the user gives their own gradient — that gradient element by element. The
 * headline is about what the user asked: with their gradient, it passes only when their gradient is right.
 */
import { convFunction } from '../../engine/differentiable';
import { fail } from '../../engine/errors';
import type { ConvGeometry } from '../../engine/geometry';
import { compareUserGradient, gradcheck, type GradcheckResult, type UserGradientReport } from '../../engine/gradcheck';
import { describe, filled, formatShape, ravel, sizeOf, unravel, type Tensor } from '../../engine/tensor';
import type { GradcheckTrace, SummaryRow } from '../../protocol';
import { readConvOperands } from '../operands';
import type { OperationSpec } from '../operation';
import { convGeometryFor } from './conv';
import {
  numberText,
  operandRows,
  panelView,
  refusedSession,
  TensorTable,
  viewOnlySession,
  type ResultSession,
} from './session';

export interface GradcheckOutcome {
  /** what the headline says: the user's gradient when they gave one, the analytic gradients otherwise */
  readonly passed: boolean;
  readonly headline: string;
  /** the user's wrong elements, indexed in the user's own literal, with what they hold and should hold */
  readonly wrongElements: readonly {
    readonly index: readonly number[];
    readonly got: number;
    readonly expected: number;
  }[];
}

export interface OpenHooks {
  /** the fraction done; return false to cancel */
  readonly onProgress?: (fraction: number) => boolean | void;
}

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;

function optionalNumber(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v))
    fail(name, 'type', `${name} must be a finite number, got ${describe(v)}`);
  return v;
}

export function openGradcheckResult(
  spec: OperationSpec,
  hooks: OpenHooks = {},
): ResultSession & { outcome: GradcheckOutcome | null } {
  if (!spec.kernel) throw new Error('Check Gradient needs a kernel');
  const params = spec.params;
  const flip = typeof params.flip === 'boolean' ? params.flip : spec.flipByDefault;
  const notes: string[] = [];
  let read: ReturnType<typeof readConvOperands>;
  let g: ConvGeometry;
  let result: GradcheckResult;
  let user: UserGradientReport | null = null;
  const tensors = new TensorTable();
  try {
    read = readConvOperands(spec.input, spec.kernel);
    notes.push(...read.notes);
    g = convGeometryFor(read, params, null);
    const fn = convFunction(g, read.input, read.weight, null, { flip });
    const atol = optionalNumber(params.atol, 'atol');
    const rtol = optionalNumber(params.rtol, 'rtol');
    result = gradcheck(fn, {
      eps: optionalNumber(params.eps, 'eps'),
      atol,
      rtol,
      fastMode: params.fast_mode === true,
      onProgress: hooks.onProgress,
    });
    if (spec.userGradient) {
      const ofInput = spec.userGradient.of === 'input';
      const target = ofInput ? read.input : read.weight;
      const given = spec.userGradient.tensor;
      if (given.data.length !== target.data.length) {
        fail(
          ofInput ? 'grad_input' : 'grad_weight',
          'shape_mismatch',
          `your gradient has ${given.data.length} numbers but the ${spec.userGradient.of} has ${target.data.length} (shape ${formatShape(target.shape)})`,
        );
      }
      let gy: Tensor;
      if (spec.gradOutput) {
        if (spec.gradOutput.data.length !== sizeOf(g.outputShape)) {
          fail(
            'grad_output',
            'shape_mismatch',
            `grad_output has ${spec.gradOutput.data.length} numbers but the output has shape ${formatShape(g.outputShape)}`,
          );
        }
        gy = { shape: g.outputShape, data: spec.gradOutput.data };
      } else {
        gy = filled(g.outputShape, 1);
        notes.push('grad_output = ones: your gradient is compared with the gradient of output.sum()');
      }
      const analytic = fn.backward(
        fn.inputs.map((t) => t.data),
        gy.data,
      )[ofInput ? 0 : 1];
      // the user's gradient in the user's own shape is compared in the shape the operand was read as
      user = compareUserGradient(
        ofInput ? 'grad_input' : 'grad_weight',
        { shape: target.shape, data: analytic },
        { shape: target.shape, data: given.data },
        { atol, rtol },
      );
      if (user.mismatches > 0) {
        // where the wrong elements are, in the user's own shape (what the editor marks in the literal)
        tensors.add('user.expected', `${user.name} (should be)`, { shape: given.shape, data: analytic.slice() });
      }
    }
  } catch (e) {
    return { ...refusedSession(spec, 'gradcheck', 'Gradient check', e, notes), outcome: null };
  }
  const precision = spec.precision;
  // an element's index in the user's own literal (the flat position is the same in the shape it was read as)
  const readShape = spec.userGradient?.of === 'weight' ? read.weight.shape : read.input.shape;
  const userIndex = (index: readonly number[]) =>
    spec.userGradient ? unravel(ravel(index, readShape), spec.userGradient.tensor.shape) : [...index];
  const elementsOf = (n: number) => plural(n, 'element');
  const checks: GradcheckTrace['checks'][number][] = result.checks.map((c) => {
    const shape = (c.inputNumber === 0 ? read.input : read.weight).shape;
    const n = sizeOf(shape);
    const full = c.elementDifference.length === n;
    const failedCount = full ? c.elementFailed.filter(Boolean).length : c.mismatches;
    const id = `check.${c.input}`;
    if (full)
      tensors.add(id, `|analytical − numerical| per element of ${c.input}`, {
        shape,
        data: Float64Array.from(c.elementDifference),
      });
    return {
      input: c.input,
      passed: c.passed,
      headline: c.passed
        ? `∂output/∂${c.input}: passed (${elementsOf(n)})`
        : full
          ? `∂output/∂${c.input}: ${failedCount.toLocaleString('en-US')} of ${elementsOf(n)} fail (${plural(c.mismatches, 'Jacobian entry')} beyond the tolerance)`
          : `∂output/∂${c.input}: vᵀJu differs (fast mode compares one random projection)`,
      maxDifference: numberText(c.maxDifference, 3),
      difference: full ? id : null,
      failed: full ? Uint8Array.from(c.elementFailed.map((f) => (f ? 1 : 0))) : null,
      worst: c.worst.map((w) => [
        w.inputIndex ? w.inputIndex.join(', ') : 'vᵀJu',
        w.outputIndex ? w.outputIndex.join(', ') : '',
        numberText(w.analytical, precision),
        numberText(w.numerical, precision),
        numberText(w.difference, precision),
      ]),
    };
  });
  const userGradients: GradcheckTrace['userGradients'][number][] = user
    ? [
        {
          name: user.name,
          passed: user.passed,
          headline: user.passed
            ? `your ${user.name}: correct (${elementsOf(user.compared)})`
            : `your ${user.name}: ${user.mismatches.toLocaleString('en-US')} of ${elementsOf(user.compared)} wrong`,
          wrong: user.elements.map((e) => [
            userIndex(e.index).join(', '),
            numberText(e.got, precision),
            numberText(e.expected, precision),
            numberText(e.difference, precision),
          ]),
        },
      ]
    : [];
  const analyticPassed = result.passed;
  const outcome: GradcheckOutcome = user
    ? {
        passed: user.passed,
        headline: user.passed
          ? `your ${user.name} is correct (${elementsOf(user.compared)})${analyticPassed ? '' : ', but the analytic gradients failed gradcheck'}`
          : `your ${user.name} has ${plural(user.mismatches, 'wrong element')} of ${user.compared.toLocaleString('en-US')}`,
        wrongElements: user.elements.map((e) => ({ index: userIndex(e.index), got: e.got, expected: e.expected })),
      }
    : {
        passed: analyticPassed,
        headline: analyticPassed ? 'gradient check passed' : 'gradient check FAILED',
        wrongElements: [],
      };
  const summary: SummaryRow[] = [
    { label: 'result', value: outcome.passed ? `passed: ${outcome.headline}` : `FAILED: ${outcome.headline}` },
    ...operandRows(spec, [
      ['input', spec.input],
      ['kernel', spec.kernel],
    ]),
    { label: 'mode', value: `${result.mode} (eps ${result.eps}, atol ${result.atol}, rtol ${result.rtol})` },
    ...checks.map((c) => ({
      label: `∂/∂${c.input}`,
      value: `${c.headline}; max |analytical − numerical| = ${c.maxDifference}`,
    })),
    ...userGradients.map((u) => ({ label: `your ${u.name}`, value: u.headline })),
  ];
  const trace: GradcheckTrace = { kind: 'gradcheck', message: result.message || null, checks, userGradients };
  const view = panelView(spec, tensors, {
    kind: 'gradcheck',
    title: 'Gradient check',
    summary,
    notes,
    trace,
    results: [],
  });
  return { ...viewOnlySession(view, tensors), outcome };
}
