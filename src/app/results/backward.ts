/**
 * Show Backward Pass…: dX as the transposed convolution of dY with W, dW as the correlation of X with dY,
 * db as the sum of dY, for dY = ones (the gradient of output.sum()) or the user's own dY.
 */
import { convBackward, flipKernel } from '../../engine/conv';
import { fail } from '../../engine/errors';
import type { ConvGeometry } from '../../engine/geometry';
import { filled, formatShape, shapeText, sizeOf, type Tensor } from '../../engine/tensor';
import {
  convTraceFacts,
  gradInputScatter,
  pageSize,
  scatterSteps,
  pageWindow,
  weightGradSteps,
  weightGradTermsPerStep,
  weightGradTotal,
} from '../../engine/trace';
import { encodeScatterPage, encodeWeightGradPage, type BackwardTrace } from '../../protocol';
import { readConvOperands } from '../operands';
import type { OperationSpec } from '../operation';
import { biasTensor, convGeometryFor } from './conv';
import {
  operandRows,
  panelView,
  partialOf,
  refusedSession,
  SessionError,
  TensorTable,
  withBatch,
  type ResultSession,
} from './session';

export function openBackwardResult(spec: OperationSpec): ResultSession {
  if (!spec.kernel) throw new Error('the backward pass needs a kernel');
  const params = spec.params;
  const flip = typeof params.flip === 'boolean' ? params.flip : spec.flipByDefault;
  const notes: string[] = [];
  let read: ReturnType<typeof readConvOperands>;
  let g: ConvGeometry;
  let gradOutput: Tensor;
  let hasBias: boolean;
  try {
    read = readConvOperands(spec.input, spec.kernel);
    notes.push(...read.notes);
    hasBias = biasTensor(params.bias, read.weight.shape[0]) !== null;
    g = convGeometryFor(read, params, hasBias ? filled([read.weight.shape[0]], 0) : null);
    if (spec.gradOutput) {
      // dY may be given in the user's own shape: take its numbers in the output's shape when the counts agree
      if (spec.gradOutput.data.length !== sizeOf(g.outputShape)) {
        fail(
          'grad_output',
          'shape_mismatch',
          `dY has shape ${formatShape(spec.gradOutput.shape)} (${spec.gradOutput.data.length} numbers) but the output has shape ${formatShape(g.outputShape)}: give one number per output element`,
        );
      }
      gradOutput = { shape: g.outputShape, data: spec.gradOutput.data };
    } else {
      gradOutput = filled(g.outputShape, 1);
      notes.push('dY = ones (the gradient of output.sum()); select a third literal to give your own dY');
    }
  } catch (e) {
    return refusedSession(spec, 'backward', 'Backward pass', e, notes);
  }
  const op = `conv${g.rank}d_backward`;
  const grads = convBackward(g, read.input, read.weight, gradOutput, { flip });
  const applied = flip ? flipKernel(read.weight) : read.weight;
  const facts = convTraceFacts(g);
  const input = withBatch(read.input, g.batched);
  const gy = withBatch(gradOutput, g.batched);
  const tensors = new TensorTable();
  tensors.add('dY', 'dY (grad_output)', gy);
  tensors.add('dX', 'dX (grad_input)', withBatch(grads.gradInput, g.batched));
  tensors.add('dW', 'dW (grad_weight)', grads.gradWeight);
  if (hasBias && grads.gradBias) tensors.add('db', 'db (grad_bias) = Σ dY per channel', grads.gradBias);
  const sc = gradInputScatter(g, gy, applied);
  const dxSize = pageSize(sc.termsPerStep);
  const dwSize = pageSize(weightGradTermsPerStep(g));
  const dwTotal = weightGradTotal(g);
  const dxPage = (start: number) => {
    const win = pageWindow(sc.total, start, dxSize);
    return encodeScatterPage(scatterSteps(sc, win), g.rank, win);
  };
  const dwPage = (start: number) => {
    const win = pageWindow(dwTotal, start, dwSize);
    return encodeWeightGradPage(weightGradSteps(g, facts, input, gy, grads.gradWeight, flip, win), g.rank, win);
  };
  const trace: BackwardTrace = {
    kind: 'conv_backward',
    rank: g.rank,
    batched: g.batched,
    inputShape: input.shape,
    weightShape: g.weightShape,
    outputShape: gy.shape,
    stride: g.stride,
    dilation: g.dilation,
    formula: g.formula.map((f) => f.text),
    padBefore: g.padBefore,
    padAfter: g.padAfter,
    paddedSize: facts.paddedSize,
    gradOutput: 'dY',
    gradInput: 'dX',
    gradWeight: 'dW',
    gradBias: hasBias && grads.gradBias ? 'db' : null,
    gradInputSteps: { total: sc.total, pageSize: dxSize, first: dxPage(0) },
    gradWeightSteps: { total: dwTotal, pageSize: dwSize, first: dwPage(0) },
  };
  const view = panelView(spec, tensors, {
    kind: 'backward',
    title: `Backward pass · conv${g.rank}d`,
    summary: [
      { label: 'op', value: op },
      ...operandRows(spec, [
        ['input', spec.input],
        ['kernel', spec.kernel],
        ['dY', spec.gradOutput],
      ]),
      ...(spec.gradOutput ? [] : [{ label: 'dY', value: `${shapeText(g.outputShape)} · ones` }]),
    ],
    notes,
    results: ['dX', 'dW', ...(hasBias && grads.gradBias ? ['db'] : [])],
    trace,
  });
  return {
    view,
    output: null,
    page: (part, start) => {
      if (part === 'gradInput') return dxPage(start);
      if (part === 'gradWeight') return dwPage(start);
      throw new SessionError(`a backward pass has no ${part} steps`);
    },
    plane: (id, index) => tensors.plane(id, index),
    slice: (id, rows, cols, index) => tensors.slice(id, rows, cols, index),
    partial: (part, step, batch, channel) => {
      if (part !== 'gradInput') throw new SessionError(`a backward pass scatters only dX, not ${part}`);
      return partialOf(sc, step, batch, channel);
    },
    tensor: (id) => tensors.get(id),
  };
}
