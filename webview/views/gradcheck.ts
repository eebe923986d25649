/**
 * A gradient check as a heat map of |analytical − numerical| per element (full mode), failures marked, with
 * the worst entries listed; and the user's own gradients, every wrong element with what it should be.
 */
import { formatNumber } from '../../src/format';
import { el } from '../dom';
import { createGrid } from '../grid';
import type { ViewContext } from './common';

interface CheckData {
  input: string;
  passed: boolean;
  compared: number;
  mismatches: number;
  max_difference: number | string;
  shape?: number[];
  element_difference?: (number | string)[];
  element_failed?: boolean[];
  worst: {
    input_index: number[] | null;
    output_index: number[] | null;
    analytical: number | string;
    numerical: number | string;
    difference: number | string;
  }[];
}

interface UserData {
  name: string;
  passed: boolean;
  compared: number;
  mismatches: number;
  truncated: boolean;
  elements: { index: number[]; expected: number | string; got: number | string; difference: number | string }[];
}

const n = (v: number | string) => (typeof v === 'number' ? v : Number(v));

export function gradcheckView(
  trace: { checks?: unknown; user_gradients?: unknown; message?: unknown },
  ctx: ViewContext,
): HTMLElement {
  const checks = (Array.isArray(trace.checks) ? trace.checks : []) as CheckData[];
  const users = (Array.isArray(trace.user_gradients) ? trace.user_gradients : []) as UserData[];
  const root = el('section', { class: 'view gradcheck', 'aria-label': 'Gradient check' });
  if (typeof trace.message === 'string' && trace.message) root.append(el('p', { class: 'error' }, trace.message));
  for (const c of checks) {
    const section = el(
      'section',
      { class: c.passed ? 'check ok' : 'check failed' },
      el('h3', {}, `∂output/∂${c.input}: ${c.passed ? 'passed' : `${c.mismatches} of ${c.compared} entries differ`}`),
      el('p', { class: 'meta' }, `max |analytical − numerical| = ${formatNumber(n(c.max_difference), ctx.precision)}`),
    );
    const diffs = c.element_difference ?? [];
    const shape = c.shape ?? [diffs.length];
    if (diffs.length > 0) {
      const cols = shape[shape.length - 1];
      const rows = diffs.length / cols;
      const failed = c.element_failed ?? [];
      const grid = createGrid({
        label: `|analytical − numerical| for ${c.input}`,
        rows,
        cols,
        precision: 3,
        value: (r, col) => n(diffs[r * cols + col]),
        cellClass: (r, col) => (failed[r * cols + col] ? 'fail' : 'heat'),
        title: (r, col) => (failed[r * cols + col] ? 'fails the tolerance' : undefined),
      });
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
      const table = el(
        'table',
        { class: 'list' },
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            el('th', {}, `${c.input} index`),
            el('th', {}, 'output index'),
            el('th', {}, 'analytical'),
            el('th', {}, 'numerical'),
            el('th', {}, '|difference|'),
          ),
        ),
      );
      const body = el('tbody');
      for (const w of c.worst)
        body.append(
          el(
            'tr',
            {},
            el('td', {}, w.input_index ? w.input_index.join(', ') : 'vᵀJu'),
            el('td', {}, w.output_index ? w.output_index.join(', ') : ''),
            el('td', {}, formatNumber(n(w.analytical), ctx.precision)),
            el('td', {}, formatNumber(n(w.numerical), ctx.precision)),
            el('td', {}, formatNumber(n(w.difference), ctx.precision)),
          ),
        );
      table.append(body);
      section.append(table);
    }
    root.append(section);
  }
  for (const u of users) {
    const section = el(
      'section',
      { class: u.passed ? 'check ok' : 'check failed' },
      el(
        'h3',
        {},
        `your ${u.name}: ${u.passed ? `correct (${u.compared} elements)` : `${u.mismatches} of ${u.compared} elements are wrong`}`,
      ),
    );
    if (u.elements.length) {
      const table = el(
        'table',
        { class: 'list' },
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            el('th', {}, 'index'),
            el('th', {}, 'yours'),
            el('th', {}, 'should be'),
            el('th', {}, '|difference|'),
          ),
        ),
      );
      const body = el('tbody');
      for (const e of u.elements)
        body.append(
          el(
            'tr',
            {},
            el('td', {}, e.index.join(', ')),
            el('td', {}, formatNumber(n(e.got), ctx.precision)),
            el('td', {}, formatNumber(n(e.expected), ctx.precision)),
            el('td', {}, formatNumber(n(e.difference), ctx.precision)),
          ),
        );
      table.append(body);
      section.append(table);
      if (u.truncated) section.append(el('p', { class: 'meta' }, 'only the first 1000 wrong elements are listed'));
    }
    root.append(section);
  }
  return root;
}
