/**
 * findLiteralAt: the literal under a cursor in a whole file. Everything is searched outward from the offset inside
 * a window of `maxScan` characters each way, so the cost does not grow with the file (only an error's line number,
 * which is counted from the top of the file, does). When what a finder reads runs into the window's edge, the
 * search is repeated in a window four times larger, up to `maxScanLimit` (enough for a literal of maxElements
 * numbers): a literal is found whole, or refused with a 'window' error, never cut into a fragment. The backward
 * scan stops at the first text that no literal can contain (a name, `=`, `:` …), so growing costs nothing in code.
 *
 * Order: an array constructor under the cursor (`np.array`), the enclosing bracket literal (outermost wins), a LaTeX
 * matrix environment, a Markdown table, then a grid / CSV block of numeric lines.
 */
import type { FindOptions, ParseResult, ParsedLiteral } from './types';
import { DEFAULT_MAX_ELEMENTS, DEFAULT_MAX_SCAN, scanLimitFor } from './types';
import {
  NOT_MATERIAL,
  RAN_OUT,
  dottedNameEnd,
  extentStop,
  literalExtent,
  parseBracket,
  parseWrapper,
  skipCallRest,
  wrapperFormat,
} from './brackets';
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
  LBRACE,
  LBRACK,
  LPAREN,
  MAX_DEPTH,
  MINUS,
  PLUS,
  SEMI,
  SLASH,
  UMINUS,
  isDigit,
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
    const first =
      options.maxScan !== undefined && options.maxScan >= 1 ? Math.floor(options.maxScan) : DEFAULT_MAX_SCAN;
    const limit = Math.max(
      first,
      options.maxScanLimit !== undefined && options.maxScanLimit >= 1
        ? Math.floor(options.maxScanLimit)
        : scanLimitFor(ctx.maxElements, first),
    );
    const at = Math.max(0, Math.min(text.length, Math.floor(offset)));
    for (let scan = first; ; scan = Math.min(limit, scan * 4)) {
      const lo = Math.max(0, at - scan);
      const hi = Math.min(text.length, at + scan);
      ctx.cutLow = lo > 0 || options.textContinuesBefore === true;
      ctx.cutHigh = hi < text.length || options.textContinuesAfter === true;
      ctx.truncatedLow = false;
      ctx.truncatedHigh = false;
      // which parens are grouping depends on where their content can be read to: asked afresh per window
      ctx.grouping.clear();
      let found = findAt(ctx, at, lo, hi);
      // A cursor just after a closing bracket (end of a line, end of a selection) still means that literal.
      if (!found && at > 0 && isClose(text.charCodeAt(at - 1))) found = findAt(ctx, at - 1, lo, hi);
      // more elements than the limit in what was read already: the whole literal has more too
      if (!ctx.truncated || (found && !found.ok && found.error.limit === 'elements')) return found ?? null;
      const inside = (ctx.truncatedLow && lo > 0) || (ctx.truncatedHigh && hi < text.length);
      if (inside && scan < limit) continue;
      return failure(ctx, windowFail(ctx, at, scan));
    }
  } catch (e) {
    return failure(ctx, e);
  }
}

/**
 * What findLiteralAt says when the literal around the cursor goes on past what it may read (a caller that reads
 * a slice of a document grows its slice on `limit: 'window'` while it can, and shows this once it cannot).
 */
function windowFail(ctx: Ctx, at: number, scan: number): ParseFail {
  const side =
    ctx.truncatedLow && ctx.truncatedHigh ? 'before and after it' : ctx.truncatedLow ? 'before it' : 'after it';
  return new ParseFail(
    at,
    `the literal around the cursor goes on for more than ${scan} characters ${side}, further than Conv Lens reads around the cursor for a literal of at most ${ctx.maxElements} elements: select the literal (or a part of it) instead`,
    'window',
  );
}

function findAt(ctx: Ctx, at: number, lo: number, hi: number): Found {
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
  if (first >= hi) ctx.reached('high');
  if (!isOpen(ctx.text.charCodeAt(first))) return undefined;
  const close = literalExtent(ctx.text, first, hi, -1, -1, ctx.cutHigh);
  if (close === RAN_OUT) ctx.reached('high');
  if (close < 0) return undefined;
  // the call's closing ')' (after keyword arguments, maybe) must be inside the window too
  if (ctx.cutHigh) {
    const q = skipTrivia(ctx.text, close + 1, hi, false);
    if (q >= hi || (ctx.text.charCodeAt(q) === COMMA && skipCallRest(ctx.text, q + 1, hi) < 0)) {
      ctx.reached('high');
      return undefined;
    }
  }
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

/** Words a number may be written with (`nan`, `np.inf`, `True`, `float` of `float('nan')`…), lower case. */
const NUMBER_WORDS = new Set([
  'nan',
  'inf',
  'infinity',
  'true',
  'false',
  'float',
  'positive_infinity',
  'negative_infinity',
]);
const NUMBER_MODULES = /^(?:np|numpy|math|torch|jnp|cmath|number)\./;

function isNumberWord(word: string): boolean {
  const c = word.charCodeAt(0);
  if (isDigit(c) || c === DOT) return true;
  return NUMBER_WORDS.has(word.toLowerCase().replace(NUMBER_MODULES, ''));
}

/**
 * A character no literal holds outside a comment (an operator, a brace, `=`, `:`…): the backward scan can stop
 * there, since an enclosing bracket would have to contain it. Letters are judged by the whole word.
 */
function isWall(c: number): boolean {
  if (c < 0x80) {
    if (isIdentPart(c) || isSpace(c) || c === NL) return false;
    return !(
      c === DOT ||
      c === PLUS ||
      c === MINUS ||
      c === COMMA ||
      c === SEMI ||
      c === LPAREN ||
      c === RPAREN ||
      c === LBRACK ||
      c === RBRACK ||
      c === QUOTE ||
      c === DQUOTE ||
      c === HASH ||
      c === PERCENT ||
      c === SLASH
    );
  }
  return !(c === UMINUS || isSpace(c));
}

/**
 * Walks backward from the cursor and yields the enclosing unmatched opening brackets, innermost first. The cursor's
 * own line is read as is (so a literal inside a comment can be hovered); on the lines above, brackets after a `#`,
 * `%` or `...` comment marker are ignored, so `[[1, 2],  # (first row` does not confuse the matching. Strings are not
 * tracked; a stray bracket in a string only adds a candidate that the forward check then rejects.
 *
 * It stops at a wall (text no literal holds, see isWall), where no further bracket can enclose a literal, and
 * says whether it stopped there or at the window's edge (where the next bracket out may lie beyond it).
 */
class BackScanner {
  private pos: number;
  private maskFrom = Infinity;
  /**
   * On the cursor's own line, before the first enclosing bracket, nothing is a wall: the cursor may sit on a
   * constructor's keyword arguments (`dtype=…`) or in a trailing comment, after the literal it means.
   */
  private walls = false;
  stoppedAt: 'wall' | 'edge' = 'edge';

  constructor(
    private readonly text: string,
    from: number,
    private readonly lo: number,
    private readonly hi: number,
    private readonly cutLow: boolean,
    private readonly cutHigh: boolean,
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
        const ls = lineStart(text, i, lo);
        // a line the window cuts: where its comment starts cannot be seen
        if (ls === lo && this.cutLow && !(lo > 0 && text.charCodeAt(lo - 1) === NL)) {
          this.stoppedAt = 'edge';
          return -1;
        }
        this.maskFrom = commentStart(text, ls, i);
        this.walls = true;
        continue;
      }
      if (i >= this.maskFrom) continue;
      if (isClose(c)) depth++;
      else if (isOpen(c)) {
        if (depth === 0) {
          this.walls = true;
          return i;
        }
        depth--;
      } else if (!this.walls) {
        continue;
      } else if (isIdentPart(c)) {
        // the whole word, the part after the cursor included
        let a = i;
        let b = i + 1;
        while (a > lo && i - a < 64 && (isIdentPart(text.charCodeAt(a - 1)) || text.charCodeAt(a - 1) === DOT)) a--;
        while (b < this.hi && b - i < 64 && (isIdentPart(text.charCodeAt(b)) || text.charCodeAt(b) === DOT)) b++;
        // a word the window cuts cannot be judged: the edge, not a wall
        if (a <= lo && this.cutLow) {
          this.stoppedAt = 'edge';
          return -1;
        }
        if (!(b >= this.hi && this.cutHigh) && !isNumberWord(text.slice(a, b))) {
          this.stoppedAt = 'wall';
          return -1;
        }
        this.pos = a;
      } else if (isWall(c)) {
        this.stoppedAt = 'wall';
        return -1;
      }
    }
    this.stoppedAt = 'edge';
    return -1;
  }
}

/**
 * Where the bracket at `open` closes counting every bracket (strings and `#` comments skipped), or RAN_OUT, or
 * NOT_MATERIAL on a mismatched closer: whether a bracket that holds more than a literal is balanced at all.
 */
function bracketClose(text: string, open: number, hi: number): number {
  const stack: number[] = [];
  for (let p = open; p < hi; p++) {
    const c = text.charCodeAt(p);
    if (c === QUOTE || c === DQUOTE) {
      let q = p + 1;
      while (q < hi && text.charCodeAt(q) !== c && text.charCodeAt(q) !== NL)
        q += text.charCodeAt(q) === BACKSLASH ? 2 : 1;
      p = q;
    } else if (c === HASH) {
      p = lineEnd(text, p, hi);
    } else if (c === LPAREN || c === LBRACK || c === LBRACE) {
      stack.push(c === LPAREN ? RPAREN : c === LBRACK ? RBRACK : RBRACE);
    } else if (c === RPAREN || c === RBRACK || c === RBRACE) {
      if (stack.pop() !== c) return NOT_MATERIAL;
      if (stack.length === 0) return p;
    }
  }
  return RAN_OUT;
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
  const scanner = new BackScanner(text, isOpen(text.charCodeAt(at)) ? at + 1 : at, lo, hi, ctx.cutLow, ctx.cutHigh);
  const cands: Array<{ open: number; close: number }> = [];
  let wrapper: { start: number; open: number } | null = null;
  /** an enclosing bracket that never closes: it is reported, not an inner list */
  let unclosed = -1;
  /** where its literal material ends (-1: at the end of the text) */
  let unclosedStop = -1;
  for (;;) {
    const o = scanner.next();
    if (o < 0) {
      if (scanner.stoppedAt === 'edge') ctx.reached('low');
      break;
    }
    // what stands before the bracket decides whether it is a call: it must be inside the window
    if (o <= lo) ctx.reached('low');
    const callee = calleeBefore(text, o, lo);
    if (callee && callee.start <= lo && callee.name !== '') ctx.reached('low');
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
    const close = literalExtent(text, o, hi, inner ? inner.open : -1, inner ? inner.close : -1, ctx.cutHigh);
    if (close === RAN_OUT) {
      // the bracket goes on past the window (look further), or past the end of the text (it never closes)
      if (ctx.cutHigh) ctx.reached('high');
      else unclosed = o;
      break;
    }
    if (close === NOT_MATERIAL) {
      // Literal material up to past the inner candidate, then something else: `[[1, 2], x]` (a list that holds
      // more than a literal: the inner one is the literal) or `[[1, 2], [3, 4]` and the next statement (a bracket
      // that never closes: reported).
      if (inner && extentStop > inner.close) {
        const balanced = bracketClose(text, o, hi);
        if (balanced === RAN_OUT && ctx.cutHigh) ctx.reached('high');
        else if (balanced < 0) {
          unclosed = o;
          unclosedStop = extentStop;
        }
      }
      break;
    }
    // The backward scan does not know comments and continuations the forward scan skips, so it can pair brackets
    // differently; a candidate that closes before the cursor does not enclose it.
    if (close < at) break;
    cands.push({ open: o, close });
  }
  if (unclosed >= 0) return unclosedBracket(ctx, unclosed, unclosedStop, hi);
  if (wrapper) {
    const outer = cands[cands.length - 1];
    const first = skipTrivia(text, wrapper.open + 1, hi, false);
    if (!outer || outer.open === first) {
      const found = wrapperCall(ctx, wrapper.start, wrapper.open, hi);
      if (found) return found;
    }
  }
  // A candidate that fails on a token inside the next one in makes that one fail on the same token: skip the
  // candidates around the failure and go straight to the first that does not contain it.
  let skipAround = -1;
  for (let k = cands.length - 1; k >= 0; k--) {
    const { open, close } = cands[k];
    if (skipAround >= 0 && open < skipAround && skipAround <= close) continue;
    const a = attempt(() => parseBracket(ctx, open, close + 1, 'auto').literal);
    if (a.ok) {
      if (a.literal.format === 'matlab' && (text[close + 1] === "'" || text.startsWith(".'", close + 1))) {
        a.literal.notes.push("the matrix is followed by a transpose (') that is not applied");
      }
      return { ok: true, literal: a.literal };
    }
    // `(1+2)` or `(1)` is arithmetic, not a tuple; try the next candidate inward.
    if (a.fail.kind === 'depth' || notALiteral(a.fail.kind)) continue;
    if (a.fail.kind === 'syntax' && text.charCodeAt(open) === LPAREN) {
      skipAround = a.fail.offset;
      continue;
    }
    return failure(ctx, a.fail);
  }
  return undefined;
}

/**
 * The error for an enclosing bracket that never closes: at the end of the text the parser's own ("unclosed '['
 * opened at …"); before other text, one that says where the literal material stopped.
 */
function unclosedBracket(ctx: Ctx, open: number, stop: number, hi: number): Found {
  const { text } = ctx;
  if (stop < 0) {
    const a = attempt(() => parseBracket(ctx, open, hi, 'auto').literal);
    if (!a.ok) return failure(ctx, a.fail);
    return { ok: true, literal: a.literal };
  }
  const openCh = text[open];
  const closeCh = openCh === '(' ? ')' : ']';
  return failure(
    ctx,
    new ParseFail(
      open,
      `unclosed '${openCh}' opened at ${ctx.loc.where(open)}: it encloses the cursor but never closes; expected '${closeCh}' before ${ctx.found(stop, hi)} at ${ctx.loc.where(stop)}`,
      'syntax',
      `'${closeCh}'`,
    ),
  );
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
  // A blank line ends a LaTeX paragraph, which a matrix cannot span: the backward search stops there.
  let i = Math.min(at, hi - 1);
  for (; i >= lo; i--) {
    const c = text.charCodeAt(i);
    if (c === NL && i < at) {
      let k = i - 1;
      while (k >= lo && isSpace(text.charCodeAt(k))) k--;
      if (k >= lo && text.charCodeAt(k) === NL) return undefined;
      continue;
    }
    if (c !== BACKSLASH || !text.startsWith('\\begin{', i)) continue;
    const begin = readBegin(text, i, hi);
    if (!begin && i + 32 >= hi) ctx.reached('high');
    if (!begin || !isMatrixEnvironment(begin.name)) continue;
    const tag = `\\end{${begin.name}}`;
    const close = boundedIndexOf(text, tag, begin.after, hi);
    if (close < 0) ctx.reached('high');
    if (close < 0 || close + tag.length <= at) return undefined;
    const start = i;
    return settle(
      ctx,
      attempt(() => parseLatex(ctx, start, hi).literal),
    );
  }
  // ran into the window's low edge: a `\begin{…}` may lie before it
  if (i < lo) ctx.reached('low');
  return undefined;
}

/** The line starting at `ls` (as lineStart found it within the window) may begin before the window. */
function lineCutAtStart(ctx: Ctx, ls: number, lo: number): boolean {
  return ctx.cutLow && ls === lo && !(lo > 0 && ctx.text.charCodeAt(lo - 1) === NL);
}

/** The line ending at `le` (as lineEnd found it within the window) may go on after the window. */
function lineCutAtEnd(ctx: Ctx, le: number, hi: number): boolean {
  return ctx.cutHigh && le === hi && !(hi < ctx.text.length && ctx.text.charCodeAt(hi) === NL);
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
    if (lineCutAtStart(ctx, a, lo)) ctx.reached('low');
    if (lineCutAtEnd(ctx, b, hi)) ctx.reached('high');
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
    if (top <= lo) ctx.reached('low');
    let bottom = lineEnd(text, ls, hi);
    while (bottom < hi) {
      const nextEnd = lineEnd(text, bottom + 1, hi);
      if (!isRow(bottom + 1, nextEnd)) break;
      bottom = nextEnd;
    }
    if (bottom >= hi) ctx.reached('high');
    return [top, bottom];
  };
  const shapeOf = (a: number, b: number): string | null => {
    const r = attempt(() => parseLines(ctx, a, b, 'markdown'));
    return r.ok ? r.literal.shape.join('x') : null;
  };
  const ls = lineStart(text, at, lo);
  const le = lineEnd(text, at, hi);
  // the cursor's line begins before the window: whether it is a table row cannot be seen from here
  if (lineCutAtStart(ctx, ls, lo) && indexIn(text, PIPE, ls, le) >= 0) ctx.reached('low');
  if (!isRow(ls, le)) return undefined;
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
      if (p >= hi) ctx.reached('high');
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
      if (p <= lo) ctx.reached('low');
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
    // a line the window cuts may be more of the block than can be seen: look again with a larger window
    if (lineCutAtStart(ctx, a, lo)) ctx.reached('low');
    if (lineCutAtEnd(ctx, b, hi)) ctx.reached('high');
    const [x, y] = trimmedLine(text, a, b);
    if (x === y) return 'blank';
    const kind: LineFormat = indexIn(text, COMMA, x, y) >= 0 ? 'csv' : 'grid';
    splitCells(text, x, y, kind, cells, ctx.maxElements);
    for (let i = 0; i < cells.length; i += 2) if (!cellNumber(text, cells[i], cells[i + 1], kind, tok)) return null;
    return { kind, n: cells.length / 2 };
  };
  let ls = lineStart(text, at, lo);
  let le = lineEnd(text, at, hi);
  const cutStart = lineCutAtStart(ctx, ls, lo);
  const cutEnd = lineCutAtEnd(ctx, le, hi);
  if (cutStart || cutEnd) {
    // the cursor's line goes on past the window: its cells cut in two say nothing, the others whether it may be
    // a row of numbers (then look again with more of it) or not (then it is none)
    let [a, b] = trimmedLine(text, ls, le);
    const isSep = (c: number) => c === COMMA || isSpace(c);
    if (cutStart) while (a < b && !isSep(text.charCodeAt(a))) a++;
    if (cutEnd) while (b > a && !isSep(text.charCodeAt(b - 1))) b--;
    [a, b] = trimmedLine(text, a, b);
    while (a < b && text.charCodeAt(a) === COMMA) a++;
    while (b > a && text.charCodeAt(b - 1) === COMMA) b--;
    const c = a >= b ? 'blank' : classify(a, b);
    if (c !== null && c !== 'blank' && c.n > ctx.maxElements) {
      // the part of the line in the window already has more numbers than the limit: so has the whole
      return settle(
        ctx,
        attempt(() =>
          ctx.fail(
            a,
            'limit',
            `the literal has more than ${ctx.maxElements} elements`,
            'that is the limit (maxElements); select a smaller part or raise the limit',
          ),
        ),
      );
    }
    if (c !== null) {
      if (cutStart) ctx.reached('low');
      if (cutEnd) ctx.reached('high');
    }
    return undefined;
  }
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
  // the cursor's line itself may begin or end outside the window
  if (ls <= lo) ctx.reached('low');
  if (le >= hi) ctx.reached('high');
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
  if (top <= lo) ctx.reached('low');
  let bottom = le;
  while (bottom < hi) {
    const e = lineEnd(text, bottom + 1, hi);
    const c = classify(bottom + 1, e);
    if (!same(c)) break;
    if (c.n !== cols) uniform = false;
    bottom = e;
    rows++;
  }
  if (bottom >= hi) ctx.reached('high');

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
      if (p >= hi) ctx.reached('high');
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
      if (q >= hi) ctx.reached('high');
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
      if (p <= lo) ctx.reached('low');
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
      if (p <= lo) ctx.reached('low');
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

// ---------------------------------------------------------------------------------------------------------
// A document read in slices (an editor's document): the slice grows until the literal fits in it

/** A document the finder reads part of: its length and a way to read [start, end). */
export interface TextSource {
  readonly length: number;
  read(start: number, end: number): string;
}

export interface FoundInSource {
  readonly result: ParseResult | null;
  /** where the slice the result's offsets are in starts in the document */
  readonly base: number;
}

/**
 * findLiteralAt on a slice of `source` around `offset`, `window` characters each way (default 200 000): when the
 * literal goes on past the slice the slice grows four times, up to what a literal of maxElements numbers spans
 * (or maxScanLimit); past that, the 'window' refusal. What the hover and the commands use in the editor.
 */
export function findLiteralInSource(
  source: TextSource,
  offset: number,
  options: { maxElements?: number; window?: number; maxScanLimit?: number } = {},
): FoundInSource {
  const first = options.window !== undefined && options.window >= 1 ? Math.floor(options.window) : DEFAULT_MAX_SCAN;
  const max =
    options.maxElements !== undefined && options.maxElements >= 1 ? options.maxElements : DEFAULT_MAX_ELEMENTS;
  const limit = Math.max(first, options.maxScanLimit ?? scanLimitFor(max, first));
  const at = Math.max(0, Math.min(source.length, Math.floor(offset)));
  for (let window = first; ; window = Math.min(limit, window * 4)) {
    const start = Math.max(0, at - window);
    const end = Math.min(source.length, at + window);
    const result = findLiteralAt(source.read(start, end), at - start, {
      maxElements: options.maxElements,
      maxScan: window,
      maxScanLimit: window,
      textContinuesBefore: start > 0,
      textContinuesAfter: end < source.length,
    });
    if (result && !result.ok && result.error.limit === 'window' && window < limit) continue;
    return { result, base: start };
  }
}
