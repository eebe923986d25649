/**
 * What the reader (readerSource.ts) answers, checked before it is trusted: descriptions of values, and a read's
 * header and bytes decoded into float64 with the engine's own decoder (src/engine/dtype.ts). Pure: no vscode.
 */
import { decodeElements, DTYPES, parseDType, type DType } from '../engine/dtype';

/** A value the reader can read: its type, element type, shape and device. */
export interface TensorDescription {
  readonly ok: true;
  /** torch | numpy | list | scalar | array */
  readonly kind: string;
  /** the Python type: "torch.Tensor", "numpy.ndarray", "list" */
  readonly type: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly device: string;
  readonly requiresGrad: boolean;
  readonly contiguous: boolean;
  readonly numel: number;
}

/** A value the reader cannot read, or an expression that raised. */
export interface ReaderRefusal {
  readonly ok: false;
  readonly error: string;
  /** the expression raised (NameError, AttributeError…) */
  readonly raised: boolean;
  /** the socket transfer broke off (cancelled, or the session went away) */
  readonly cut: boolean;
  /** a fault in the reader itself, with Python's traceback */
  readonly internal: boolean;
  readonly traceback?: string;
  readonly type?: string;
}

export type Description = TensorDescription | ReaderRefusal;

export interface ReadHeader extends TensorDescription {
  /** more elements than the cap: no data was sent */
  readonly overCap: boolean;
  readonly nbytes: number;
  readonly littleEndian: boolean;
  readonly notes: readonly string[];
  readonly channel: 'inline' | 'socket';
  /** why the socket was not used although it was asked for */
  readonly socketError?: string;
}

export type ReadAnswer = { readonly header: ReadHeader; readonly base64?: string } | { readonly header: ReaderRefusal };

export class ReaderProtocolError extends Error {}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function refusal(r: Record<string, unknown>): ReaderRefusal {
  return {
    ok: false,
    error: typeof r.error === 'string' ? r.error : 'the reader gave no reason',
    raised: r.raised === true,
    cut: r.cut === true,
    internal: r.internal === true,
    traceback: typeof r.traceback === 'string' ? r.traceback : undefined,
    type: typeof r.type === 'string' ? r.type : undefined,
  };
}

function description(r: Record<string, unknown>): Description {
  if (r.ok !== true) return refusal(r);
  const dtype = typeof r.dtype === 'string' ? parseDType(r.dtype) : null;
  const shape: unknown = r.shape;
  if (!dtype) throw new ReaderProtocolError(`the reader answered an unknown dtype ${JSON.stringify(r.dtype)}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0))
    throw new ReaderProtocolError(`the reader answered a malformed shape ${JSON.stringify(shape)}`);
  const dims = shape as number[];
  const numel = dims.reduce((a, b) => a * b, 1);
  if (r.numel !== numel)
    throw new ReaderProtocolError(`the reader answered ${String(r.numel)} elements for shape [${dims.join(', ')}]`);
  return {
    ok: true,
    kind: String(r.kind),
    type: String(r.type),
    dtype,
    shape: dims,
    device: typeof r.device === 'string' ? r.device : 'cpu',
    requiresGrad: r.requires_grad === true,
    contiguous: r.contiguous !== false,
    numel,
  };
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const preview = text.length > 200 ? `${text.slice(0, 200)}…` : text;
    throw new ReaderProtocolError(`the ${what} is not the reader's JSON: ${preview}`);
  }
}

/** The describe answer: one description per expression asked. */
export function parseDescriptions(text: string, expected: number): Description[] {
  const list = parseJson(text, 'describe answer');
  if (!Array.isArray(list) || list.length !== expected || !list.every(isRecord))
    throw new ReaderProtocolError(`the describe answer should list ${expected} descriptions`);
  return list.map(description);
}

/** The read answer: a JSON header line, then (inline channel) the base64 bytes. */
export function parseReadAnswer(text: string): ReadAnswer {
  const newline = text.indexOf('\n');
  const head = parseJson(newline < 0 ? text : text.slice(0, newline), 'read answer');
  if (!isRecord(head)) throw new ReaderProtocolError('the read answer has no header');
  const d = description(head);
  if (!d.ok) return { header: d };
  const overCap = head.over_cap === true;
  const nbytes = overCap ? 0 : Number(head.nbytes);
  if (!overCap && nbytes !== d.numel * DTYPES[d.dtype].bytes)
    throw new ReaderProtocolError(
      `the reader sent ${String(head.nbytes)} bytes for ${d.numel} ${d.dtype} elements (${d.numel * DTYPES[d.dtype].bytes} expected)`,
    );
  const header: ReadHeader = {
    ...d,
    overCap,
    nbytes,
    littleEndian: head.little_endian !== false,
    notes: Array.isArray(head.notes) ? head.notes.filter((n): n is string => typeof n === 'string') : [],
    channel: head.channel === 'socket' ? 'socket' : 'inline',
    socketError: typeof head.socket_error === 'string' ? head.socket_error : undefined,
  };
  if (overCap || header.channel === 'socket') return { header };
  if (newline < 0) throw new ReaderProtocolError('the read answer has a header but no data');
  return { header, base64: text.slice(newline + 1) };
}

/** The bytes of a read as exact float64 values, with a note when int64 values beyond 2^53 had to be rounded. */
export function decodeRead(header: ReadHeader, bytes: Uint8Array): { data: Float64Array; notes: string[] } {
  if (bytes.byteLength !== header.nbytes)
    throw new ReaderProtocolError(`received ${bytes.byteLength} bytes, the reader sent ${header.nbytes}`);
  const { data, lossyIntegers } = decodeElements(header.dtype, bytes, header.numel, header.littleEndian);
  const notes = [...header.notes];
  if (lossyIntegers) notes.push(`${header.dtype} values beyond ±2^53 rounded to the nearest float64`);
  return { data, notes };
}
