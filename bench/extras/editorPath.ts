/**
 * The editor path (issue 13): from a command's operands to the message the extension host posts to the panel,
 * as src/editor/results.ts runs it — inline for small problems, in an engine worker otherwise — for the
 * lecture's 5×5 conv, a 1×64×56×56 conv with a 64×64×3×3 kernel, and a ResNet stem. Measures the wall time to
 * the posted message, the host thread's longest stall meanwhile, the bytes VS Code's webview transport carries
 * (JSON plus the typed arrays it lifts out), and the time to the next page of steps.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { resolve } from 'node:path';
import type { OperationSpec } from '../../src/app/operation';
import { openResult, runsInline } from '../../src/app/results';
import { WARM_UP_SPECS, warmUp } from '../../src/app/results/warmUp';
import { EngineWorkers, inlineHandle, SPARE_DELAY_MS, type SessionHandle } from '../../src/editor/engineWorkers';
import type { Tensor } from '../../src/engine/tensor';

function tensor(shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    data[i] = Math.round((s / 2147483648) * 4 - 2);
  }
  return { shape, data };
}

/** Bytes as VS Code's webview transport sends a message: its JSON with typed arrays lifted out, plus their buffers. */
export function messageBytes(message: unknown): number {
  let buffers = 0;
  const json = JSON.stringify(message, (_k, v: unknown) => {
    if (ArrayBuffer.isView(v)) {
      buffers += v.buffer.byteLength;
      return { $$vscode_array_buffer_reference$$: true, index: 0 };
    }
    return v;
  });
  return json.length + buffers;
}

const ROWS: [string, Tensor, Tensor, string, Record<string, number>][] = [
  ['lecture 5×5, k3', tensor([5, 5], 1), tensor([3, 3], 2), 'padding=1', { padding: 1 }],
  ['1×64×56×56 ⊛ 64×64×3×3', tensor([1, 64, 56, 56], 3), tensor([64, 64, 3, 3], 4), 'padding=1', { padding: 1 }],
  [
    'ResNet stem 1×3×224×224 ⊛ 64×3×7×7, s2',
    tensor([1, 3, 224, 224], 5),
    tensor([64, 3, 7, 7], 6),
    'stride=2, padding=3',
    { stride: 2, padding: 3 },
  ],
];

export default async function editorPath(): Promise<Record<string, number>> {
  const workers = new EngineWorkers(resolve(process.cwd(), 'dist/worker.js'));
  // as the extension does 3 s after activation: a spare worker, and the host's own small opens warmed up
  workers.warmSpare();
  warmUp(
    WARM_UP_SPECS.inline(),
    () => false,
    (next) => void setTimeout(next, 0),
  );
  const out: Record<string, number> = {};
  for (const [name, input, kernel, paramsText, params] of ROWS) {
    const spec: OperationSpec = {
      kind: 'conv',
      input,
      kernel,
      params,
      paramsText,
      flipByDefault: false,
      precision: 6,
      canInsert: true,
      maxElements: 1_000_000,
    };
    const walls: number[] = [];
    const stalls: number[] = [];
    const pages: number[] = [];
    let bytes = 0;
    for (let round = 0; round < 5; round++) {
      // a person's commands are seconds apart: by then the spare worker has started (SPARE_DELAY_MS after the
      // last open) and warmed up (src/worker.ts)
      await new Promise((r) => setTimeout(r, SPARE_DELAY_MS + 1500));
      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      const t0 = performance.now();
      const handle: SessionHandle = runsInline(spec)
        ? inlineHandle(openResult(spec))
        : ((await workers.openResult(spec)) as SessionHandle);
      const message = { type: 'show', view: handle.view };
      bytes = messageBytes(message);
      walls.push(performance.now() - t0);
      const t1 = performance.now();
      const paging = (handle.view.trace as { steps: { pageSize: number; total: number } }).steps;
      await handle.page('steps', Math.min(paging.total - 1, paging.pageSize * 3));
      pages.push(performance.now() - t1);
      loop.disable();
      stalls.push(loop.max / 1e6);
      handle.close();
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    out[`editor path, ${name}: to the posted message (ms)`] = median(walls);
    out[`editor path, ${name}: host thread's longest stall (ms)`] = median(stalls);
    out[`editor path, ${name}: message to the panel (MB)`] = bytes / 1e6;
    out[`editor path, ${name}: next page of steps (ms)`] = median(pages);
  }
  workers.dispose();
  return out;
}
