/**
 * One tensor of any rank: pick the two dims to show, slide through the others; numbers when the slice fits,
 * a heat map otherwise (NaN in the error colour, ±∞ in the warning colour); jump to the first NaN or
 * infinity; a histogram of the finite values. Slices of a big tensor come from the host on request.
 */
import { formatNumber } from '../../src/format';
import type { TensorTrace } from '../../src/protocol';
import { el } from '../dom';
import { createGrid, type Grid } from '../grid';
import { requestSlice } from '../host';
import type { RemoteTensor } from '../tensors';
import { selector, type ViewContext } from './common';

function histogramFigure(h: NonNullable<TensorTrace['histogram']>, precision: number): HTMLElement {
  const most = Math.max(1, ...h.counts);
  const bars = el('div', {
    class: 'histogram',
    role: 'img',
    'aria-label': `histogram of the finite values from ${h.lo} to ${h.hi}`,
  });
  const width = (h.hi - h.lo) / h.counts.length;
  h.counts.forEach((n, i) => {
    const from = h.lo + i * width;
    bars.append(
      el('span', {
        class: 'bar',
        style: undefined,
        title: `[${formatNumber(from, precision)}, ${formatNumber(from + width, precision)}): ${n.toLocaleString('en-US')}`,
        'data-height': String(Math.round((100 * n) / most)),
      }),
    );
  });
  // heights through CSS custom properties set from script (the CSP allows no inline style attributes)
  for (const bar of Array.from(bars.children) as HTMLElement[]) bar.style.setProperty('--h', `${bar.dataset.height}%`);
  return el(
    'figure',
    { class: 'histogram-figure' },
    el('figcaption', {}, `histogram of the finite values (${h.counts.length} bins)`),
    bars,
    el(
      'div',
      { class: 'histogram-axis' },
      el('span', {}, formatNumber(h.lo, precision)),
      el('span', {}, formatNumber(h.hi, precision)),
    ),
  );
}

/** Up to 64 filters as small images: RGB when they have 3 input channels, one heat map per channel otherwise. */
export function filterGrid(filters: RemoteTensor, note: string | null): HTMLElement {
  const [count, channels, kh, kw] = filters.shape;
  const scale = Math.max(4, Math.floor(48 / Math.max(kh, kw)));
  const root = el('div', { class: 'filters', role: 'list', 'aria-label': `${count} filters` });
  const value = (f: number, c: number, r: number, q: number) =>
    filters.flat(((f * channels + c) * kh + r) * kw + q) ?? 0;
  for (let f = 0; f < count; f++) {
    const item = el('figure', { class: 'filter', role: 'listitem' }, el('figcaption', {}, `filter ${f}`));
    const images = channels === 3 ? [[0, 1, 2]] : Array.from({ length: channels }, (_, c) => [c]);
    for (const chans of images) {
      const canvas = el('canvas', {
        width: kw * scale,
        height: kh * scale,
        title: chans.length === 3 ? 'RGB' : `input channel ${chans[0]}`,
      });
      const ctx = canvas.getContext('2d');
      if (ctx) {
        // each filter scaled to its own range, as learned-filter pictures are drawn
        let lo = Infinity;
        let hi = -Infinity;
        for (const c of chans)
          for (let r = 0; r < kh; r++)
            for (let q = 0; q < kw; q++) {
              const v = value(f, c, r, q);
              if (Number.isFinite(v)) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
              }
            }
        const span = hi - lo || 1;
        const level = (v: number) => (Number.isFinite(v) ? Math.round((255 * (v - lo)) / span) : 0);
        for (let r = 0; r < kh; r++)
          for (let q = 0; q < kw; q++) {
            const [a, b, c] =
              chans.length === 3
                ? chans.map((ch) => level(value(f, ch, r, q)))
                : new Array<number>(3).fill(level(value(f, chans[0], r, q)));
            ctx.fillStyle = `rgb(${a}, ${b}, ${c})`;
            ctx.fillRect(q * scale, r * scale, scale, scale);
          }
      }
      item.append(canvas);
    }
    root.append(item);
  }
  return el(
    'section',
    { class: 'view filters-view', 'aria-label': 'Filters' },
    note ? el('p', { class: 'meta' }, note) : null,
    root,
  );
}

export function tensorView(trace: TensorTrace, ctx: ViewContext): HTMLElement {
  const t = ctx.tensors.get(trace.tensor);
  const rank = t.shape.length;
  // the dims on screen: the last two, until the person picks others
  let rowDim = Math.max(0, rank - 2);
  let colDim = Math.max(0, rank - 1);
  const index = t.shape.map(() => 0);
  /** per slice on screen: its values, or why it could not be loaded; absent until asked, null while loading */
  const slices = new Map<string, Float64Array | string | null>();
  const key = () => `${rowDim}:${colDim}:${index.filter((_, d) => d !== rowDim && d !== colDim).join(',')}`;
  const rows = () => (rank >= 2 ? t.shape[rowDim] : 1);
  const cols = () => (rank >= 1 ? t.shape[colDim] : 1);
  const cell = el('p', { class: 'meta', 'aria-live': 'polite' });
  const root = el('section', { class: 'view tensor-view', 'aria-label': `Tensor ${t.name}` });

  // how many cells of the last drawing had no value yet: the view says when everything on screen is drawn
  let missing = 0;
  const counted = (r: number, c: number): number | null => {
    const v = value(r, c);
    if (v === null) missing++;
    return v;
  };
  const drawn = () => {
    root.dataset.drawn = String(missing === 0);
    missing = 0;
  };
  /** the value at (r, c) of the slice on screen, or null while it loads */
  const value = (r: number, c: number): number | null => {
    if (rank < 2) return t.flat(c);
    const full = [...index];
    full[rowDim] = r;
    full[colDim] = c;
    if (t.complete || (rowDim === rank - 2 && colDim === rank - 1)) return t.get(full);
    const k = key();
    const s = slices.get(k);
    if (s instanceof Float64Array) return s[r * cols() + c];
    if (s === undefined) {
      slices.set(k, null);
      requestSlice(ctx.viewId, t.id, rowDim, colDim, index).then(
        (data) => {
          slices.set(k, data);
          grid.refresh();
          drawn();
        },
        (e: unknown) => {
          slices.set(k, e instanceof Error ? e.message : String(e));
          cell.textContent = `this slice could not be loaded: ${slices.get(k) as string}`;
        },
      );
    }
    return null;
  };

  const stage = el('div', { class: 'stage' });
  let grid: Grid = createGrid({ label: t.name, rows: 1, cols: 1, precision: ctx.precision, value: () => null });
  const rebuild = () => {
    grid = createGrid({
      label: `${t.name}, dims ${rowDim} × ${colDim}`,
      rows: rows(),
      cols: cols(),
      precision: ctx.precision,
      value: counted,
      onCellClick: (r, c) => {
        const full = [...index];
        if (rank >= 2) full[rowDim] = r;
        full[colDim] = c;
        const v = value(r, c);
        cell.textContent = `${t.name}[${full.join(', ')}] = ${v === null ? '…' : formatNumber(v, ctx.precision)}`;
        grid.highlight('current', [[r, c]]);
      },
      rowLabel: rows() <= 64 ? (r) => String(r) : undefined,
      colLabel: cols() <= 64 ? (c) => String(c) : undefined,
    });
    stage.replaceChildren(el('figure', {}, el('figcaption', {}, caption()), grid.element));
    drawn();
  };
  const caption = () =>
    rank < 2
      ? `${t.name} ${t.shape.join('×')}`
      : `${t.name}[${index.map((v, d) => (d === rowDim || d === colDim ? ':' : String(v))).join(', ')}] — dim ${rowDim} down, dim ${colDim} across`;

  const sliders = el('div', { class: 'sliders' });
  const drawSliders = () => {
    sliders.replaceChildren(
      ...t.shape.flatMap((size, d) => {
        if (d === rowDim || d === colDim || size <= 1) return [];
        const out = el('output', {}, String(index[d]));
        const input = el('input', {
          type: 'range',
          min: 0,
          max: size - 1,
          value: index[d],
          'aria-label': `index along dim ${d}`,
        });
        input.addEventListener('input', () => {
          index[d] = Number(input.value);
          out.textContent = input.value;
          rebuild();
        });
        return [el('label', { class: 'picker' }, `dim ${d} `, input, ' ', out, ` / ${size - 1}`)];
      }),
    );
  };
  const dimNames = t.shape.map((s, d) => `dim ${d} (${s})`);
  const pickers =
    rank > 2
      ? el(
          'div',
          { class: 'pickers' },
          selector('rows', dimNames, rowDim, (d) => {
            if (d === colDim) colDim = rowDim;
            rowDim = d;
            drawSliders();
            rebuild();
          }),
          selector('columns', dimNames, colDim, (d) => {
            if (d === rowDim) rowDim = colDim;
            colDim = d;
            drawSliders();
            rebuild();
          }),
        )
      : null;

  /** shows `at` (a multi-index): the dims on screen stay, the others move there, the cell is lit */
  const jump = (at: readonly number[], what: string) => {
    at.forEach((v, d) => {
      if (d !== rowDim && d !== colDim) index[d] = v;
    });
    drawSliders();
    rebuild();
    const r = rank >= 2 ? at[rowDim] : 0;
    const c = at[colDim] ?? 0;
    grid.highlight('current', [[r, c]]);
    cell.textContent = `${what} at ${t.name}[${at.join(', ')}]`;
  };
  const jumps = el(
    'div',
    { class: 'actions' },
    ...(
      [
        [t.stats.firstNaN, 'first NaN'],
        [t.stats.firstPosInf, 'first +∞'],
        [t.stats.firstNegInf, 'first −∞'],
      ] as const
    )
      .filter(([at]) => at !== null)
      .map(([at, what]) => {
        const b = el(
          'vscode-button' as 'button',
          { secondary: true, icon: 'search' },
          `Jump to the ${what} [${(at as readonly number[]).join(', ')}]`,
        );
        b.addEventListener('click', () => jump(at as readonly number[], `the ${what}`));
        return b;
      }),
  );

  drawSliders();
  rebuild();
  ctx.onDispose(
    ctx.tensors.onLoad(() => {
      grid.refresh();
      drawn();
    }),
  );
  const parts: (HTMLElement | null)[] = [
    el('p', { class: 'meta' }, trace.origin),
    pickers,
    sliders,
    jumps.childElementCount ? jumps : null,
    stage,
    cell,
    trace.histogram ? histogramFigure(trace.histogram, ctx.precision) : null,
  ];
  root.append(...parts.filter((x): x is HTMLElement => x !== null));
  if (t.stats.firstNaN) jump(t.stats.firstNaN, 'the first NaN');
  return root;
}
