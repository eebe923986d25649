/**
 * Bracketed literals: Python / JSON nested lists and tuples of any rank, MATLAB / Octave / Julia matrices
 * (`[1 2; 3 4]`), and the array constructors around them (`np.array(...)`, `torch.tensor(..., dtype=...)`).
 */
import type { LiteralFormat, ParsedLiteral, SourceRange } from './types';
import { NumberToken, Sink, newToken, scanNumber } from './numbers';
import {
  COMMA,
  Ctx,
  DQUOTE,
  HASH,
  LBRACE,
  LBRACK,
  LPAREN,
  MAX_DEPTH,
  NL,
  ParseFail,
  QUOTE,
  RBRACE,
  RBRACK,
  RPAREN,
  SEMI,
  SLASH,
  PERCENT,
  DOT,
  BACKSLASH,
  closerOf,
  isClose,
  isIdentPart,
  isIdentStart,
  isOpen,
  isSpace,
  lineEnd,
  plural,
  skipTrivia,
} from './text';

const scratch = newToken();

/** literalExtent's answers besides a closing index: not literal material, or the window ended first. */
export const NOT_MATERIAL = -1;
export const RAN_OUT = -2;
/** Where the last literalExtent stopped: the closing bracket, the first non-material token, or `hi`. */
export let extentStop = 0;

/**
 * Where the bracket opened at `open` closes, if everything inside is literal material: numbers, brackets, `,`, `;`,
 * whitespace and comments. Returns NOT_MATERIAL at the first other token (a name, a string, an operator) or on a
 * mismatched closer, and RAN_OUT when `hi` comes first. No shapes are checked; this only answers "could this be a
 * literal?" cheaply.
 *
 * findLiteralAt grows a candidate outward one bracket at a time. When the previous (inner) candidate spanned
 * `[jumpFrom, jumpTo]`, the scan of the next one jumps over it instead of reading it again, which keeps the whole
 * outward walk linear in the size of the outermost candidate.
 */
export function literalExtent(
  text: string,
  open: number,
  hi: number,
  jumpFrom = -1,
  jumpTo = -1,
  openEnded = hi < text.length,
): number {
  const stack: number[] = [closerOf(text.charCodeAt(open))];
  let p = open + 1;
  for (;;) {
    p = skipTrivia(text, p, hi, false);
    extentStop = p;
    if (p >= hi) return RAN_OUT;
    if (p === jumpFrom) {
      p = jumpTo + 1;
      continue;
    }
    const c = text.charCodeAt(p);
    if (isOpen(c)) {
      if (stack.length >= MAX_DEPTH) return NOT_MATERIAL;
      stack.push(closerOf(c));
      p++;
    } else if (isClose(c)) {
      if (stack.pop() !== c) return NOT_MATERIAL;
      if (stack.length === 0) return p;
      p++;
    } else if (c === COMMA || c === SEMI) {
      p++;
    } else if (scanNumber(text, p, hi, scratch)) {
      p = scratch.end;
    } else {
      // a token the window's edge cuts (`Na|N`) is no proof of anything: the window ran out
      if (openEnded && hi - p <= MAX_NUMBER_TEXT) return RAN_OUT;
      return NOT_MATERIAL;
    }
  }
}

/** No number is written with more characters than this (`-1.2345678901234567e-308`, `float('-inf')`). */
const MAX_NUMBER_TEXT = 48;

/**
 * In Python `(x)` is just x in parentheses and only `(x,)` is a tuple. So a `(` holding exactly one element and no
 * comma is grouping, not a dimension: `((1), (2))` is shape [2] and `([1, 2])` is shape [2].
 *
 * One pass from the paren asked about to its closer answers the question for every paren inside too, and the
 * answers are kept on the context: 250 nested parens around a long list cost one pass, not 250.
 */
function isGrouping(ctx: Ctx, open: number, end: number): boolean {
  const known = ctx.grouping.get(open);
  if (known !== undefined) return known;
  const { text } = ctx;
  // per open bracket: its position, the elements and separators seen at its own level
  const opens: number[] = [];
  const elements: number[] = [];
  const separated: boolean[] = [];
  let p = open;
  for (;;) {
    p = skipTrivia(text, p, end, false);
    if (p >= end) break;
    const c = text.charCodeAt(p);
    if (isOpen(c)) {
      if (opens.length > 0) elements[elements.length - 1]++;
      opens.push(p);
      elements.push(0);
      separated.push(false);
      p++;
    } else if (isClose(c)) {
      const at = opens.pop();
      const n = elements.pop() as number;
      const sep = separated.pop() as boolean;
      if (at === undefined || closerOf(text.charCodeAt(at)) !== c) break;
      if (text.charCodeAt(at) === LPAREN) ctx.grouping.set(at, n === 1 && !sep);
      if (opens.length === 0) break;
      p++;
    } else if (c === COMMA || c === SEMI) {
      if (opens.length > 0) separated[separated.length - 1] = true;
      p++;
    } else if (scanNumber(text, p, end, scratch)) {
      if (opens.length > 0) elements[elements.length - 1]++;
      p = scratch.end;
    } else {
      break;
    }
  }
  // a paren the pass could not finish (unclosed, or a token that is not a number) is no grouping
  for (const at of opens) if (text.charCodeAt(at) === LPAREN && !ctx.grouping.has(at)) ctx.grouping.set(at, false);
  const answer = ctx.grouping.get(open);
  if (answer === undefined) ctx.grouping.set(open, false);
  return answer ?? false;
}

/**
 * Recursive descent over nested lists. The shape is fixed by the first list to close at each depth (lists at one
 * depth close in source order, so that is the first one written) and by the depth of the first number (the rank);
 * everything after is checked against them as it closes, so a ragged row is reported where it is.
 */
class NestedParser {
  pos = 0;
  /** Depth at which numbers live, -1 until the first number. */
  rank = -1;
  /** Deepest list opened so far; a number at a depth where an (empty) list already was is a mix of the two. */
  maxListDepth = -1;
  readonly shape: Array<number | undefined> = [];
  /** How many lists have closed at each depth: the 1-based number of the row being checked. */
  readonly closedAt: number[] = [];
  /** path[d] = index of the current depth-d list inside its parent; for messages like `block [1][0]`. */
  readonly path: number[] = [0];
  readonly rows: SourceRange[] = [];
  sawParen = false;
  /** Counts grouping parens too, which do not add a dimension but do add a stack frame. */
  private frames = 0;
  private readonly tok: NumberToken = newToken();

  constructor(
    readonly ctx: Ctx,
    readonly end: number,
    readonly squareOnly: boolean,
    readonly sink: Sink,
  ) {}

  run(start: number): number {
    this.pos = start;
    const kind = this.element(0, -1);
    if (kind === 'scalar') {
      this.ctx.fail(start, 'scalar', 'a single number is not a matrix literal', 'write it in brackets, e.g. [5]');
    }
    if (this.sink.n === 0) {
      this.ctx.fail(
        start,
        'empty',
        'the literal has no numbers',
        'an empty list has no shape to show',
        undefined,
        this.pos,
      );
    }
    return this.pos;
  }

  shapeOut(): number[] {
    const out: number[] = [];
    for (let d = 0; d < this.rank; d++) out.push(this.shape[d] ?? 0);
    return out;
  }

  private element(depth: number, closer: number): 'list' | 'scalar' {
    const { text } = this.ctx;
    const c = text.charCodeAt(this.pos);
    if (c === LBRACK || (c === LPAREN && !this.squareOnly)) {
      if (++this.frames > 4 * MAX_DEPTH) {
        this.ctx.fail(
          this.pos,
          'depth',
          `more than ${4 * MAX_DEPTH} nested brackets`,
          'that is deeper than any tensor',
        );
      }
      let kind: 'list' | 'scalar' = 'list';
      if (c === LPAREN && isGrouping(this.ctx, this.pos, this.end)) {
        this.pos = skipTrivia(text, this.pos + 1, this.end, false);
        kind = this.element(depth, RPAREN);
        this.pos = skipTrivia(text, this.pos, this.end, false);
        if (text.charCodeAt(this.pos) !== RPAREN) {
          this.ctx.fail(
            this.pos,
            'syntax',
            `expected ')' but found ${this.ctx.found(this.pos, this.end)}`,
            undefined,
            "')'",
          );
        }
        this.pos++;
      } else {
        this.list(depth);
      }
      this.frames--;
      return kind;
    }
    this.number(depth, closer);
    return 'scalar';
  }

  private list(depth: number): void {
    const { ctx } = this;
    const { text } = ctx;
    const open = this.pos;
    const openCh = text[open];
    if (depth >= MAX_DEPTH)
      ctx.fail(open, 'depth', `more than ${MAX_DEPTH} levels of nesting`, 'that is deeper than any tensor');
    if (this.rank >= 0 && depth >= this.rank) {
      ctx.fail(
        open,
        'shape',
        `found '${openCh}' where a number was expected`,
        `the first entries make this a rank-${this.rank} literal, so every entry at this depth must be a number`,
        'a number',
      );
    }
    if (depth > this.maxListDepth) this.maxListDepth = depth;
    const closer = closerOf(text.charCodeAt(open));
    const closeCh = String.fromCharCode(closer);
    if (openCh === '(') this.sawParen = true;
    this.pos++;
    let count = 0;
    const unclosed = (): never =>
      ctx.failRaw(
        open,
        'syntax',
        `unclosed '${openCh}' opened at ${ctx.loc.where(open)}: expected '${closeCh}' before ${ctx.found(this.end, this.end)}`,
        `'${closeCh}'`,
        this.end,
      );
    for (;;) {
      this.pos = skipTrivia(text, this.pos, this.end, false);
      if (this.pos >= this.end) unclosed();
      if (text.charCodeAt(this.pos) === closer) break;
      this.path[depth + 1] = count;
      this.element(depth + 1, closer);
      count++;
      this.pos = skipTrivia(text, this.pos, this.end, false);
      if (this.pos >= this.end) unclosed();
      const c = text.charCodeAt(this.pos);
      if (c === COMMA) {
        this.pos++;
        continue;
      }
      if (c === closer) break;
      ctx.fail(
        this.pos,
        'syntax',
        `expected ',' or '${closeCh}' but found ${ctx.found(this.pos, this.end)}`,
        undefined,
        `',' or '${closeCh}'`,
      );
    }
    this.pos++;
    const closed = (this.closedAt[depth] ?? 0) + 1;
    this.closedAt[depth] = closed;
    const expected = this.shape[depth];
    if (expected === undefined) {
      this.shape[depth] = count;
    } else if (expected !== count) {
      this.ragged(depth, open, count, expected, closed);
    }
    if (this.rank >= 0 && depth === this.rank - 1) this.rows.push({ start: open, end: this.pos });
  }

  private ragged(depth: number, open: number, count: number, expected: number, closed: number): never {
    if (this.rank < 0 || depth === this.rank - 1) {
      this.ctx.fail(
        open,
        'shape',
        `row ${closed} has ${plural(count, 'element')} but row 1 has ${expected}`,
        'every row needs the same length',
      );
    }
    const unit = depth === this.rank - 2 ? 'row' : 'block';
    const here = this.path
      .slice(1, depth + 1)
      .map((i) => `[${i}]`)
      .join('');
    const first = '[0]'.repeat(depth);
    this.ctx.fail(
      open,
      'shape',
      `block ${here} has ${plural(count, unit)} but block ${first} has ${expected}`,
      'every block at the same depth needs the same shape',
    );
  }

  private number(depth: number, closer: number): void {
    const { ctx, tok } = this;
    const at = this.pos;
    if (!scanNumber(ctx.text, at, this.end, tok)) {
      const what = closer < 0 ? "'['" : `a number or '${String.fromCharCode(closer)}'`;
      ctx.fail(at, 'syntax', `expected ${what} but found ${ctx.found(at, this.end)}`, undefined, what);
    }
    if (this.rank < 0) {
      if (this.maxListDepth >= depth) {
        ctx.fail(
          at,
          'shape',
          `found the number ${ctx.text.slice(at, tok.end)} where a list was expected`,
          'an earlier entry at this depth is a list',
        );
      }
      this.rank = depth;
    } else if (depth !== this.rank) {
      ctx.fail(
        at,
        'shape',
        `found the number ${ctx.text.slice(at, tok.end)} where a list was expected`,
        `the first entries make this a rank-${this.rank} literal, so every entry at this depth must be a list`,
        'a list',
      );
    }
    this.sink.pushToken(tok, at);
    this.pos = tok.end;
  }
}

/** Result of one bracket grammar, before a wrapper or the caller decides the final format label. */
export interface BracketParse {
  literal: ParsedLiteral;
  /** Index just after the closing bracket. */
  end: number;
}

function nested(ctx: Ctx, start: number, end: number, squareOnly: boolean): BracketParse {
  const sink = new Sink(ctx);
  const parser = new NestedParser(ctx, end, squareOnly, sink);
  const stop = parser.run(start);
  const shape = parser.shapeOut();
  checkCount(ctx, start, shape, sink.n);
  // Tuples, True/False, np.nan, float('nan') say Python; true/false/Infinity say JavaScript; the rest could be
  // either and is called python, the notation this extension's users write most.
  const format: LiteralFormat = squareOnly || (sink.js && !sink.python && !parser.sawParen) ? 'json' : 'python';
  return {
    end: stop,
    literal: {
      format,
      shape,
      tensor: { shape: [...shape], data: sink.take() },
      range: { start, end: stop },
      valuesRange: { start, end: stop },
      rows: parser.rows,
      dtype: sink.dtype(),
      notes: [],
    },
  };
}

function checkCount(ctx: Ctx, at: number, shape: number[], n: number): void {
  let size = 1;
  for (const d of shape) size *= d;
  if (size !== n) ctx.fail(at, 'shape', `read ${n} numbers but the shape [${shape.join(', ')}] needs ${size}`);
}

/**
 * MATLAB / Octave / Julia: `[1 2; 3 4]`, `[1, 2; 3, 4]`, rows on separate lines, `...` continuation. Elements are
 * separated by commas or whitespace, rows by `;` or line breaks; empty rows (a line break right after `;`) are
 * skipped. The result is always 2-D, as in MATLAB: `[1 2 3]` is [1, 3] and `[1; 2; 3]` is [3, 1].
 */
function matlab(ctx: Ctx, start: number, end: number): BracketParse {
  const { text } = ctx;
  const sink = new Sink(ctx);
  const tok = newToken();
  const rows: SourceRange[] = [];
  let cols = -1;
  let inRow = 0;
  let rowStart = -1;
  let rowEnd = -1;
  let lastComma = false;
  let p = start + 1;
  const endRow = (): void => {
    if (inRow === 0) return;
    if (cols < 0) cols = inRow;
    else if (inRow !== cols) {
      ctx.fail(
        rowStart,
        'shape',
        `row ${rows.length + 1} has ${plural(inRow, 'element')} but row 1 has ${cols}`,
        'every row needs the same length',
      );
    }
    rows.push({ start: rowStart, end: rowEnd });
    inRow = 0;
    lastComma = false;
  };
  for (;;) {
    p = skipTrivia(text, p, end, true);
    if (p >= end) {
      ctx.failRaw(
        start,
        'syntax',
        `unclosed '[' opened at ${ctx.loc.where(start)}: expected ']' before the end of the text`,
        "']'",
        end,
      );
    }
    const c = text.charCodeAt(p);
    if (c === RBRACK) {
      endRow();
      p++;
      break;
    }
    if (c === SEMI) {
      if (text.charCodeAt(p + 1) === SEMI) {
        ctx.fail(
          p,
          'syntax',
          "Julia's ';;' (concatenation along higher dimensions) is not supported",
          'write the tensor as nested lists instead',
        );
      }
      endRow();
      p++;
      continue;
    }
    if (c === NL) {
      endRow();
      p++;
      continue;
    }
    if (c === COMMA) {
      if (inRow === 0 || lastComma) ctx.fail(p, 'syntax', "expected a number but found ','", undefined, 'a number');
      lastComma = true;
      p++;
      continue;
    }
    if (isOpen(c)) {
      ctx.fail(
        p,
        'syntax',
        `found '${text[p]}' inside a MATLAB-style matrix`,
        'nested brackets are only supported in Python/JSON-style lists ([[1, 2], [3, 4]])',
      );
    }
    if (!scanNumber(text, p, end, tok)) {
      ctx.fail(
        p,
        'syntax',
        `expected a number, ',', ';' or ']' but found ${ctx.found(p, end)}`,
        undefined,
        "a number, ',', ';' or ']'",
      );
    }
    const after = tok.end < end ? text.charCodeAt(tok.end) : -1;
    const separated =
      after === -1 ||
      isSpace(after) ||
      after === NL ||
      after === COMMA ||
      after === SEMI ||
      after === RBRACK ||
      after === HASH ||
      after === PERCENT ||
      (after === SLASH && text.charCodeAt(tok.end + 1) === SLASH) ||
      (after === DOT && text.charCodeAt(tok.end + 1) === DOT);
    if (!separated) {
      ctx.fail(
        tok.end,
        'syntax',
        `expected a space, ',', ';' or ']' after ${text.slice(p, tok.end)} but found ${ctx.found(tok.end, end)}`,
      );
    }
    if (inRow === 0) rowStart = p;
    rowEnd = tok.end;
    inRow++;
    lastComma = false;
    sink.pushToken(tok, p);
    p = tok.end;
  }
  if (rows.length === 0)
    ctx.fail(start, 'empty', 'the literal has no numbers', 'an empty matrix has no shape to show', undefined, p);
  const shape = [rows.length, cols];
  checkCount(ctx, start, shape, sink.n);
  return {
    end: p,
    literal: {
      format: 'matlab',
      shape,
      tensor: { shape: [...shape], data: sink.take() },
      range: { start, end: p },
      valuesRange: { start, end: p },
      rows,
      dtype: sink.dtype(),
      notes: [],
    },
  };
}

export type BracketMode = 'auto' | 'nested' | 'json' | 'matlab';

/**
 * Parses the bracketed literal whose opening bracket is at `start`. In `auto` mode the nested grammar runs first;
 * if it fails on a `[` literal the MATLAB grammar gets a try, and when both fail the error from the grammar that got
 * further is the one reported: `[1 2; 3 x]` complains about `x`, `[[1, 2], [3, x]]` too.
 */
export function parseBracket(ctx: Ctx, start: number, end: number, mode: BracketMode): BracketParse {
  if (mode === 'matlab') {
    if (ctx.text.charCodeAt(start) !== LBRACK)
      ctx.fail(start, 'syntax', `expected '[' but found ${ctx.found(start, end)}`, undefined, "'['");
    return matlab(ctx, start, end);
  }
  if (mode === 'json') {
    if (ctx.text.charCodeAt(start) !== LBRACK)
      ctx.fail(start, 'syntax', `expected '[' but found ${ctx.found(start, end)}`, undefined, "'['");
    return nested(ctx, start, end, true);
  }
  if (mode === 'nested' || ctx.text.charCodeAt(start) !== LBRACK) return nested(ctx, start, end, false);
  try {
    return nested(ctx, start, end, false);
  } catch (first) {
    if (!(first instanceof ParseFail) || first.kind === 'limit' || first.kind === 'empty') throw first;
    try {
      return matlab(ctx, start, end);
    } catch (second) {
      if (!(second instanceof ParseFail)) throw second;
      throw second.progress > first.progress ? second : first;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Array constructors

const WRAPPERS: ReadonlyMap<string, LiteralFormat> = new Map<string, LiteralFormat>([
  ...['np', 'numpy', 'jnp', 'jax.numpy', 'cp', 'cupy'].flatMap((m) =>
    ['array', 'asarray', 'asanyarray', 'ascontiguousarray'].map(
      (f) => [`${m}.${f}`, 'numpy'] as [string, LiteralFormat],
    ),
  ),
  ...[
    'tensor',
    'Tensor',
    'as_tensor',
    'asarray',
    'FloatTensor',
    'DoubleTensor',
    'HalfTensor',
    'LongTensor',
    'IntTensor',
    'BoolTensor',
    'ByteTensor',
  ].map((f) => [`torch.${f}`, 'torch'] as [string, LiteralFormat]),
  ...['constant', 'convert_to_tensor', 'Variable'].map((f) => [`tf.${f}`, 'tensorflow'] as [string, LiteralFormat]),
]);

/** The format a known array constructor implies, or undefined for any other name. */
export function wrapperFormat(name: string): LiteralFormat | undefined {
  return WRAPPERS.get(name);
}

/** A dotted name `a.b.c` starting at `p`; returns its end (p itself when there is none). */
export function dottedNameEnd(text: string, p: number, end: number): number {
  let q = p;
  if (q >= end || !isIdentStart(text.charCodeAt(q))) return p;
  while (q < end) {
    const c = text.charCodeAt(q);
    if (isIdentPart(c)) q++;
    else if (c === DOT && q + 1 < end && isIdentStart(text.charCodeAt(q + 1))) q++;
    else break;
  }
  return q;
}

/**
 * From just after a call's `(` (or a `,` inside it) to its closing `)`: returns that index, or -1. Skips strings
 * and balanced brackets so that `dtype=torch.float64, device="cuda:0", names=("a", ")")` is passed over whole.
 */
export function skipCallRest(text: string, p: number, end: number): number {
  let depth = 0;
  while (p < end) {
    const c = text.charCodeAt(p);
    if (c === QUOTE || c === DQUOTE) {
      p++;
      while (p < end && text.charCodeAt(p) !== c) {
        const d = text.charCodeAt(p);
        if (d === NL) return -1;
        p += d === BACKSLASH ? 2 : 1;
      }
      if (p >= end) return -1;
      p++;
      continue;
    }
    if (c === HASH) {
      p = lineEnd(text, p, end);
      continue;
    }
    if (c === LPAREN || c === LBRACK || c === LBRACE) depth++;
    else if (c === RPAREN || c === RBRACK || c === RBRACE) {
      if (depth === 0) return c === RPAREN ? p : -1;
      depth--;
    }
    p++;
  }
  return -1;
}

/**
 * `np.array([[1, 2]], dtype=np.float32)` with `start` at the name. The first argument must be a bracketed literal
 * (Python grammar only: MATLAB matrices do not appear inside Python calls); anything after it up to the closing
 * `)` is skipped, and a `dtype=` there is mentioned in the notes since it can differ from what the numbers say.
 */
export function parseWrapper(ctx: Ctx, start: number, end: number): BracketParse {
  const { text } = ctx;
  const nameEnd = dottedNameEnd(text, start, end);
  const name = text.slice(start, nameEnd);
  const format = wrapperFormat(name);
  if (!format) {
    ctx.fail(
      start,
      'notLiteral',
      `'${name}(' is not an array constructor`,
      'expected a bracketed literal or a call like np.array([...]), torch.tensor([...]) or tf.constant([...])',
    );
  }
  let p = skipTrivia(text, nameEnd, end, false);
  if (text.charCodeAt(p) !== LPAREN)
    ctx.fail(p, 'notLiteral', `expected '(' after ${name} but found ${ctx.found(p, end)}`, undefined, "'('");
  const call = p;
  p = skipTrivia(text, p + 1, end, false);
  if (!isOpen(text.charCodeAt(p))) {
    ctx.fail(
      p,
      'notLiteral',
      `expected a list literal as the first argument of ${name}( but found ${ctx.found(p, end)}`,
      undefined,
      "'['",
    );
  }
  const inner = parseBracket(ctx, p, end, 'nested');
  p = skipTrivia(text, inner.end, end, false);
  const notes: string[] = [];
  let close: number;
  if (p >= end) {
    ctx.failRaw(
      call,
      'syntax',
      `unclosed '(' of ${name}( opened at ${ctx.loc.where(call)}: expected ')' before the end of the text`,
      "')'",
      end,
    );
  }
  if (text.charCodeAt(p) === RPAREN) {
    close = p;
  } else if (text.charCodeAt(p) === COMMA) {
    close = skipCallRest(text, p + 1, end);
    if (close < 0) {
      ctx.failRaw(
        call,
        'syntax',
        `unclosed '(' of ${name}( opened at ${ctx.loc.where(call)}: expected ')' before the end of the text`,
        "')'",
      );
    }
    const args = text.slice(p + 1, close);
    const dtype = /\bdtype\s*=\s*([\w.]+)/.exec(args.length > 2000 ? args.slice(0, 2000) : args);
    if (dtype) notes.push(`the call sets dtype=${dtype[1]}; dtype here says how the numbers were written`);
  } else {
    ctx.fail(
      p,
      'syntax',
      `expected ',' or ')' after the literal but found ${ctx.found(p, end)}`,
      undefined,
      "',' or ')'",
    );
  }
  const literal = inner.literal;
  literal.format = format;
  literal.wrapper = name;
  literal.range = { start, end: close + 1 };
  literal.notes.push(...notes);
  return { literal, end: close + 1 };
}
