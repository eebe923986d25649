/**
 * The engine in a worker thread, so that a long convolution or gradient check never stalls the extension
 * host's event loop. A worker takes one task at a time; the host stops it to cancel, which frees everything
 * it held, and the pool starts a fresh one when needed.
 */
import { parentPort } from 'node:worker_threads';
import { runBackward, runOperation } from './commands/views';
import { handleRequest } from './engine/requests';
import type { WorkerReply, WorkerTask } from './host/engineWorker';

const port = parentPort;
if (port) {
  port.on('message', (task: WorkerTask) => {
    let last = 0;
    const onProgress = (fraction: number) => {
      // at most ~100 progress messages per task
      if (fraction - last >= 0.01 || fraction === 1) {
        last = fraction;
        port.postMessage({ type: 'progress', fraction } satisfies WorkerReply);
      }
    };
    let result: unknown;
    switch (task.kind) {
      case 'request':
        result = handleRequest(task.request, { ...task.limits, onProgress });
        break;
      case 'operation':
        result = runOperation(task.operation);
        break;
      case 'backward':
        result = runBackward(task.operation);
        break;
    }
    port.postMessage({ type: 'done', result } satisfies WorkerReply);
  });
}
