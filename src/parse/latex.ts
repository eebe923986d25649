/**
 * LaTeX matrices: `\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}` and pmatrix, matrix, vmatrix, Vmatrix, Bmatrix,
 * smallmatrix, the starred mathtools forms and `\begin{array}{cc} … \end{array}`. Always 2-D.
 */
import type { ParsedLiteral, SourceRange } from './types';
import { FLOAT, NumberKind, NumberToken, Sink, newToken, scanNumber, scanWholeNumber } from './numbers';
import {
  AMP,
  BACKSLASH,
  Ctx,
  LBRACE,
  LBRACK,
  MINUS,
  NL,
  PERCENT,
  PLUS,
  RBRACE,
  RBRACK,
  UMINUS,
  isSpace,
  lineEnd,
  plural,
} from './text';

export const MATRIX_ENVIRONMENTS = new Set([
  'matrix',
  'pmatrix',
  'bmatrix',
  'Bmatrix',
  'vmatrix',
  'Vmatrix',
  'smallmatrix',
  'array',
]);

const BEGIN = '\\begin{';
const END = '\\end{';

/** `\begin{name}` at `p`: the environment name (with a trailing `*` if starred) and where the name's `}` ends. */
export function readBegin(text: string, p: number, end: number): { name: string; after: number } | null {
  if (!text.startsWith(BEGIN, p)) return null;
  const nameStart = p + BEGIN.length;
  let q = nameStart;
  while (q < end && q - nameStart < 24 && text.charCodeAt(q) !== RBRACE) q++;
  if (q >= end || text.charCodeAt(q) !== RBRACE) return null;
  return { name: text.slice(nameStart, q), after: q + 1 };
}

export function isMatrixEnvironment(name: string): boolean {
  return MATRIX_ENVIRONMENTS.has(name.endsWith('*') ? name.slice(0, -1) : name);
}

/** Commands that only space, rule or style a cell; skipped wherever they appear. */
const TRIVIA_COMMANDS = new Set([
  'hline',
  'toprule',
  'midrule',
  'bottomrule',
  'hdashline',
  'quad',
  'qquad',
  'displaystyle',
  'textstyle',
  'scriptstyle',
  'left',
  'right',
  'big',
  'Big',
  'bigl',
  'bigr',
  'cdot',
]);
/** Commands whose single `{…}` argument is skipped with them. */
const TRIVIA_WITH_ARG = new Set(['cline', 'phantom', 'hphantom', 'vphantom', 'color', 'textcolor', 'mathstrut']);
/** Commands whose argument is the number itself: `\text{NaN}`, `\mathbf{1}`. */
const TEXT_COMMANDS = new Set([
  'text',
  'mathrm',
  'textrm',
  'mathit',
  'mathbf',
  'textbf',
  'operatorname',
  'boldsymbol',
  'mathsf',
]);

function commandEnd(text: string, p: number, end: number): number {
  // `p` is at a backslash: a command is letters, or a single non-letter (`\,`, `\;`, `\!`, `\ `).
  let q = p + 1;
  while (q < end && /[A-Za-z]/.test(text[q])) q++;
  return q === p + 1 ? Math.min(end, q + 1) : q;
}

function skipBraceGroup(text: string, p: number, end: number): number {
  // `p` is at `{`; returns the index after its matching `}` (or `end`).
  let depth = 0;
  for (let q = p; q < end; q++) {
    const c = text.charCodeAt(q);
    if (c === LBRACE) depth++;
    else if (c === RBRACE && --depth === 0) return q + 1;
  }
  return end;
}

/** Skips whitespace, `%` comments, braces, `$` and spacing/rule commands inside a cell. */
function skipCellTrivia(text: string, p: number, end: number): number {
  while (p < end) {
    const c = text.charCodeAt(p);
    if (isSpace(c) || c === NL || c === LBRACE || c === RBRACE || c === 0x24) {
      p++;
    } else if (c === PERCENT) {
      p = lineEnd(text, p, end);
    } else if (c === BACKSLASH) {
      const q = commandEnd(text, p, end);
      const name = text.slice(p + 1, q);
      if (name.length === 1 && !/[A-Za-z]/.test(name)) {
        p = q; // \, \; \: \! \  — spacing
      } else if (TRIVIA_COMMANDS.has(name)) {
        p = q;
      } else if (TRIVIA_WITH_ARG.has(name)) {
        let r = q;
        while (r < end && isSpace(text.charCodeAt(r))) r++;
        p = text.charCodeAt(r) === LBRACE ? skipBraceGroup(text, r, end) : r;
      } else {
        return p;
      }
    } else {
      return p;
    }
  }
  return p;
}

/** `{number}` at `p` (after trivia); returns the value and the index after `}`, or null. */
function bracedNumber(text: string, p: number, end: number, tok: NumberToken): { value: number; after: number } | null {
  while (p < end && isSpace(text.charCodeAt(p))) p++;
  if (text.charCodeAt(p) !== LBRACE) return null;
  const close = skipBraceGroup(text, p, end);
  let a = p + 1;
  let b = close - 1;
  while (a < b && isSpace(text.charCodeAt(a))) a++;
  while (b > a && isSpace(text.charCodeAt(b - 1))) b--;
  if (!scanWholeNumber(text, a, b, tok)) return null;
  return { value: tok.value, after: close };
}

interface Cell {
  value: number;
  kind: NumberKind;
  start: number;
  end: number;
}

/** One cell `[a, b)`: a number with optional sign, `\infty`, `\frac{a}{b}` or `\text{NaN}`; null if empty. */
function parseCell(ctx: Ctx, a: number, b: number, env: string, tok: NumberToken): Cell | null {
  const { text } = ctx;
  const p = skipCellTrivia(text, a, b);
  if (p >= b) return null;
  const start = p;
  let sign = 1;
  const c = text.charCodeAt(p);
  let q = p;
  if (c === PLUS || c === MINUS || c === UMINUS) {
    sign = c === PLUS ? 1 : -1;
    q = skipCellTrivia(text, p + 1, b);
  }
  let value: number;
  let kind: NumberKind = FLOAT;
  let stop: number;
  if (text.startsWith('\\infty', q) && !/[A-Za-z]/.test(text[q + 6] ?? '')) {
    value = sign * Infinity;
    stop = q + 6;
  } else if (/^\\[dt]?frac(?![A-Za-z])/.test(text.slice(q, q + 7))) {
    const num = bracedNumber(text, commandEnd(text, q, b), b, tok);
    const den = num && bracedNumber(text, num.after, b, tok);
    if (!num || !den) ctx.fail(q, 'syntax', 'expected \\frac{number}{number}', undefined, 'a number');
    value = (sign * num.value) / den.value;
    stop = den.after;
  } else if (text.charCodeAt(q) === BACKSLASH && TEXT_COMMANDS.has(text.slice(q + 1, commandEnd(text, q, b)))) {
    const inner = bracedNumber(text, commandEnd(text, q, b), b, tok);
    if (!inner)
      ctx.fail(
        q,
        'syntax',
        `expected a number inside ${text.slice(q, commandEnd(text, q, b))}{…}`,
        undefined,
        'a number',
      );
    value = sign * inner.value;
    kind = tok.kind;
    stop = inner.after;
  } else {
    // With a sign right against the digits, let scanNumber read both; after `- ` (spaced) it reads the magnitude.
    const from = sign === -1 && q !== p + 1 ? q : p;
    if (!scanNumber(text, from, b, tok)) {
      const what = ctx.found(from, b);
      const hint = /^'\\[vdc]?dots|^'\\ldots/.test(what)
        ? "elided entries (\\cdots) can't be turned into numbers"
        : undefined;
      ctx.fail(from, 'syntax', `expected a number but found ${what}`, hint, 'a number');
    }
    value = from === p ? tok.value : -tok.value;
    kind = tok.kind;
    stop = tok.end;
  }
  const rest = skipCellTrivia(text, stop, b);
  if (rest < b) {
    ctx.fail(
      rest,
      'syntax',
      `expected '&', '\\\\' or '\\end{${env}}' after the number but found ${ctx.found(rest, b)}`,
      undefined,
      "'&' or '\\\\'",
    );
  }
  return { value, kind, start, end: stop };
}

/**
 * Parses the environment whose `\begin` is at `start`. Rows end at `\\` (with an optional `[2pt]`), cells at `&`;
 * a row holding nothing but rules or spacing (e.g. after the final `\\`, or `\hline` alone) is dropped.
 */
export function parseLatex(ctx: Ctx, start: number, end: number): { literal: ParsedLiteral; end: number } {
  const { text } = ctx;
  const begin = readBegin(text, start, end);
  if (!begin)
    ctx.fail(
      start,
      'notLiteral',
      `expected \\begin{bmatrix} but found ${ctx.found(start, end)}`,
      undefined,
      '\\begin{…}',
    );
  const env = begin.name;
  if (!isMatrixEnvironment(env)) {
    ctx.fail(
      start,
      'notLiteral',
      `\\begin{${env}} is not a matrix environment`,
      'expected bmatrix, pmatrix, matrix, vmatrix or array',
    );
  }
  let p = begin.after;
  if (env.endsWith('*')) {
    // mathtools: \begin{bmatrix*}[r]
    let q = p;
    while (q < end && isSpace(text.charCodeAt(q))) q++;
    if (text.charCodeAt(q) === LBRACK) {
      while (q < end && text.charCodeAt(q) !== RBRACK) q++;
      p = Math.min(end, q + 1);
    }
  }
  if (env === 'array') {
    let q = p;
    while (q < end && (isSpace(text.charCodeAt(q)) || text.charCodeAt(q) === NL)) q++;
    if (text.charCodeAt(q) !== LBRACE)
      ctx.fail(
        q,
        'syntax',
        `expected the column spec of \\begin{array}, e.g. {cc}, but found ${ctx.found(q, end)}`,
        undefined,
        '{',
      );
    p = skipBraceGroup(text, q, end);
  }
  const bodyStart = p;
  const endTag = `${END}${env}}`;
  // Split the body into rows of cell ranges; numbers are read afterwards so rows can be dropped first.
  const rows: Array<Array<[number, number]>> = [];
  let cells: Array<[number, number]> = [];
  let cellStart = p;
  let bodyEnd = -1;
  let close = -1;
  // cells are counted as they are split: far more cells than elements is refused before they are all kept
  let cellCount = 0;
  const maxCells = 2 * ctx.maxElements + 16;
  while (p < end) {
    const c = text.charCodeAt(p);
    if (c === PERCENT) {
      p = lineEnd(text, p, end);
    } else if (c === AMP) {
      cells.push([cellStart, p]);
      if (++cellCount > maxCells) {
        ctx.fail(
          p,
          'limit',
          `the literal has more than ${ctx.maxElements} elements`,
          `that is the limit (maxElements); select a smaller part or raise the limit`,
        );
      }
      cellStart = ++p;
    } else if (c === BACKSLASH) {
      if (text.charCodeAt(p + 1) === BACKSLASH) {
        cells.push([cellStart, p]);
        rows.push(cells);
        cells = [];
        p += 2;
        if (text[p] === '*') p++;
        let q = p;
        while (q < end && isSpace(text.charCodeAt(q))) q++;
        if (text.charCodeAt(q) === LBRACK) {
          // `\\[2pt]`: extra row spacing
          let r = q;
          while (r < end && r - q < 40 && text.charCodeAt(r) !== RBRACK && text.charCodeAt(r) !== NL) r++;
          if (text.charCodeAt(r) === RBRACK) p = r + 1;
        }
        cellStart = p;
      } else if (text.startsWith(endTag, p)) {
        cells.push([cellStart, p]);
        rows.push(cells);
        bodyEnd = p;
        close = p + endTag.length;
        break;
      } else if (text.startsWith(BEGIN, p)) {
        ctx.fail(
          p,
          'syntax',
          'nested environments inside a matrix are not supported',
          'select the inner matrix on its own',
        );
      } else if (text.startsWith(END, p)) {
        const nameStart = p + END.length;
        let q = nameStart;
        while (q < end && q - nameStart < 24 && text.charCodeAt(q) !== RBRACE) q++;
        ctx.fail(
          p,
          'syntax',
          `expected \\end{${env}} but found \\end{${text.slice(nameStart, q)}}`,
          undefined,
          `\\end{${env}}`,
        );
      } else {
        p = commandEnd(text, p, end);
      }
    } else {
      p++;
    }
  }
  if (close < 0) {
    ctx.failRaw(
      start,
      'syntax',
      `unclosed \\begin{${env}} opened at ${ctx.loc.where(start)}: expected \\end{${env}} before the end of the text`,
      `\\end{${env}}`,
    );
  }
  const sink = new Sink(ctx);
  const tok = newToken();
  const rowRanges: SourceRange[] = [];
  let cols = -1;
  for (const row of rows) {
    const parsed = row.map(([a, b]) => parseCell(ctx, a, b, env, tok));
    if (parsed.every((cell) => cell === null)) continue;
    const firstEmpty = parsed.findIndex((cell) => cell === null);
    if (firstEmpty >= 0) {
      ctx.fail(
        row[firstEmpty][0],
        'syntax',
        `row ${rowRanges.length + 1} has an empty cell`,
        'every cell needs a number',
        'a number',
      );
    }
    const ok = parsed as Cell[];
    if (cols < 0) cols = ok.length;
    else if (ok.length !== cols) {
      ctx.fail(
        ok[0].start,
        'shape',
        `row ${rowRanges.length + 1} has ${plural(ok.length, 'element')} but row 1 has ${cols}`,
        'every row needs the same length',
      );
    }
    for (const cell of ok) sink.push(cell.value, cell.kind, 0, cell.start);
    rowRanges.push({ start: ok[0].start, end: ok[ok.length - 1].end });
  }
  if (rowRanges.length === 0)
    ctx.fail(start, 'empty', `the ${env} has no numbers`, 'an empty matrix has no shape to show');
  const shape = [rowRanges.length, cols];
  let vs = bodyStart;
  let ve = bodyEnd;
  while (vs < ve && (isSpace(text.charCodeAt(vs)) || text.charCodeAt(vs) === NL)) vs++;
  while (ve > vs && (isSpace(text.charCodeAt(ve - 1)) || text.charCodeAt(ve - 1) === NL)) ve--;
  return {
    end: close,
    literal: {
      format: 'latex',
      shape,
      tensor: { shape: [...shape], data: sink.take() },
      range: { start, end: close },
      valuesRange: { start: vs, end: ve },
      rows: rowRanges,
      dtype: sink.dtype(),
      wrapper: env,
      notes: [],
    },
  };
}
