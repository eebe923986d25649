/**
 * The answer encoder: JSON written straight into byte chunks, by a loop with an explicit stack (no recursion
 * that an answer's depth could exhaust, no single string that could pass V8's string limit), with a cap on
 * the bytes written that names the field being written when it is reached.
 *
 * Numbers as JSON.stringify writes them, except: NaN and the infinities become "NaN", "Infinity",
 * "-Infinity" (strings, as the requests take them), and −0 is written -0.0 so that it survives the trip
 * (JSON.stringify writes 0; Python's json and JSON.parse both read -0.0 back as −0).
 */

export class AnswerTooLarge extends Error {
  constructor(
    /** the top-level field being written when the cap was reached */
    readonly field: string,
    readonly limit: number,
  ) {
    super(`the answer is larger than ${limit} bytes (at its field ${field})`);
    this.name = 'AnswerTooLarge';
  }
}

const CHUNK = 1 << 20;

/** Bytes in chunks of 1 MB; ASCII is written byte by byte, anything else through TextEncoder. */
class ChunkWriter {
  readonly chunks: Uint8Array[] = [];
  private chunk = new Uint8Array(CHUNK);
  private at = 0;
  total = 0;
  field = '';
  private readonly encoder = new TextEncoder();

  constructor(private readonly limit: number) {}

  ascii(s: string): void {
    const n = s.length;
    if (this.total + n > this.limit) throw new AnswerTooLarge(this.field || 'request', this.limit);
    if (this.at + n > CHUNK) this.flush(n);
    const c = this.chunk;
    let at = this.at;
    for (let i = 0; i < n; i++) c[at++] = s.charCodeAt(i);
    this.at = at;
    this.total += n;
  }

  /** A string of any characters, already JSON-quoted. */
  text(s: string): void {
    let ascii = true;
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      this.ascii(s);
      return;
    }
    const bytes = this.encoder.encode(s);
    if (this.total + bytes.length > this.limit) throw new AnswerTooLarge(this.field || 'request', this.limit);
    if (this.at + bytes.length > CHUNK) this.flush(bytes.length);
    if (bytes.length > CHUNK) {
      this.chunks.push(bytes);
    } else {
      this.chunk.set(bytes, this.at);
      this.at += bytes.length;
    }
    this.total += bytes.length;
  }

  private flush(need: number): void {
    if (this.at > 0) this.chunks.push(this.chunk.subarray(0, this.at));
    this.chunk = new Uint8Array(Math.max(CHUNK, need));
    this.at = 0;
  }

  finish(): Uint8Array[] {
    if (this.at > 0) this.chunks.push(this.chunk.subarray(0, this.at));
    this.at = 0;
    this.chunk = new Uint8Array(0);
    return this.chunks;
  }
}

function number(x: number): string {
  if (x === 0) return 1 / x < 0 ? '-0.0' : '0';
  if (Number.isFinite(x)) return String(x);
  return Number.isNaN(x) ? '"NaN"' : x > 0 ? '"Infinity"' : '"-Infinity"';
}

type Frame =
  | { kind: 'array'; value: readonly unknown[]; next: number; depth: number }
  | { kind: 'object'; keys: string[]; value: Record<string, unknown>; next: number; depth: number };

export interface EncodeOptions {
  /** the most bytes the answer may have (default: no cap) */
  readonly maxBytes?: number;
  /** pretty-print with this many spaces (default: one line) */
  readonly indent?: number;
}

/**
 * Encodes a JSON value (plain objects, arrays, strings, numbers, booleans, null; `undefined` members are left
 * out as JSON.stringify does) into byte chunks. Throws AnswerTooLarge past `maxBytes`.
 */
export function encodeChunks(value: unknown, options: EncodeOptions = {}): Uint8Array[] {
  const w = new ChunkWriter(options.maxBytes ?? Infinity);
  const indent = options.indent ?? 0;
  const newline = (depth: number) => {
    if (indent > 0) w.ascii('\n' + ' '.repeat(indent * depth));
  };
  const stack: Frame[] = [];
  const scalar = (v: unknown): boolean => {
    switch (typeof v) {
      case 'number':
        w.ascii(number(v));
        return true;
      case 'string':
        w.text(JSON.stringify(v));
        return true;
      case 'boolean':
        w.ascii(v ? 'true' : 'false');
        return true;
      case 'bigint':
        w.ascii(v.toString());
        return true;
      default:
        if (v === null || v === undefined || typeof v === 'function' || typeof v === 'symbol') {
          w.ascii('null');
          return true;
        }
        return false;
    }
  };
  const open = (v: unknown, depth: number): void => {
    if (scalar(v)) return;
    if (Array.isArray(v)) {
      // a list of numbers (a tensor row) is written in one tight loop
      if (indent === 0 && v.every((x) => typeof x === 'number')) {
        w.ascii('[');
        for (let i = 0; i < v.length; i++) {
          if (i > 0) w.ascii(',');
          w.ascii(number(v[i]));
        }
        w.ascii(']');
        return;
      }
      w.ascii('[');
      stack.push({ kind: 'array', value: v, next: 0, depth });
      return;
    }
    const obj = v as Record<string, unknown>;
    w.ascii('{');
    stack.push({
      kind: 'object',
      keys: Object.keys(obj).filter((k) => obj[k] !== undefined),
      value: obj,
      next: 0,
      depth,
    });
  };
  open(value, 0);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.kind === 'array') {
      if (top.next >= top.value.length) {
        stack.pop();
        if (top.value.length > 0) newline(top.depth);
        w.ascii(']');
        continue;
      }
      if (top.next > 0) w.ascii(',');
      newline(top.depth + 1);
      open(top.value[top.next++], top.depth + 1);
    } else {
      if (top.next >= top.keys.length) {
        stack.pop();
        if (top.keys.length > 0) newline(top.depth);
        w.ascii('}');
        continue;
      }
      const key = top.keys[top.next++];
      if (top.depth === 0) w.field = key;
      if (top.next > 1) w.ascii(',');
      newline(top.depth + 1);
      w.text(JSON.stringify(key));
      w.ascii(indent > 0 ? ': ' : ':');
      open(top.value[key], top.depth + 1);
    }
  }
  return w.finish();
}

/** The chunks as one string (for small answers and tests). */
export function chunksToString(chunks: readonly Uint8Array[]): string {
  const decoder = new TextDecoder();
  let s = '';
  for (const c of chunks) s += decoder.decode(c, { stream: true });
  return s + decoder.decode();
}

export function encodeToString(value: unknown, options: EncodeOptions = {}): string {
  return chunksToString(encodeChunks(value, options));
}
