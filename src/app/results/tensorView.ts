/**
 * Show Tensor: one tensor to look at, from wherever it came (a paused debug session, a tensor file, an
 * operand): its statistics, where its NaN and infinities are, a histogram of its finite values, and for a
 * conv weight the grid of its first filters. Planes and slices of it are cut on request.
 */
import type { Tensor } from '../../engine/tensor';
import type { TensorTrace } from '../../protocol';
import { shapeText } from '../../engine/tensor';
import { panelView, TensorTable, viewOnlySession, type ResultSession } from './session';

export interface TensorViewSpec {
  readonly tensor: Tensor;
  readonly name: string;
  /** the element type it came in (the values are float64 here either way) */
  readonly dtype: string;
  readonly origin: string;
  readonly precision: number;
  /** extra summary rows: device, requires_grad, the file's own metadata… */
  readonly details?: readonly { readonly label: string; readonly value: string }[];
  readonly notes?: readonly string[];
}

export const HISTOGRAM_BINS = 64;
const MAX_FILTERS = 64;
const MAX_FILTER_CHANNELS = 16;

function histogram(t: Tensor, lo: number | null, hi: number | null): TensorTrace['histogram'] {
  if (lo === null || hi === null) return null;
  const counts = new Int32Array(HISTOGRAM_BINS);
  const width = hi - lo;
  for (const v of t.data) {
    if (!Number.isFinite(v)) continue;
    // the top edge belongs to the last bin; a constant tensor fills the middle one
    const bin =
      width > 0 ? Math.min(HISTOGRAM_BINS - 1, Math.floor(((v - lo) / width) * HISTOGRAM_BINS)) : HISTOGRAM_BINS >> 1;
    counts[bin]++;
  }
  return { lo, hi, counts };
}

/** The first filters of a conv weight [out, in, k…] (rank 4: 2-D filters), whole, to draw as images. */
function filterBlock(t: Tensor): { tensor: Tensor; note: string | null } | null {
  if (t.shape.length !== 4) return null;
  const [out, inC, kh, kw] = t.shape;
  const o = Math.min(out, MAX_FILTERS);
  const c = inC === 3 ? 3 : Math.min(inC, MAX_FILTER_CHANNELS);
  const data = new Float64Array(o * c * kh * kw);
  for (let f = 0; f < o; f++)
    for (let ch = 0; ch < c; ch++) {
      const from = (f * inC + ch) * kh * kw;
      data.set(t.data.subarray(from, from + kh * kw), (f * c + ch) * kh * kw);
    }
  const left = [
    out > o ? `the first ${o} of ${out} filters` : null,
    inC > c ? `the first ${c} of ${inC} input channels` : null,
  ].filter((x) => x !== null);
  return { tensor: { shape: [o, c, kh, kw], data }, note: left.length ? `showing ${left.join(' and ')}` : null };
}

export function openTensorView(spec: TensorViewSpec): ResultSession {
  const t = spec.tensor;
  const tensors = new TensorTable();
  tensors.add('tensor', spec.name, t, spec.dtype);
  const payload = tensors.payloads[0];
  const s = payload.stats;
  const block = filterBlock(t);
  if (block) tensors.add('filters', `${spec.name}: filters`, block.tensor, spec.dtype);
  const trace: TensorTrace = {
    kind: 'tensor',
    tensor: 'tensor',
    origin: spec.origin,
    histogram: histogram(t, s.min, s.max),
    filters: block ? { tensor: 'filters', note: block.note } : null,
  };
  const fmt = (v: number | null) => (v === null ? '—' : String(Number(v.toPrecision(spec.precision))));
  const nonFinite = [
    s.nan ? `${s.nan.toLocaleString('en-US')} NaN (first at [${s.firstNaN?.join(', ')}])` : null,
    s.posInf ? `${s.posInf.toLocaleString('en-US')} +∞` : null,
    s.negInf ? `${s.negInf.toLocaleString('en-US')} −∞` : null,
  ].filter((x) => x !== null);
  const view = panelView({ paramsText: '', precision: spec.precision }, tensors, {
    kind: 'tensor',
    title: `${spec.name} · ${shapeText(t.shape)} ${spec.dtype}`,
    summary: [
      { label: 'from', value: spec.origin },
      { label: 'shape', value: `${shapeText(t.shape)} (${t.data.length.toLocaleString('en-US')} elements)` },
      { label: 'dtype', value: spec.dtype === 'float64' ? 'float64' : `${spec.dtype} (shown exactly, as float64)` },
      ...(spec.details ?? []),
      { label: 'min / max', value: `${fmt(s.min)} / ${fmt(s.max)}` },
      { label: 'mean / std', value: `${fmt(s.mean)} / ${fmt(s.std)}` },
      { label: 'NaN / ∞', value: nonFinite.length ? nonFinite.join(' · ') : 'none' },
    ],
    notes: [...(spec.notes ?? [])],
    results: ['tensor'],
    trace,
  });
  return viewOnlySession(view, tensors);
}
