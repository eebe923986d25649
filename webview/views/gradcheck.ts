/**
 * A gradient check as a heat map of |analytical − numerical| per element (full mode), failures marked, with
 * the worst entries listed; and the user's own gradients, every wrong element with what it should be.
 */
import type { GradcheckTrace } from '../../src/protocol';
import { el } from '../dom';
import { createGrid } from '../grid';
import type { ViewContext } from './common';

function list(headers: readonly string[], rows: readonly (readonly string[])[]): HTMLElement {
  return el(
    'table',
    { class: 'list' },
    el('thead', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((v) => el('td', {}, v))))),
  );
}

export function gradcheckView(trace: GradcheckTrace, ctx: ViewContext): HTMLElement {
  const root = el('section', { class: 'view gradcheck', 'aria-label': 'Gradient check' });
  if (trace.message) root.append(el('p', { class: 'error' }, trace.message));
  // the user's own gradient first: it is what they asked about
  for (const u of trace.userGradients) {
    const section = el('section', { class: u.passed ? 'check ok' : 'check failed' }, el('h3', {}, u.headline));
    if (u.wrong.length) section.append(list(['index', 'yours', 'should be', '|difference|'], u.wrong));
    if (u.wrong.length >= 1000)
      section.append(el('p', { class: 'meta' }, 'only the first 1000 wrong elements are listed'));
    root.append(section);
  }
  for (const c of trace.checks) {
    const section = el(
      'section',
      { class: c.passed ? 'check ok' : 'check failed' },
      el('h3', {}, c.headline),
      el('p', { class: 'meta' }, `max |analytical − numerical| = ${c.maxDifference}`),
    );
    if (c.difference) {
      const diff = ctx.tensors.get(c.difference);
      const shape = diff.shape;
      const cols = shape[shape.length - 1] ?? 1;
      const rows = Math.max(1, diff.size / cols);
      const failed = c.failed;
      const grid = createGrid({
        label: `|analytical − numerical| for ${c.input}`,
        rows,
        cols,
        precision: 3,
        value: (r, col) => diff.flat(r * cols + col),
        cellClass: (r, col) => (failed?.[r * cols + col] ? 'fail' : 'heat'),
        title: (r, col) => (failed?.[r * cols + col] ? 'fails the tolerance' : undefined),
      });
      ctx.onDispose(ctx.tensors.onLoad(() => grid.refresh()));
      section.append(
        el(
          'figure',
          {},
          el(
            'figcaption',
            {},
            `heat map over ${c.input} ${shape.join('×')} (rows: every leading index, columns: the last dim); red: fails`,
          ),
          grid.element,
        ),
      );
    }
    if (c.worst.length) {
      section.append(list([`${c.input} index`, 'output index', 'analytical', 'numerical', '|difference|'], c.worst));
    }
    root.append(section);
  }
  return root;
}
