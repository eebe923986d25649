/** Max Pool… / Avg Pool…: the pooled output (with PyTorch's indices for max), step by window. */
import { poolGeometry, type PoolGeometry } from '../../engine/geometry';
import { avgPool, avgPoolDivisors, maxPool, readAvgPoolOptions, type AvgPoolOptions } from '../../engine/pool';
import { reshape, shapeText, type Tensor } from '../../engine/tensor';
import {
  pageSize,
  poolNotes,
  poolOverhang,
  poolSteps,
  poolTermsPerStep,
  poolTotal,
  pageWindow,
  type PoolResults,
} from '../../engine/trace';
import { encodePoolPage, type PoolTrace } from '../../protocol';
import { readPoolOperands, squeezeTo } from '../operands';
import type { OperationSpec } from '../operation';
import { checkOutputSize } from './conv';
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

export function openPoolResult(spec: OperationSpec): ResultSession {
  const kind = spec.kind === 'max_pool' ? 'max_pool' : 'avg_pool';
  const isMax = kind === 'max_pool';
  const name = isMax ? 'Max pooling' : 'Average pooling';
  const params = spec.params;
  const notes: string[] = [];
  let read: ReturnType<typeof readPoolOperands>;
  let g: PoolGeometry;
  let options: AvgPoolOptions = {};
  try {
    read = readPoolOperands(spec.input, params.kernel_size);
    notes.push(...read.notes);
    g = poolGeometry({
      kind: isMax ? 'max' : 'avg',
      rank: read.rank,
      inputShape: read.input.shape,
      kernelSize: params.kernel_size,
      stride: params.stride,
      padding: params.padding,
      dilation: params.dilation,
      ceilMode: params.ceil_mode,
    });
    if (!isMax) options = readAvgPoolOptions(params.count_include_pad, params.divisor_override);
    checkOutputSize(g.outputShape, spec.maxElements);
  } catch (e) {
    return refusedSession(spec, kind, name, e, notes);
  }
  const op = `${kind}${g.rank}d`;
  const max = isMax ? maxPool(g, read.input) : null;
  const output = max ? max.output : avgPool(g, read.input, options);
  const tensors = new TensorTable();
  const input = withBatch(read.input, g.batched);
  const results: PoolResults = {
    output: withBatch(output, g.batched),
    indices: max ? withBatch(max.indices, g.batched) : null,
    divisors: max ? null : avgPoolDivisors(g, options),
  };
  tensors.add('input', 'input', input);
  tensors.add('output', 'output', results.output);
  const userShape = squeezeTo(output.shape, read.squeezeOutputTo);
  const userOutput = reshape(output, userShape);
  tensors.add('result', 'output', userOutput);
  const resultIds = ['result'];
  if (max) resultIds.push(tensors.add('indices', 'indices', reshape(max.indices, userShape), 'int64'));
  const size = pageSize(poolTermsPerStep(g));
  const total = poolTotal(g);
  const page = (start: number) => {
    const win = pageWindow(total, start, size);
    return encodePoolPage(poolSteps(g, input, results, win), g.rank, win);
  };
  const trace: PoolTrace = {
    kind,
    rank: g.rank,
    batched: g.batched,
    inputShape: input.shape,
    outputShape: results.output.shape,
    kernelSize: g.kernelSize,
    stride: g.stride,
    padding: g.padding,
    dilation: g.dilation,
    ceilMode: g.ceilMode,
    overhang: poolOverhang(g),
    input: 'input',
    output: 'output',
    formula: g.formula.map((f) => f.text),
    notes: poolNotes(g),
    steps: { total, pageSize: size, first: page(0) },
  };
  const view = panelView(spec, tensors, {
    kind,
    title: `${name} · ${op}`,
    summary: [
      { label: 'op', value: op },
      ...operandRows(spec, [['input', spec.input]]),
      { label: 'output', value: shapeText(userShape) },
      ...g.formula.map((f, i) => ({ label: dimLabel(g.rank, i), value: f.text })),
    ],
    notes,
    results: resultIds,
    trace,
    canInsert: spec.canInsert,
  });
  return {
    view,
    output: userOutput,
    page: (part, start) => {
      if (part !== 'steps') throw new SessionError(`pooling has no ${part} steps`);
      return page(start);
    },
    plane: (id, index) => tensors.plane(id, index),
    slice: (id, rows, cols, index) => tensors.slice(id, rows, cols, index),
    partial: (part) => {
      throw new SessionError(`this view has no ${part} scatter`);
    },
    tensor: (id): Tensor | undefined => tensors.get(id),
  };
}
