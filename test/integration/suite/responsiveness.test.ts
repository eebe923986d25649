/**
 * Conv Lens never holds the extension host's thread for long (issues 13 and 14): a 632×632 max pool with a
 * 316×316 window runs in an engine worker and can be cancelled; a big conv's view and its pages come from a
 * worker; a timer in the host keeps firing on time throughout (worst lag under 50 ms, the median of three runs).
 */
import * as assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { suite, suiteSetup, test } from 'mocha';
import * as vscode from 'vscode';
import { activateExtension } from './helpers';

interface Api {
  results: {
    cancelRunning(): void;
    get(viewId: string): { page(part: string, start: number): Promise<{ window: { start: number } }> } | undefined;
  };
}

let api: Api;

suiteSetup(async () => {
  api = (await activateExtension()).exports as Api;
});

function tensor(shape: number[]) {
  return { shape, data: new Float64Array(shape.reduce((a, b) => a * b, 1)).map((_, i) => ((i * 7) % 5) - 2) };
}

/** Runs `fn` while sampling the host's event loop; its worst delay in ms. */
async function worstLag(fn: () => Promise<void>): Promise<number> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  try {
    await fn();
  } finally {
    h.disable();
  }
  return h.max / 1e6;
}

/**
 * The median of three runs' worst delays. One run's worst delay also holds what the 2-core machine does
 * meanwhile (a major GC of the host's heap, VS Code's own work, the browser drawing the panel): measured
 * here, single runs of the same command ranged 7–80 ms. Something Conv Lens does on the host's thread shows
 * in every run, so it moves the median; a once-off stall does not.
 */
async function typicalWorstLag(fn: () => Promise<void>): Promise<{ median: number; runs: number[] }> {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) runs.push(await worstLag(fn));
  return { median: [...runs].sort((a, b) => a - b)[1], runs };
}

function checkLag(lag: { median: number; runs: number[] }): void {
  const runs = lag.runs.map((x) => x.toFixed(1)).join(', ');
  assert.ok(lag.median < 50, `the host's event loop lagged ${lag.median.toFixed(1)} ms (median of ${runs})`);
}

suite('The extension host stays responsive', () => {
  test('a 632×632 max pool with kernel 316 runs in a worker and Cancel stops it', async function () {
    this.timeout(90_000);
    let result: unknown = 'pending';
    // the operands are built before sampling: filling them is the test's work, not the extension's
    const input = tensor([632, 632]);
    const lag = await typicalWorstLag(async () => {
      result = 'pending';
      const running = vscode.commands.executeCommand('convLens.maxPool', {
        input,
        params: 'kernel_size=316, stride=1',
      });
      const t0 = Date.now();
      await new Promise((r) => setTimeout(r, 1500));
      api.results.cancelRunning();
      result = await running;
      assert.ok(Date.now() - t0 < 10_000, 'cancelling ended the command');
    });
    assert.equal(result, undefined, 'a cancelled command returns nothing');
    checkLag(lag);
  });

  test('a 1×64×56×56 conv opens and pages its steps from a worker', async function () {
    this.timeout(60_000);
    let view: { id: string; trace: { steps: { pageSize: number } } } | undefined;
    const [input, kernel] = [tensor([1, 64, 56, 56]), tensor([64, 64, 3, 3])];
    const lag = await typicalWorstLag(async () => {
      const r = await vscode.commands.executeCommand<{ view: typeof view }>('convLens.convolve', {
        input,
        kernel,
        params: 'padding=1',
      });
      view = r?.view;
      assert.ok(view, 'Convolve returned its view');
      const handle = api.results.get(view.id);
      assert.ok(handle, 'the result is kept for the panel');
      for (const start of [0, 1000, 50_000, 200_000]) {
        const page = await handle.page('steps', start);
        assert.equal(page.window.start, start - (start % view.trace.steps.pageSize));
      }
    });
    checkLag(lag);
  });
});
