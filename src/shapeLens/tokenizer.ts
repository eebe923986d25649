/**
 * Python source → logical lines of tokens, the way CPython's tokenizer splits them: brackets, strings and
 * backslashes join physical lines; each logical line knows its indentation (tabs to the next multiple of 8),
 * which the parser turns into blocks. Only comments that mention `conv-lens` are kept (the input comments).
 *
 * Two entry points: `scanChunks` finds the top-level statements of a whole file without keeping any token
 * (the lens re-reads the file on each keystroke, and only the statements that changed are tokenized again),
 * and `tokenize` gives the tokens of one such chunk.
 *
 * Pure TypeScript: no `vscode`, no Node APIs.
 */

export const NAME = 0;
export const NUMBER = 1;
export const STRING = 2;
export const OP = 3;

export interface LogicalLine {
  /** index of its first token */
  readonly first: number;
  /** one past its last token */
  readonly end: number;
  /** indentation of its first token in columns */
  readonly indent: number;
  /** 0-based line of its first token */
  readonly line: number;
}

export interface LensComment {
  readonly text: string;
  readonly start: number;
  readonly line: number;
}

export interface Tokens {
  readonly src: string;
  readonly count: number;
  readonly kind: Uint8Array;
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly line: Int32Array;
  readonly lines: readonly LogicalLine[];
  readonly comments: readonly LensComment[];
}

/** A top-level statement of a file (with the comments and blank lines above it): [start, end) in the file. */
export interface ChunkSpan {
  readonly start: number;
  readonly end: number;
  /** 0-based line of `start` */
  readonly line: number;
  /** 0-based line of `end` (where the next chunk starts) */
  readonly endLine: number;
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
function opLength(src: string, i: number): number {
  const c1 = src.charCodeAt(i + 1);
  // every 2- and 3-character operator has one of = * / > < . as its second character
  if (c1 !== 61 && c1 !== 42 && c1 !== 47 && c1 !== 62 && c1 !== 60 && c1 !== 46) return 1;
  if (OPS3.includes(src.substr(i, 3))) return 3;
  return OPS2.includes(src.substr(i, 2)) ? 2 : 1;
}

/** The line at `at` starts `def`, `class` or a decorator, indented no deeper than `indent`. */
function startsDefinition(src: string, at: number, indent: number): boolean {
  let col = 0;
  let k = at;
  for (; k < src.length; k++) {
    const c = src.charCodeAt(k);
    if (c === 32) col++;
    else if (c === 9) col = (col + 8) & ~7;
    else break;
  }
  if (col > indent) return false;
  return /^(?:def|class|async\s+def)\s+[A-Za-z_]|^@[A-Za-z_]/.test(src.slice(k, k + 16));
}

/**
 * The one scanner behind both entry points. `onToken` receives every token; `onLineEnd` each logical line
 * when it ends (with the offset of its first token, its indent and the offset just past its newline).
 */
function scan(
  src: string,
  onToken: ((kind: number, start: number, end: number, line: number) => void) | undefined,
  /** returns true to stop scanning; `lineAfter` is the line of `endOffset` */
  onLineEnd: (firstStart: number, indent: number, line: number, endOffset: number, lineAfter: number) => boolean | void,
  onComment?: (text: string, start: number, line: number) => void,
  from = 0,
  fromLine = 0,
): void {
  const n = src.length;
  let i = from;
  let line = fromLine;
  let lineStart = from;
  let depth = 0;
  // the logical line being read
  let tokens = 0;
  let firstStart = 0;
  let firstLine = 0;
  let indent = 0;
  const begin = (at: number): void => {
    if (tokens === 0) {
      firstStart = at;
      firstLine = line;
      // columns, tabs to the next multiple of 8
      let col = 0;
      for (let k = lineStart; k < at; k++) col = src.charCodeAt(k) === 9 ? (col + 8) & ~7 : col + 1;
      indent = col;
    }
    tokens++;
  };
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === 10) {
      i++;
      line++;
      lineStart = i;
      if (depth > 0 && tokens > 0 && startsDefinition(src, i, indent)) {
        // an unclosed bracket while typing: Python would reject the file, the lens keeps the next def/class
        depth = 0;
      }
      if (depth === 0 && tokens > 0) {
        tokens = 0;
        if (onLineEnd(firstStart, indent, firstLine, i, line) === true) return;
      }
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 12) {
      i++;
      continue;
    }
    if (c === 35) {
      let j = src.indexOf('\n', i);
      if (j < 0) j = n;
      if (onComment) {
        const text = src.slice(i, j);
        if (LENS_COMMENT.test(text)) onComment(text, i, line);
      }
      i = j;
      continue;
    }
    if (c === 92 && (src.charCodeAt(i + 1) === 10 || (src.charCodeAt(i + 1) === 13 && src.charCodeAt(i + 2) === 10))) {
      // backslash continuation
      i += src.charCodeAt(i + 1) === 10 ? 2 : 3;
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
      // the indent is measured before the string moves `lineStart` (a docstring spans lines)
      begin(i);
      const startLine = line;
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
          if (!triple) break; // unterminated: it ends with the line
          line++;
          lineStart = j + 1;
        }
        if (d === qc && (!triple || (src.charCodeAt(j + 1) === qc && src.charCodeAt(j + 2) === qc))) {
          j += triple ? 3 : 1;
          break;
        }
        j++;
      }
      if (j > n) j = n;
      onToken?.(STRING, i, j, startLine);
      i = j;
      continue;
    }
    begin(i);
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(src.charCodeAt(j))) j++;
      onToken?.(NAME, i, j, line);
      i = j;
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(src.charCodeAt(i + 1)))) {
      let j = i + 1;
      while (j < n) {
        const d = src.charCodeAt(j);
        if (isIdentPart(d) || d === 46) j++;
        else if ((d === 43 || d === 45) && (src.charCodeAt(j - 1) | 32) === 101 && !/^0[xX]/.test(src.slice(i, j))) j++;
        else break;
      }
      onToken?.(NUMBER, i, j, line);
      i = j;
      continue;
    }
    const len = opLength(src, i);
    if (c === 40 || c === 91 || c === 123) depth++;
    else if ((c === 41 || c === 93 || c === 125) && depth > 0) depth--;
    onToken?.(OP, i, i + len, line);
    i += len;
  }
  if (tokens > 0) onLineEnd(firstStart, indent, firstLine, n, line);
}

/** The tokens and logical lines of `src`. */
export function tokenize(src: string): Tokens {
  let cap = 64;
  let count = 0;
  let kind = new Uint8Array(cap);
  let start = new Int32Array(cap);
  let end = new Int32Array(cap);
  let line = new Int32Array(cap);
  const lines: LogicalLine[] = [];
  const comments: LensComment[] = [];
  let lineFirst = 0;
  scan(
    src,
    (k, s, e, l) => {
      if (count === cap) {
        cap *= 2;
        const k2 = new Uint8Array(cap);
        k2.set(kind);
        kind = k2;
        const s2 = new Int32Array(cap);
        s2.set(start);
        start = s2;
        const e2 = new Int32Array(cap);
        e2.set(end);
        end = e2;
        const l2 = new Int32Array(cap);
        l2.set(line);
        line = l2;
      }
      kind[count] = k;
      start[count] = s;
      end[count] = e;
      line[count] = l;
      count++;
    },
    (_firstStart, indent, firstLine) => {
      lines.push({ first: lineFirst, end: count, indent, line: firstLine });
      lineFirst = count;
      return false;
    },
    (text, s, l) => comments.push({ text, start: s, line: l }),
  );
  return { src, count, kind, start, end, line, lines, comments };
}

const CONTINUES = /^(else|elif|except|finally)\b/;

/**
 * Splits a file into its top-level statements: a chunk starts at a logical line with indent 0 (its
 * decorators, and the `else:`/`except:` of a module-level statement, stay with it) and takes the comments
 * and blank lines above it. No token is kept: this runs on every keystroke.
 *
 * `from`/`fromLine` start the scan at a chunk boundary of the text; `stop(offset)` is asked at each chunk
 * boundary found and ends the scan when it says true (the rest of the text is known to the caller).
 */
export function scanChunks(src: string, from = 0, fromLine = 0, stop?: (offset: number) => boolean): ChunkSpan[] {
  const chunks: ChunkSpan[] = [];
  let chunkStart = from;
  let chunkLine = fromLine;
  /** end (just past the newline) of the last logical line of the open chunk; -1 when none is open */
  let openEnd = -1;
  let openEndLine = 0;
  let afterDecorator = false;
  let stopped = false;
  scan(
    src,
    undefined,
    (firstStart, indent, _line, endOffset, lineAfter) => {
      const topLevel = indent === 0;
      const continues = topLevel && (afterDecorator || CONTINUES.test(src.slice(firstStart, firstStart + 8)));
      if (topLevel && !continues && openEnd >= 0) {
        chunks.push({ start: chunkStart, end: openEnd, line: chunkLine, endLine: openEndLine });
        chunkStart = openEnd;
        chunkLine = openEndLine;
        if (stop?.(chunkStart)) {
          stopped = true;
          return true;
        }
      }
      if (topLevel) afterDecorator = src.charCodeAt(firstStart) === 64;
      openEnd = endOffset;
      openEndLine = lineAfter;
      return false;
    },
    undefined,
    from,
    fromLine,
  );
  if (!stopped && openEnd >= 0) chunks.push({ start: chunkStart, end: openEnd, line: chunkLine, endLine: openEndLine });
  return chunks;
}

/**
 * The chunks of `src`, given those of `prev` (the text before an edit): only the region around the change is
 * scanned again; the chunks after it are the old ones, moved.
 */
export function rescanChunks(prev: string, prevChunks: readonly ChunkSpan[], src: string): ChunkSpan[] {
  const max = Math.min(prev.length, src.length);
  // the common prefix and suffix, a block at a time (string comparison is native), then character by character
  const BLOCK = 2048;
  let p = 0;
  while (p + BLOCK <= max && prev.substr(p, BLOCK) === src.substr(p, BLOCK)) p += BLOCK;
  while (p < max && prev.charCodeAt(p) === src.charCodeAt(p)) p++;
  if (p === prev.length && p === src.length) return [...prevChunks];
  let q = 0;
  while (
    q + BLOCK <= max - p &&
    prev.substr(prev.length - q - BLOCK, BLOCK) === src.substr(src.length - q - BLOCK, BLOCK)
  )
    q += BLOCK;
  while (q < max - p && prev.charCodeAt(prev.length - 1 - q) === src.charCodeAt(src.length - 1 - q)) q++;
  const delta = src.length - prev.length;
  const oldChangeEnd = prev.length - q;
  // restart one chunk before the one holding the change (an edit at a line start may join the chunk above)
  if (prevChunks.length === 0) return scanChunks(src);
  let k = prevChunks.findIndex((c) => c.end > p);
  if (k < 0) k = prevChunks.length - 1;
  k = Math.max(0, k - 1);
  const keep = prevChunks.slice(0, k);
  const from = prevChunks[k].start;
  const fromLine = prevChunks[k].line;
  // old chunk boundaries after the change, by their offset in the new text
  const after = new Map<number, number>();
  for (let j = k + 1; j < prevChunks.length; j++)
    if (prevChunks[j].start >= oldChangeEnd) after.set(prevChunks[j].start + delta, j);
  let resume = -1;
  const scanned = scanChunks(src, from, fromLine, (offset) => {
    const j = after.get(offset);
    if (j === undefined) return false;
    resume = j;
    return true;
  });
  if (resume < 0) return [...keep, ...scanned];
  const lineDelta = scanned.length > 0 ? lineOfEnd(scanned) - prevChunks[resume].line : 0;
  const moved = prevChunks.slice(resume).map((c) => ({
    start: c.start + delta,
    end: c.end + delta,
    line: c.line + lineDelta,
    endLine: c.endLine + lineDelta,
  }));
  return [...keep, ...scanned, ...moved];
}

/** The line where the last of these chunks ends (the next chunk's first line). */
function lineOfEnd(chunks: readonly ChunkSpan[]): number {
  return chunks[chunks.length - 1].endLine;
}
