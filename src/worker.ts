/**
 * The engine in a worker thread, so that a long gradient check never stalls the extension host's event
 * loop. One request per worker; the host stops the worker to cancel, which frees everything it held.
 */
import { parentPort } from 'node:worker_threads';
import { handleRequest, type RequestLimits } from './engine/requests';

export interface WorkerRequest {
  readonly request: unknown;
  readonly limits: Omit<RequestLimits, 'onProgress'>;
}

export type WorkerReply = { readonly type: 'progress'; readonly fraction: number } | { readonly type: 'done'; readonly answer: unknown };

const port = parentPort;
if (port) {
  port.once('message', (message: WorkerRequest) => {
    let last = 0;
    const answer = handleRequest(message.request, {
      ...message.limits,
      onProgress: (fraction) => {
        // at most ~100 progress messages per request
        if (fraction - last >= 0.01 || fraction === 1) {
          last = fraction;
          port.postMessage({ type: 'progress', fraction } satisfies WorkerReply);
        }
      },
    });
    port.postMessage({ type: 'done', answer } satisfies WorkerReply);
  });
}
