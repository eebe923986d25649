/**
 * A small pool of engine workers (src/worker.ts). Heavy tasks run there with progress and cancellation:
 * cancelling stops the worker (nothing it held survives) and the pool starts a new one for the next task.
 * Idle workers are kept, so a second task does not pay the start-up again.
 */
import { Worker } from 'node:worker_threads';
import type { OperationInput } from '../commands/views';
import type { Answer, RequestLimits } from '../engine/requests';
import type { Tensor } from '../engine/tensor';

/** What the host asks of a worker (src/worker.ts), and what the worker sends back. */
export type WorkerTask =
  | { readonly kind: 'request'; readonly request: unknown; readonly limits: Omit<RequestLimits, 'onProgress'> }
  | { readonly kind: 'operation'; readonly operation: OperationInput }
  | { readonly kind: 'backward'; readonly operation: Omit<OperationInput, 'kind'> & { readonly gradOutput?: Tensor } };

export type WorkerReply =
  { readonly type: 'progress'; readonly fraction: number } | { readonly type: 'done'; readonly result: unknown };

export interface WorkerRunOptions {
  readonly onProgress?: (fraction: number) => void;
  /** registers the function that cancels the task (e.g. with a CancellationToken) */
  readonly onCancel?: (cancel: () => void) => void;
}

export class Cancelled {
  readonly cancelled = true;
}

export class EnginePool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Set<Worker>();

  constructor(
    private readonly workerPath: string,
    private readonly keepIdle = 2,
  ) {}

  run<T>(task: WorkerTask, options: WorkerRunOptions = {}): Promise<T | Cancelled> {
    const worker = this.idle.pop() ?? new Worker(this.workerPath);
    this.busy.add(worker);
    return new Promise((resolve) => {
      let settled = false;
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        this.busy.delete(worker);
      };
      const finish = (value: T | Cancelled, keep: boolean) => {
        if (settled) return;
        settled = true;
        cleanup();
        if (keep && this.idle.length < this.keepIdle) this.idle.push(worker);
        else void worker.terminate();
        resolve(value);
      };
      const onMessage = (reply: WorkerReply) => {
        if (reply.type === 'progress') options.onProgress?.(reply.fraction);
        else finish(reply.result as T, true);
      };
      const onError = (e: Error) => {
        if (settled) return;
        settled = true;
        cleanup();
        void worker.terminate();
        resolve({ ok: false, error: `the engine worker failed: ${e.message}`, rule: 'internal' } as T);
      };
      const onExit = () => finish(new Cancelled(), false);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      options.onCancel?.(() => finish(new Cancelled(), false));
      worker.postMessage(task);
    });
  }

  dispose(): void {
    for (const w of [...this.idle, ...this.busy]) void w.terminate();
    this.idle.length = 0;
    this.busy.clear();
  }
}

/** One engine request in a fresh worker (scripts and the benchmark); the answer, or a 'cancelled' answer. */
export async function runInWorker(
  workerPath: string,
  request: unknown,
  options: WorkerRunOptions & {
    limits?: WorkerTask extends infer T ? (T extends { kind: 'request'; limits: infer L } ? L : never) : never;
  } = {},
): Promise<Answer> {
  const pool = new EnginePool(workerPath, 0);
  const result = await pool.run<Answer>({ kind: 'request', request, limits: options.limits ?? {} }, options);
  pool.dispose();
  return result instanceof Cancelled ? { ok: false, error: 'cancelled', rule: 'cancelled' } : result;
}
