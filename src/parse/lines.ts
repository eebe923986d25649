/**
 * Line-oriented literals: whitespace grids (a lecture's `1 2 3` rows), CSV, and Markdown tables. One line is one
 * row; a blank line starts a new channel (C×H×W) and, when some gaps are two or more blank lines and others one, the
 * longer gaps separate batch items (N×C×H×W). A first row of non-numbers in each block is a header and is skipped.
 */
import type { ParsedLiteral, SourceRange } from './types';
import { NumberToken, Sink, newToken, scanWholeNumber } from './numbers';
import { COMMA, Ctx, DQUOTE, MINUS, PIPE, indexIn, isSpace, lineEnd, plural, quoted } from './text';

export type LineFormat = 'grid' | 'csv' | 'markdown';

/**
 * Splits the trimmed line `[a, b)` into trimmed cell ranges, written as pairs into `out` (reused across lines).
 * Markdown drops the outer pipes first: `| 1 | 2 |` has two cells, not four.
 *
 * At most `maxCells` cells are split (and one more, so that the caller sees the line has too many): a 100 MB line
 * of numbers is refused at the element limit, not after it has been cut into 50 million cells.
 */
export function splitCells(
  text: string,
  a: number,
  b: number,
  kind: LineFormat,
  out: number[],
  maxCells = Infinity,
): void {
  out.length = 0;
  const cap = 2 * (maxCells + 1);
  if (kind === 'grid') {
    let p = a;
    while (p < b && out.length < cap) {
      while (p < b && isSpace(text.charCodeAt(p))) p++;
      if (p >= b) break;
      const s = p;
      while (p < b && !isSpace(text.charCodeAt(p))) p++;
      out.push(s, p);
    }
    return;
  }
  const sep = kind === 'csv' ? COMMA : PIPE;
  if (kind === 'markdown') {
    if (text.charCodeAt(a) === PIPE) a++;
    if (b > a && text.charCodeAt(b - 1) === PIPE && text.charCodeAt(b - 2) !== 0x5c) b--;
  }
  let s = a;
  for (let p = a; p <= b && out.length < cap; p++) {
    if (p === b || (text.charCodeAt(p) === sep && !(kind === 'markdown' && text.charCodeAt(p - 1) === 0x5c))) {
      let x = s;
      let y = p;
      while (x < y && isSpace(text.charCodeAt(x))) x++;
      while (y > x && isSpace(text.charCodeAt(y - 1))) y--;
      out.push(x, y);
      s = p + 1;
    }
  }
}

/** `|---|:---:|` — every cell is dashes with optional alignment colons. */
export function isSeparatorRow(text: string, cells: number[]): boolean {
  if (cells.length === 0) return false;
  for (let i = 0; i < cells.length; i += 2) {
    let a = cells[i];
    let b = cells[i + 1];
    if (text[a] === ':') a++;
    if (b > a && text[b - 1] === ':') b--;
    if (a >= b) return false;
    for (let p = a; p < b; p++) if (text.charCodeAt(p) !== MINUS) return false;
  }
  return true;
}

/** One cell as a number; CSV cells may be quoted (`"1.5"`). */
export function cellNumber(text: string, a: number, b: number, kind: LineFormat, tok: NumberToken): boolean {
  if (kind === 'csv' && b - a >= 2 && text.charCodeAt(a) === DQUOTE && text.charCodeAt(b - 1) === DQUOTE) {
    a++;
    b--;
    while (a < b && isSpace(text.charCodeAt(a))) a++;
    while (b > a && isSpace(text.charCodeAt(b - 1))) b--;
  }
  return scanWholeNumber(text, a, b, tok);
}

interface Block {
  rows: number;
  at: number;
}

/** Parses the lines of `[start, end)` as one grid / CSV / Markdown literal. */
export function parseLines(ctx: Ctx, start: number, end: number, kind: LineFormat): ParsedLiteral {
  const { text } = ctx;
  const sink = new Sink(ctx);
  const tok = newToken();
  const cells: number[] = [];
  const values: number[] = [];
  const kinds: Array<0 | 1 | 2> = [];
  const rows: SourceRange[] = [];
  const blocks: Block[] = [];
  const gaps: number[] = [];
  const headers: number[] = [];
  let cols = -1;
  let block: Block | null = null;
  let headerPending = true;
  let blank = 0;
  let first = -1;
  let last = -1;
  let p = start;
  while (p < end) {
    const le = lineEnd(text, p, end);
    let a = p;
    let b = le;
    p = le + 1;
    while (a < b && isSpace(text.charCodeAt(a))) a++;
    while (b > a && isSpace(text.charCodeAt(b - 1))) b--;
    if (a === b) {
      if (block) blank++;
      continue;
    }
    if (kind === 'markdown' && indexIn(text, PIPE, a, b) < 0) {
      ctx.fail(a, 'syntax', `expected a table row like '| 1 | 2 |' but found ${ctx.found(a, b)}`, undefined, "'|'");
    }
    // one cell past the elements still allowed is enough for the sink to refuse at that number
    splitCells(text, a, b, kind, cells, ctx.maxElements - sink.n);
    if (first < 0) first = a;
    // The range covers every line of the table, a trailing separator row included.
    last = b;
    if (kind === 'markdown' && isSeparatorRow(text, cells)) continue;
    if (!block || blank > 0) {
      if (block) gaps.push(blank);
      block = { rows: 0, at: a };
      blocks.push(block);
      headerPending = true;
      blank = 0;
    }
    values.length = 0;
    kinds.length = 0;
    let bad = -1;
    for (let i = 0; i < cells.length; i += 2) {
      if (cellNumber(text, cells[i], cells[i + 1], kind, tok)) {
        values.push(tok.value);
        kinds.push(tok.kind);
      } else if (bad < 0) {
        bad = i;
      }
    }
    if (bad >= 0) {
      if (headerPending) {
        headerPending = false;
        headers.push(a);
        continue;
      }
      const x = cells[bad];
      const y = cells[bad + 1];
      const what = x === y ? 'an empty cell' : quoted(`${text.slice(x, Math.min(y, x + 20))}${y - x > 20 ? '…' : ''}`);
      ctx.fail(x, 'nonNumeric', `expected a number but found ${what}`, undefined, 'a number');
    }
    headerPending = false;
    const n = values.length;
    if (cols < 0) cols = n;
    else if (n !== cols) {
      ctx.fail(
        a,
        'shape',
        `row ${rows.length + 1} has ${plural(n, 'element')} but row 1 has ${cols}`,
        'every row needs the same length',
      );
    }
    for (let i = 0; i < n; i++) sink.push(values[i], kinds[i], 0, cells[2 * i]);
    rows.push({ start: a, end: b });
    block.rows++;
  }
  if (rows.length === 0) {
    ctx.fail(
      first < 0 ? start : first,
      'empty',
      'found no rows of numbers',
      kind === 'markdown' ? 'the table has only a header' : undefined,
    );
  }
  for (const [i, bl] of blocks.entries()) {
    if (bl.rows === 0)
      ctx.fail(
        bl.at,
        'empty',
        `block ${i + 1} has only a header row`,
        'every block separated by blank lines needs numbers',
      );
  }
  const shape = blockShape(ctx, blocks, gaps, cols);
  if (sink.n === 1 && kind !== 'markdown') {
    ctx.fail(rows[0].start, 'scalar', 'a single number is not a matrix literal', 'select at least two numbers');
  }
  const notes: string[] = [];
  if (headers.length === 1)
    notes.push(`skipped a header row (${ctx.loc.where(headers[0]).replace(/, column \d+/, '')})`);
  else if (headers.length > 1)
    notes.push(
      `skipped ${headers.length} header rows (lines ${headers.map((h) => ctx.loc.at(h).line + 1).join(', ')})`,
    );
  return {
    format: kind,
    shape,
    tensor: { shape: [...shape], data: sink.take() },
    range: { start: first, end: last },
    valuesRange: { start: rows[0].start, end: rows[rows.length - 1].end },
    rows,
    dtype: sink.dtype(),
    notes,
  };
}

/**
 * [H, W] for one block, [C, H, W] for blocks separated by single blank lines, [N, C, H, W] when the gaps are a mix of
 * one blank line (between channels) and two or more (between batch items).
 */
function blockShape(ctx: Ctx, blocks: Block[], gaps: number[], cols: number): number[] {
  const h = blocks[0].rows;
  if (blocks.length === 1) return [h, cols];
  for (let i = 1; i < blocks.length; i++) {
    if (blocks[i].rows !== h) {
      ctx.fail(
        blocks[i].at,
        'shape',
        `block ${i + 1} has ${plural(blocks[i].rows, 'row')} but block 1 has ${h}`,
        'every channel needs the same shape (channels are separated by blank lines)',
      );
    }
  }
  const mixed = gaps.some((g) => g >= 2) && gaps.some((g) => g === 1);
  if (!mixed) return [blocks.length, h, cols];
  // Group sizes: gaps[i] sits between blocks i and i+1, so a long gap closes the group that block i is in.
  const groups: Array<{ size: number; at: number }> = [{ size: 1, at: blocks[0].at }];
  for (let i = 0; i < gaps.length; i++) {
    if (gaps[i] >= 2) groups.push({ size: 1, at: blocks[i + 1].at });
    else groups[groups.length - 1].size++;
  }
  const c = groups[0].size;
  for (let g = 1; g < groups.length; g++) {
    if (groups[g].size !== c) {
      ctx.fail(
        groups[g].at,
        'shape',
        `group ${g + 1} has ${plural(groups[g].size, 'channel')} but group 1 has ${c}`,
        'batch items are separated by two blank lines and channels by one; every item needs the same number of channels',
      );
    }
  }
  return [groups.length, c, h, cols];
}
