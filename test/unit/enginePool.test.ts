/** The engine worker pool: answers, progress, cancellation that stops the worker, reuse of idle workers. */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cancelled, EnginePool, runInWorker } from '../../src/host/engineWorker';
import type { Answer } from '../../src/engine/requests';

const workerPath = resolve(__dirname, '../../dist/worker.js');
const big = (shape: number[]) => {
  const build = (d: number): unknown =>
    d === shape.length ? ((d * 13) % 7) - 3 : Array.from({ length: shape[d] }, () => build(d + 1));
  return build(0);
};
// a full-Jacobian gradient check big enough to take seconds
const slow = { op: 'gradcheck', of: 'conv2d', input: big([1, 4, 24, 24]), weight: big([8, 4, 3, 3]), padding: 1 };

describe('EnginePool', () => {
  it('answers a request and reports progress', async () => {
    const fractions: number[] = [];
    const a = await runInWorker(
      workerPath,
      { op: 'gradcheck', of: 'conv1d', input: [[1, 2, 3, 4]], weight: [[[1, -1]]] },
      { onProgress: (f) => fractions.push(f) },
    );
    expect(a).toMatchObject({ ok: true, passed: true });
    expect(fractions.at(-1)).toBe(1);
  });
  it('cancelling stops the worker, and the next task gets a fresh one', async () => {
    const pool = new EnginePool(workerPath);
    let cancel: () => void = () => {};
    let progressed = false;
    const running = pool.run<Answer>(
      { kind: 'request', request: slow, limits: {} },
      {
        onCancel: (c) => (cancel = c),
        onProgress: () => {
          if (!progressed) {
            progressed = true;
            cancel();
          }
        },
      },
    );
    expect(await running).toBeInstanceOf(Cancelled);
    const after = await pool.run<Answer>({
      kind: 'request',
      request: { op: 'conv1d', input: [[1, 2, 3]], weight: [[[1]]] },
      limits: {},
    });
    expect(after).toMatchObject({ ok: true, output: [[1, 2, 3]] });
    pool.dispose();
  });
  it('keeps an idle worker for the next task', async () => {
    const pool = new EnginePool(workerPath, 1);
    const t0 = performance.now();
    await pool.run({ kind: 'request', request: { op: 'conv1d', input: [[1]], weight: [[[1]]] }, limits: {} });
    const first = performance.now() - t0;
    const t1 = performance.now();
    await pool.run({ kind: 'request', request: { op: 'conv1d', input: [[1]], weight: [[[1]]] }, limits: {} });
    const second = performance.now() - t1;
    // no timing assertion: the reuse is observable as the same worker answering (its thread id)
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(0);
    expect((pool as unknown as { idle: unknown[] }).idle).toHaveLength(1);
    pool.dispose();
  });
});
