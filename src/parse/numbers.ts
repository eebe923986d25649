import {
  Ctx,
  DOT,
  DQUOTE,
  LPAREN,
  MINUS,
  PLUS,
  QUOTE,
  RPAREN,
  UMINUS,
  UNDERSCORE,
  isDigit,
  isIdentPart,
  isIdentStart,
  isSpace,
} from './text';

export const INT = 0;
export const FLOAT = 1;
export const BOOL = 2;
export type NumberKind = typeof INT | typeof FLOAT | typeof BOOL;

/** Hints about the language a number was written in, so `[True, 1]` reads as Python and `[true, 1]` as JSON. */
export const NO_FLAVOR = 0;
export const PY_FLAVOR = 1;
export const JS_FLAVOR = 2;

/** scanNumber's result. One object is reused per parse so that a million numbers allocate nothing. */
export interface NumberToken {
  value: number;
  end: number;
  kind: NumberKind;
  flavor: number;
}

export function newToken(): NumberToken {
  return { value: 0, end: 0, kind: INT, flavor: NO_FLAVOR };
}

/** Module prefixes under which `nan` / `inf` are constants: `np.nan`, `math.inf`, `torch.inf`. */
const CONSTANT_PREFIXES = new Set(['', 'np', 'numpy', 'math', 'torch', 'jnp', 'cmath', 'Number']);

const MAX_WORD = 48;

/**
 * Reads one number starting exactly at `start` and stops before `end`. Accepts integers, decimals (`1.`, `.5`),
 * exponents, a leading `+`, `-` or U+2212, `_` between digits, `nan`/`inf`/`infinity` in any case with an optional
 * module prefix, `float('nan')`, `True`/`False`/`true`/`false`, and JavaScript's `Number.NaN`/`Number.POSITIVE_INFINITY`.
 * Returns false (leaving `out` undefined) when the text there is not a complete number: `1x`, `3j` and `1.5.2` fail
 * as a whole rather than reading the leading digits, so `[1x]` is reported as a bad token, not a missing comma.
 */
export function scanNumber(text: string, start: number, end: number, out: NumberToken, allowCall = true): boolean {
  const at = (i: number): number => (i < end ? text.charCodeAt(i) : -1);
  let p = start;
  let c = at(p);
  let negative = false;
  let signed = false;
  if (c === PLUS || c === MINUS || c === UMINUS) {
    negative = c !== PLUS;
    signed = true;
    p++;
    c = at(p);
  }
  if (isDigit(c) || (c === DOT && isDigit(at(p + 1)))) {
    const digitsStart = p;
    let isFloat = false;
    let underscores = false;
    // `_` is a digit separator only between two digits (Python, Julia): `1_000` yes, `1_` / `_1` no.
    for (;;) {
      const d = at(p);
      if (isDigit(d)) p++;
      else if (d === UNDERSCORE && p > digitsStart && isDigit(at(p - 1)) && isDigit(at(p + 1))) {
        underscores = true;
        p++;
      } else break;
    }
    // A `.` followed by `..` is MATLAB's continuation (`[1 2...`), not a decimal point.
    if (at(p) === DOT && !(at(p + 1) === DOT && at(p + 2) === DOT)) {
      isFloat = true;
      p++;
      for (;;) {
        const d = at(p);
        if (isDigit(d)) p++;
        else if (d === UNDERSCORE && isDigit(at(p - 1)) && isDigit(at(p + 1))) {
          underscores = true;
          p++;
        } else break;
      }
    }
    const e = at(p);
    if (e === 0x65 || e === 0x45) {
      let q = p + 1;
      const s = at(q);
      if (s === PLUS || s === MINUS) q++;
      // Only an exponent with digits counts; `1e` is left for the boundary check below to reject.
      if (isDigit(at(q))) {
        while (isDigit(at(q))) q++;
        p = q;
        isFloat = true;
      }
    }
    const next = at(p);
    if (isIdentPart(next)) return false;
    if (next === DOT && !(at(p + 1) === DOT && at(p + 2) === DOT)) return false;
    let literal = text.slice(digitsStart, p);
    if (underscores) literal = literal.replace(/_/g, '');
    const magnitude = Number(literal);
    if (Number.isNaN(magnitude)) return false;
    // An integer written `-0` is 0 in every language here; only a float keeps the sign of zero.
    out.value = negative ? (isFloat ? -magnitude : 0 - magnitude) : magnitude;
    out.end = p;
    out.kind = isFloat ? FLOAT : INT;
    out.flavor = NO_FLAVOR;
    return true;
  }
  if (!isIdentStart(c)) return false;
  // A dotted name: `nan`, `np.inf`, `math.nan`, `True`, `float` (followed by a call).
  const wordStart = p;
  while (isIdentPart(at(p)) || (at(p) === DOT && isIdentStart(at(p + 1)))) {
    p++;
    if (p - wordStart > MAX_WORD) return false;
  }
  const word = text.slice(wordStart, p);
  if (word === 'float' && allowCall) return scanFloatCall(text, p, end, out, negative);
  const dot = word.lastIndexOf('.');
  const prefix = dot < 0 ? '' : word.slice(0, dot);
  const name = dot < 0 ? word : word.slice(dot + 1);
  if (!CONSTANT_PREFIXES.has(prefix)) return false;
  const lower = name.toLowerCase();
  let value: number;
  let kind: NumberKind = FLOAT;
  let flavor = prefix === '' ? NO_FLAVOR : prefix === 'Number' ? JS_FLAVOR : PY_FLAVOR;
  if (prefix === 'Number') {
    if (name === 'NaN') value = NaN;
    else if (name === 'POSITIVE_INFINITY') value = Infinity;
    else if (name === 'NEGATIVE_INFINITY') value = -Infinity;
    else return false;
  } else if (lower === 'nan') {
    value = NaN;
  } else if (lower === 'inf' || lower === 'infinity') {
    value = Infinity;
    if (name === 'Infinity' && prefix === '') flavor = JS_FLAVOR;
  } else if ((prefix === 'np' || prefix === 'numpy') && (name === 'PINF' || name === 'NINF')) {
    value = name === 'PINF' ? Infinity : -Infinity;
  } else if (prefix === '' && !signed && (name === 'True' || name === 'False')) {
    value = name === 'True' ? 1 : 0;
    kind = BOOL;
    flavor = PY_FLAVOR;
  } else if (prefix === '' && !signed && (name === 'true' || name === 'false')) {
    value = name === 'true' ? 1 : 0;
    kind = BOOL;
    flavor = JS_FLAVOR;
  } else {
    return false;
  }
  out.value = negative ? -value : value;
  out.end = p;
  out.kind = kind;
  out.flavor = flavor;
  return true;
}

/** `float('nan')`, `float("-inf")`, `float('1e-3')`, `float(2)`, with `p` just after the word `float`. */
function scanFloatCall(text: string, p: number, end: number, out: NumberToken, negative: boolean): boolean {
  const at = (i: number): number => (i < end ? text.charCodeAt(i) : -1);
  while (isSpace(at(p))) p++;
  if (at(p) !== LPAREN) return false;
  p++;
  while (isSpace(at(p))) p++;
  const quote = at(p);
  if (quote === QUOTE || quote === DQUOTE) {
    const innerStart = p + 1;
    let q = innerStart;
    // The string is short ('-infinity' is the longest spelling); a limit keeps a stray quote from scanning on.
    while (q < end && q - innerStart < 40 && at(q) !== quote && at(q) !== 0x0a) q++;
    if (at(q) !== quote) return false;
    let a = innerStart;
    let b = q;
    while (a < b && isSpace(text.charCodeAt(a))) a++;
    while (b > a && isSpace(text.charCodeAt(b - 1))) b--;
    if (!scanNumber(text, a, b, out, false) || out.end !== b || out.kind === BOOL) return false;
    p = q + 1;
  } else {
    if (!scanNumber(text, p, end, out, false) || out.kind === BOOL) return false;
    p = out.end;
  }
  while (isSpace(at(p))) p++;
  if (at(p) !== RPAREN) return false;
  const value = out.value;
  out.value = negative ? -value : value;
  out.end = p + 1;
  out.kind = FLOAT;
  out.flavor = PY_FLAVOR;
  return true;
}

/** True when `[a, b)` is exactly one number; fills `out`. */
export function scanWholeNumber(text: string, a: number, b: number, out: NumberToken): boolean {
  return a < b && scanNumber(text, a, b, out) && out.end === b;
}

/**
 * Collects the numbers of one literal in row-major order into a growing Float64Array, tracks how they were written
 * (for `dtype` and the python/json guess) and enforces maxElements at the number that would exceed it.
 */
export class Sink {
  data: Float64Array;
  n = 0;
  sawFloat = false;
  sawInt = false;
  sawBool = false;
  python = false;
  js = false;

  constructor(private readonly ctx: Ctx) {
    this.data = new Float64Array(Math.min(256, Math.max(1, ctx.maxElements)));
  }

  push(value: number, kind: NumberKind, flavor: number, at: number): void {
    const max = this.ctx.maxElements;
    if (this.n >= max) {
      this.ctx.fail(
        at,
        'limit',
        `the literal has more than ${max} elements`,
        `that is the limit (maxElements); select a smaller part or raise the limit`,
      );
    }
    if (this.n === this.data.length) {
      const grown = new Float64Array(Math.min(max, this.data.length * 2));
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.n++] = value;
    if (kind === FLOAT) this.sawFloat = true;
    else if (kind === INT) this.sawInt = true;
    else this.sawBool = true;
    if (flavor === PY_FLAVOR) this.python = true;
    else if (flavor === JS_FLAVOR) this.js = true;
  }

  pushToken(tok: NumberToken, at: number): void {
    this.push(tok.value, tok.kind, tok.flavor, at);
  }

  /** The numbers, in an array of exactly the right length. */
  take(): Float64Array {
    return this.n === this.data.length ? this.data : this.data.slice(0, this.n);
  }

  dtype(): 'int' | 'float' | 'bool' {
    // Like numpy's promotion: any float makes float, else any int makes int, else all were booleans.
    if (this.sawFloat) return 'float';
    if (this.sawInt) return 'int';
    return this.sawBool ? 'bool' : 'int';
  }
}
