/** Transposed Convolution…: conv_transpose of the operands, and its scatter-add step by input cell. */
import { convTranspose } from '../../engine/conv';
import { convTransposeGeometry, type ConvTransposeGeometry } from '../../engine/geometry';
import { reshape, shapeText, type Tensor } from '../../engine/tensor';
import { pageSize, scatterSteps, pageWindow, transposeScatter, uncroppedSize } from '../../engine/trace';
import { encodeScatterPage, type TransposeTrace } from '../../protocol';
import { readConvOperands, squeezeTo } from '../operands';
import type { OperationSpec } from '../operation';
import { biasTensor, checkOutputSize } from './conv';
import {
  dimLabel,
  operandRows,
  panelView,
  partialOf,
  refusedSession,
  SessionError,
  TensorTable,
  withBatch,
  type ResultSession,
} from './session';

export function openTransposeResult(spec: OperationSpec): ResultSession {
  if (!spec.kernel) throw new Error('Transposed Convolution needs a kernel');
  const notes: string[] = [];
  const params = spec.params;
  let read: ReturnType<typeof readConvOperands>;
  let g: ConvTransposeGeometry;
  let bias: Tensor | null;
  try {
    read = readConvOperands(spec.input, spec.kernel);
    notes.push(...read.notes);
    bias = biasTensor(params.bias, read.weight.shape[1] * Number(params.groups ?? 1));
    g = convTransposeGeometry({
      rank: read.rank,
      inputShape: read.input.shape,
      weightShape: read.weight.shape,
      biasShape: bias ? bias.shape : null,
      stride: params.stride,
      padding: params.padding,
      outputPadding: params.output_padding,
      dilation: params.dilation,
      groups: params.groups,
    });
    checkOutputSize(g.outputShape, spec.maxElements);
  } catch (e) {
    return refusedSession(spec, 'conv_transpose', 'Transposed convolution', e, notes);
  }
  const op = `conv_transpose${g.rank}d`;
  const output = convTranspose(g, read.input, read.weight, bias);
  const tensors = new TensorTable();
  const input = withBatch(read.input, g.batched);
  const batchedOutput = withBatch(output, g.batched);
  tensors.add('input', 'input', input);
  tensors.add('weight', 'kernel', read.weight);
  tensors.add('output', 'output', batchedOutput);
  const userOutput = reshape(output, squeezeTo(output.shape, read.squeezeOutputTo));
  tensors.add('result', 'output', userOutput);
  const sc = transposeScatter(g, input, read.weight);
  const size = pageSize(sc.termsPerStep);
  const page = (start: number) => {
    const win = pageWindow(sc.total, start, size);
    return encodeScatterPage(scatterSteps(sc, win), g.rank, win);
  };
  const trace: TransposeTrace = {
    kind: 'conv_transpose',
    rank: g.rank,
    batched: g.batched,
    inputShape: input.shape,
    weightShape: g.weightShape,
    outputShape: batchedOutput.shape,
    stride: g.stride,
    dilation: g.dilation,
    formula: g.formula.map((f) => f.text),
    groups: g.groups,
    padding: g.padding,
    outputPadding: g.outputPadding,
    uncroppedSize: uncroppedSize(sc),
    input: 'input',
    weight: 'weight',
    output: 'output',
    steps: { total: sc.total, pageSize: size, first: page(0) },
  };
  const view = panelView(spec, tensors, {
    kind: 'conv_transpose',
    title: `Transposed convolution · ${op}`,
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
    canInsert: spec.canInsert,
  });
  return {
    view,
    output: userOutput,
    page: (part, start) => {
      if (part !== 'steps') throw new SessionError(`a transposed convolution has no ${part} steps`);
      return page(start);
    },
    plane: (id, index) => tensors.plane(id, index),
    slice: (id, rows, cols, index) => tensors.slice(id, rows, cols, index),
    partial: (part, step, batch, channel) => {
      if (part !== 'steps') throw new SessionError(`a transposed convolution has no ${part} scatter`);
      return partialOf(sc, step, batch, channel);
    },
    tensor: (id) => tensors.get(id),
  };
}
