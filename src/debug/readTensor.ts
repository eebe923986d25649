/**
 * Reading values of a paused Python program through anything that evaluates an expression in its frame (debugpy's
 * `evaluate` in the editor, a bare DAP client in the tests): describe many cheaply, read one — its bytes over
 * the loopback socket, or inline as base64 when the debuggee cannot reach the socket (a remote or containerised
 * program) or the person chose so — and build the TensorSource the panel shows. Cancellable; no vscode.
 */
import { DTYPES } from '../engine/dtype';
import { shapeText } from '../engine/tensor';
import { tensorStats, type TensorOrigin, type TensorSource } from '../tensorSource';
import { readerExpression } from './readerSource';
import {
  decodeRead,
  parseDescriptions,
  parseReadAnswer,
  ReaderProtocolError,
  type Description,
  type ReaderRefusal,
  type ReadHeader,
  type TensorDescription,
} from './readerResult';
import { ChannelError, openSocketChannel, type SocketReceipt } from './socketChannel';

/** Evaluates an expression in the paused frame and answers the result as a raw string (no repr, no cut). */
export type Evaluate = (expression: string) => Promise<string>;

/** `auto`: the socket, inline when the debuggee cannot reach it; `evaluate`: always inline. */
export type TransferChannel = 'auto' | 'evaluate';

export interface ReadOptions {
  /** the most elements to read (convLens.debug.maxElements) */
  readonly cap: number;
  readonly channel: TransferChannel;
  /** Cancel, or the session ending: stops waiting, closes the socket, and drops whatever arrives later */
  readonly signal?: AbortSignal;
  /** fraction of the bytes received (the socket channel reports as they arrive) */
  readonly onProgress?: (fraction: number) => void;
}

export interface ReadTimings {
  readonly channel: 'inline' | 'socket';
  readonly bytes: number;
  /** from the request to the evaluate answer */
  readonly evaluateMs: number;
  /** from the request to the float64 values in hand */
  readonly totalMs: number;
  /** why the socket was not used although it was asked for */
  readonly socketError?: string;
}

export type ReadOutcome =
  | {
      readonly kind: 'tensor';
      readonly header: ReadHeader;
      readonly data: Float64Array;
      readonly notes: readonly string[];
      readonly timings: ReadTimings;
    }
  | { readonly kind: 'over-cap'; readonly description: TensorDescription }
  | { readonly kind: 'refused'; readonly refusal: ReaderRefusal };

/** Cancel was pressed (or the signal aborted for another reason: its message says which). */
export class ReadCancelled extends Error {}

/** Rejects when the signal aborts; `cleanup` stops listening. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(cancelledBy(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelledBy(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function cancelledBy(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && !(reason.name === 'AbortError')) return reason;
  return new ReadCancelled(typeof reason === 'string' ? reason : 'cancelled');
}

/** Descriptions (type, dtype, shape, device) of many expressions in one evaluate; nothing is transferred. */
export async function describeValues(
  evaluate: Evaluate,
  expressions: readonly string[],
  signal?: AbortSignal,
): Promise<Description[]> {
  if (expressions.length === 0) return [];
  const text = await abortable(evaluate(readerExpression(expressions, { mode: 'describe' })), signal);
  return parseDescriptions(text, expressions.length);
}

/** Reads one expression's value: its bytes, or why not (over the cap, not a tensor, it raised). */
export async function readValue(evaluate: Evaluate, expression: string, options: ReadOptions): Promise<ReadOutcome> {
  const started = performance.now();
  let socket: SocketReceipt | undefined;
  if (options.channel === 'auto') {
    socket = await openSocketChannel({
      maxBytes: options.cap * 8,
      onProgress: (received, total) => options.onProgress?.(total ? received / total : 1),
    });
  }
  const onAbort = () => socket?.close('cancelled');
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const text = await abortable(
      evaluate(
        readerExpression([expression], {
          mode: 'read',
          cap: options.cap,
          channel: socket ? socket.channel : 'inline',
        }),
      ),
      options.signal,
    );
    const evaluateMs = performance.now() - started;
    const answer = parseReadAnswer(text);
    const header = answer.header;
    if (!header.ok) return { kind: 'refused', refusal: header };
    if (header.overCap) return { kind: 'over-cap', description: header };
    let bytes: Uint8Array;
    if (header.channel === 'socket') {
      if (!socket) throw new ReaderProtocolError('the reader used a socket that was not offered');
      bytes = await abortable(socket.bytes, options.signal);
    } else {
      socket?.close('the reader answered inline');
      bytes = Buffer.from((answer as { base64?: string }).base64 ?? '', 'base64');
      if (bytes.byteLength !== header.nbytes)
        throw new ReaderProtocolError(
          `the inline answer decodes to ${bytes.byteLength} bytes, not ${header.nbytes}: the evaluate result was cut`,
        );
      options.onProgress?.(1);
    }
    const { data, notes } = decodeRead(header, bytes);
    return {
      kind: 'tensor',
      header,
      data,
      notes,
      timings: {
        channel: header.channel,
        bytes: header.nbytes,
        evaluateMs,
        totalMs: performance.now() - started,
        socketError: header.socketError,
      },
    };
  } catch (e) {
    if (e instanceof ChannelError && options.signal?.aborted) throw cancelledBy(options.signal);
    throw e;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    socket?.close();
  }
}

/** The tensor a read gave, as the panel and the operand store take it. */
export function toTensorSource(
  name: string,
  expression: string,
  read: Extract<ReadOutcome, { kind: 'tensor' }>,
  origin: TensorOrigin,
): TensorSource {
  const h = read.header;
  return {
    name,
    expression,
    dtype: h.dtype,
    shape: h.shape,
    device: h.device,
    pythonType: h.type,
    requiresGrad: h.requiresGrad,
    origin,
    data: read.data,
    stats: tensorStats(read.data, h.shape),
    notes: read.notes,
  };
}

/** "1×3×32×32 float32 on cuda:0, 12 KB" for messages. */
export function describeTensor(d: TensorDescription): string {
  const bytes = d.numel * DTYPES[d.dtype].bytes;
  const size =
    bytes >= 1 << 20
      ? `${(bytes / (1 << 20)).toFixed(1)} MiB`
      : bytes >= 1 << 10
        ? `${(bytes / (1 << 10)).toFixed(1)} KiB`
        : `${bytes} B`;
  const shape = shapeText(d.shape);
  return `${shape} ${d.dtype}${d.device === 'cpu' ? '' : ` on ${d.device}`}, ${size}`;
}
