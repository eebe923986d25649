/** Shift the input one cell right: the conv output shifts with it; the 2×2 max pool mostly does not. */
import type { EquivarianceView } from '../../src/protocol';
import { el } from '../dom';
import { tensorTable } from '../tables';
import type { ViewContext } from './common';
import { NdArray } from '../ndarray';

export function equivarianceView(e: EquivarianceView, ctx: ViewContext): HTMLElement {
  const t = (name: string, values: EquivarianceView['input']) =>
    tensorTable({ name, shape: NdArray.from(values).shape, values }, ctx.precision);
  return el(
    'section',
    { class: 'view equivariance', 'aria-label': 'Equivariance' },
    el(
      'p',
      {},
      `Shifting the input one cell to the right shifts the convolution's output with it: ${e.convMatches} of ${e.convCompared} output cells equal their left neighbour before the shift (the rest see the edge). A 2×2 max pool with stride 2 is not equivariant: ${e.poolUnchanged} of ${e.poolCompared} pooled cells kept their value.`,
    ),
    el('div', { class: 'stage' }, t('input', e.input), t('input shifted →', e.shiftedInput)),
    el('div', { class: 'stage' }, t('conv output', e.output), t('conv of shifted input', e.shiftedOutput)),
    el('div', { class: 'stage' }, t('max pool 2×2', e.pooled), t('max pool of shifted input', e.shiftedPooled)),
  );
}
