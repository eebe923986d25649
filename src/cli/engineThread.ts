/**
 * The CLI's engine thread: answers one line at a time for `conv-lens run`, so that the main thread stays free
 * to keep time and can stop a request that runs past its timeout (terminating the thread frees everything it
 * held). It reports what it is about to run (the request's own timeout, its op, id and estimate) before the
 * work starts, and sends the answer as byte chunks, transferred, not copied.
 */
import { parentPort } from 'node:worker_threads';
import { answerPrepared, decodeLine, encodeAnswer, prepareLine, type LineOptions } from './lines';

export interface ThreadTask {
  readonly seq: number;
  readonly bytes: Uint8Array;
  readonly options: LineOptions;
}

export type ThreadReply =
  | {
      readonly seq: number;
      readonly type: 'started';
      readonly timeoutMs: number | null;
      readonly op: string;
      readonly id: unknown;
      readonly work: number | null;
      readonly millis: number | null;
    }
  | { readonly seq: number; readonly type: 'answer'; readonly chunks: Uint8Array[] };

export function startEngineThread(): void {
  const port = parentPort;
  if (!port) return;
  port.on('message', (task: ThreadTask) => {
    const { seq, options } = task;
    const send = (chunks: Uint8Array[]) => {
      const buffers = [...new Set(chunks.map((c) => c.buffer))] as ArrayBuffer[];
      port.postMessage({ seq, type: 'answer', chunks } satisfies ThreadReply, buffers);
    };
    const text = decodeLine(task.bytes);
    if (typeof text !== 'string') {
      send(encodeAnswer(text, options));
      return;
    }
    const prepared = prepareLine(text, options);
    if (prepared.kind === 'request') {
      port.postMessage({
        seq,
        type: 'started',
        timeoutMs: prepared.timeoutMs,
        op: prepared.op,
        id: prepared.id,
        work: prepared.estimate ? prepared.estimate.work : null,
        millis: prepared.estimate ? prepared.estimate.millis : null,
      } satisfies ThreadReply);
    }
    send(encodeAnswer(answerPrepared(prepared, options), options));
  });
}
