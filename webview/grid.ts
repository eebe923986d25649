/**
 * A matrix on screen. Up to LARGE cells it is a table of numbers (each cell a labelled gridcell that can be
 * focused and clicked); beyond that a canvas heat map, so a 128×128 input stays smooth: stepping changes a
 * handful of cell classes (or repaints one small overlay), never the whole grid.
 */
import { formatNumber } from '../src/format';
import { el } from './dom';

export const LARGE = 48 * 48;

export interface GridOptions {
  readonly label: string;
  readonly rows: number;
  readonly cols: number;
  readonly value: (r: number, c: number) => number | null;
  readonly precision: number;
  /** extra classes per cell (padding, pending…) */
  readonly cellClass?: (r: number, c: number) => string;
  readonly title?: (r: number, c: number) => string | undefined;
  readonly onCellClick?: (r: number, c: number) => void;
  readonly rowLabel?: (r: number) => string;
  readonly colLabel?: (c: number) => string;
}

export interface Grid {
  readonly element: HTMLElement;
  /** replaces the set of highlighted cells for one highlight kind */
  highlight(kind: string, cells: readonly (readonly [number, number])[]): void;
  /** re-reads values and classes of the given cells */
  refresh(cells?: readonly (readonly [number, number])[]): void;
  /** small text in a corner of a cell (a kernel weight over a window cell) */
  badge(cells: readonly { r: number; c: number; text: string }[]): void;
}

export function createGrid(o: GridOptions): Grid {
  return o.rows * o.cols > LARGE ? canvasGrid(o) : tableGrid(o);
}

function cellText(o: GridOptions, r: number, c: number): string {
  const v = o.value(r, c);
  return v === null ? '·' : formatNumber(v, o.precision);
}

function tableGrid(o: GridOptions): Grid {
  const table = el('table', { class: 'grid', role: 'grid', 'aria-label': o.label });
  const cells: HTMLTableCellElement[][] = [];
  if (o.colLabel) {
    const head = el('tr', {}, el('th', { class: 'corner' }));
    for (let c = 0; c < o.cols; c++) head.append(el('th', { scope: 'col' }, o.colLabel(c)));
    table.append(el('thead', {}, head));
  }
  const body = el('tbody');
  for (let r = 0; r < o.rows; r++) {
    const tr = el('tr', { role: 'row' });
    if (o.rowLabel) tr.append(el('th', { scope: 'row' }, o.rowLabel(r)));
    const row: HTMLTableCellElement[] = [];
    for (let c = 0; c < o.cols; c++) {
      const td = el('td', { role: 'gridcell', tabindex: '-1', 'data-r': r, 'data-c': c });
      td.append(el('span', { class: 'v' }, cellText(o, r, c)), el('span', { class: 'badge' }));
      td.className = o.cellClass?.(r, c) ?? '';
      const title = o.title?.(r, c);
      if (title) td.title = title;
      td.setAttribute(
        'aria-label',
        `${o.label} row ${r} column ${c}: ${cellText(o, r, c)}${title ? `, ${title}` : ''}`,
      );
      row.push(td);
      tr.append(td);
    }
    cells.push(row);
    body.append(tr);
  }
  table.append(body);
  if (o.onCellClick) {
    const click = o.onCellClick;
    table.addEventListener('click', (e) => {
      const td = (e.target as HTMLElement).closest<HTMLElement>('td[data-r]');
      if (td) click(Number(td.dataset.r), Number(td.dataset.c));
    });
    table.addEventListener('keydown', (e) => {
      const td = (e.target as HTMLElement).closest<HTMLElement>('td[data-r]');
      if (!td) return;
      let r = Number(td.dataset.r);
      let c = Number(td.dataset.c);
      if (e.key === 'Enter' || e.key === ' ') click(r, c);
      else if (e.key === 'ArrowRight') c = Math.min(o.cols - 1, c + 1);
      else if (e.key === 'ArrowLeft') c = Math.max(0, c - 1);
      else if (e.key === 'ArrowDown') r = Math.min(o.rows - 1, r + 1);
      else if (e.key === 'ArrowUp') r = Math.max(0, r - 1);
      else return;
      e.preventDefault();
      e.stopPropagation();
      cells[r][c].focus();
    });
    // one cell in the tab order: the grid is one stop, arrows move inside it
    if (cells[0]?.[0]) cells[0][0].tabIndex = 0;
  }
  const marks = new Map<string, HTMLElement[]>();
  let badged: HTMLElement[] = [];
  return {
    element: table,
    highlight(kind, list) {
      for (const cell of marks.get(kind) ?? []) cell.classList.remove(kind);
      const now: HTMLElement[] = [];
      for (const [r, c] of list) {
        const cell = cells[r]?.[c];
        if (cell) {
          cell.classList.add(kind);
          now.push(cell);
        }
      }
      marks.set(kind, now);
    },
    refresh(list) {
      const update = (r: number, c: number) => {
        const cell = cells[r]?.[c];
        if (!cell) return;
        (cell.firstChild as HTMLElement).textContent = cellText(o, r, c);
        const keep = [...cell.classList].filter((k) => marks.get(k)?.includes(cell));
        cell.className = [o.cellClass?.(r, c) ?? '', ...keep].join(' ').trim();
      };
      if (list) for (const [r, c] of list) update(r, c);
      else for (let r = 0; r < o.rows; r++) for (let c = 0; c < o.cols; c++) update(r, c);
    },
    badge(list) {
      for (const b of badged) b.textContent = '';
      badged = [];
      for (const { r, c, text } of list) {
        const cell = cells[r]?.[c];
        if (!cell) continue;
        const b = cell.lastChild as HTMLElement;
        b.textContent = text;
        badged.push(b);
      }
    },
  };
}

/** A heat map for grids too big for numbers: value → lightness, highlights drawn on an overlay canvas. */
function canvasGrid(o: GridOptions): Grid {
  const scale = Math.max(2, Math.min(8, Math.floor(512 / Math.max(o.rows, o.cols))));
  const wrap = el('div', {
    class: 'heatmap',
    role: 'img',
    'aria-label': `${o.label}: ${o.rows}×${o.cols} heat map (too large for numbers)`,
  });
  const base = el('canvas', { width: o.cols * scale, height: o.rows * scale });
  const overlay = el('canvas', { width: o.cols * scale, height: o.rows * scale, class: 'overlay' });
  wrap.append(base, overlay);
  const style = getComputedStyle(document.body);
  const fg = rgba(style.getPropertyValue('--vscode-editor-foreground').trim() || '#888');
  const accent = style.getPropertyValue('--vscode-focusBorder').trim() || '#0af';
  // NaN in the error colour, infinities in the warning colour: they must stand out, not read as the minimum
  const nanColour = rgba(style.getPropertyValue('--vscode-errorForeground').trim() || '#f44');
  const infColour = rgba(style.getPropertyValue('--vscode-editorWarning-foreground').trim() || '#fa0');
  // one pixel per cell, scaled up by drawImage: a 230×230 plane is 53k cells, and a fillRect per cell (with
  // its globalAlpha) took tens of milliseconds per step
  const cells = el('canvas', { width: o.cols, height: o.rows });
  const pixels = new ImageData(o.cols, o.rows);
  const values = new Float64Array(o.rows * o.cols);
  // 1 where a cell has no value yet (the output filling in): painted faint
  const pending = new Uint8Array(values.length);
  const paint = () => {
    const ctx = base.getContext('2d');
    const cellCtx = cells.getContext('2d');
    if (!ctx || !cellCtx) return;
    let lo = Infinity;
    let hi = -Infinity;
    for (let r = 0, i = 0; r < o.rows; r++)
      for (let c = 0; c < o.cols; c++, i++) {
        const v = o.value(r, c);
        pending[i] = v === null ? 1 : 0;
        values[i] = v ?? 0;
        if (v !== null && Number.isFinite(v)) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
    const span = hi - lo || 1;
    const data = pixels.data;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      const finite = Number.isFinite(v);
      const colour = finite ? fg : Number.isNaN(v) ? nanColour : infColour;
      const alpha = pending[i] ? 0.05 : finite ? 0.1 + 0.9 * ((v - lo) / span) : 1;
      data[4 * i] = colour[0];
      data[4 * i + 1] = colour[1];
      data[4 * i + 2] = colour[2];
      data[4 * i + 3] = Math.round(255 * colour[3] * alpha);
    }
    cellCtx.putImageData(pixels, 0, 0);
    ctx.clearRect(0, 0, base.width, base.height);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(cells, 0, 0, base.width, base.height);
  };
  paint();
  const marks = new Map<string, readonly (readonly [number, number])[]>();
  const repaintOverlay = () => {
    const ctx = overlay.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, overlay.width, overlay.height);
    ctx.strokeStyle = accent;
    ctx.fillStyle = accent;
    for (const [kind, list] of marks) {
      ctx.globalAlpha = kind === 'current' ? 0.9 : 0.35;
      for (const [r, c] of list) ctx.fillRect(c * scale, r * scale, scale, scale);
    }
    ctx.globalAlpha = 1;
  };
  if (o.onCellClick) {
    const click = o.onCellClick;
    overlay.addEventListener('click', (e) => {
      const rect = overlay.getBoundingClientRect();
      click(
        Math.floor(((e.clientY - rect.top) / rect.height) * o.rows),
        Math.floor(((e.clientX - rect.left) / rect.width) * o.cols),
      );
    });
  }
  return {
    element: wrap,
    highlight(kind, list) {
      marks.set(kind, list);
      repaintOverlay();
    },
    refresh() {
      paint();
    },
    badge() {},
  };
}

/** A CSS colour as RGBA bytes (alpha 0–1), read back from a 1×1 canvas so that any CSS syntax works. */
function rgba(colour: string): readonly [number, number, number, number] {
  const probe = el('canvas', { width: 1, height: 1 }).getContext('2d', { willReadFrequently: true });
  if (!probe) return [136, 136, 136, 1];
  probe.fillStyle = colour;
  probe.fillRect(0, 0, 1, 1);
  const [r, g, b, a] = probe.getImageData(0, 0, 1, 1).data;
  return [r, g, b, a / 255];
}
