/**
 * findLiteralAt: the literal under a cursor in a whole file. Everything is searched outward from the offset inside
 * a window of `maxScan` characters each way, so the cost does not grow with the file (only an error's line number,
 * which is counted from the top of the file, does).
 *
 * Order: an array constructor under the cursor (`np.array`), the enclosing bracket literal (outermost wins), a LaTeX
 * matrix environment, a Markdown table, then a grid / CSV block of numeric lines.
 */
import type { FindOptions, ParseResult, ParsedLiteral } from './types';
import { DEFAULT_MAX_SCAN } from './types';
import { dottedNameEnd, literalExtent, parseBracket, parseWrapper, wrapperFormat } from './brackets';
import { isMatrixEnvironment, parseLatex, readBegin } from './latex';
import { LineFormat, cellNumber, parseLines, splitCells } from './lines';
import { newToken } from './numbers';
import { failure, makeCtx } from './parse';
import {
  BACKSLASH,
  COMMA,
  Ctx,
  DOT,
  DQUOTE,
  FailKind,
  HASH,
  LPAREN,
  MAX_DEPTH,
  NL,
  PERCENT,
  PIPE,
  ParseFail,
  QUOTE,
  RBRACE,
  RBRACK,
  RPAREN,
  indexIn,
  isClose,
  isIdentPart,
  isIdentStart,
  isOpen,
  isSpace,
  lineEnd,
  lineStart,
  skipSpace,
  skipTrivia,
} from './text';

type Attempt = { ok: true; literal: ParsedLiteral } | { ok: false; fail: ParseFail };

function attempt(run: () => ParsedLiteral): Attempt {
  try {
    return { ok: true, literal: run() };
  } catch (e) {
    if (e instanceof ParseFail) return { ok: false, fail: e };
    throw e;
  }
}

/** Failures that mean "there is no literal here" rather than "this literal has a mistake". */
function notALiteral(kind: FailKind): boolean {
  return kind === 'empty' || kind === 'scalar' || kind === 'notLiteral' || kind === 'nonNumeric';
}

/** A literal, an error to show, or undefined to keep looking with the next kind of literal. */
type Found = ParseResult | undefined;

function settle(ctx: Ctx, a: Attempt): Found {
  if (a.ok) return { ok: true, literal: a.literal };
  return notALiteral(a.fail.kind) ? undefined : failure(ctx, a.fail);
}

export function findLiteralAt(text: string, offset: number, options: FindOptions = {}): ParseResult | null {
  let ctx: Ctx | null = null;
  try {
    if (typeof text !== 'string' || typeof offset !== 'number' || Number.isNaN(offset)) return null;
    ctx = makeCtx(text, options.maxElements);
    const maxScan =
      options.maxScan !== undefined && options.maxScan >= 1 ? Math.floor(options.maxScan) : DEFAULT_MAX_SCAN;
    const at = Math.max(0, Math.min(text.length, Math.floor(offset)));
    const found = findAt(ctx, at, maxScan);
    if (found) return found;
    // A cursor just after a closing bracket (end of a line, end of a selection) still means that literal.
    if (at > 0 && isClose(text.charCodeAt(at - 1))) return findAt(ctx, at - 1, maxScan) ?? null;
    return null;
  } catch (e) {
    return failure(ctx, e);
  }
}

function findAt(ctx: Ctx, at: number, maxScan: number): Found {
  const lo = Math.max(0, at - maxScan);
  const hi = Math.min(ctx.text.length, at + maxScan);
  return (
    wrapperUnderCursor(ctx, at, lo, hi) ??
    enclosingBrackets(ctx, at, lo, hi) ??
    enclosingLatex(ctx, at, lo, hi) ??
    enclosingTable(ctx, at, lo, hi) ??
    enclosingGrid(ctx, at, lo, hi)
  );
}

/** The first argument of the call whose `(` is at `open` is a literal candidate. */
function wrapperCall(ctx: Ctx, nameStart: number, open: number, hi: number): Found {
  const first = skipTrivia(ctx.text, open + 1, hi, false);
  if (!isOpen(ctx.text.charCodeAt(first)) || literalExtent(ctx.text, first, hi) < 0) return undefined;
  return settle(
    ctx,
    attempt(() => parseWrapper(ctx, nameStart, hi).literal),
  );
}

/** The cursor is on a constructor's name: `np.ar|ray([[1, 2]])`. */
function wrapperUnderCursor(ctx: Ctx, at: number, lo: number, hi: number): Found {
  const { text } = ctx;
  const word = (c: number): boolean => isIdentPart(c) || c === DOT;
  let a = at;
  let b = at;
  while (a > lo && at - a < 64 && word(text.charCodeAt(a - 1))) a--;
  while (b < hi && b - at < 64 && word(text.charCodeAt(b))) b++;
  while (a < b && !isIdentStart(text.charCodeAt(a))) a++;
  if (a >= b) return undefined;
  const nameEnd = dottedNameEnd(text, a, b);
  if (!wrapperFormat(text.slice(a, nameEnd))) return undefined;
  const open = skipSpace(text, nameEnd, hi);
  if (text.charCodeAt(open) !== LPAREN) return undefined;
  return wrapperCall(ctx, a, open, hi);
}

/**
 * Where the comment starts on the line `[a, b)`: the first `#`, `%` or MATLAB `...` not after a quote; `b` if none.
 * Brackets after it are comment. `//` is left alone because it is Python's floor division.
 */
function commentStart(text: string, a: number, b: number): number {
  for (let p = a; p < b; p++) {
    const c = text.charCodeAt(p);
    if (c === QUOTE || c === DQUOTE) return b;
    if (c === HASH || c === PERCENT) return p;
    if (c === DOT && text.charCodeAt(p + 1) === DOT && text.charCodeAt(p + 2) === DOT) return p;
  }
  return b;
}

/**
 * Walks backward from the cursor and yields the enclosing unmatched opening brackets, innermost first. The cursor's
 * own line is read as is (so a literal inside a comment can be hovered); on the lines above, brackets after a `#`,
 * `%` or `...` comment marker are ignored, so `[[1, 2],  # (first row` does not confuse the matching. Strings are not
 * tracked; a stray bracket in a string only adds a candidate that the forward check then rejects.
 */
class BackScanner {
  private pos: number;
  private maskFrom = Infinity;

  constructor(
    private readonly text: string,
    from: number,
    private readonly lo: number,
  ) {
    this.pos = from;
  }

  next(): number {
    const { text, lo } = this;
    let depth = 0;
    while (this.pos > lo) {
      const i = --this.pos;
      const c = text.charCodeAt(i);
      if (c === NL) {
        this.maskFrom = commentStart(text, lineStart(text, i, lo), i);
        continue;
      }
      if (i >= this.maskFrom) continue;
      if (isClose(c)) depth++;
      else if (isOpen(c)) {
        if (depth === 0) return i;
        depth--;
      }
    }
    return -1;
  }
}

/**
 * What stands right before the bracket at `o`: a name (`f(`, `x[`, `np.array(`) makes it a call or a subscript, as
 * does `)`, `]` or `}` (`f(x)(`, `a[0][`). A wrapper name may be separated from its `(` by spaces.
 * Returns null for a free-standing bracket, which may be a literal.
 */
function calleeBefore(text: string, o: number, lo: number): { name: string; start: number } | null {
  const prev = o > lo ? text.charCodeAt(o - 1) : -1;
  const readName = (end: number): { name: string; start: number } => {
    let k = end;
    while (k > lo && end - k < 64 && (isIdentPart(text.charCodeAt(k - 1)) || text.charCodeAt(k - 1) === DOT)) k--;
    return { name: text.slice(k, end), start: k };
  };
  if (isIdentPart(prev) || prev === DOT) return readName(o);
  // Not quotes: `"[1, 2]"` (a literal in a string) is far more common than subscripting a string literal.
  if (prev === RPAREN || prev === RBRACK || prev === RBRACE) return { name: '', start: o };
  if (text.charCodeAt(o) === LPAREN && isSpace(prev)) {
    let k = o - 1;
    while (k > lo && isSpace(text.charCodeAt(k - 1))) k--;
    const callee = readName(k);
    if (wrapperFormat(callee.name)) return callee;
  }
  return null;
}

/**
 * The outermost bracket literal around the cursor. Candidates grow outward while their contents stay literal
 * material; the chain stops at the first bracket that is a call or subscript (`f(`, `x[`) or holds anything else (a
 * name, a string). `f([1, 2], x)` therefore gives `[1, 2]`, and a cursor on `x` gives nothing. When the chain stops
 * at a known constructor whose first argument is the candidate, the constructor is included.
 */
function enclosingBrackets(ctx: Ctx, at: number, lo: number, hi: number): Found {
  const { text } = ctx;
  const scanner = new BackScanner(text, isOpen(text.charCodeAt(at)) ? at + 1 : at, lo);
  const cands: Array<{ open: number; close: number }> = [];
  let wrapper: { start: number; open: number } | null = null;
  for (;;) {
    const o = scanner.next();
    if (o < 0) break;
    const callee = calleeBefore(text, o, lo);
    if (callee) {
      const paren = text.charCodeAt(o) === LPAREN;
      // The cursor is inside `float('nan')`; the literal is further out.
      if (paren && callee.name === 'float' && cands.length === 0) continue;
      if (paren && wrapperFormat(callee.name)) wrapper = { start: callee.start, open: o };
      break;
    }
    // Grouping parens do not add a dimension, so a literal can sit inside more brackets than its rank, but not
    // more than the parser's frame limit; stopping here keeps `((((…1…))))` from costing a parse per level.
    if (cands.length >= 4 * MAX_DEPTH) break;
    const inner = cands[cands.length - 1];
    const close = literalExtent(text, o, hi, inner ? inner.open : -1, inner ? inner.close : -1);
    // The backward scan does not know comments and continuations the forward scan skips, so it can pair brackets
    // differently; a candidate that closes before the cursor does not enclose it.
    if (close < 0 || close < at) break;
    cands.push({ open: o, close });
  }
  if (wrapper) {
    const outer = cands[cands.length - 1];
    const first = skipTrivia(text, wrapper.open + 1, hi, false);
    if (!outer || outer.open === first) {
      const found = wrapperCall(ctx, wrapper.start, wrapper.open, hi);
      if (found) return found;
    }
  }
  for (let k = cands.length - 1; k >= 0; k--) {
    const { open, close } = cands[k];
    const a = attempt(() => parseBracket(ctx, open, close + 1, 'auto').literal);
    if (a.ok) {
      if (a.literal.format === 'matlab' && (text[close + 1] === "'" || text.startsWith(".'", close + 1))) {
        a.literal.notes.push("the matrix is followed by a transpose (') that is not applied");
      }
      return { ok: true, literal: a.literal };
    }
    // `(1+2)` or `(1)` is arithmetic, not a tuple; try the next candidate inward.
    if (notALiteral(a.fail.kind) || (a.fail.kind === 'syntax' && text.charCodeAt(open) === LPAREN)) continue;
    return failure(ctx, a.fail);
  }
  return undefined;
}

function boundedIndexOf(text: string, needle: string, from: number, to: number): number {
  const first = needle.charCodeAt(0);
  for (let p = from; p + needle.length <= to; p++) {
    if (text.charCodeAt(p) === first && text.startsWith(needle, p)) return p;
  }
  return -1;
}

/** The nearest matrix `\begin{…}` at or before the cursor, if its `\end{…}` is after the cursor. */
function enclosingLatex(ctx: Ctx, at: number, lo: number, hi: number): Found {
  const { text } = ctx;
  for (let i = Math.min(at, hi - 1); i >= lo; i--) {
    if (text.charCodeAt(i) !== BACKSLASH || !text.startsWith('\\begin{', i)) continue;
    const begin = readBegin(text, i, hi);
    if (!begin || !isMatrixEnvironment(begin.name)) continue;
    const tag = `\\end{${begin.name}}`;
    const close = boundedIndexOf(text, tag, begin.after, hi);
    if (close < 0 || close + tag.length <= at) return undefined;
    return settle(
      ctx,
      attempt(() => parseLatex(ctx, i, hi).literal),
    );
  }
  return undefined;
}

function trimmedLine(text: string, a: number, b: number): [number, number] {
  while (a < b && isSpace(text.charCodeAt(a))) a++;
  while (b > a && isSpace(text.charCodeAt(b - 1))) b--;
  return [a, b];
}

/**
 * The run of lines starting with `|` around the cursor's line, plus neighbouring tables one or two blank lines away
 * when they have the same shape (channels, as formatLiteral writes a C×H×W tensor).
 */
function enclosingTable(ctx: Ctx, at: number, lo: number, hi: number): Found {
  const { text } = ctx;
  const isRow = (a: number, b: number): boolean => {
    const [x, y] = trimmedLine(text, a, b);
    return x < y && text.charCodeAt(x) === PIPE;
  };
  const isBlank = (a: number, b: number): boolean => {
    const [x, y] = trimmedLine(text, a, b);
    return x === y;
  };
  /** The table whose lines include the one starting at `ls`: [first line start, last line end]. */
  const tableAround = (ls: number): [number, number] => {
    let top = ls;
    while (top > lo) {
      const prevStart = lineStart(text, top - 1, lo);
      if (!isRow(prevStart, top - 1)) break;
      top = prevStart;
    }
    let bottom = lineEnd(text, ls, hi);
    while (bottom < hi) {
      const nextEnd = lineEnd(text, bottom + 1, hi);
      if (!isRow(bottom + 1, nextEnd)) break;
      bottom = nextEnd;
    }
    return [top, bottom];
  };
  const shapeOf = (a: number, b: number): string | null => {
    const r = attempt(() => parseLines(ctx, a, b, 'markdown'));
    return r.ok ? r.literal.shape.join('x') : null;
  };
  const ls = lineStart(text, at, lo);
  if (!isRow(ls, lineEnd(text, at, hi))) return undefined;
  let [top, bottom] = tableAround(ls);
  const shape = shapeOf(top, bottom);
  if (shape !== null) {
    for (;;) {
      let p = bottom + 1;
      let blanks = 0;
      while (p < hi && blanks <= 2 && isBlank(p, lineEnd(text, p, hi))) {
        blanks++;
        p = lineEnd(text, p, hi) + 1;
      }
      if (blanks === 0 || blanks > 2 || p >= hi || !isRow(p, lineEnd(text, p, hi))) break;
      const [, b] = tableAround(p);
      if (shapeOf(p, b) !== shape) break;
      bottom = b;
    }
    for (;;) {
      let p = top;
      let blanks = 0;
      while (p > lo && blanks <= 2 && isBlank(lineStart(text, p - 1, lo), p - 1)) {
        blanks++;
        p = lineStart(text, p - 1, lo);
      }
      if (blanks === 0 || blanks > 2 || p <= lo || !isRow(lineStart(text, p - 1, lo), p - 1)) break;
      const [a] = tableAround(lineStart(text, p - 1, lo));
      if (shapeOf(a, p - 1) !== shape) break;
      top = a;
    }
  }
  return settle(
    ctx,
    attempt(() => parseLines(ctx, top, bottom, 'markdown')),
  );
}

type LineClass = { kind: LineFormat; n: number } | 'blank' | null;

/**
 * A grid / CSV block: the run of numeric lines around the cursor, plus neighbouring runs separated from it by one or
 * two blank lines when they have the same number of rows and columns (channels), plus a CSV header line right above.
 */
function enclosingGrid(ctx: Ctx, at: number, lo: number, hi: number): Found {
  const { text } = ctx;
  const cells: number[] = [];
  const tok = newToken();
  const classify = (a: number, b: number): LineClass => {
    const [x, y] = trimmedLine(text, a, b);
    if (x === y) return 'blank';
    const kind: LineFormat = indexIn(text, COMMA, x, y) >= 0 ? 'csv' : 'grid';
    splitCells(text, x, y, kind, cells);
    for (let i = 0; i < cells.length; i += 2) if (!cellNumber(text, cells[i], cells[i + 1], kind, tok)) return null;
    return { kind, n: cells.length / 2 };
  };
  let ls = lineStart(text, at, lo);
  let le = lineEnd(text, at, hi);
  let here = classify(ls, le);
  if (here === null && le < hi && indexIn(text, COMMA, ls, le) >= 0) {
    // On a CSV header: the block is the one right below it (the header is attached at the end).
    const below = classify(le + 1, lineEnd(text, le + 1, hi));
    splitCells(text, ...trimmedLine(text, ls, le), 'csv', cells);
    if (below !== null && below !== 'blank' && below.kind === 'csv' && below.n === cells.length / 2) {
      ls = le + 1;
      le = lineEnd(text, ls, hi);
      here = below;
    }
  }
  if (here === null || here === 'blank') return undefined;
  const { kind, n: cols } = here;
  const same = (c: LineClass): c is { kind: LineFormat; n: number } => c !== null && c !== 'blank' && c.kind === kind;

  // The cursor's own block: consecutive numeric lines of the same kind (a ragged one is reported by the parser).
  let uniform = true;
  let rows = 1;
  let top = ls;
  while (top > lo) {
    const s = lineStart(text, top - 1, lo);
    const c = classify(s, top - 1);
    if (!same(c)) break;
    if (c.n !== cols) uniform = false;
    top = s;
    rows++;
  }
  let bottom = le;
  while (bottom < hi) {
    const e = lineEnd(text, bottom + 1, hi);
    const c = classify(bottom + 1, e);
    if (!same(c)) break;
    if (c.n !== cols) uniform = false;
    bottom = e;
    rows++;
  }

  if (uniform) {
    // Channel blocks below: up to two blank lines, then exactly `rows` numeric lines of `cols`, then a non-numeric
    // line, a blank line or the end (a longer or wider run is a different tensor).
    for (;;) {
      let p = bottom + 1;
      let blanks = 0;
      while (p < hi && blanks <= 2) {
        const e = lineEnd(text, p, hi);
        if (classify(p, e) !== 'blank') break;
        blanks++;
        p = e + 1;
      }
      if (blanks === 0 || blanks > 2 || p >= hi) break;
      let count = 0;
      let last = -1;
      let q = p;
      let stopper: LineClass = null;
      while (q < hi) {
        const e = lineEnd(text, q, hi);
        const c = classify(q, e);
        if (!same(c) || c.n !== cols) {
          stopper = c;
          break;
        }
        count++;
        last = e;
        q = e + 1;
      }
      if (count !== rows || (stopper !== null && stopper !== 'blank')) break;
      bottom = last;
    }
    // The same above.
    for (;;) {
      let p = top; // start of the topmost included line
      let blanks = 0;
      while (p > lo && blanks <= 2) {
        const s = lineStart(text, p - 1, lo);
        if (classify(s, p - 1) !== 'blank') break;
        blanks++;
        p = s;
      }
      if (blanks === 0 || blanks > 2 || p <= lo) break;
      let count = 0;
      let first = -1;
      let stopper: LineClass = null;
      while (p > lo) {
        const s = lineStart(text, p - 1, lo);
        const c = classify(s, p - 1);
        if (!same(c) || c.n !== cols) {
          stopper = c;
          break;
        }
        count++;
        first = s;
        p = s;
      }
      if (count !== rows || (stopper !== null && stopper !== 'blank')) break;
      top = first;
    }
  }
  if (kind === 'csv' && top > lo) {
    const s = lineStart(text, top - 1, lo);
    const [x, y] = trimmedLine(text, s, top - 1);
    if (x < y && classify(s, top - 1) === null) {
      splitCells(text, x, y, 'csv', cells);
      if (cells.length / 2 === cols) top = s;
    }
  }
  return settle(
    ctx,
    attempt(() => parseLines(ctx, top, bottom, kind)),
  );
}
