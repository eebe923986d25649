/** Tensors as tables of numbers: one table per 2-D plane, at most 16 planes of 64×64 cells. */
import { formatNumber } from '../src/format';
import { el } from './dom';
import type { RemoteTensor } from './tensors';

const MAX_CELLS = 64;
const MAX_PLANES = 16;

function fill(section: HTMLElement, t: RemoteTensor, precision: number): void {
  const rank = t.shape.length;
  const rows = rank >= 2 ? t.shape[rank - 2] : 1;
  const cols = rank >= 1 ? t.shape[rank - 1] : 1;
  const lead = t.shape.slice(0, Math.max(0, rank - 2));
  const planes = lead.reduce((a, b) => a * b, 1);
  for (let p = 0; p < Math.min(planes, MAX_PLANES); p++) {
    const idx: number[] = [];
    let rest = p;
    for (let i = lead.length - 1; i >= 0; i--) {
      idx.unshift(rest % lead[i]);
      rest = Math.floor(rest / lead[i]);
    }
    const table = el('table', { class: 'matrix' });
    if (lead.length) table.append(el('caption', {}, `[${idx.join(', ')}, :, :]`));
    const body = el('tbody');
    for (let r = 0; r < Math.min(rows, MAX_CELLS); r++) {
      const tr = el('tr');
      for (let c = 0; c < Math.min(cols, MAX_CELLS); c++) {
        const v = t.flat((p * rows + r) * cols + c);
        tr.append(el('td', {}, v === null ? '·' : formatNumber(v, precision)));
      }
      if (cols > MAX_CELLS) tr.append(el('td', { class: 'more' }, '…'));
      body.append(tr);
    }
    if (rows > MAX_CELLS) body.append(el('tr', {}, el('td', { class: 'more' }, '⋮')));
    table.append(body);
    section.append(table);
  }
  if (planes > MAX_PLANES) section.append(el('p', { class: 'meta' }, `… and ${planes - MAX_PLANES} more planes`));
}

/** The tensor's first planes as tables; a tensor sent plane by plane fills in once its planes are here. */
export function tensorTable(t: RemoteTensor, precision: number, name = t.name): HTMLElement {
  const section = el(
    'section',
    { class: 'tensor', 'aria-label': `${name}, shape ${t.shape.join(' by ')}` },
    el(
      'h3',
      {},
      `${name} `,
      el('span', { class: 'shape' }, t.shape.join('×')),
      t.dtype !== 'float64' ? el('span', { class: 'meta' }, ` ${t.dtype}`) : null,
    ),
  );
  const rank = t.shape.length;
  const planeSize = rank === 0 ? 1 : rank === 1 ? t.shape[0] : t.shape[rank - 2] * t.shape[rank - 1];
  const shown = Math.min(t.size, planeSize * MAX_PLANES);
  if (t.complete) fill(section, t, precision);
  else {
    const waiting = el('p', { class: 'meta' }, 'loading…');
    section.append(waiting);
    void t.ensure(0, shown).then(() => {
      waiting.remove();
      fill(section, t, precision);
    });
  }
  return section;
}
