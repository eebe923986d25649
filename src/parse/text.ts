/**
 * Character classes, the lazy offset → line/column index, and the internal failure that every parser throws.
 * Nothing here allocates per character: the parsers walk the text with charCodeAt and indices.
 */

export const NL = 0x0a;
export const CR = 0x0d;
export const TAB = 0x09;
export const SPACE = 0x20;
export const HASH = 0x23;
export const PERCENT = 0x25;
export const AMP = 0x26;
export const QUOTE = 0x27;
export const DQUOTE = 0x22;
export const LPAREN = 0x28;
export const RPAREN = 0x29;
export const PLUS = 0x2b;
export const COMMA = 0x2c;
export const MINUS = 0x2d;
export const DOT = 0x2e;
export const SLASH = 0x2f;
export const SEMI = 0x3b;
export const EQUALS = 0x3d;
export const LBRACK = 0x5b;
export const BACKSLASH = 0x5c;
export const RBRACK = 0x5d;
export const UNDERSCORE = 0x5f;
export const LBRACE = 0x7b;
export const PIPE = 0x7c;
export const RBRACE = 0x7d;
/** U+2212 MINUS SIGN, which Julia output and typeset LaTeX use. */
export const UMINUS = 0x2212;

export const MAX_DEPTH = 64;

/** Horizontal whitespace; the line break is handled separately because MATLAB rows and grids need it. */
export function isSpace(c: number): boolean {
  return c === SPACE || c === TAB || c === CR || c === 0x0b || c === 0x0c || c === 0xa0 || c === 0xfeff;
}

export function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export function isIdentStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === UNDERSCORE;
}

export function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

export function isOpen(c: number): boolean {
  return c === LBRACK || c === LPAREN;
}

export function isClose(c: number): boolean {
  return c === RBRACK || c === RPAREN;
}

export function closerOf(c: number): number {
  return c === LBRACK ? RBRACK : RPAREN;
}

/**
 * Index of the next line break at or after `p`, or `end`. String#indexOf (native, much faster on a long line)
 * when what it may read past `end` is no more than the range itself; a manual loop otherwise, so that a
 * search in a small window of a huge text never runs to the end of the text.
 */
export function lineEnd(text: string, p: number, end: number): number {
  if (end - p > 256 && text.length - end <= end - p) {
    const i = text.indexOf('\n', p);
    return i < 0 || i > end ? end : i;
  }
  while (p < end && text.charCodeAt(p) !== NL) p++;
  return p;
}

/** Index just after the previous line break before `p`, or `lo`. */
export function lineStart(text: string, p: number, lo: number): number {
  while (p > lo && text.charCodeAt(p - 1) !== NL) p--;
  return p;
}

/** True when only horizontal whitespace separates `p` from the start of its line. */
function onlySpaceBefore(text: string, p: number): boolean {
  for (let i = p - 1; i >= 0; i--) {
    const c = text.charCodeAt(i);
    if (c === NL) return true;
    if (!isSpace(c)) return false;
  }
  return true;
}

/**
 * Skips whitespace and comments inside a bracketed literal. Comments are `#` (Python, Julia, Octave), `%` (MATLAB)
 * and `//` (JavaScript), each to the end of the line. `...` is MATLAB's line continuation (the rest of the line
 * and the line break are ignored) unless it starts the line, where it is a doctest prompt (`...     [3, 4]])`).
 * With `stopAtNewline` a line break is returned to the caller (MATLAB rows); a continuation still swallows it.
 */
export function skipTrivia(text: string, p: number, end: number, stopAtNewline: boolean): number {
  while (p < end) {
    const c = text.charCodeAt(p);
    if (isSpace(c)) {
      p++;
    } else if (c === NL) {
      if (stopAtNewline) return p;
      p++;
    } else if (c === HASH || c === PERCENT || (c === SLASH && text.charCodeAt(p + 1) === SLASH)) {
      p = lineEnd(text, p, end);
    } else if (c === DOT && text.charCodeAt(p + 1) === DOT && text.charCodeAt(p + 2) === DOT) {
      if (onlySpaceBefore(text, p)) {
        p += 3;
      } else {
        const nl = lineEnd(text, p, end);
        p = nl < end ? nl + 1 : end;
      }
    } else {
      return p;
    }
  }
  return p;
}

/** Skips horizontal whitespace and line breaks only. */
export function skipSpace(text: string, p: number, end: number): number {
  while (p < end) {
    const c = text.charCodeAt(p);
    if (!isSpace(c) && c !== NL) break;
    p++;
  }
  return p;
}

/** `'x'`, or `"it's"` when the text holds a single quote. */
export function quoted(s: string): string {
  return s.includes("'") ? `"${s}"` : `'${s}'`;
}

const STOP_CHARS = new Set([COMMA, SEMI, LBRACK, RBRACK, LPAREN, RPAREN, LBRACE, RBRACE, PIPE, AMP]);

/** How an error names the text it tripped on: `'x'`, `'foo'`, `a line break`, `the end of the text`. */
export function describeFound(text: string, p: number, end: number): string {
  if (p >= end) return 'the end of the text';
  const c = text.charCodeAt(p);
  if (c === NL) return 'a line break';
  if (STOP_CHARS.has(c)) return quoted(text[p]);
  let q = p;
  while (q < end && q - p < 20) {
    const d = text.charCodeAt(q);
    if (isSpace(d) || d === NL || STOP_CHARS.has(d)) break;
    q++;
  }
  const more = q < end && q - p >= 20 && !isSpace(text.charCodeAt(q)) && text.charCodeAt(q) !== NL;
  return quoted(`${text.slice(p, q)}${more ? '…' : ''}`);
}

/**
 * Offset → 0-based line/column. Line starts are collected lazily and only as far as an asked-for offset, so a
 * parse that never fails never scans for line breaks, and findLiteralAt pays for them only on its error path.
 */
export class Locator {
  private readonly starts: number[] = [0];
  private scanned = 0;

  constructor(private readonly text: string) {}

  at(offset: number): { line: number; column: number } {
    const o = Math.max(0, Math.min(offset, this.text.length));
    while (this.scanned < o) {
      if (this.text.charCodeAt(this.scanned) === NL) this.starts.push(this.scanned + 1);
      this.scanned++;
    }
    // Largest line start <= o: starts beyond `scanned` do not exist yet, so the search stays in the known prefix.
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, column: o - this.starts[lo] };
  }

  /** `line 3, column 7`, 1-based, for messages. */
  where(offset: number): string {
    const { line, column } = this.at(offset);
    return `line ${line + 1}, column ${column + 1}`;
  }
}

/**
 * Why a parse stopped. The kind lets findLiteralAt tell "this is not a literal at all" (empty, a lone number, a
 * table of words) from "this is a literal with a mistake in it" (ragged, a stray token), which it reports.
 */
export type FailKind =
  | 'syntax'
  | 'shape'
  | 'empty'
  | 'scalar'
  | 'limit'
  | 'nonNumeric'
  | 'notLiteral'
  /** brackets nested past the parser's frame limit: an inner candidate may still be read */
  | 'depth'
  /** the literal around the cursor goes on past the text the finder may read */
  | 'window';

/**
 * A parse failure, thrown and caught as the parsers backtrack (Python list, then MATLAB, …): a plain object,
 * not an Error, so backtracking does not capture a stack trace each time. It never leaves src/parse/.
 */
export class ParseFail {
  constructor(
    readonly offset: number,
    readonly message: string,
    readonly kind: FailKind,
    readonly expected?: string,
    /** How far the parser got; differs from `offset` for an unclosed bracket, reported where it opened. */
    readonly progress: number = offset,
  ) {}
}

/** Per-call state shared by the parsers: the text, its locator and the element limit. */
export class Ctx {
  readonly loc: Locator;
  /**
   * findLiteralAt's window [lo, hi) and whether each edge cuts text off (an edge inside the text, or the edge
   * of a text that is itself a slice of a document). A finder that runs into a cutting edge while the
   * literal may go on calls `reached`, and the find is retried with a larger window: never a fragment.
   */
  cutLow = false;
  cutHigh = false;
  truncatedLow = false;
  truncatedHigh = false;
  /** which parens hold a single element and no separator (grouping, not a tuple): filled once per text */
  readonly grouping = new Map<number, boolean>();

  constructor(
    readonly text: string,
    readonly maxElements: number,
  ) {
    this.loc = new Locator(text);
  }

  /** A finder reached the window's low or high edge while what it was reading may go on. */
  reached(side: 'low' | 'high'): void {
    if (side === 'low' && this.cutLow) this.truncatedLow = true;
    if (side === 'high' && this.cutHigh) this.truncatedHigh = true;
  }

  get truncated(): boolean {
    return this.truncatedLow || this.truncatedHigh;
  }

  /** Throws `what (line L, column C): why`. */
  fail(offset: number, kind: FailKind, what: string, why?: string, expected?: string, progress?: number): never {
    throw new ParseFail(
      offset,
      `${what} (${this.loc.where(offset)})${why ? `: ${why}` : ''}`,
      kind,
      expected,
      progress ?? offset,
    );
  }

  /** Throws a message that already says where. */
  failRaw(offset: number, kind: FailKind, message: string, expected?: string, progress?: number): never {
    throw new ParseFail(offset, message, kind, expected, progress ?? offset);
  }

  found(p: number, end: number): string {
    return describeFound(this.text, p, end);
  }
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** First index of character code `c` in `[a, b)`, or -1; reads past `b` only as lineEnd does (at most b − a more). */
export function indexIn(text: string, c: number, a: number, b: number): number {
  if (b - a > 256 && text.length - b <= b - a) {
    const i = text.indexOf(String.fromCharCode(c), a);
    return i < 0 || i >= b ? -1 : i;
  }
  for (let p = a; p < b; p++) if (text.charCodeAt(p) === c) return p;
  return -1;
}
