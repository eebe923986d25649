/**
 * Show im2col…: the column matrix of the input (torch.nn.functional.unfold); with a kernel also the GEMM,
 * weight matrix times columns, which equals the convolution.
 */
import { conv, flipKernel } from '../../engine/conv';
import { convGeometry, unfoldGeometry, type ConvGeometry, type UnfoldGeometry } from '../../engine/geometry';
import { shapeText, type Tensor } from '../../engine/tensor';
import { im2colGemm, im2colMatrix } from '../../engine/trace';
import { unfold } from '../../engine/unfold';
import type { Im2colTrace } from '../../protocol';
import { readConvOperands, readPoolOperands } from '../operands';
import type { OperationSpec } from '../operation';
import { checkOutputSize } from './conv';
import {
  dimLabel,
  errorView,
  operandRows,
  panelView,
  refusedSession,
  TensorTable,
  viewOnlySession,
  withBatch,
  type ResultSession,
} from './session';

export function openIm2colResult(spec: OperationSpec): ResultSession {
  const params = { ...spec.params };
  const notes: string[] = [];
  let rank: 1 | 2 | 3;
  let input: Tensor;
  let weight: Tensor | null = null;
  let g: UnfoldGeometry;
  let cg: ConvGeometry | null = null;
  const flip = typeof params.flip === 'boolean' ? params.flip : spec.flipByDefault;
  try {
    if (spec.kernel) {
      const read = readConvOperands(spec.input, spec.kernel);
      notes.push(...read.notes);
      rank = read.rank;
      input = read.input;
      weight = read.weight;
      if (params.kernel_size === undefined) params.kernel_size = read.weight.shape.slice(2);
    } else {
      const read = readPoolOperands(spec.input, params.kernel_size);
      notes.push(...read.notes);
      rank = read.rank;
      input = read.input;
    }
    g = unfoldGeometry({
      rank,
      inputShape: input.shape,
      kernelSize: params.kernel_size,
      stride: params.stride,
      padding: params.padding,
      dilation: params.dilation,
    });
    checkOutputSize(g.outputShape, spec.maxElements);
    if (weight) {
      cg = convGeometry({
        rank,
        inputShape: input.shape,
        weightShape: weight.shape,
        stride: params.stride,
        padding: params.padding,
        dilation: params.dilation,
        groups: params.groups,
      });
    }
  } catch (e) {
    return refusedSession(spec, 'im2col', 'im2col', e, notes);
  }
  const op = rank === 2 ? 'unfold' : `unfold${rank}d`;
  const columns = unfold(g, input);
  const tensors = new TensorTable();
  tensors.add('columns', 'columns', columns);
  const batchedInput = withBatch(input, g.batched);
  tensors.add('input', 'input', batchedInput);
  let trace: Im2colTrace | null = null;
  try {
    const m = im2colMatrix(g, withBatch(columns, g.batched), 0);
    let gemm: Im2colTrace['gemm'] = null;
    if (cg && weight) {
      const applied = flip ? flipKernel(weight) : weight;
      gemm = im2colGemm(cg, applied, withBatch(conv(cg, input, applied, null), cg.batched), 0);
    }
    trace = {
      kind: 'im2col',
      rank,
      inputShape: batchedInput.shape,
      kernelSize: g.kernelSize,
      stride: g.stride,
      padding: g.padding,
      dilation: g.dilation,
      blocks: g.blocks,
      input: 'input',
      batch: 0,
      ...m,
      gemm,
    };
  } catch (e) {
    notes.push(`no step-by-step view: ${errorView(e).message}`);
  }
  const view = panelView(spec, tensors, {
    kind: 'im2col',
    title: `im2col · ${op}`,
    summary: [
      { label: 'op', value: op },
      ...operandRows(spec, [
        ['input', spec.input],
        ['kernel', spec.kernel],
      ]),
      { label: 'output', value: shapeText(columns.shape) },
      ...g.formula.map((f, i) => ({ label: dimLabel(rank, i), value: f.text })),
    ],
    notes,
    results: ['columns'],
    trace,
    canInsert: spec.canInsert,
  });
  return viewOnlySession(view, tensors, columns);
}
