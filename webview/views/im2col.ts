/**
 * im2col and the GEMM: the column matrix (rows = kernel taps per channel, columns = window positions) with
 * the current column lit, its window lit on the input, and — with a kernel — the weight matrix times that
 * column landing in the output. Linked both ways: click a column (or an output) to move the window; click
 * an input cell to light every column that copies it.
 */
import type { Im2colTrace } from '../../src/protocol';
import { formatNumber } from '../../src/format';
import { el } from '../dom';
import { createGrid } from '../grid';
import { Player } from '../player';
import { rowCol } from '../tensors';
import { selector, type ViewContext } from './common';

/** Typed-array accessors of the trace: rank entries per row, column and matrix entry. */
function labels(trace: Im2colTrace) {
  const r = trace.rank;
  const vec = (a: Int32Array, i: number) => Array.from(a.subarray(i * r, (i + 1) * r));
  return {
    rowChannel: (row: number) => trace.rowChannel[row],
    rowTap: (row: number) => vec(trace.rowTap, row),
    column: (col: number) => vec(trace.columnPosition, col),
    /** the input cell entry (row, col) copies, or null for padding */
    source: (row: number, col: number): number[] | null => {
      const k = row * trace.columns + col;
      return trace.sources[k * r] < 0 ? null : vec(trace.sources, k);
    },
    value: (row: number, col: number) => trace.matrix[row * trace.columns + col],
  };
}

export function im2colView(trace: Im2colTrace, ctx: ViewContext): HTMLElement {
  const rank = trace.rank;
  const input = ctx.tensors.get(trace.input);
  const L = labels(trace);
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
    value: (r, c) => L.value(r, c),
    cellClass: (r, c) => (L.source(r, c) === null ? 'pad' : ''),
    title: (r, c) => {
      const s = L.source(r, c);
      return `channel ${L.rowChannel(r)}, tap (${L.rowTap(r).join(', ')}) at window ${L.column(c).join(', ')}: ${s ? `input (${s.join(', ')})` : 'padding'}`;
    },
    rowLabel: (r) => `c${L.rowChannel(r)} (${L.rowTap(r).join(',')})`,
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
      for (let row = 0; row < trace.rows; row++) {
        if (L.rowChannel(row) !== channel) continue;
        for (let l = 0; l < trace.columns; l++) {
          const s = L.source(row, l);
          if (s && rowCol(s)[0] === r && rowCol(s)[1] === c) cols.add(l);
        }
      }
      matrixGrid.highlight(
        'feeds',
        [...cols].flatMap((l) => Array.from({ length: trace.rows }, (_, rr) => [rr, l] as const)),
      );
      feeds.textContent = `input (${r}, ${c}) is copied into ${cols.size} column${cols.size === 1 ? '' : 's'}: ${[...cols].join(', ')}`;
    },
  });
  const depthOf = (l: number) => {
    for (let row = 0; row < trace.rows; row++) {
      const s = L.source(row, l);
      if (s) return s[0];
    }
    return 0;
  };
  const gemm = trace.gemm;
  const weightGrid = gemm
    ? createGrid({
        label: 'weight matrix',
        rows: gemm.outChannels,
        cols: gemm.weightColumns,
        precision: ctx.precision,
        value: (r, c) => gemm.weightMatrix[r * gemm.weightColumns + c],
        rowLabel: (r) => `filter ${r}`,
      })
    : null;
  const productGrid = gemm
    ? createGrid({
        label: 'W · columns',
        rows: gemm.outChannels,
        cols: trace.columns,
        precision: ctx.precision,
        value: (r, c) => (c <= column ? gemm.product[r * trace.columns + c] : null),
        rowLabel: (r) => `out ch ${r}`,
        onCellClick: (_r, c) => player.go(c),
      })
    : null;
  const text = el('p', { class: 'arithmetic', 'aria-live': 'polite' });
  const feeds = el('p', { class: 'feeds' });

  const draw = () => {
    matrixGrid.highlight(
      'current',
      Array.from({ length: trace.rows }, (_, r) => [r, column] as const),
    );
    const cells: [number, number][] = [];
    for (let r = 0; r < trace.rows; r++) {
      const s = L.source(r, column);
      if (s && L.rowChannel(r) === channel && (rank < 3 || s[0] === depthOf(column))) cells.push(rowCol(s));
    }
    inputGrid.refresh();
    inputGrid.highlight('win', cells);
    if (productGrid && gemm) {
      productGrid.refresh();
      productGrid.highlight(
        'current',
        Array.from({ length: gemm.outChannels }, (_, r) => [r, column] as const),
      );
      const col = Array.from({ length: trace.rows }, (_, r) => L.value(r, column));
      const w0 = Array.from(gemm.weightMatrix.subarray(0, gemm.weightColumns));
      const shown = col
        .slice(0, Math.min(12, w0.length))
        .map((x, k) => `${formatNumber(w0[k], ctx.precision)}·${formatNumber(x, ctx.precision)}`)
        .join(' + ');
      text.textContent = `column ${column} (window at ${L.column(column).join(', ')}): filter 0 row · column = ${shown}${w0.length > 12 ? ' + …' : ''} = ${formatNumber(gemm.product[column], ctx.precision)}`;
    } else {
      text.textContent = `column ${column}: the window at output position (${L.column(column).join(', ')}), one row per channel and kernel tap`;
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
              `weight matrix ${gemm.outChannels}×${gemm.weightColumns}${gemm.groups > 1 ? ` (block-diagonal over ${gemm.groups} groups)` : ''}`,
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
    caption: `column ${column}: the window at (${L.column(column).join(', ')})`,
    headers: ['row', 'channel', 'tap', 'input cell', 'value'],
    rows: Array.from({ length: trace.rows }, (_, r) => [
      r,
      L.rowChannel(r),
      L.rowTap(r).join(', '),
      L.source(r, column)?.join(', ') ?? 'padding',
      L.value(r, column),
    ]),
  }));
  root.addEventListener('keydown', (e) => player.handleKey(e));
  ctx.onDispose(() => player.dispose());
  ctx.setAnimation({ total: trace.columns, go: (i) => player.go(i), current: () => player.step });
  ctx.onDispose(ctx.tensors.onLoad(() => inputGrid.refresh()));
  player.go(column);
  return root;
}
