/**
 * Convolve…: the conv of the operands as PyTorch computes it, the sliding-window steps cut from that one
 * result page by page, and (for inputs a person can follow cell by cell) the equivariance demonstration.
 */
import { conv, flipKernel } from '../../engine/conv';
import { fail } from '../../engine/errors';
import { convGeometry, poolGeometry, type ConvGeometry } from '../../engine/geometry';
import { maxPool } from '../../engine/pool';
import { reshape, shapeText, sizeOf, type Tensor } from '../../engine/tensor';
import { convSteps, convTraceFacts, pageSize, pageWindow } from '../../engine/trace';
import { encodeConvPage, type ConvTrace, type EquivarianceTrace } from '../../protocol';
import type { KwValue } from '../keywords';
import { readConvOperands, squeezeTo } from '../operands';
import type { OperationSpec } from '../operation';
import {
  dimLabel,
  operandRows,
  panelView,
  refusedSession,
  SessionError,
  TensorTable,
  withBatch,
  type ResultSession,
} from './session';

/** the shift demonstration is for inputs the panel draws as tables, where a person can follow it */
export const EQUIVARIANCE_MAX_INPUT = 4096;

/** A bias keyword is one number per output channel, or one number for every channel. */
export function biasTensor(value: KwValue | undefined, channels: number): Tensor | null {
  if (value === undefined || value === null || value === false) return null;
  const values = Array.isArray(value) ? value : new Array<number>(channels).fill(Number(value));
  return { shape: [values.length], data: Float64Array.from(values) };
}

export function checkOutputSize(shape: readonly number[], maxElements: number): void {
  const n = sizeOf(shape);
  if (n > maxElements) {
    fail(
      'output',
      'size_limit',
      `the output would have ${n.toLocaleString('en-US')} elements (shape [${shape.join(', ')}]), over the limit of ${maxElements.toLocaleString('en-US')} (convLens.limits.maxElements): use smaller tensors`,
    );
  }
}

export function convGeometryFor(
  read: { rank: 1 | 2 | 3; input: Tensor; weight: Tensor },
  params: Readonly<Record<string, KwValue>>,
  bias: Tensor | null,
): ConvGeometry {
  return convGeometry({
    rank: read.rank,
    inputShape: read.input.shape,
    weightShape: read.weight.shape,
    biasShape: bias ? bias.shape : null,
    stride: params.stride,
    padding: params.padding,
    dilation: params.dilation,
    groups: params.groups,
    paddingMode: params.padding_mode,
  });
}

export function openConvResult(spec: OperationSpec): ResultSession {
  if (!spec.kernel) throw new Error('Convolve needs a kernel');
  const notes: string[] = [];
  const params = spec.params;
  const flip = typeof params.flip === 'boolean' ? params.flip : spec.flipByDefault;
  let read: ReturnType<typeof readConvOperands>;
  let g: ConvGeometry;
  let bias: Tensor | null;
  try {
    read = readConvOperands(spec.input, spec.kernel);
    notes.push(...read.notes);
    bias = biasTensor(params.bias, read.weight.shape[0]);
    g = convGeometryFor(read, params, bias);
    checkOutputSize(g.outputShape, spec.maxElements);
  } catch (e) {
    return refusedSession(spec, 'conv', 'Convolution', e, notes);
  }
  notes.push(
    flip
      ? 'true convolution: the kernel is flipped in every spatial dim, then slid'
      : 'cross-correlation, as PyTorch computes conv (no kernel flip)',
  );
  const op = `conv${g.rank}d`;
  const applied = flip ? flipKernel(read.weight) : read.weight;
  const output = conv(g, read.input, applied, bias);
  const facts = convTraceFacts(g);
  const tensors = new TensorTable();
  const input = withBatch(read.input, g.batched);
  const batchedOutput = withBatch(output, g.batched);
  tensors.add('input', 'input', input);
  tensors.add('weight', flip ? 'kernel (flipped)' : 'kernel', applied);
  tensors.add('output', 'output', batchedOutput);
  const userOutput = reshape(output, squeezeTo(output.shape, read.squeezeOutputTo));
  tensors.add('result', 'output', userOutput);
  const size = pageSize(facts.termsPerStep);
  const page = (start: number) => {
    const win = pageWindow(facts.total, start, size);
    return encodeConvPage(convSteps(g, facts, input, applied, bias, batchedOutput, win), g.rank, win);
  };
  const trace: ConvTrace = {
    kind: 'conv',
    rank: g.rank,
    batched: g.batched,
    inputShape: input.shape,
    weightShape: g.weightShape,
    outputShape: batchedOutput.shape,
    stride: g.stride,
    dilation: g.dilation,
    formula: g.formula.map((f) => f.text),
    flip,
    paddingMode: g.paddingMode,
    groups: g.groups,
    padBefore: g.padBefore,
    padAfter: g.padAfter,
    paddedSize: facts.paddedSize,
    padSource: facts.padSource.map((m) => m.slice()),
    input: 'input',
    weight: 'weight',
    output: 'output',
    steps: { total: facts.total, pageSize: size, first: page(0) },
  };
  let equivariance: EquivarianceTrace | null = null;
  if (spec.input.data.length <= EQUIVARIANCE_MAX_INPUT)
    equivariance = shiftDemonstration(g, read.input, applied, bias, output, tensors);
  else {
    notes.push(
      `the Equivariance tab is shown for inputs of up to ${EQUIVARIANCE_MAX_INPUT.toLocaleString('en-US')} numbers; this one has ${spec.input.data.length.toLocaleString('en-US')}`,
    );
  }
  const view = panelView(spec, tensors, {
    kind: 'conv',
    title: `Convolution · ${op}`,
    summary: [
      { label: 'op', value: op },
      ...operandRows(spec, [
        ['input', spec.input],
        ['kernel', spec.kernel],
      ]),
      { label: 'output', value: shapeText(userOutput.shape) },
      ...g.formula.map((f, i) => ({ label: dimLabel(g.rank, i), value: f.text })),
    ],
    notes,
    results: ['result'],
    trace,
    equivariance,
    canInsert: spec.canInsert,
  });
  return {
    view,
    output: userOutput,
    page: (part, start) => {
      if (part !== 'steps') throw new SessionError(`a convolution has no ${part} steps`);
      return page(start);
    },
    plane: (id, index) => tensors.plane(id, index),
    slice: (id, rows, cols, index) => tensors.slice(id, rows, cols, index),
    partial: (part) => {
      throw new SessionError(`this view has no ${part} scatter`);
    },
    tensor: (id) => tensors.get(id),
  };
}

/**
 * The same conv, and a 2×2 max pool with stride 2 and ceil_mode, on the input shifted one cell along its last
 * dim (x'[…, j] = x[…, j − 1], zero in front). A conv with stride 1 gives the shifted output wherever its
 * window stays clear of the edges; the pool mostly changes. `output` is the conv's own answer.
 */
function shiftDemonstration(
  g: ConvGeometry,
  input: Tensor,
  applied: Tensor,
  bias: Tensor | null,
  output: Tensor,
  tensors: TensorTable,
): EquivarianceTrace | null {
  const last = input.shape[input.shape.length - 1];
  const shifted = new Float64Array(input.data.length);
  for (let k = 0; k < input.data.length; k++) shifted[k] = k % last === 0 ? 0 : input.data[k - 1];
  const shiftedInput: Tensor = { shape: input.shape, data: shifted };
  const shiftedOutput = conv(g, shiftedInput, applied, bias);
  let pool;
  try {
    pool = poolGeometry({
      kind: 'max',
      rank: g.rank,
      inputShape: input.shape,
      kernelSize: 2,
      stride: 2,
      ceilMode: true,
    });
  } catch {
    // an input smaller than the pool's window in some dim: no demonstration
    return null;
  }
  const pooled = maxPool(pool, input).output;
  const shiftedPooled = maxPool(pool, shiftedInput).output;
  const outLast = output.shape[output.shape.length - 1];
  let matches = 0;
  let compared = 0;
  for (let k = 0; k < output.data.length; k++) {
    if (k % outLast === 0) continue;
    compared++;
    if (Math.abs(shiftedOutput.data[k] - output.data[k - 1]) <= 1e-9 * (1 + Math.abs(output.data[k]))) matches++;
  }
  let unchanged = 0;
  for (let k = 0; k < pooled.data.length; k++) if (Object.is(pooled.data[k], shiftedPooled.data[k])) unchanged++;
  const strideOne = g.stride.every((s) => s === 1);
  tensors.add('eq.input', 'input', input);
  tensors.add('eq.shiftedInput', 'input shifted →', shiftedInput);
  tensors.add('eq.output', 'conv output', output);
  tensors.add('eq.shiftedOutput', 'conv of shifted input', shiftedOutput);
  tensors.add('eq.pooled', 'max pool 2×2', pooled);
  tensors.add('eq.shiftedPooled', 'max pool of shifted input', shiftedPooled);
  return {
    input: 'eq.input',
    shiftedInput: 'eq.shiftedInput',
    output: 'eq.output',
    shiftedOutput: 'eq.shiftedOutput',
    pooled: 'eq.pooled',
    shiftedPooled: 'eq.shiftedPooled',
    text:
      `Shifting the input one cell to the right ${strideOne ? 'shifts' : 'does not simply shift (the stride is not 1)'} the convolution's output: ` +
      `${matches} of ${compared} output cells equal their left neighbour before the shift (the rest see the edge). ` +
      `Max pooling with kernel_size=2, stride=2, ceil_mode=True is not equivariant: ${unchanged} of ${pooled.data.length} pooled cells kept their value.`,
  };
}
