/**
 * The data side of a tensor-file view (the custom editor's document; pure, so it is tested without VS Code):
 * the listing at once, then each tensor's statistics as they are computed, one tensor at a time.
 *
 * How stats reach the list without reading a 1 GB file up front: the listing comes from headers and the
 * pickle only, and every row starts with its stats pending. If the tensors together hold at most
 * `eagerStatsBytes` (256 MiB by default), a background pass computes them all, in listing order; past that,
 * only the tensors a view asks for (`want`: the rows on screen, the selected tensor) are computed, asked-for
 * ones first. Each computation streams its tensor in chunks, so it is bounded in memory at any size, and
 * reports through `onStats`. Nothing runs in parallel and everything stops on dispose.
 */
import { TensorFileError } from './errors';
import type { LoadedTensor, ReadOptions, TensorFile, TensorListing } from './file';
import type { SliceSpec, TensorStats } from './layout';

export type StatsState =
  | { readonly state: 'pending' }
  | { readonly state: 'done'; readonly stats: TensorStats }
  | { readonly state: 'failed'; readonly error: string };

export interface TensorFileModelOptions {
  /** all stats are computed in the background when the tensors hold at most this many bytes together */
  readonly eagerStatsBytes?: number;
  readonly onStats?: (name: string, state: StatsState) => void;
}

export const DEFAULT_EAGER_STATS_BYTES = 256 << 20;

export class TensorFileModel {
  private readonly states = new Map<string, StatsState>();
  private readonly running = new Map<string, Promise<TensorStats>>();
  private readonly queue: string[] = [];
  private readonly controller = new AbortController();
  private pumping = false;

  constructor(
    readonly file: TensorFile,
    private readonly options: TensorFileModelOptions = {},
  ) {
    const eager = options.eagerStatsBytes ?? DEFAULT_EAGER_STATS_BYTES;
    if (file.listing.tensorBytes <= eager) this.queue.push(...file.listing.tensors.map((t) => t.name));
  }

  get listing(): TensorListing {
    return this.file.listing;
  }

  get disposed(): boolean {
    return this.controller.signal.aborted;
  }

  /** Starts the background pass (the eager stats, then whatever `want` queues). */
  start(): void {
    void this.pump();
  }

  statsState(name: string): StatsState {
    return this.states.get(name) ?? { state: 'pending' };
  }

  /** Queues these tensors' stats ahead of the rest (the rows on screen, the selection). */
  want(names: readonly string[]): void {
    const fresh = names.filter((n) => !this.states.has(n) && this.listing.tensors.some((t) => t.name === n));
    for (const n of fresh) {
      const at = this.queue.indexOf(n);
      if (at >= 0) this.queue.splice(at, 1);
    }
    this.queue.unshift(...fresh);
    void this.pump();
  }

  /** One tensor's stats, computed once (concurrent callers share the computation). */
  stats(name: string): Promise<TensorStats> {
    const state = this.states.get(name);
    if (state?.state === 'done') return Promise.resolve(state.stats);
    if (state?.state === 'failed') return Promise.reject(new Error(state.error));
    const known = this.running.get(name);
    if (known) return known;
    const p = this.file.stats(name, { signal: this.controller.signal }).then(
      (stats) => {
        this.settle(name, { state: 'done', stats });
        return stats;
      },
      (e: unknown) => {
        if (!(e instanceof TensorFileError && e.rule === 'cancelled')) {
          this.settle(name, { state: 'failed', error: e instanceof Error ? e.message : String(e) });
        }
        this.running.delete(name);
        throw e;
      },
    );
    this.running.set(name, p);
    return p;
  }

  /** One tensor's values (or a slice of them), within the file's cap. */
  read(name: string, options: { slice?: SliceSpec; maxElements?: number } = {}): Promise<LoadedTensor> {
    const read: ReadOptions = { ...options, signal: this.controller.signal };
    return this.file.read(name, read);
  }

  dispose(): void {
    this.controller.abort();
    this.queue.length = 0;
    void this.file.close();
  }

  private settle(name: string, state: StatsState): void {
    this.running.delete(name);
    this.states.set(name, state);
    if (!this.disposed) this.options.onStats?.(name, state);
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length && !this.disposed) {
        const name = this.queue.shift()!;
        if (this.states.has(name)) continue;
        await this.stats(name).catch(() => undefined);
      }
    } finally {
      this.pumping = false;
    }
  }
}
