/**
 * A trace's steps arrive in pages (the host sends at most a few hundred at a time); this cache holds the
 * pages seen and asks the host for a missing one, so a 128×128 convolution steps as smoothly as a 5×5 one.
 */
import type { TracePart } from '../src/protocol';
import { vscode } from './vscodeApi';

export interface StepSource<T> {
  get(index: number): T | undefined;
  load(index: number): Promise<T | undefined>;
}

type Waiter = (trace: Record<string, unknown>) => void;
const waiters = new Map<string, Waiter[]>();

/** Called by main.ts when a 'steps' message arrives. */
export function deliverSteps(viewId: string, trace: Record<string, unknown>): void {
  const list = waiters.get(viewId) ?? [];
  waiters.delete(viewId);
  for (const w of list) w(trace);
}

export function stepSource<T extends { step: number }>(
  viewId: string,
  part: TracePart,
  first: readonly T[],
): StepSource<T> {
  const cache = new Map<number, T>();
  for (const s of first) cache.set(s.step, s);
  const pending = new Map<number, Promise<T | undefined>>();
  return {
    get: (i) => cache.get(i),
    load(i) {
      const hit = cache.get(i);
      if (hit) return Promise.resolve(hit);
      const inFlight = pending.get(i);
      if (inFlight) return inFlight;
      const promise = new Promise<T | undefined>((resolve) => {
        const timer = window.setTimeout(() => resolve(undefined), 10_000);
        const list = waiters.get(viewId) ?? [];
        list.push((trace) => {
          window.clearTimeout(timer);
          const page = trace[part];
          if (Array.isArray(page))
            for (const s of page as T[]) if (s && typeof s.step === 'number') cache.set(s.step, s);
          pending.delete(i);
          resolve(cache.get(i));
        });
        waiters.set(viewId, list);
        vscode.postMessage({ type: 'loadSteps', viewId, part, start: i });
      });
      pending.set(i, promise);
      return promise;
    },
  };
}

/**
 * Shows step i: at once when its page is here, otherwise "loading" first and the step when it arrives
 * (unless the person has moved on by then).
 */
export function showStep<T>(
  steps: StepSource<T>,
  i: number,
  draw: (step: T | undefined) => void,
  current: () => number,
): void {
  const cached = steps.get(i);
  if (cached) {
    draw(cached);
    return;
  }
  draw(undefined);
  void steps.load(i).then((loaded) => {
    if (current() === i) draw(loaded);
  });
}
