/** parseLiteral: the whole text (a selection) is one literal; the notation is detected unless given. */
import type { LiteralFormat, ParseError, ParseOptions, ParseResult, ParsedLiteral } from './types';
import { DEFAULT_MAX_ELEMENTS } from './types';
import { BracketMode, dottedNameEnd, parseBracket, parseWrapper } from './brackets';
import { isMatrixEnvironment, parseLatex, readBegin } from './latex';
import { LineFormat, isSeparatorRow, parseLines, splitCells } from './lines';
import {
  BACKSLASH,
  COMMA,
  Ctx,
  PIPE,
  indexIn,
  LPAREN,
  NL,
  ParseFail,
  SEMI,
  isIdentStart,
  isOpen,
  isSpace,
  lineEnd,
  skipSpace,
  skipTrivia,
} from './text';

export function makeCtx(text: string, maxElements: number | undefined): Ctx {
  const max =
    maxElements !== undefined && Number.isFinite(maxElements) && maxElements >= 1
      ? Math.floor(maxElements)
      : DEFAULT_MAX_ELEMENTS;
  return new Ctx(text, max);
}

/** Turns whatever a parser threw into a result; anything that is not a ParseFail is a bug, reported, not thrown. */
export function failure(ctx: Ctx | null, e: unknown): { ok: false; error: ParseError } {
  if (e instanceof ParseFail) {
    const { line, column } = ctx ? ctx.loc.at(e.offset) : { line: 0, column: 0 };
    const error: ParseError = { message: e.message, offset: e.offset, line, column };
    if (e.expected !== undefined) error.expected = e.expected;
    if (e.kind === 'limit') error.limit = 'elements';
    if (e.kind === 'window') error.limit = 'window';
    return { ok: false, error };
  }
  const detail = e instanceof Error ? e.message : String(e);
  return {
    ok: false,
    error: { message: `internal error while reading the literal: ${detail}`, offset: 0, line: 0, column: 0 },
  };
}

export function parseLiteral(text: string, options: ParseOptions = {}): ParseResult {
  let ctx: Ctx | null = null;
  try {
    if (typeof text !== 'string')
      return failure(null, new ParseFail(0, 'the text to parse must be a string', 'syntax'));
    ctx = makeCtx(text, options.maxElements);
    return { ok: true, literal: parseWhole(ctx, options.format) };
  } catch (e) {
    return failure(ctx, e);
  }
}

const PYTHON_FAMILY = new Set<LiteralFormat>(['python', 'numpy', 'torch', 'tensorflow']);

/**
 * `x = `, `x: np.ndarray = `, `const x = `, `A := ` before a literal, so a selected assignment line works. Only the
 * first 200 characters are looked at and the pattern has no nested repetition, so it cannot backtrack badly.
 */
function skipAssignment(text: string, s: number, e: number): number {
  const head = text.slice(s, Math.min(e, s + 200));
  const m = /^(?:(?:const|let|var|local|global)\s+)?[A-Za-z_][\w.]*\s*(?::[^=\n]{0,80})?(?::=|=(?!=)|<-)\s*/.exec(head);
  if (!m) return s;
  const p = s + m[0].length;
  const c = text.charCodeAt(p);
  return isOpen(c) || isIdentStart(c) || c === BACKSLASH ? p : s;
}

function parseWhole(ctx: Ctx, format: LiteralFormat | undefined): ParsedLiteral {
  const { text } = ctx;
  let s = skipSpace(text, 0, text.length);
  let e = text.length;
  while (e > s && (isSpace(text.charCodeAt(e - 1)) || text.charCodeAt(e - 1) === NL)) e--;
  if (s >= e) ctx.fail(0, 'empty', 'the selection is empty', 'select a matrix literal');

  if (format === 'latex' || (format === undefined && text.indexOf('\\begin{', s) >= 0)) return wholeLatex(ctx, s, e);
  if (format === 'grid' || format === 'csv' || format === 'markdown') return parseLines(ctx, s, e, format);

  const afterName = skipAssignment(text, s, e);
  const c = text.charCodeAt(afterName);
  if (isOpen(c) || (isIdentStart(c) && isCall(text, afterName, e))) {
    s = afterName;
    const mode: BracketMode = format === 'json' ? 'json' : format === 'matlab' ? 'matlab' : format ? 'nested' : 'auto';
    let literal: ParsedLiteral;
    let end: number;
    if (isIdentStart(c)) {
      if (format === 'json' || format === 'matlab')
        ctx.fail(s, 'syntax', `expected '[' but found ${ctx.found(s, e)}`, undefined, "'['");
      ({ literal, end } = parseWrapper(ctx, s, e));
    } else {
      ({ literal, end } = parseBracket(ctx, s, e, mode));
    }
    let p = skipTrivia(text, end, e, false);
    if (p < e && text.charCodeAt(p) === SEMI) p = skipTrivia(text, p + 1, e, false);
    if (p < e) {
      const transpose = text[p] === "'" || text.startsWith(".'", p);
      ctx.fail(
        p,
        'syntax',
        `unexpected ${ctx.found(p, e)} after the literal`,
        transpose ? "transposes are not supported; write the matrix with ';' between rows" : 'select just one literal',
      );
    }
    if (format && (PYTHON_FAMILY.has(format) || format === 'json' || format === 'matlab')) literal.format = format;
    return literal;
  }
  if (format !== undefined) {
    const what = format === 'matlab' || format === 'json' ? "'['" : "'[' or an array constructor like np.array(";
    ctx.fail(s, 'syntax', `expected ${what} but found ${ctx.found(s, e)}`, undefined, what);
  }
  return parseLines(ctx, s, e, detectLineFormat(text, s, e));
}

function isCall(text: string, p: number, end: number): boolean {
  const q = skipSpace(text, dottedNameEnd(text, p, end), end);
  return q < end && text.charCodeAt(q) === LPAREN;
}

/** Markdown if the first row starts with `|` or some row is a `|---|` separator; CSV if any row has a comma. */
export function detectLineFormat(text: string, s: number, e: number): LineFormat {
  let sawComma = false;
  const cells: number[] = [];
  let firstRow = true;
  let p = s;
  while (p < e) {
    const le = lineEnd(text, p, e);
    let a = p;
    let b = le;
    while (a < b && isSpace(text.charCodeAt(a))) a++;
    while (b > a && isSpace(text.charCodeAt(b - 1))) b--;
    if (a < b) {
      if (firstRow && text[a] === '|') return 'markdown';
      firstRow = false;
      if (indexIn(text, PIPE, a, b) >= 0) {
        splitCells(text, a, b, 'markdown', cells, 4096);
        if (isSeparatorRow(text, cells)) return 'markdown';
      }
      if (!sawComma) sawComma = indexIn(text, COMMA, a, b) >= 0;
    }
    p = le + 1;
  }
  return sawComma ? 'csv' : 'grid';
}

/** One matrix environment; text around it (`$$`, `A =`, `\left[`) is ignored, a second environment is not. */
function wholeLatex(ctx: Ctx, s: number, e: number): ParsedLiteral {
  const { text } = ctx;
  let p = text.indexOf('\\begin{', s);
  if (p < 0 || p >= e)
    ctx.fail(s, 'syntax', `expected \\begin{bmatrix} but found ${ctx.found(s, e)}`, undefined, '\\begin{…}');
  // Skip outer non-matrix environments such as \begin{equation}.
  for (;;) {
    const b = readBegin(text, p, e);
    if (!b || isMatrixEnvironment(b.name)) break;
    const next = text.indexOf('\\begin{', p + 1);
    if (next < 0 || next >= e) break;
    p = next;
  }
  const { literal, end } = parseLatex(ctx, p, e);
  let q = text.indexOf('\\begin{', end);
  while (q >= 0 && q < e) {
    const b = readBegin(text, q, e);
    if (b && isMatrixEnvironment(b.name))
      ctx.fail(q, 'syntax', 'found a second matrix environment', 'select just one literal');
    q = text.indexOf('\\begin{', q + 1);
  }
  return literal;
}
