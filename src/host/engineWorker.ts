/** Runs one engine request in a worker thread with progress and cancellation. */
import { Worker } from 'node:worker_threads';
import type { Answer, RequestLimits } from '../engine/requests';
import type { WorkerReply, WorkerRequest } from '../worker';

export interface WorkerRunOptions {
  readonly limits?: Omit<RequestLimits, 'onProgress'>;
  readonly onProgress?: (fraction: number) => void;
  /** resolves or fires when the user cancels */
  readonly onCancel?: (cancel: () => void) => void;
}

export function runInWorker(workerPath: string, request: unknown, options: WorkerRunOptions = {}): Promise<Answer> {
  return new Promise((resolve) => {
    const worker = new Worker(workerPath);
    let settled = false;
    const finish = (answer: Answer) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      resolve(answer);
    };
    worker.on('message', (reply: WorkerReply) => {
      if (reply.type === 'progress') options.onProgress?.(reply.fraction);
      else finish(reply.answer as Answer);
    });
    worker.on('error', (e) => finish({ ok: false, error: `the engine worker failed: ${e.message}`, rule: 'internal' }));
    worker.on('exit', (code) => finish({ ok: false, error: settled ? '' : `cancelled (the engine worker stopped with code ${code})`, rule: 'cancelled' }));
    options.onCancel?.(() => finish({ ok: false, error: 'cancelled', rule: 'cancelled' }));
    worker.postMessage({ request, limits: options.limits ?? {} } satisfies WorkerRequest);
  });
}
