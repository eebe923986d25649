/**
 * Pooling, step by window. Max: the window, its maximum lit with the flat index PyTorch returns; padding is
 * −∞ and never wins. Avg: the divisor of each window (count_include_pad, divisor_override). ceil_mode's
 * partial windows show cells past the edge; the note says when a window starting in the right padding
 * was dropped.
 */
import type { PoolStep, PoolTrace } from '../../src/protocol';
import { el } from '../dom';
import { createGrid } from '../grid';
import { Player } from '../player';
import { showStep, type StepSource } from '../steps';
import { rowCol } from '../tensors';
import type { ViewContext } from './common';

export function poolingView(trace: PoolTrace, steps: StepSource<PoolStep>, ctx: ViewContext): HTMLElement {
  const rank = trace.rank;
  const input = ctx.tensors.get(trace.input);
  const output = ctx.tensors.get(trace.output);
  const [, channels, ...inSpatial] = input.shape;
  const outSpatial = output.shape.slice(2);
  const outPlane = outSpatial.reduce((a, b) => a * b, 1);
  const pad = trace.padding;
  const rowDim = rank - 2;
  const colDim = rank - 1;
  // the input with its padding ring on both sides, and room for ceil_mode's last window past the far side
  const over = (dim: number) => Math.max(pad[dim], trace.overhang[dim]);
  const rows = rank === 1 ? 1 : inSpatial[rowDim] + pad[rowDim] + over(rowDim);
  const cols = inSpatial[colDim] + pad[colDim] + over(colDim);
  const r0 = rank === 1 ? 0 : pad[rowDim];
  const c0 = pad[colDim];
  let shown = Math.min(ctx.initialStep, Math.max(0, steps.total - 1));
  let step: PoolStep | undefined;
  const plane = () => Math.floor(shown / outPlane);
  const depthAt = () => (rank === 3 ? (step?.windowStart[0] ?? 0) : 0);
  const inside = (r: number, c: number) =>
    r - r0 >= 0 && r - r0 < (rank === 1 ? 1 : inSpatial[rowDim]) && c - c0 >= 0 && c - c0 < inSpatial[colDim];

  const inputGrid = createGrid({
    label: 'input with padding',
    rows,
    cols,
    precision: ctx.precision,
    value: (r, c) => {
      if (!inside(r, c)) return trace.kind === 'max_pool' ? -Infinity : 0;
      const d = Math.max(0, Math.min(depthAt(), (inSpatial[0] ?? 1) - 1));
      const spatial = rank === 1 ? [c - c0] : rank === 2 ? [r - r0, c - c0] : [d, r - r0, c - c0];
      return input.get([Math.floor(plane() / channels), plane() % channels, ...spatial]);
    },
    cellClass: (r, c) => (inside(r, c) ? '' : 'pad'),
    title: (r, c) =>
      inside(r, c) ? undefined : trace.kind === 'max_pool' ? 'padding (−∞: never the max)' : 'padding (0)',
  });
  const outputGrid = createGrid({
    label: 'output',
    rows: rank === 1 ? 1 : outSpatial[rowDim],
    cols: outSpatial[colDim],
    precision: ctx.precision,
    value: (r, c) => {
      const od = rank === 3 ? (step?.position[0] ?? 0) : 0;
      const flat = (rank === 3 ? od * outSpatial[1] * outSpatial[2] : 0) + r * outSpatial[colDim] + c;
      const s = plane() * outPlane + flat;
      return s > shown ? null : output.flat(s);
    },
    onCellClick: (r, c) => {
      const od = rank === 3 ? (step?.position[0] ?? 0) : 0;
      player.go(
        plane() * outPlane + (rank === 3 ? od * outSpatial[1] * outSpatial[2] : 0) + r * outSpatial[colDim] + c,
      );
    },
  });
  const text = el('p', { class: 'arithmetic', 'aria-live': 'polite' });
  // the formula is in the summary already; the notes matter when ceil_mode kept or dropped a window
  const notes = el(
    'ul',
    { class: 'notes' },
    ...trace.notes.filter((n) => n.includes('ceil')).map((n) => el('li', {}, n)),
  );

  const draw = (s: PoolStep | undefined, problem?: string) => {
    step = s;
    inputGrid.refresh();
    outputGrid.refresh();
    if (!s) {
      text.textContent = problem ? `this step could not be loaded: ${problem}` : 'loading this step…';
      return;
    }
    const toGrid = (at: readonly number[]): [number, number] => {
      const [r, c] = rowCol(at);
      return [rank === 1 ? 0 : r + r0, c + c0];
    };
    const cells = s.cells.filter((cell) => rank < 3 || cell.at[0] === s.windowStart[0]);
    inputGrid.highlight(
      'win',
      cells.map((cell) => toGrid(cell.at)),
    );
    if (s.argmax !== null) {
      const width = inSpatial[colDim];
      const height = rank >= 2 ? inSpatial[rowDim] : 1;
      const flat = s.argmax % (width * height);
      inputGrid.highlight('argmax', [[rank === 1 ? 0 : Math.floor(flat / width) + r0, (flat % width) + c0]]);
    } else inputGrid.highlight('argmax', []);
    outputGrid.highlight('current', [rowCol(s.position)]);
    text.textContent = `out[${s.position.join(', ')}] = ${s.text}${s.divisor !== null ? ` (divisor ${s.divisor})` : ''}`;
    ctx.saveStep(shown);
  };
  const player = new Player({
    total: steps.total,
    initial: shown,
    label: trace.kind === 'max_pool' ? 'Max pooling' : 'Average pooling',
    onStep: (i) => {
      shown = i;
      showStep(steps, i, draw, () => shown);
    },
  });
  const root = el(
    'section',
    { class: 'view pooling', 'aria-label': trace.kind === 'max_pool' ? 'Max pooling' : 'Average pooling' },
    player.element,
    el(
      'div',
      { class: 'stage' },
      el(
        'figure',
        {},
        el('figcaption', {}, `input ${inSpatial.join('×')}, padding ${pad.join('×')}`),
        inputGrid.element,
      ),
      el('figure', {}, el('figcaption', {}, `output ${outSpatial.join('×')}`), outputGrid.element),
    ),
    text,
    notes,
    el(
      'p',
      { class: 'legend' },
      el('span', { class: 'swatch win' }),
      ' window ',
      trace.kind === 'max_pool' ? el('span', { class: 'swatch argmax' }) : null,
      trace.kind === 'max_pool' ? ' max (its index is flat within the input plane; ties keep the first, NaN wins)' : '',
    ),
  );
  ctx.setStepTable(() =>
    step
      ? {
          caption: `out[${step.position.join(', ')}] = ${step.text}`,
          headers: ['tap', 'input cell', 'value'],
          rows: step.cells.map((c) => [c.tap.join(', '), c.at.join(', '), c.inside ? (c.value as number) : 'padding']),
        }
      : null,
  );
  root.addEventListener('keydown', (e) => player.handleKey(e));
  ctx.onDispose(() => player.dispose());
  ctx.setAnimation({ total: steps.total, go: (i) => player.go(i), current: () => player.step });
  ctx.onDispose(
    ctx.tensors.onLoad(() => {
      inputGrid.refresh();
      outputGrid.refresh();
    }),
  );
  player.go(shown);
  return root;
}
