/**
 * One line of `conv-lens run`, from bytes to answer bytes, with every guard that keeps a line from taking the
 * process down: UTF-8 is checked, nesting is measured before JSON.parse builds anything (and names the field),
 * the `id` is bounded before it is echoed, the budget is estimated from the shapes before any tensor is read,
 * and the answer is encoded under a cap that names the field it was writing. The CLI's main thread and its
 * engine thread both run this; pure Node-free code apart from TextDecoder.
 */
import { isTiny, type Estimate } from '../engine/budget';
import {
  errorAnswer,
  estimateRequest,
  handleRequest,
  type Answer,
  type ErrorAnswer,
  type RequestLimits,
} from '../engine/requests';
import { describe, quote } from '../engine/tensor';
import { AnswerTooLarge, encodeChunks } from './encode';
import { fileTensorResolver } from './inspect';
import { answerParse } from './parseRequest';
import { answerModelShapes } from './shapes';

export interface LineOptions {
  /** the engine's budget for every request */
  readonly limits: RequestLimits;
  /** whether requests may take tensors from files (the CLI: yes); a flag, since the options cross to a thread */
  readonly files?: boolean;
  /** the most bytes one answer may have */
  readonly maxAnswerBytes: number;
}

/** Deeper than any request needs (a tensor has at most 5 dims here): refused before JSON.parse. */
export const MAX_NESTING = 64;
/** An id is echoed in its answer: at most this many bytes of JSON. */
export const MAX_ID_BYTES = 4096;
/** A parse request of a text up to this long is tiny enough to answer inline. */
const TINY_TEXT = 1 << 18;

// ---------------------------------------------------------------------------------------------------------
// Bytes → text

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Where the first invalid UTF-8 sequence starts (only called once decoding has failed). */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    let n: number;
    let min: number;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      min = 0x10000;
    } else return i;
    if (i + n >= b.length) return i;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return b.length;
}

export function decodeLine(bytes: Uint8Array): string | ErrorAnswer {
  try {
    return decoder.decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const shown = Array.from(bytes.subarray(at, at + 4), (x) => x.toString(16).padStart(2, '0')).join(' ');
    return {
      ok: false,
      error: `the line is not valid UTF-8: byte ${at} starts an invalid sequence (${shown}); send UTF-8 JSON`,
      param: 'request',
      rule: 'encoding',
    };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Nesting, measured on the text

/**
 * The first place where the JSON nests deeper than `max`, with the top-level field it is in, or null. A loop
 * over the characters (strings skipped): it runs before JSON.parse, which would spend seconds and hundreds
 * of megabytes on a line of ten million '['.
 */
export function scanNesting(text: string, max: number): { field: string; offset: number } | null {
  let depth = 0;
  let inString = false;
  let topIsObject = false;
  let expectingKey = false;
  let keyStart = -1;
  let field = 'request';
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      // to the closing quote at once (a 100 MB string is one native search): a quote after an odd run of
      // backslashes is escaped
      let q = text.indexOf('"', i);
      for (;;) {
        if (q < 0) return null;
        let k = q - 1;
        while (k >= i && text.charCodeAt(k) === 0x5c) k--;
        if ((q - 1 - k) % 2 === 0) break;
        q = text.indexOf('"', q + 1);
      }
      i = q;
      inString = false;
      if (keyStart >= 0) {
        field = text.slice(keyStart, Math.min(i, keyStart + 64));
        keyStart = -1;
      }
      continue;
    }
    if (c === 0x22) {
      inString = true;
      if (depth === 1 && expectingKey) {
        keyStart = i + 1;
        expectingKey = false;
      }
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) return { field: topIsObject ? field : 'request', offset: i };
      if (depth === 1) {
        topIsObject = c === 0x7b;
        expectingKey = topIsObject;
      }
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x2c && depth === 1 && topIsObject) {
      expectingKey = true;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Text → a request ready to run

export type Prepared =
  | { readonly kind: 'answer'; readonly answer: Answer }
  | {
      readonly kind: 'request';
      readonly request: Record<string, unknown>;
      readonly op: string;
      readonly id: unknown;
      /** the request's own timeout_ms, if it gave one */
      readonly timeoutMs: number | null;
      readonly estimate: Estimate | null;
      /** small enough to answer on any thread at once */
      readonly tiny: boolean;
    };

function refusal(param: string, rule: string, error: string, id?: unknown): Prepared {
  return { kind: 'answer', answer: { ok: false, error, param, rule, ...(id === undefined ? {} : { id }) } };
}

export function prepareLine(text: string, options: LineOptions): Prepared {
  const deep = scanNesting(text, MAX_NESTING);
  if (deep) {
    return refusal(
      deep.field,
      'nesting',
      `${deep.field} is nested more than ${MAX_NESTING} deep (at character ${deep.offset}): a request's values nest at most ${MAX_NESTING} deep (a tensor here has 1 to 5 dims)`,
    );
  }
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return refusal(
      'request',
      'json',
      `the line is not valid JSON (${reason.length > 200 ? reason.slice(0, 200) + '…' : reason}): send one JSON object per line`,
    );
  }
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    return {
      kind: 'answer',
      answer: handleRequest(request, options.limits),
    };
  }
  const req = { ...(request as Record<string, unknown>) };
  let id: unknown = undefined;
  if (req.id !== undefined) {
    try {
      encodeChunks(req.id, { maxBytes: MAX_ID_BYTES });
      id = req.id;
    } catch (e) {
      if (!(e instanceof AnswerTooLarge)) throw e;
      return refusal(
        'id',
        'size_limit',
        `id is too large to echo (${typeof req.id === 'string' ? `${req.id.length} characters` : describe(req.id)}): an id may be at most ${MAX_ID_BYTES} bytes of JSON`,
      );
    }
  }
  let timeoutMs: number | null = null;
  if (req.timeout_ms !== undefined && req.timeout_ms !== null) {
    const t = req.timeout_ms;
    if (typeof t !== 'number' || !(t > 0) || t > 2 ** 31 - 1) {
      return refusal(
        'timeout_ms',
        'type',
        `timeout_ms must be a number of milliseconds from 1 to ${2 ** 31 - 1}, got ${describe(t)}`,
        id,
      );
    }
    timeoutMs = Math.ceil(t);
  }
  delete req.timeout_ms;
  const op = typeof req.op === 'string' ? req.op : '';
  if (op === 'parse' || op === 'model_shapes') {
    const textLength = typeof req.text === 'string' ? req.text.length : 0;
    return { kind: 'request', request: req, op, id, timeoutMs, estimate: null, tiny: textLength <= TINY_TEXT };
  }
  const estimate = estimateRequest(req, options.limits);
  // no estimate: the request is malformed or refused by PyTorch's rules, which costs nothing to answer
  return { kind: 'request', request: req, op, id, timeoutMs, estimate, tiny: estimate === null || isTiny(estimate) };
}

/** Runs a prepared request. Never throws. */
export function answerPrepared(p: Prepared, options: LineOptions): Answer {
  if (p.kind === 'answer') return p.answer;
  try {
    if (p.op === 'parse') return answerParse(p.request, options.limits.maxElements);
    if (p.op === 'model_shapes') return answerModelShapes(p.request);
    const limits = options.files ? { ...options.limits, resolveTensor: fileTensorResolver() } : options.limits;
    return handleRequest(p.request, limits);
  } catch (e) {
    // handleRequest catches everything; a RangeError here is an allocation the budget did not foresee
    return errorAnswer(e, p.id);
  }
}

/**
 * The answer as bytes, one line without its newline. An answer over the cap is replaced by a refusal that
 * names the field that did not fit.
 */
export function encodeAnswer(answer: Answer, options: LineOptions, indent?: number): Uint8Array[] {
  try {
    return encodeChunks(answer, { maxBytes: options.maxAnswerBytes, indent });
  } catch (e) {
    if (!(e instanceof AnswerTooLarge)) throw e;
    const id = (answer as { id?: unknown }).id;
    return encodeChunks(
      {
        ok: false,
        error: `the answer would be larger than ${options.maxAnswerBytes} bytes (--max-answer-bytes) at its field ${quote(e.field)}: ask for a smaller result (smaller tensors, fewer trace steps) or raise the limit`,
        param: e.field,
        rule: 'size_limit',
        ...(id === undefined ? {} : { id }),
      },
      { indent },
    );
  }
}

/** Bytes in, answer bytes out: the whole line on one thread. */
export function answerLineBytes(bytes: Uint8Array, options: LineOptions): Uint8Array[] {
  const text = decodeLine(bytes);
  if (typeof text !== 'string') return encodeAnswer(text, options);
  return encodeAnswer(answerPrepared(prepareLine(text, options), options), options);
}
