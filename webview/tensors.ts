/**
 * The tensors of a view as the panel reads them: a small tensor arrived whole; a big one arrives plane by
 * plane (the last two dims at one index of the others) when a picture first reads a value of that plane.
 * Until it is here, a value reads as null (drawn as "·"), and when it lands the views are told to redraw.
 */
import type { Floats, PanelView, TensorPayload, TensorStats } from '../src/protocol';
import { requestPlane } from './host';

export class RemoteTensor {
  readonly id: string;
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly stats: TensorStats;
  private readonly strides: number[];
  private readonly planeSize: number;
  private readonly planes = new Map<number, Float64Array>();
  private readonly failed = new Map<number, string>();
  private readonly pending = new Map<number, Promise<void>>();
  /** float32 when that was exact (the protocol's floats.ts): read by index, the values are the same */
  private readonly whole: Floats | null;

  constructor(
    payload: TensorPayload,
    private readonly viewId: string,
    private readonly onLoaded: () => void,
  ) {
    this.id = payload.id;
    this.name = payload.name;
    this.shape = payload.shape;
    this.dtype = payload.dtype;
    this.stats = payload.stats;
    this.whole = payload.data;
    this.strides = this.shape.map((_, i) => this.shape.slice(i + 1).reduce((a, b) => a * b, 1));
    const r = this.shape.length;
    this.planeSize = r === 0 ? 1 : r === 1 ? this.shape[0] : this.shape[r - 2] * this.shape[r - 1];
  }

  get size(): number {
    return this.stats.count;
  }

  /** True when every value is here (the tensor came whole). */
  get complete(): boolean {
    return this.whole !== null;
  }

  /** The value at a full multi-index, or null while its plane is on its way. */
  get(index: readonly number[]): number | null {
    let k = 0;
    for (let i = 0; i < index.length; i++) k += index[i] * this.strides[i];
    return this.flat(k);
  }

  /** The value at row-major position k, or null while its plane is on its way. */
  flat(k: number): number | null {
    if (this.whole) return this.whole[k] ?? null;
    const p = Math.floor(k / this.planeSize);
    const plane = this.planes.get(p);
    if (plane) return plane[k - p * this.planeSize];
    void this.load(p);
    return null;
  }

  /** Why the plane holding position k could not be loaded, if it could not. */
  problemAt(k: number): string | undefined {
    return this.failed.get(Math.floor(k / this.planeSize));
  }

  /** Resolves once the planes holding positions [from, to) are here (or have failed). */
  async ensure(from: number, to: number): Promise<void> {
    if (this.whole) return;
    const waits: Promise<unknown>[] = [];
    for (let p = Math.floor(from / this.planeSize); p * this.planeSize < to; p++) waits.push(this.load(p));
    await Promise.all(waits);
  }

  private load(p: number): Promise<void> {
    if (this.planes.has(p) || this.failed.has(p)) return Promise.resolve();
    const inFlight = this.pending.get(p);
    if (inFlight) return inFlight;
    const lead = this.shape.slice(0, Math.max(0, this.shape.length - 2));
    const index: number[] = [];
    let rest = p;
    for (let i = lead.length - 1; i >= 0; i--) {
      index.unshift(rest % lead[i]);
      rest = Math.floor(rest / lead[i]);
    }
    const promise = requestPlane(this.viewId, this.id, index).then(
      (data) => {
        if (data.length === this.planeSize) this.planes.set(p, data);
        else this.failed.set(p, `plane of ${data.length} values, expected ${this.planeSize}`);
      },
      (e: unknown) => {
        this.failed.set(p, e instanceof Error ? e.message : String(e));
      },
    );
    const done = promise.then(() => {
      this.pending.delete(p);
      this.onLoaded();
    });
    this.pending.set(p, done);
    return done;
  }
}

/** Every tensor of one view, by id; `onLoad` listeners hear when a plane arrives. */
export class ViewTensors {
  private readonly byId = new Map<string, RemoteTensor>();
  private readonly listeners = new Set<() => void>();
  private scheduled = false;

  constructor(view: PanelView) {
    for (const t of view.tensors) this.byId.set(t.id, new RemoteTensor(t, view.id, () => this.changed()));
  }

  get(id: string): RemoteTensor {
    const t = this.byId.get(id);
    if (!t) throw new Error(`the view has no tensor ${id}`);
    return t;
  }

  onLoad(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  /** several planes often land together: redraw once per frame */
  private changed(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      for (const fn of this.listeners) fn();
    });
  }
}

/** The last two of a spatial index (or [0, x] for 1-D). */
export function rowCol(index: readonly number[]): [number, number] {
  return index.length >= 2 ? [index[index.length - 2], index[index.length - 1]] : [0, index[0] ?? 0];
}
