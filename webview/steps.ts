/**
 * A view's steps arrive in pages (bounded by terms, so a page of a 64-channel conv holds a few steps and one
 * of the lecture's 5×5 conv all 25); the first page comes with the view, the others when the person steps
 * into them. This keeps the pages seen and asks the host for a missing one, once.
 */
import {
  decodeConvStep,
  decodePoolStep,
  decodeScatterStep,
  decodeWeightGradStep,
  type ConvStep,
  type Paging,
  type PoolStep,
  type ScatterStep,
  type StepPage,
  type TracePart,
  type WeightGradStep,
} from '../src/protocol';
import { requestPage } from './host';

export interface StepSource<T> {
  readonly total: number;
  get(index: number): T | undefined;
  load(index: number): Promise<T | undefined>;
  /** why step `index` could not be loaded, once that is known */
  problem(index: number): string | undefined;
  /** asks for the pages near step `index` (half a page or 8 steps either side), so that stepping rarely waits */
  prefetch(index: number): void;
}

function source<P extends StepPage, T>(
  viewId: string,
  part: TracePart,
  paging: Paging<P>,
  decode: (page: P, i: number) => T,
): StepSource<T> {
  const pages = new Map<number, P>([[paging.first.window.start, paging.first]]);
  const pending = new Map<number, Promise<void>>();
  const failed = new Map<number, string>();
  const startOf = (index: number) => Math.floor(index / paging.pageSize) * paging.pageSize;
  const get = (index: number): T | undefined => {
    if (index < 0 || index >= paging.total) return undefined;
    const page = pages.get(startOf(index));
    if (!page) return undefined;
    const i = index - page.window.start;
    return i >= 0 && i < page.window.count ? decode(page, i) : undefined;
  };
  const steps: StepSource<T> = {
    total: paging.total,
    get,
    problem: (index) => failed.get(startOf(index)),
    prefetch(index) {
      // at least 8 steps either way: a page of a 64-channel conv holds only 3 steps, and a page takes longer to
      // arrive (host → worker → host → panel) than a person takes for 3 presses of →
      const ahead = Math.max(Math.ceil(paging.pageSize / 2), 8);
      const from = Math.max(0, startOf(index - ahead));
      const to = Math.min(paging.total - 1, index + ahead);
      for (let start = from; start <= to; start += paging.pageSize) if (!pages.has(start)) void steps.load(start);
    },
    async load(index) {
      const start = startOf(index);
      if (!pages.has(start) && !failed.has(start) && index >= 0 && index < paging.total) {
        let wait = pending.get(start);
        if (!wait) {
          wait = requestPage(viewId, part, start).then(
            (page) => {
              if (page.kind === paging.first.kind && page.window.start === start) pages.set(start, page as P);
              else failed.set(start, 'the host sent another page than the one asked for');
            },
            (e: unknown) => {
              failed.set(start, e instanceof Error ? e.message : String(e));
            },
          );
          pending.set(start, wait);
          void wait.finally(() => pending.delete(start));
        }
        await wait;
      }
      return get(index);
    },
  };
  return steps;
}

export const convSteps = (viewId: string, paging: Paging<Extract<StepPage, { kind: 'conv' }>>): StepSource<ConvStep> =>
  source(viewId, 'steps', paging, decodeConvStep);

export const scatterSteps = (
  viewId: string,
  part: TracePart,
  paging: Paging<Extract<StepPage, { kind: 'scatter' }>>,
): StepSource<ScatterStep> => source(viewId, part, paging, decodeScatterStep);

export const poolSteps = (viewId: string, paging: Paging<Extract<StepPage, { kind: 'pool' }>>): StepSource<PoolStep> =>
  source(viewId, 'steps', paging, decodePoolStep);

export const weightGradSteps = (
  viewId: string,
  paging: Paging<Extract<StepPage, { kind: 'weight_grad' }>>,
): StepSource<WeightGradStep> => source(viewId, 'gradWeight', paging, decodeWeightGradStep);

/**
 * Shows step i: at once when its page is here, otherwise "loading" first and the step when it arrives
 * (unless the person has moved on by then).
 */
export function showStep<T>(
  steps: StepSource<T>,
  i: number,
  draw: (step: T | undefined, problem?: string) => void,
  current: () => number,
): void {
  const cached = steps.get(i);
  if (cached) {
    draw(cached);
    steps.prefetch(i);
    return;
  }
  draw(undefined);
  void steps.load(i).then((loaded) => {
    if (current() === i) draw(loaded, loaded ? undefined : steps.problem(i));
    steps.prefetch(i);
  });
}
