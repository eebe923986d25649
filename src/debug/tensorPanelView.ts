/**
 * A TensorSource as today's panel draws it: a summary (where it came from, dtype, shape, device, statistics,
 * NaN/±Inf with the first index) and its values in the Result tab — all of a small tensor, the first plane of a
 * big one. The tensor view (any rank, dims to pick, heat map, histogram) replaces this; see showTensor.ts.
 * Pure: no vscode.
 */
import { toNested } from '../engine/tensor';
import { newViewId } from '../commands/views';
import { formatNumber } from '../format';
import type { PanelView, TensorView } from '../protocol';
import { indexText, shapeText, type TensorSource } from '../tensorSource';

/** The most numbers the Result tab receives (it draws a table, or a heat map beyond a few thousand). */
export const PREVIEW_MAX_ELEMENTS = 65_536;
/** The protocol's deepest nesting. */
const MAX_RANK = 6;

/** The part of the tensor the Result tab shows, and the expression that names it. */
export function previewOf(source: TensorSource): { shape: number[]; data: Float64Array; label: string | null } {
  let shape = [...source.shape];
  let data = source.data;
  let label: string | null = null;
  if (shape.length > MAX_RANK) {
    const lead = shape.slice(0, shape.length - MAX_RANK + 1).reduce((a, b) => a * b, 1);
    shape = [lead, ...shape.slice(shape.length - MAX_RANK + 1)];
  }
  if (data.length > PREVIEW_MAX_ELEMENTS) {
    // the first plane (leading indices 0), then as many of its first rows as fit
    const rank = source.shape.length;
    const cols = rank >= 1 ? source.shape[rank - 1] : 1;
    const rows = rank >= 2 ? source.shape[rank - 2] : 1;
    const keepCols = Math.min(cols, PREVIEW_MAX_ELEMENTS);
    const keepRows = Math.max(1, Math.min(rows, Math.floor(PREVIEW_MAX_ELEMENTS / keepCols)));
    const plane = new Float64Array(keepRows * keepCols);
    for (let r = 0; r < keepRows; r++) plane.set(data.subarray(r * cols, r * cols + keepCols), r * keepCols);
    shape = rank >= 2 ? [keepRows, keepCols] : [keepCols];
    data = plane;
    const lead = Array.from({ length: Math.max(0, rank - 2) }, () => '0');
    const rowPart = rank >= 2 ? (keepRows < rows ? `:${keepRows}` : ':') : null;
    const colPart = keepCols < cols ? `:${keepCols}` : ':';
    label = `[${[...lead, ...(rowPart ? [rowPart] : []), colPart].join(', ')}]`;
  }
  return { shape, data, label };
}

export function tensorPanelView(source: TensorSource, precision: number): PanelView {
  const s = source.stats;
  const num = (x: number | null) => (x === null ? '—' : formatNumber(x, precision));
  const origin = source.origin;
  const summary: { label: string; value: string }[] = [
    { label: 'expression', value: source.expression },
    { label: 'type', value: source.pythonType },
    { label: 'dtype', value: source.dtype },
    { label: 'shape', value: `${shapeText(source.shape)} (${s.count.toLocaleString('en-US')} elements)` },
    { label: 'device', value: source.device },
  ];
  if (source.requiresGrad) summary.push({ label: 'requires_grad', value: 'True (read detached)' });
  summary.push({
    label: 'from',
    value: `debug session ${origin.sessionName}${origin.frame ? `, ${origin.frame}` : ''}`,
  });
  summary.push(
    { label: 'min', value: num(s.min) },
    { label: 'max', value: num(s.max) },
    { label: 'mean', value: num(s.mean) },
    { label: 'std', value: `${num(s.std)} (population)` },
  );
  if (s.nanCount) summary.push({ label: 'NaN', value: `${s.nanCount}, first at ${indexText(s.firstNaN ?? [])}` });
  if (s.posInfCount)
    summary.push({ label: '+Infinity', value: `${s.posInfCount}, first at ${indexText(s.firstPosInf ?? [])}` });
  if (s.negInfCount)
    summary.push({ label: '−Infinity', value: `${s.negInfCount}, first at ${indexText(s.firstNegInf ?? [])}` });
  if (s.finiteCount < s.count) summary.push({ label: 'statistics', value: `over the ${s.finiteCount} finite values` });

  const preview = previewOf(source);
  const notes = [...source.notes];
  if (preview.label)
    notes.push(
      `the Result tab shows ${source.name}${preview.label} (${shapeText(preview.shape)} of ${shapeText(source.shape)}); the statistics are over all of it`,
    );
  else if (preview.shape.length !== source.shape.length)
    notes.push(`shown with its leading dims merged (${shapeText(preview.shape)})`);
  const tensor: TensorView = {
    name: source.name,
    shape: preview.shape,
    values: toNested({ shape: preview.shape, data: preview.data }),
  };
  return {
    id: newViewId('tensor'),
    kind: 'shape',
    title: `Tensor · ${source.name}`,
    params: source.expression === source.name ? '' : source.expression,
    summary,
    notes,
    tensors: [tensor],
    error: null,
    trace: null,
    equivariance: null,
    canInsert: false,
    precision,
  };
}
