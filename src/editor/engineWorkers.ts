/**
 * Engine worker threads (src/worker.ts) for the results too big to compute on the extension host's thread.
 * Each worker holds one open result session and answers its pages, planes and tensors; the last few stay
 * open (a person flips between recent views), older ones are stopped. Cancelling an open stops its worker,
 * which frees everything it held. One spare worker is kept started, so a command does not wait for one.
 *
 * Small results are opened on the host itself (inlineHandle): the same session code, the same handle.
 */
import { Worker } from 'node:worker_threads';
import type { ResultSession } from '../app/results';
import type { OperationSpec } from '../app/operation';
import type { OpenedReply, WorkerReply, WorkerRequest } from '../app/workerMessages';
import type { Answer } from '../engine/requests';
import type { Tensor } from '../engine/tensor';
import type { PanelView, StepPage, TracePart } from '../protocol';

/** A result the panel shows, wherever it was computed. */
export interface SessionHandle {
  readonly view: PanelView;
  readonly output: Tensor | null;
  /** what Check Gradient's notification says (see GradcheckOutcome) */
  readonly outcome: unknown;
  page(part: TracePart, start: number): Promise<StepPage>;
  plane(tensor: string, index: readonly number[]): Promise<Float64Array>;
  slice(tensor: string, rows: number, cols: number, index: readonly number[]): Promise<Float64Array>;
  partial(part: TracePart, step: number, batch: number, channel: number): Promise<Float64Array>;
  tensor(id: string): Promise<Tensor | undefined>;
  close(): void;
}

export class Cancelled {
  readonly cancelled = true;
}

export interface OpenOptions {
  readonly onProgress?: (fraction: number) => void;
  /** registers the function that cancels the open (e.g. with a CancellationToken) */
  readonly onCancel?: (cancel: () => void) => void;
}

export function inlineHandle(session: ResultSession & { outcome?: unknown }): SessionHandle {
  const run = <T>(fn: () => T): Promise<T> => {
    try {
      return Promise.resolve(fn());
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  };
  return {
    view: session.view,
    output: session.output,
    outcome: session.outcome ?? null,
    page: (part, start) => run(() => session.page(part, start)),
    plane: (tensor, index) => run(() => session.plane(tensor, index)),
    slice: (tensor, rows, cols, index) => run(() => session.slice(tensor, rows, cols, index)),
    partial: (part, step, batch, channel) => run(() => session.partial(part, step, batch, channel)),
    tensor: (id) => run(() => session.tensor(id)),
    close: () => {},
  };
}

interface Pending {
  readonly resolve: (reply: WorkerReply) => void;
  readonly reject: (e: Error) => void;
  readonly onProgress?: (fraction: number) => void;
}

class EngineThread {
  readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  dead = false;

  /** `warmUp`: a spare, started ahead of the command it will serve, warms its engine up meanwhile (src/worker.ts) */
  constructor(path: string, warmUp = false) {
    this.worker = new Worker(path, { workerData: { warmUp } });
    this.worker.on('message', (m: WorkerReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.type === 'progress') {
        p.onProgress?.(m.fraction);
        return;
      }
      this.pending.delete(m.id);
      if (m.type === 'failed') p.reject(new Error(m.error));
      else p.resolve(m);
    });
    const fail = (why: string) => {
      this.dead = true;
      for (const p of this.pending.values()) p.reject(new Error(why));
      this.pending.clear();
    };
    this.worker.on('error', (e) => fail(`the engine worker failed: ${e.message}`));
    this.worker.on('exit', () => fail('this view is no longer open in the engine: run the command again'));
  }

  ask(request: DistributiveOmit<WorkerRequest, 'id'>, onProgress?: (fraction: number) => void): Promise<WorkerReply> {
    if (this.dead) return Promise.reject(new Error('this view is no longer open in the engine: run the command again'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ ...request, id });
    });
  }

  stop(): void {
    this.dead = true;
    void this.worker.terminate();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * How long the engine must be quiet (no open, no page or plane asked for) before the next spare worker starts.
 * Started at once, its start-up and warm-up took a core of a 2-core machine while the panel drew the result
 * just opened; started a fixed time after the open, it landed on the first steps a person played. Their next
 * command is seconds away.
 */
export const SPARE_DELAY_MS = 1500;

export class EngineWorkers {
  private spare: EngineThread | undefined;
  private spareTimer: ReturnType<typeof setTimeout> | undefined;
  /** the threads that hold an open session, oldest first */
  private readonly open: EngineThread[] = [];

  constructor(
    private readonly workerPath: string,
    private readonly keepOpen = 4,
  ) {}

  /** Opens `spec` in a worker: its view, or Cancelled when cancelled first. Rejects when the worker fails. */
  async openResult(spec: OperationSpec, options: OpenOptions = {}): Promise<SessionHandle | Cancelled> {
    const thread = this.spare && !this.spare.dead ? this.spare : new EngineThread(this.workerPath);
    this.spare = undefined;
    let cancelled = false;
    options.onCancel?.(() => {
      cancelled = true;
      thread.stop();
    });
    let reply: WorkerReply;
    try {
      reply = await thread.ask({ type: 'open', spec }, options.onProgress);
    } catch (e) {
      thread.stop();
      if (cancelled) return new Cancelled();
      throw e;
    } finally {
      this.warmSpareLater();
    }
    if (reply.type !== 'opened') throw new Error(`unexpected reply ${reply.type} from the engine worker`);
    this.open.push(thread);
    while (this.open.length > this.keepOpen) this.open.shift()?.stop();
    return this.handle(thread, reply.result);
  }

  private handle(thread: EngineThread, opened: OpenedReply): SessionHandle {
    const viewId = opened.view.id;
    const expect = async <T extends WorkerReply['type']>(type: T, request: DistributiveOmit<WorkerRequest, 'id'>) => {
      this.postponeSpare();
      const r = await thread.ask(request);
      if (r.type !== type) throw new Error(`unexpected reply ${r.type} from the engine worker`);
      return r as Extract<WorkerReply, { type: T }>;
    };
    return {
      view: opened.view,
      output: opened.output,
      outcome: opened.outcome,
      page: async (part, start) => (await expect('page', { type: 'page', viewId, part, start })).page,
      plane: async (tensor, index) => (await expect('plane', { type: 'plane', viewId, tensor, index })).data,
      partial: async (part, step, batch, channel) =>
        (await expect('plane', { type: 'partial', viewId, part, step, batch, channel })).data,
      slice: async (tensor, rows, cols, index) =>
        (await expect('plane', { type: 'slice', viewId, tensor, rows, cols, index })).data,
      tensor: async (id) => (await expect('tensor', { type: 'tensor', viewId, tensor: id })).tensor ?? undefined,
      close: () => {
        const i = this.open.indexOf(thread);
        if (i >= 0) this.open.splice(i, 1);
        thread.stop();
      },
    };
  }

  /** Answers a JSON request in a worker of its own (as the CLI answers it). */
  async answer(request: Record<string, unknown>): Promise<Answer> {
    const thread = new EngineThread(this.workerPath);
    try {
      const reply = await thread.ask({ type: 'request', request });
      if (reply.type !== 'answer') throw new Error(`unexpected reply ${reply.type} from the engine worker`);
      return reply.answer;
    } finally {
      thread.stop();
    }
  }

  /** Whether a spare worker is started (for tests). */
  get hasSpare(): boolean {
    return this.spare !== undefined && !this.spare.dead;
  }

  /** Starts the spare worker ahead of the next command (its start-up is then off the command's path). */
  warmSpare(): void {
    clearTimeout(this.spareTimer);
    this.spareTimer = undefined;
    if (!this.spare || this.spare.dead) this.spare = new EngineThread(this.workerPath, true);
  }

  /** A request to an open session while the spare is still to start: the panel is busy, start it later. */
  private postponeSpare(): void {
    if (this.spareTimer !== undefined) this.warmSpareLater();
  }

  private warmSpareLater(): void {
    clearTimeout(this.spareTimer);
    this.spareTimer = setTimeout(() => this.warmSpare(), SPARE_DELAY_MS);
    this.spareTimer.unref?.();
  }

  dispose(): void {
    clearTimeout(this.spareTimer);
    this.spare?.stop();
    for (const t of this.open) t.stop();
    this.open.length = 0;
  }
}
