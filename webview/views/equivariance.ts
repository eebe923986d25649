/** Shift the input one cell right: the conv output shifts with it; the 2×2 max pool mostly does not. */
import type { EquivarianceTrace } from '../../src/protocol';
import { el } from '../dom';
import { tensorTable } from '../tables';
import type { ViewContext } from './common';

export function equivarianceView(e: EquivarianceTrace, ctx: ViewContext): HTMLElement {
  const t = (id: string) => tensorTable(ctx.tensors.get(id), ctx.precision);
  return el(
    'section',
    { class: 'view equivariance', 'aria-label': 'Equivariance' },
    el('p', {}, e.text),
    el('div', { class: 'stage' }, t(e.input), t(e.shiftedInput)),
    el('div', { class: 'stage' }, t(e.output), t(e.shiftedOutput)),
    el('div', { class: 'stage' }, t(e.pooled), t(e.shiftedPooled)),
  );
}
