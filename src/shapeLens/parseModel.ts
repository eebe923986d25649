/**
 * Finds layer chains in the text of a Python file, without running Python: `nn.Sequential(...)` calls
 * (also `torch.nn.Sequential`) and `nn.Module` classes whose `__init__` assigns `self.name = nn.Layer(...)`
 * and whose `forward` is straight-line code over those layers: `x = self.a(x)`, `F.relu(self.bn(self.conv(x)))`,
 * `torch.flatten(x, 1)`, `x.view(x.size(0), -1)`, and the places where values meet — a residual
 * `out += identity` / `out = out + self.shortcut(x)`, a skip connection `torch.cat([up, skip], dim=1)`.
 * The steps come out in the order forward runs them; a step that does not take the previous step's output
 * says which ones it takes (`Step.inputs`).
 *
 * Nothing is guessed: a layer built in a loop or a branch, a constructor argument that is not a literal
 * (int, float, string, tuple/list of those, True/False/None), an unrecognised layer or an unrecognised
 * statement in `forward` becomes an `unknown` step with the reason.
 *
 * Pure TypeScript: no `vscode`, no Node APIs.
 */

/** Offsets into the source text (end exclusive) and the 0-based line of `start`. */
export interface SourceRange {
  readonly start: number;
  readonly end: number;
  readonly line: number;
}

export type Literal = number | string | boolean | null | readonly Literal[];

export interface Arg {
  /** keyword name, or undefined for a positional argument */
  readonly name?: string;
  /** false when the value is not a literal (a variable, an expression, a starred argument…) */
  readonly known: boolean;
  readonly value?: Literal;
  /** the value's source text */
  readonly text: string;
  /** the range of the value (not of `name=`), the part a fix replaces */
  readonly range: SourceRange;
}

export interface Step {
  /** PyTorch class name (`Conv2d`, `ReLU`, `Flatten`…); a functional call is mapped to its module (F.relu → ReLU) */
  readonly op: string;
  /** false when the shape cannot be known from the text; `reason` says why */
  readonly known: boolean;
  readonly reason?: string;
  readonly args: readonly Arg[];
  readonly kwargs: readonly Arg[];
  /** the constructor (or functional) call in the source */
  readonly range: SourceRange;
  /** `self.<attr>` for layers of a class, e.g. `conv1` or `features.3` */
  readonly attr?: string;
  /** the source text of the call */
  readonly text: string;
  /**
   * the `self.<attr>(...)` call in `forward` that runs this step (on every step of an attribute that holds
   * several layers, such as a Sequential); each call of a shared layer gets its own step
   */
  readonly call?: SourceRange;
  /**
   * the steps whose outputs this step takes, by index (-1: the model's input); absent: the previous step's
   * output. Set in `forward` where the data does not flow in a straight line: a residual `out += identity`
   * (op `Add`), a skip connection `torch.cat([up, skip], dim=1)` (op `Cat`), a layer applied to a saved value.
   */
  readonly inputs?: readonly number[];
}

export interface ParsedModel {
  /** the class name, or the Sequential's assignment target (`model`, `self.features`) */
  readonly name: string;
  readonly kind: 'sequential' | 'module';
  readonly range: SourceRange;
  /** from a `# conv-lens: input 1x3x224x224` comment just above the model */
  readonly inputShape?: readonly number[];
  readonly steps: readonly Step[];
}

/** Layers whose output shape is their input shape whatever their arguments. */
export const SHAPE_PRESERVING: ReadonlySet<string> = new Set([
  'ReLU',
  'ReLU6',
  'LeakyReLU',
  'GELU',
  'SiLU',
  'Sigmoid',
  'Tanh',
  'ELU',
  'SELU',
  'CELU',
  'PReLU',
  'Hardswish',
  'Hardsigmoid',
  'Hardtanh',
  'Mish',
  'Softplus',
  'Softsign',
  'Softmax',
  'LogSoftmax',
  'Identity',
  'Dropout',
  'Dropout1d',
  'Dropout2d',
  'Dropout3d',
  'AlphaDropout',
]);

export const KNOWN_LAYERS: ReadonlySet<string> = new Set([
  'Conv1d',
  'Conv2d',
  'Conv3d',
  'ConvTranspose1d',
  'ConvTranspose2d',
  'ConvTranspose3d',
  'MaxPool1d',
  'MaxPool2d',
  'MaxPool3d',
  'AvgPool1d',
  'AvgPool2d',
  'AvgPool3d',
  'AdaptiveAvgPool1d',
  'AdaptiveAvgPool2d',
  'AdaptiveAvgPool3d',
  'AdaptiveMaxPool1d',
  'AdaptiveMaxPool2d',
  'AdaptiveMaxPool3d',
  'BatchNorm1d',
  'BatchNorm2d',
  'BatchNorm3d',
  'Flatten',
  'Linear',
  'Upsample',
  ...SHAPE_PRESERVING,
]);

/** Functional forms in `forward` that preserve the shape, by their last name part. */
const FUNCTIONAL: Record<string, string> = {
  relu: 'ReLU',
  relu6: 'ReLU6',
  leaky_relu: 'LeakyReLU',
  gelu: 'GELU',
  silu: 'SiLU',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  elu: 'ELU',
  selu: 'SELU',
  celu: 'CELU',
  hardswish: 'Hardswish',
  hardsigmoid: 'Hardsigmoid',
  hardtanh: 'Hardtanh',
  mish: 'Mish',
  softplus: 'Softplus',
  softsign: 'Softsign',
  softmax: 'Softmax',
  log_softmax: 'LogSoftmax',
  dropout: 'Dropout',
  dropout1d: 'Dropout1d',
  dropout2d: 'Dropout2d',
  dropout3d: 'Dropout3d',
  alpha_dropout: 'AlphaDropout',
};

/**
 * `F.max_pool2d(x, 2)` and the like: the module they equal, and the names of their positional arguments
 * after the input, in the function's own order (F.max_pool2d puts ceil_mode before return_indices,
 * nn.MaxPool2d after), so that they become keywords the module's rules read.
 */
const FUNCTIONAL_WINDOWED: Record<string, readonly [string, readonly string[]]> = (() => {
  const table: Record<string, readonly [string, readonly string[]]> = {};
  for (const n of [1, 2, 3]) {
    table[`max_pool${n}d`] = [
      `MaxPool${n}d`,
      ['kernel_size', 'stride', 'padding', 'dilation', 'ceil_mode', 'return_indices'],
    ];
    table[`avg_pool${n}d`] = [
      `AvgPool${n}d`,
      ['kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad', ...(n > 1 ? ['divisor_override'] : [])],
    ];
    table[`adaptive_avg_pool${n}d`] = [`AdaptiveAvgPool${n}d`, ['output_size']];
    table[`adaptive_max_pool${n}d`] = [`AdaptiveMaxPool${n}d`, ['output_size', 'return_indices']];
  }
  table.interpolate = [
    'Upsample',
    ['size', 'scale_factor', 'mode', 'align_corners', 'recompute_scale_factor', 'antialias'],
  ];
  return table;
})();

// ---------------------------------------------------------------------------------------------------------
// Tokens and logical lines

type TokKind = 'name' | 'number' | 'string' | 'op';

interface Tok {
  readonly kind: TokKind;
  readonly text: string;
  readonly start: number;
  readonly end: number;
  readonly line: number;
}

interface LogicalLine {
  readonly tokens: Tok[];
  /** for each bracket token, the index of its partner in `tokens` */
  readonly match: Int32Array;
  readonly indent: number;
  readonly line: number;
  readonly lastLine: number;
}

interface Comment {
  readonly text: string;
  readonly line: number;
}

const OPS3 = ['**=', '//=', '>>=', '<<=', '...'];
const OPS2 = [
  '**',
  '//',
  '->',
  '==',
  '!=',
  '<=',
  '>=',
  ':=',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
  '@=',
  '<<',
  '>>',
];
const KINDS: readonly TokKind[] = ['name', 'number', 'string', 'op'];
const NAME = 0;
const NUMBER = 1;
const STRING = 2;
const OP = 3;
const EMPTY_TOKENS: Tok[] = [];
const EMPTY_MATCH = new Int32Array(0);
/** only comments that mention the lens are kept (the input-shape comment) */
const LENS_COMMENT = /conv-lens/i;

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 128;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
/** r, b, f, u in either case: string prefixes */
function isStringPrefix(c: number): boolean {
  const l = c | 32;
  return l === 114 || l === 98 || l === 102 || l === 117;
}
/** the length of the operator at i: 3, 2 or 1 characters */
function opLength(src: string, i: number): number {
  const c1 = src.charCodeAt(i + 1);
  // every 2- and 3-character operator has one of = * / > < . as its second character
  if (c1 !== 61 && c1 !== 42 && c1 !== 47 && c1 !== 62 && c1 !== 60 && c1 !== 46) return 1;
  if (OPS3.includes(src.substr(i, 3))) return 3;
  return OPS2.includes(src.substr(i, 2)) ? 2 : 1;
}

/**
 * Splits the source into logical lines (brackets, strings and backslashes join physical lines). Typing
 * speed matters here (the lens re-reads the file on each edit), so tokens are first recorded as numbers,
 * and only the logical lines the parser reads become token objects: lines inside a class body or a
 * `class` line, and lines that mention `Sequential`. Every other line keeps its indent and line numbers
 * (for blocks and input comments) with no tokens.
 */
function tokenize(src: string): { lines: LogicalLine[]; comments: Comment[] } {
  const lines: LogicalLine[] = [];
  const comments: Comment[] = [];
  let line = 0;
  let lineStart = 0;
  let depth = 0;
  let indent = 0;
  const n = src.length;
  let i = 0;
  // the current logical line's tokens, as parallel arrays
  let cap = 256;
  let count = 0;
  let tStart = new Int32Array(cap);
  let tEnd = new Int32Array(cap);
  let tLine = new Int32Array(cap);
  let tKind = new Uint8Array(cap);
  /** indent of the open class body's `class` line, or -1 outside any class */
  let classIndent = -1;

  const push = (kind: number, start: number, end: number, startLine: number): void => {
    if (count === 0) indent = start - lineStart;
    if (count === cap) {
      cap *= 2;
      const grow = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
        const b = make(cap);
        b.set(a);
        return b;
      };
      tStart = grow(tStart, (k) => new Int32Array(k));
      tEnd = grow(tEnd, (k) => new Int32Array(k));
      tLine = grow(tLine, (k) => new Int32Array(k));
      tKind = grow(tKind, (k) => new Uint8Array(k));
    }
    tStart[count] = start;
    tEnd[count] = end;
    tLine[count] = startLine;
    tKind[count] = kind;
    count++;
  };
  const isWord = (k: number, word: string): boolean =>
    tKind[k] === NAME && tEnd[k] - tStart[k] === word.length && src.startsWith(word, tStart[k]);

  const flush = (): void => {
    if (count === 0) return;
    if (classIndent >= 0 && indent <= classIndent) classIndent = -1;
    if (classIndent < 0 && isWord(0, 'class')) classIndent = indent;
    let wanted = classIndent >= 0;
    for (let k = 0; k < count && !wanted; k++) wanted = isWord(k, 'Sequential');
    let tokens = EMPTY_TOKENS;
    let match = EMPTY_MATCH;
    if (wanted) {
      tokens = new Array<Tok>(count);
      for (let k = 0; k < count; k++)
        tokens[k] = {
          kind: KINDS[tKind[k]],
          text: src.slice(tStart[k], tEnd[k]),
          start: tStart[k],
          end: tEnd[k],
          line: tLine[k],
        };
      match = new Int32Array(count).fill(-1);
      const stack: number[] = [];
      for (let k = 0; k < count; k++) {
        if (tKind[k] !== OP) continue;
        const c = src.charCodeAt(tStart[k]);
        if (c === 40 || c === 91 || c === 123) stack.push(k);
        else if (c === 41 || c === 93 || c === 125) {
          const open = stack.pop();
          if (open !== undefined) {
            match[open] = k;
            match[k] = open;
          }
        }
      }
    }
    lines.push({ tokens, match, indent, line: tLine[0], lastLine: tLine[count - 1] });
    count = 0;
    depth = 0;
  };

  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 10) {
      // newline
      i++;
      line++;
      lineStart = i;
      if (depth === 0) flush();
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 12) {
      i++;
      continue;
    }
    if (c === 35) {
      // # comment
      let j = src.indexOf('\n', i);
      if (j < 0) j = n;
      const text = src.slice(i, j);
      if (LENS_COMMENT.test(text)) comments.push({ text, line });
      i = j;
      continue;
    }
    if (c === 92 && src.charCodeAt(i + 1) === 10) {
      // backslash continuation
      i += 2;
      line++;
      lineStart = i;
      continue;
    }
    // string, with an optional prefix (r, b, f, u and pairs)
    let q = i;
    if (isStringPrefix(c)) {
      let k = i;
      while (k < n && k - i < 2 && isStringPrefix(src.charCodeAt(k))) k++;
      const kc = src.charCodeAt(k);
      if (k > i && (kc === 34 || kc === 39)) q = k;
    }
    const qc = src.charCodeAt(q);
    if (qc === 34 || qc === 39) {
      const startLine = line;
      if (count === 0) indent = i - lineStart;
      const triple = src.charCodeAt(q + 1) === qc && src.charCodeAt(q + 2) === qc;
      let j = q + (triple ? 3 : 1);
      for (;;) {
        if (j >= n) break;
        const d = src.charCodeAt(j);
        if (d === 92) {
          if (src.charCodeAt(j + 1) === 10) {
            line++;
            lineStart = j + 2;
          }
          j += 2;
          continue;
        }
        if (d === 10) {
          if (!triple) break; // unterminated: stop at the end of the line
          line++;
          lineStart = j + 1;
        }
        if (d === qc && (!triple || (src.charCodeAt(j + 1) === qc && src.charCodeAt(j + 2) === qc))) {
          j += triple ? 3 : 1;
          break;
        }
        j++;
      }
      push(STRING, i, j, startLine);
      i = j;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(src.charCodeAt(j))) j++;
      push(NAME, i, j, line);
      i = j;
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(src.charCodeAt(i + 1)))) {
      let j = i + 1;
      while (j < n) {
        const d = src.charCodeAt(j);
        if (isIdentPart(d) || d === 46) j++;
        else if ((d === 43 || d === 45) && /[eE]/.test(src[j - 1]) && !/^0[xX]/.test(src.slice(i, j))) j++;
        else break;
      }
      push(NUMBER, i, j, line);
      i = j;
      continue;
    }
    const len = opLength(src, i);
    if (c === 40 || c === 91 || c === 123) depth++;
    else if ((c === 41 || c === 93 || c === 125) && depth > 0) depth--;
    push(OP, i, i + len, line);
    i += len;
  }
  flush();
  return { lines, comments };
}

// ---------------------------------------------------------------------------------------------------------
// Expressions

type Expr =
  | { readonly t: 'lit'; readonly value: Literal; readonly start: number; readonly end: number; readonly line: number }
  | {
      readonly t: 'name';
      readonly parts: readonly string[];
      readonly start: number;
      readonly end: number;
      readonly line: number;
    }
  | {
      readonly t: 'call';
      /** dotted callee (`nn.Conv2d`, `self.conv1`, `x.view`), or undefined when it is not a dotted name */
      readonly callee?: readonly string[];
      readonly args: readonly ExprArg[];
      readonly start: number;
      readonly end: number;
      readonly line: number;
    }
  /** a tuple or list with an item that is not a literal: `(up, skip)` */
  | {
      readonly t: 'seq';
      readonly items: readonly Expr[];
      readonly start: number;
      readonly end: number;
      readonly line: number;
    }
  /** `a + b` (the residual sum) */
  | {
      readonly t: 'add';
      readonly left: Expr;
      readonly right: Expr;
      readonly start: number;
      readonly end: number;
      readonly line: number;
    }
  | { readonly t: 'other'; readonly start: number; readonly end: number; readonly line: number };

interface ExprArg {
  readonly name?: string;
  readonly star: boolean;
  readonly expr: Expr;
}

class ExprReader {
  constructor(
    readonly src: string,
    readonly ln: LogicalLine,
  ) {}

  /** Splits tokens [from, to) at top-level commas. */
  split(from: number, to: number): Array<[number, number]> {
    const parts: Array<[number, number]> = [];
    let s = from;
    const { tokens, match } = this.ln;
    for (let k = from; k < to; k++) {
      const t = tokens[k];
      if (t.kind === 'op' && (t.text === '(' || t.text === '[' || t.text === '{') && match[k] > k) k = match[k];
      else if (t.kind === 'op' && t.text === ',') {
        parts.push([s, k]);
        s = k + 1;
      }
    }
    if (s < to) parts.push([s, to]);
    return parts;
  }

  expr(from: number, to: number): Expr {
    const { tokens, match } = this.ln;
    const start = tokens[from]?.start ?? 0;
    const end = tokens[to - 1]?.end ?? start;
    const line = tokens[from]?.line ?? 0;
    const other: Expr = { t: 'other', start, end, line };
    if (to <= from) return other;
    const first = tokens[from];
    if (to - from === 1) {
      if (first.kind === 'number') {
        const v = parseNumber(first.text);
        return v === undefined ? other : { t: 'lit', value: v, start, end, line };
      }
      if (first.kind === 'string') {
        const v = parseString(first.text);
        return v === undefined ? other : { t: 'lit', value: v, start, end, line };
      }
      if (first.kind === 'name') {
        if (first.text === 'True') return { t: 'lit', value: true, start, end, line };
        if (first.text === 'False') return { t: 'lit', value: false, start, end, line };
        if (first.text === 'None') return { t: 'lit', value: null, start, end, line };
        return { t: 'name', parts: [first.text], start, end, line };
      }
      return other;
    }
    // a + b at the top level (outside brackets), split at the last `+` so that a + b + c is (a + b) + c
    for (let k = to - 1; k > from; k--) {
      const t = tokens[k];
      if (t.kind === 'op' && (t.text === ')' || t.text === ']' || t.text === '}') && match[k] >= from && match[k] < k) {
        k = match[k];
        continue;
      }
      const before = tokens[k - 1];
      // binary, not unary: what comes before is an operand (a name, a number, a closing bracket)
      if (t.kind === 'op' && t.text === '+' && (before.kind !== 'op' || before.text === ')' || before.text === ']')) {
        return { t: 'add', left: this.expr(from, k), right: this.expr(k + 1, to), start, end, line };
      }
    }
    if (
      to - from === 2 &&
      first.kind === 'op' &&
      (first.text === '-' || first.text === '+') &&
      tokens[from + 1].kind === 'number'
    ) {
      const v = parseNumber(tokens[from + 1].text);
      return v === undefined ? other : { t: 'lit', value: first.text === '-' ? -v : v, start, end, line };
    }
    if (first.kind === 'op' && (first.text === '(' || first.text === '[') && match[from] === to - 1) {
      const parts = this.split(from + 1, to - 1);
      const isTuple = first.text === '[' || parts.length !== 1 || tokens[to - 2]?.text === ',';
      if (!isTuple) return this.expr(from + 1, to - 1);
      const exprs = parts.map(([a, b]) => this.expr(a, b));
      if (exprs.every((e) => e.t === 'lit'))
        return { t: 'lit', value: exprs.map((e) => (e as { value: Literal }).value), start, end, line };
      return { t: 'seq', items: exprs, start, end, line };
    }
    // dotted name, optionally called: a.b.c or a.b.c(...)
    if (first.kind === 'name') {
      const parts = [first.text];
      let k = from + 1;
      while (k + 1 < to && tokens[k].text === '.' && tokens[k + 1].kind === 'name') {
        parts.push(tokens[k + 1].text);
        k += 2;
      }
      if (k === to) return { t: 'name', parts, start, end, line };
      if (tokens[k].text === '(' && match[k] === to - 1) {
        return { t: 'call', callee: parts, args: this.args(k + 1, to - 1), start, end, line };
      }
    }
    return other;
  }

  args(from: number, to: number): ExprArg[] {
    const out: ExprArg[] = [];
    const { tokens } = this.ln;
    for (const [a, b] of this.split(from, to)) {
      if (tokens[a].kind === 'op' && (tokens[a].text === '*' || tokens[a].text === '**')) {
        out.push({
          star: true,
          expr: { t: 'other', start: tokens[a].start, end: tokens[b - 1].end, line: tokens[a].line },
        });
      } else if (b - a >= 2 && tokens[a].kind === 'name' && tokens[a + 1].text === '=') {
        out.push({ name: tokens[a].text, star: false, expr: this.expr(a + 2, b) });
      } else {
        out.push({ star: false, expr: this.expr(a, b) });
      }
    }
    return out;
  }
}

function parseNumber(text: string): number | undefined {
  const t = text.replace(/_/g, '');
  if (/[jJ]$/.test(t)) return undefined;
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) return parseInt(t.slice(2), 16);
  if (/^0[oO][0-7]+$/.test(t)) return parseInt(t.slice(2), 8);
  if (/^0[bB][01]+$/.test(t)) return parseInt(t.slice(2), 2);
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

function parseString(text: string): string | undefined {
  const m = /^([rRuU]?)('''|"""|'|")([\s\S]*)\2$/.exec(text);
  if (!m) return undefined; // bytes, f-strings: not a literal we use
  if (m[1] === '' || m[1] === 'u' || m[1] === 'U') {
    if (m[3].includes('\\')) return undefined;
  }
  return m[3];
}

function calleeLayer(callee: readonly string[] | undefined): string | undefined {
  if (!callee) return undefined;
  const last = callee[callee.length - 1];
  if (callee.length === 2 && callee[0] === 'nn') return last;
  if (callee.length === 3 && callee[0] === 'torch' && callee[1] === 'nn') return last;
  if (callee.length === 1 && (KNOWN_LAYERS.has(last) || last === 'Sequential')) return last;
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Steps from expressions

function rangeOf(e: { start: number; end: number; line: number }): SourceRange {
  return { start: e.start, end: e.end, line: e.line };
}

function toArg(src: string, a: ExprArg): Arg {
  const e = a.expr;
  const known = e.t === 'lit' && !a.star;
  const arg: { name?: string; known: boolean; value?: Literal; text: string; range: SourceRange } = {
    known,
    text: src.slice(e.start, e.end),
    range: rangeOf(e),
  };
  if (a.name !== undefined) arg.name = a.name;
  if (known) arg.value = (e as { value: Literal }).value;
  return arg;
}

function unknownStep(
  src: string,
  e: { start: number; end: number; line: number },
  reason: string,
  op = '?',
  attr?: string,
): Step {
  return {
    op,
    known: false,
    reason,
    args: [],
    kwargs: [],
    range: rangeOf(e),
    text: src.slice(e.start, e.end),
    ...(attr ? { attr } : {}),
  };
}

/** The steps of one module expression: a layer call, or a Sequential (flattened), or one unknown step. */
function stepsOfModuleExpr(src: string, e: Expr, attr?: string): Step[] {
  if (e.t !== 'call') return [unknownStep(src, e, 'not a layer constructor', '?', attr)];
  const op = calleeLayer(e.callee);
  const text = src.slice(e.start, e.end);
  if (op === 'Sequential') {
    const out: Step[] = [];
    let index = 0;
    for (const a of e.args) {
      const sub = attr !== undefined ? `${attr}.${index}` : undefined;
      if (a.star || a.name !== undefined) {
        out.push(
          unknownStep(
            src,
            a.expr,
            'layers built by an expression (a loop, a list or *args) are not followed',
            '?',
            sub,
          ),
        );
      } else {
        out.push(...stepsOfModuleExpr(src, a.expr, sub));
      }
      index++;
    }
    return out;
  }
  if (op === undefined || !KNOWN_LAYERS.has(op)) {
    const name = e.callee ? e.callee[e.callee.length - 1] : '?';
    return [
      unknownStep(src, e, `${e.callee ? e.callee.join('.') : 'this call'} is not a layer Conv Lens knows`, name, attr),
    ];
  }
  const args: Arg[] = [];
  const kwargs: Arg[] = [];
  let starred = false;
  for (const a of e.args) {
    if (a.star) starred = true;
    (a.name !== undefined ? kwargs : args).push(toArg(src, a));
  }
  const bad = [...args, ...kwargs].find((a) => !a.known);
  let reason: string | undefined;
  if (starred) reason = `${op} is built from *args/**kwargs`;
  else if (bad && !SHAPE_PRESERVING.has(op)) reason = `${bad.name ?? 'an argument'} is \`${bad.text}\`, not a literal`;
  return [
    {
      op,
      known: reason === undefined,
      ...(reason ? { reason } : {}),
      args,
      kwargs,
      range: rangeOf(e),
      text,
      ...(attr !== undefined ? { attr } : {}),
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------
// Models

const INPUT_COMMENT = /#\s*conv-lens\s*:\s*input\s+(\d+(?:\s*[x×,*]\s*\d+)*)/i;

export function parseInputComment(text: string): number[] | undefined {
  const m = INPUT_COMMENT.exec(text);
  return m ? m[1].split(/\s*[x×,*]\s*/).map(Number) : undefined;
}

function isName(t: Tok | undefined, text?: string): boolean {
  return t !== undefined && t.kind === 'name' && (text === undefined || t.text === text);
}
function isOp(t: Tok | undefined, text: string): boolean {
  return t !== undefined && t.kind === 'op' && t.text === text;
}

/** The index one past the last line of the block that starts after `lines[at]` (lines indented deeper). */
function blockEnd(lines: readonly LogicalLine[], at: number): number {
  const base = lines[at].indent;
  let k = at + 1;
  while (k < lines.length && lines[k].indent > base) k++;
  return k;
}

export function parseModels(src: string): ParsedModel[] {
  const { lines, comments } = tokenize(src);
  const models: ParsedModel[] = [];

  // the input comment that belongs to a line: between the previous code line and this one
  let ci = 0;
  const inputFor: Array<number[] | undefined> = new Array(lines.length);
  for (let k = 0; k < lines.length; k++) {
    const prevLast = k > 0 ? lines[k - 1].lastLine : -1;
    let shape: number[] | undefined;
    while (ci < comments.length && comments[ci].line < lines[k].line) {
      if (comments[ci].line > prevLast) shape = parseInputComment(comments[ci].text) ?? shape;
      ci++;
    }
    inputFor[k] = shape;
  }
  const withInput = (m: Omit<ParsedModel, 'inputShape'>, k: number): ParsedModel =>
    inputFor[k] ? { ...m, inputShape: inputFor[k] } : m;

  // 1. every Sequential call that is not inside another Sequential
  for (let k = 0; k < lines.length; k++) {
    const ln = lines[k];
    const toks = ln.tokens;
    let reader: ExprReader | undefined;
    for (let j = 0; j < toks.length; j++) {
      if (!isName(toks[j], 'Sequential') || !isOp(toks[j + 1], '(') || ln.match[j + 1] < 0) continue;
      reader ??= new ExprReader(src, ln);
      let s = j;
      while (s >= 2 && isOp(toks[s - 1], '.') && isName(toks[s - 2])) s -= 2;
      if (s > 0 && isOp(toks[s - 1], '.')) continue;
      const e = reader.expr(s, ln.match[j + 1] + 1);
      if (e.t !== 'call' || calleeLayer(e.callee) !== 'Sequential') continue;
      const eq = toks.findIndex((t) => isOp(t, '='));
      const name = eq > 0 && eq < s ? src.slice(toks[0].start, toks[eq - 1].end) : `Sequential@${e.line + 1}`;
      models.push(withInput({ name, kind: 'sequential', range: rangeOf(e), steps: stepsOfModuleExpr(src, e) }, k));
      j = ln.match[j + 1];
    }
  }

  // 2. classes with __init__ and a forward chain
  for (let k = 0; k < lines.length; k++) {
    const ln = lines[k];
    if (!isName(ln.tokens[0], 'class') || !isName(ln.tokens[1])) continue;
    const end = blockEnd(lines, k);
    let init: [number, number] | undefined;
    let forward: [number, number] | undefined;
    for (let m = k + 1; m < end; m = blockEnd(lines, m)) {
      const t = lines[m].tokens;
      if (isName(t[0], 'def') && isName(t[1], '__init__')) init = [m, blockEnd(lines, m)];
      if (isName(t[0], 'def') && isName(t[1], 'forward')) forward = [m, blockEnd(lines, m)];
    }
    if (!init || !forward) continue;
    const attrs = readInit(src, lines, init[0], init[1]);
    const steps = readForward(src, lines, forward[0], forward[1], attrs);
    if (steps === undefined) continue;
    const cls = ln.tokens[1];
    models.push(
      withInput(
        {
          name: cls.text,
          kind: 'module',
          range: { start: ln.tokens[0].start, end: lines[end - 1].tokens.at(-1)!.end, line: ln.line },
          steps,
        },
        k,
      ),
    );
  }
  models.sort((a, b) => a.range.start - b.range.start);
  return models;
}

/** `self.name = <module expr>` in `__init__`; an assignment inside a nested block (loop, branch) is unknown. */
function readInit(src: string, lines: readonly LogicalLine[], def: number, end: number): Map<string, Step[]> {
  const attrs = new Map<string, Step[]>();
  const base = def + 1 < end ? lines[def + 1].indent : 0;
  for (let m = def + 1; m < end; m++) {
    const ln = lines[m];
    const t = ln.tokens;
    if (!(isName(t[0], 'self') && isOp(t[1], '.') && isName(t[2]) && isOp(t[3], '='))) continue;
    const attr = t[2].text;
    const reader = new ExprReader(src, ln);
    const e = reader.expr(4, t.length);
    if (ln.indent > base) {
      attrs.set(attr, [
        unknownStep(
          src,
          e,
          `self.${attr} is assigned inside a loop or a branch`,
          calleeLayer(e.t === 'call' ? e.callee : undefined) ?? '?',
          attr,
        ),
      ]);
    } else if (attrs.has(attr)) {
      attrs.set(attr, [unknownStep(src, e, `self.${attr} is assigned more than once`, '?', attr)]);
    } else {
      attrs.set(attr, stepsOfModuleExpr(src, e, attr));
    }
  }
  return attrs;
}

/**
 * The steps of `forward`, read as dataflow: each variable holds the output of a step (or the model's
 * input), and each statement appends the steps its expression runs, with `inputs` where the data does not
 * come from the step just before (a saved `identity`, a skip connection). Understood: `v = <expr>`,
 * `v += <expr>`, `return <expr>`, where <expr> is a variable, `self.layer(<expr>)`, `F.relu(<expr>)`,
 * `<expr> + <expr>`, `torch.add`, `torch.cat([<expr>, ...], dim)`, `torch.flatten`, `.flatten/.view/.reshape`.
 * An assignment of something else to a name the lens does not track (`n = x.size(0)`) is skipped; any
 * other statement that touches a tracked value, or one inside a loop or a branch, becomes an unknown step
 * and ends the reading. Returns undefined when forward has no input parameter.
 */
function readForward(
  src: string,
  lines: readonly LogicalLine[],
  def: number,
  end: number,
  attrs: Map<string, Step[]>,
): Step[] | undefined {
  const head = lines[def].tokens;
  // def forward(self, x, ...):
  const params = head.findIndex((t) => isOp(t, '('));
  if (params < 0 || !isName(head[params + 1], 'self') || !isOp(head[params + 2], ',') || !isName(head[params + 3]))
    return undefined;
  const steps: Step[] = [];
  /** variable → index of the step whose output it holds (-1: the model's input) */
  const env = new Map<string, number>([[head[params + 3].text, -1]]);
  const base = def + 1 < end ? lines[def + 1].indent : 0;
  const plain = (op: string, e: { start: number; end: number; line: number }, extra: Partial<Step> = {}): Step => ({
    op,
    known: true,
    args: [],
    kwargs: [],
    range: rangeOf(e),
    text: src.slice(e.start, e.end),
    ...extra,
  });

  /**
   * Appends to `out` the steps that compute `e` and returns the index of its value (in steps ++ out), or
   * undefined when `e` is not something the lens follows (then `out` may hold partial steps: drop them).
   */
  const evaluate = (e: Expr, out: Step[]): number | undefined => {
    const next = () => steps.length + out.length;
    // a step takes the previous step's output unless told otherwise
    const fed = (step: Step, input: number): Step => (input === next() - 1 ? step : { ...step, inputs: [input] });
    if (e.t === 'name') return e.parts.length === 1 ? env.get(e.parts[0]) : undefined;
    if (e.t === 'add') {
      const a = evaluate(e.left, out);
      const b = a === undefined ? undefined : evaluate(e.right, out);
      if (a === undefined || b === undefined) return undefined;
      out.push(plain('Add', e, { inputs: [a, b] }));
      return next() - 1;
    }
    if (e.t !== 'call' || !e.callee) return undefined;
    const c = e.callee;
    const pos = e.args.filter((a) => a.name === undefined);
    const last = c[c.length - 1];
    // self.layer(<expr>)
    if (c.length === 2 && c[0] === 'self' && pos.length === 1 && e.args.length === 1) {
      const v = evaluate(pos[0].expr, out);
      if (v === undefined) return undefined;
      const call = rangeOf(e);
      const layer = attrs.get(c[1]) ?? [
        unknownStep(src, e, `self.${c[1]} is not assigned a layer in __init__`, '?', c[1]),
      ];
      // an empty nn.Sequential() passes its input through
      if (layer.length === 0) return v;
      layer.forEach((st, i) => out.push(i === 0 ? fed({ ...st, call }, v) : { ...st, call }));
      return next() - 1;
    }
    // F.relu(<expr>), torch.relu(<expr>)
    if (
      c.length === 2 &&
      (c[0] === 'F' || c[0] === 'torch' || c[0] === 'functional') &&
      FUNCTIONAL[last] &&
      pos.length >= 1
    ) {
      const v = evaluate(pos[0].expr, out);
      if (v === undefined) return undefined;
      out.push(fed(plain(FUNCTIONAL[last], e), v));
      return next() - 1;
    }
    // F.max_pool2d(<expr>, 2), F.avg_pool2d, F.adaptive_avg_pool2d, F.interpolate: the equal module's step
    const windowed = c.length === 2 && (c[0] === 'F' || c[0] === 'functional') ? FUNCTIONAL_WINDOWED[last] : undefined;
    if (windowed && pos.length >= 1 && e.args[0].name === undefined && !e.args[0].star) {
      const v = evaluate(e.args[0].expr, out);
      if (v === undefined) return undefined;
      const [op, names] = windowed;
      const kwargs: Arg[] = [];
      let reason: string | undefined;
      e.args.slice(1).forEach((a, i) => {
        const name = a.name ?? names[i];
        if (a.star) reason = `${last} is called with *args/**kwargs`;
        else if (name === undefined) reason = `${last} takes at most ${names.length + 1} positional arguments`;
        else kwargs.push({ ...toArg(src, a), name });
      });
      const bad = kwargs.find((a) => !a.known);
      if (!reason && bad) reason = `${bad.name} is \`${bad.text}\`, not a literal`;
      out.push(fed(plain(op, e, { kwargs, known: reason === undefined, ...(reason ? { reason } : {}) }), v));
      return next() - 1;
    }
    // torch.add(a, b)
    if (c.length === 2 && c[0] === 'torch' && last === 'add' && pos.length === 2 && e.args.length === 2) {
      return evaluate(
        { t: 'add', left: pos[0].expr, right: pos[1].expr, start: e.start, end: e.end, line: e.line },
        out,
      );
    }
    // torch.cat([a, b], dim=1)
    if (
      c.length === 2 &&
      c[0] === 'torch' &&
      (last === 'cat' || last === 'concat' || last === 'concatenate') &&
      pos.length >= 1 &&
      pos[0].expr.t === 'seq'
    ) {
      const inputs: number[] = [];
      for (const item of pos[0].expr.items) {
        const v = evaluate(item, out);
        if (v === undefined) return undefined;
        inputs.push(v);
      }
      const dim = pos[1] ?? e.args.find((a) => a.name === 'dim');
      out.push(plain('Cat', e, { inputs, ...(dim ? { kwargs: [{ ...toArg(src, dim), name: 'dim' }] } : {}) }));
      return next() - 1;
    }
    // torch.flatten(<expr>, start_dim)
    if (c.length === 2 && c[0] === 'torch' && last === 'flatten' && pos.length >= 1) {
      const v = evaluate(pos[0].expr, out);
      if (v === undefined) return undefined;
      out.push(
        fed(
          flattenStep(
            src,
            e,
            e.args.slice(1).map((a) => toArg(src, a)),
            0,
          ),
          v,
        ),
      );
      return next() - 1;
    }
    // <var>.flatten(start_dim), <var>.view(<var>.size(0), -1), <var>.reshape(...)
    const v = c.length === 2 ? env.get(c[0]) : undefined;
    if (v !== undefined && (last === 'flatten' || last === 'view' || last === 'reshape')) {
      if (last === 'flatten') {
        out.push(
          fed(
            flattenStep(
              src,
              e,
              e.args.map((a) => toArg(src, a)),
              0,
            ),
            v,
          ),
        );
        return next() - 1;
      }
      const a0 = e.args[0]?.expr;
      const a1 = e.args[1]?.expr;
      const keepsBatch =
        e.args.length === 2 &&
        a0?.t === 'call' &&
        a0.callee?.length === 2 &&
        a0.callee[0] === c[0] &&
        a0.callee[1] === 'size' &&
        a0.args.length === 1 &&
        a0.args[0].expr.t === 'lit' &&
        a0.args[0].expr.value === 0 &&
        a1?.t === 'lit' &&
        a1.value === -1;
      out.push(
        fed(
          keepsBatch
            ? plain('Flatten', e)
            : unknownStep(src, e, `${src.slice(e.start, e.end)} is not a flatten that Conv Lens can follow`, last),
          v,
        ),
      );
      return next() - 1;
    }
    return undefined;
  };

  for (let m = def + 1; m < end; m++) {
    const ln = lines[m];
    const t = ln.tokens;
    const reader = new ExprReader(src, ln);
    const text = src.slice(t[0].start, t[t.length - 1].end);
    const isReturn = isName(t[0], 'return');
    const assigns = isName(t[0]) && (isOp(t[1], '=') || isOp(t[1], '+='));
    const nested = ln.indent > base;
    const mentions = t.some((tok) => tok.kind === 'name' && env.has(tok.text));
    if (!isReturn && !assigns) {
      if (mentions && !isName(t[0], 'print') && !isName(t[0], 'assert')) {
        steps.push(
          unknownStep(
            src,
            { start: t[0].start, end: t[t.length - 1].end, line: ln.line },
            `\`${text}\` is not a step Conv Lens can follow`,
          ),
        );
        break;
      }
      continue;
    }
    const target = isReturn ? undefined : t[0].text;
    let e = reader.expr(isReturn ? 1 : 2, t.length);
    // v += <expr> is v = v + <expr>
    if (isOp(t[1], '+='))
      e = {
        t: 'add',
        left: { t: 'name', parts: [t[0].text], start: t[0].start, end: t[0].end, line: ln.line },
        right: e,
        start: t[0].start,
        end: e.end,
        line: ln.line,
      };
    if (nested) {
      if (mentions || (target !== undefined && env.has(target))) {
        steps.push(unknownStep(src, e, `\`${text}\` is inside a loop or a branch`));
        break;
      }
      continue;
    }
    const out: Step[] = [];
    const value = evaluate(e, out);
    if (value === undefined) {
      // `n = x.size(0)` and the like: a value the lens does not track
      if (target !== undefined && !env.has(target)) continue;
      steps.push(unknownStep(src, e, `\`${src.slice(e.start, e.end)}\` is not a step Conv Lens can follow`));
      break;
    }
    steps.push(...out);
    if (isReturn) {
      // `return identity`, `return e1`: the model's output is that value, not the last step's
      if (value !== steps.length - 1) steps.push(plain('Identity', e, { inputs: [value] }));
      break;
    }
    env.set(target!, value);
  }
  return steps;
}

function flattenStep(
  src: string,
  e: { start: number; end: number; line: number },
  args: Arg[],
  defaultStart: number,
): Step {
  const pos = args.filter((a) => a.name === undefined);
  const kw = args.filter((a) => a.name !== undefined);
  const bad = args.find((a) => !a.known);
  const startArg = pos[0] ?? kw.find((a) => a.name === 'start_dim');
  const endArg = pos[1] ?? kw.find((a) => a.name === 'end_dim');
  const range = rangeOf(e);
  const text = src.slice(e.start, e.end);
  if (bad)
    return { op: 'Flatten', known: false, reason: `${bad.text} is not a literal`, args: [], kwargs: [], range, text };
  // torch.flatten defaults start_dim to 0 (nn.Flatten to 1): record it explicitly as keywords
  const mk = (name: string, value: number): Arg => ({ name, known: true, value, text: String(value), range });
  const kwargs: Arg[] = [
    startArg ? { ...startArg, name: 'start_dim' } : mk('start_dim', defaultStart),
    endArg ? { ...endArg, name: 'end_dim' } : mk('end_dim', -1),
  ];
  return { op: 'Flatten', known: true, args: [], kwargs, range, text };
}
