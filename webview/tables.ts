/** Tensors as tables of numbers: one table per 2-D plane, bounded in size. */
import { formatNumber } from '../src/format';
import type { NestedValue, TensorView } from '../src/protocol';
import { el } from './dom';

const MAX_CELLS = 64;
const MAX_PLANES = 16;

function valueText(v: NestedValue, precision: number): string {
  return typeof v === 'number' ? formatNumber(v, precision) : String(v);
}

/** The 2-D planes of a tensor (rank 1 is one row), each with its index prefix. */
function planes(t: TensorView): { label: string; rows: NestedValue[][] }[] {
  if (t.shape.length === 0) return [{ label: '', rows: [[t.values]] }];
  if (t.shape.length === 1) return [{ label: '', rows: [t.values as NestedValue[]] }];
  const out: { label: string; rows: NestedValue[][] }[] = [];
  const walk = (v: NestedValue, depth: number, prefix: number[]) => {
    if (out.length >= MAX_PLANES) return;
    if (depth === t.shape.length - 2) {
      out.push({ label: prefix.length ? `[${prefix.join(', ')}, :, :]` : '', rows: v as NestedValue[][] });
      return;
    }
    (v as NestedValue[]).forEach((child, i) => walk(child, depth + 1, [...prefix, i]));
  };
  walk(t.values, 0, []);
  return out;
}

export function tensorTable(t: TensorView, precision: number): HTMLElement {
  const section = el(
    'section',
    { class: 'tensor', 'aria-label': `${t.name}, shape ${t.shape.join(' by ')}` },
    el('h3', {}, `${t.name} `, el('span', { class: 'shape' }, t.shape.join('×'))),
  );
  for (const plane of planes(t)) {
    const table = el('table', { class: 'matrix' });
    if (plane.label) table.append(el('caption', {}, plane.label));
    const body = el('tbody');
    plane.rows.slice(0, MAX_CELLS).forEach((row) => {
      const tr = el('tr');
      row.slice(0, MAX_CELLS).forEach((v) => tr.append(el('td', {}, valueText(v, precision))));
      if (row.length > MAX_CELLS) tr.append(el('td', { class: 'more' }, '…'));
      body.append(tr);
    });
    if (plane.rows.length > MAX_CELLS) body.append(el('tr', {}, el('td', { class: 'more' }, '⋮')));
    table.append(body);
    section.append(table);
  }
  return section;
}
