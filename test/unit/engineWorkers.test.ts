/**
 * The engine workers (the built dist/worker.js): a result opened in a worker is the one opened on the host,
 * its pages and planes come from the worker's session, Cancel stops the worker, old sessions are let go.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OperationSpec } from '../../src/app/operation';
import { openResult } from '../../src/app/results';
import { Cancelled, EngineWorkers, SPARE_DELAY_MS, type SessionHandle } from '../../src/editor/engineWorkers';
import { decodeConvStep, type ConvPage, type ConvTrace } from '../../src/protocol';

const workerPath = resolve(__dirname, '../../dist/worker.js');
const tensor = (shape: number[]) => ({
  shape,
  data: new Float64Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => ((i * 13) % 7) - 3),
});
const spec = (s: Partial<OperationSpec>): OperationSpec => ({
  kind: 'conv',
  input: tensor([1, 8, 20, 20]),
  kernel: tensor([8, 8, 3, 3]),
  params: { padding: 1 },
  paramsText: 'padding=1',
  flipByDefault: false,
  precision: 6,
  canInsert: false,
  maxElements: 1e6,
  ...s,
});

describe('EngineWorkers', () => {
  it('starts the next spare worker a while after an open, not while the panel draws the result', async () => {
    const workers = new EngineWorkers(workerPath);
    workers.warmSpare();
    expect(workers.hasSpare).toBe(true);
    await workers.openResult(spec({}));
    expect(workers.hasSpare).toBe(false);
    await new Promise((r) => setTimeout(r, SPARE_DELAY_MS + 200));
    expect(workers.hasSpare).toBe(true);
    workers.dispose();
  });
  it('waits with the spare while the panel asks for pages: it starts once the engine has been quiet', async () => {
    const workers = new EngineWorkers(workerPath);
    const opened = (await workers.openResult(spec({}))) as SessionHandle;
    const total = (opened.view.trace as ConvTrace).steps.total;
    const started = Date.now();
    // a person stepping: a page every SPARE_DELAY_MS / 3, for twice SPARE_DELAY_MS
    for (let i = 0; Date.now() - started < 2 * SPARE_DELAY_MS; i++) {
      await opened.page('steps', (i * 97) % total);
      expect(workers.hasSpare).toBe(false);
      await new Promise((r) => setTimeout(r, SPARE_DELAY_MS / 3));
    }
    expect(workers.hasSpare).toBe(false);
    await new Promise((r) => setTimeout(r, SPARE_DELAY_MS + 200));
    expect(workers.hasSpare).toBe(true);
    workers.dispose();
  });
  it('opens a result in a worker: the same view, pages and planes as on the host', async () => {
    const workers = new EngineWorkers(workerPath);
    const opened = (await workers.openResult(spec({}))) as SessionHandle;
    const inline = openResult(spec({}));
    const t = opened.view.trace as ConvTrace;
    expect(t.steps.total).toBe((inline.view.trace as ConvTrace).steps.total);
    expect(opened.view.tensors.map((x) => x.id)).toEqual(inline.view.tensors.map((x) => x.id));
    const page = (await opened.page('steps', 700)) as ConvPage;
    expect(decodeConvStep(page, 700 - page.window.start)).toEqual(
      decodeConvStep(inline.page('steps', 700) as ConvPage, 700 - page.window.start),
    );
    expect(Array.from(await opened.plane('input', [0, 5]))).toEqual(Array.from(inline.plane('input', [0, 5])));
    await expect(opened.plane('input', [0, 99])).rejects.toThrow(/no plane/);
    expect((await opened.tensor('output'))?.data).toEqual(inline.tensor('output')?.data);
    workers.dispose();
  });
  it('reports progress, and cancelling stops the worker; the next open gets a fresh one', async () => {
    const workers = new EngineWorkers(workerPath);
    let cancel: () => void = () => {};
    let progressed = false;
    const slow = spec({ kind: 'gradcheck', input: tensor([1, 4, 24, 24]), kernel: tensor([8, 4, 3, 3]) });
    const running = workers.openResult(slow, {
      onCancel: (c) => (cancel = c),
      onProgress: () => {
        if (!progressed) {
          progressed = true;
          cancel();
        }
      },
    });
    expect(await running).toBeInstanceOf(Cancelled);
    const after = (await workers.openResult(
      spec({ input: tensor([1, 1, 3, 3]), kernel: tensor([1, 1, 1, 1]), params: {} }),
    )) as SessionHandle;
    expect(after.view.error).toBeNull();
    workers.dispose();
  });
  it('keeps the last sessions open and lets older ones go with a clear message', async () => {
    const workers = new EngineWorkers(workerPath, 1);
    const first = (await workers.openResult(spec({}))) as SessionHandle;
    const second = (await workers.openResult(spec({}))) as SessionHandle;
    await expect(first.page('steps', 0)).rejects.toThrow(/no longer open in the engine: run the command again/);
    expect((await second.page('steps', 0)).kind).toBe('conv');
    workers.dispose();
  });
});
