/**
 * im2col and the GEMM: the column matrix (rows = kernel taps per channel, columns = window positions) with
 * the current column lit, its window lit on the input, and — with a kernel — the weight matrix times that
 * column landing in the output. Linked both ways: click a column (or an output) to move the window; click
 * an input cell to light every column that copies it.
 */
import type { Im2colTrace } from '../../src/engine/trace';
import { formatNumber } from '../../src/format';
import { el } from '../dom';
import { createGrid } from '../grid';
import { NdArray, rowCol } from '../ndarray';
import { Player } from '../player';
import { selector, type ViewContext } from './common';

function num(v: number | string): number {
  return typeof v === 'number' ? v : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : NaN;
}

export function im2colView(trace: Im2colTrace, ctx: ViewContext): HTMLElement {
  const rank = trace.kernelSize.length;
  const batched = trace.inputShape.length === rank + 2;
  const input = NdArray.from(trace.input, batched ? trace.inputShape : [1, ...trace.inputShape]);
  const spatial = input.shape.slice(2);
  const rowDim = rank - 2;
  const colDim = rank - 1;
  let column = Math.min(ctx.initialStep, trace.columns - 1);
  let channel = 0;

  const matrixGrid = createGrid({
    label: 'column matrix',
    rows: trace.rows,
    cols: trace.columns,
    precision: ctx.precision,
    value: (r, c) => num(trace.matrix[r][c]),
    cellClass: (r, c) => (trace.sources[r][c] === null ? 'pad' : ''),
    title: (r, c) => {
      const s = trace.sources[r][c];
      const label = trace.rowLabels[r];
      return `channel ${label.channel}, tap (${label.tap.join(', ')}) at window ${trace.columnLabels[c].join(', ')}: ${s ? `input (${s.join(', ')})` : 'padding'}`;
    },
    rowLabel: (r) => `c${trace.rowLabels[r].channel} (${trace.rowLabels[r].tap.join(',')})`,
    colLabel: (c) => String(c),
    onCellClick: (_r, c) => player.go(c),
  });
  const inputGrid = createGrid({
    label: 'input',
    rows: rank === 1 ? 1 : spatial[rowDim],
    cols: spatial[colDim],
    precision: ctx.precision,
    value: (r, c) => {
      const d = rank === 3 ? depthOf(column) : 0;
      return input.get([trace.batch, channel, ...(rank === 1 ? [c] : rank === 2 ? [r, c] : [d, r, c])]);
    },
    onCellClick: (r, c) => {
      const cols = new Set<number>();
      trace.sources.forEach((row) =>
        row.forEach((s, l) => {
          if (s && rowCol(s)[0] === r && rowCol(s)[1] === c) cols.add(l);
        }),
      );
      matrixGrid.highlight(
        'feeds',
        [...cols].flatMap((l) => trace.sources.map((_, rr) => [rr, l] as const)),
      );
      feeds.textContent = `input (${r}, ${c}) is copied into ${cols.size} column${cols.size === 1 ? '' : 's'}: ${[...cols].join(', ')}`;
    },
  });
  const depthOf = (l: number) => {
    const src = trace.sources.map((row) => row[l]).find((s) => s !== null);
    return src ? src[0] : 0;
  };
  const gemm = trace.gemm;
  const weightGrid = gemm
    ? createGrid({
        label: 'weight matrix',
        rows: gemm.weightMatrix.length,
        cols: gemm.weightMatrix[0]?.length ?? 0,
        precision: ctx.precision,
        value: (r, c) => num(gemm.weightMatrix[r][c]),
        rowLabel: (r) => `filter ${r}`,
      })
    : null;
  const productGrid = gemm
    ? createGrid({
        label: 'W · columns',
        rows: gemm.product.length,
        cols: trace.columns,
        precision: ctx.precision,
        value: (r, c) => (c <= column ? num(gemm.product[r][c]) : null),
        rowLabel: (r) => `out ch ${r}`,
        onCellClick: (_r, c) => player.go(c),
      })
    : null;
  const text = el('p', { class: 'arithmetic', 'aria-live': 'polite' });
  const feeds = el('p', { class: 'feeds' });

  const draw = () => {
    matrixGrid.highlight(
      'current',
      trace.sources.map((_, r) => [r, column] as const),
    );
    const cells = trace.sources
      .map((row, r) => ({ s: row[column], ch: trace.rowLabels[r].channel }))
      .filter((x) => x.s !== null && x.ch === channel && (rank < 3 || x.s[0] === depthOf(column)))
      .map((x) => rowCol(x.s as number[]));
    inputGrid.refresh();
    inputGrid.highlight('win', cells);
    if (productGrid && gemm) {
      productGrid.refresh();
      productGrid.highlight(
        'current',
        gemm.product.map((_, r) => [r, column] as const),
      );
      const col = trace.matrix.map((row) => num(row[column]));
      const w0 = gemm.weightMatrix[0].map(num);
      const shown = col
        .slice(0, Math.min(12, w0.length))
        .map((x, k) => `${formatNumber(w0[k], ctx.precision)}·${formatNumber(x, ctx.precision)}`)
        .join(' + ');
      text.textContent = `column ${column} (window at ${trace.columnLabels[column].join(', ')}): filter 0 row · column = ${shown}${w0.length > 12 ? ' + …' : ''} = ${formatNumber(num(gemm.product[0][column]), ctx.precision)}`;
    } else {
      text.textContent = `column ${column}: the window at output position (${trace.columnLabels[column].join(', ')}), one row per channel and kernel tap`;
    }
    ctx.saveStep(column);
  };
  const player = new Player({
    total: trace.columns,
    initial: column,
    label: 'im2col',
    onStep: (i) => {
      column = i;
      draw();
    },
  });
  const channels = input.shape[1];
  const channelPicker =
    channels > 1
      ? selector(
          'input channel',
          Array.from({ length: channels }, (_, i) => String(i)),
          0,
          (i) => {
            channel = i;
            draw();
          },
        )
      : null;
  const root = el(
    'section',
    { class: 'view im2col', 'aria-label': 'im2col and GEMM' },
    player.element,
    channelPicker,
    el(
      'div',
      { class: 'stage' },
      el('figure', {}, el('figcaption', {}, `input ${spatial.join('×')} (channel ${channel})`), inputGrid.element),
      el('figure', {}, el('figcaption', {}, `column matrix ${trace.rows}×${trace.columns}`), matrixGrid.element),
    ),
    gemm && weightGrid && productGrid
      ? el(
          'div',
          { class: 'stage' },
          el(
            'figure',
            {},
            el(
              'figcaption',
              {},
              `weight matrix ${gemm.weightMatrix.length}×${gemm.weightMatrix[0].length}${gemm.groups > 1 ? ` (block-diagonal over ${gemm.groups} groups)` : ''}`,
            ),
            weightGrid.element,
          ),
          el('figure', {}, el('figcaption', {}, 'W · columns = the convolution'), productGrid.element),
        )
      : null,
    text,
    feeds,
  );
  ctx.setStepTable(() => ({
    caption: `column ${column}: the window at (${trace.columnLabels[column].join(', ')})`,
    headers: ['row', 'channel', 'tap', 'input cell', 'value'],
    rows: trace.rowLabels.map((l, r) => [
      r,
      l.channel,
      l.tap.join(', '),
      trace.sources[r][column]?.join(', ') ?? 'padding',
      num(trace.matrix[r][column]),
    ]),
  }));
  root.addEventListener('keydown', (e) => player.handleKey(e));
  ctx.onDispose(() => player.dispose());
  player.go(column);
  return root;
}
