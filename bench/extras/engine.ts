// "Other measurements" of `npm run bench` (the contract is at the top of bench/run.mjs): gradient-check times,
// hover latency on a 1 MB file, the extension host's worst event-loop delay while an S3 gradient check runs in
// the engine worker, and peak memory. (The shape lens's cost per keystroke is bench/extras/shapeLens.ts.)
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { convFunction } from '../../src/engine/differentiable';
import { convGeometry } from '../../src/engine/geometry';
import { gradcheck } from '../../src/engine/gradcheck';
import { EngineWorkers, type SessionHandle } from '../../src/editor/engineWorkers';
import { findLiteralAt } from '../../src/parse';
import { fill, size } from '../shapes.mjs';

export default async function engineMeasurements(): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  let peak = 0;
  const sampleMemory = () => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  const timer = setInterval(sampleMemory, 20);

  // gradient check of conv2d 1×3×16×16 ⊛ 8×3×3×3 with respect to input and weight
  {
    const g = convGeometry({ rank: 2, inputShape: [1, 3, 16, 16], weightShape: [8, 3, 3, 3] });
    const f = convFunction(
      g,
      { shape: g.inputShape, data: fill(size(g.inputShape), 5) },
      { shape: g.weightShape, data: fill(size(g.weightShape), 6) },
      null,
    );
    let t = performance.now();
    const full = gradcheck(f);
    results['gradcheck full (ms)'] = performance.now() - t;
    if (!full.passed) throw new Error(`gradcheck failed: ${full.message}`);
    const fast: number[] = [];
    for (let i = 0; i < 15; i++) {
      t = performance.now();
      gradcheck(f, { fastMode: true, seed: i });
      fast.push(performance.now() - t);
    }
    fast.sort((a, b) => a - b);
    results['gradcheck fast (ms)'] = fast[7];
  }

  // hover latency: a 1 MB Python file with a 10,000-element literal in the middle; the host reads ±200,000
  // characters around the cursor and the parser finds the literal in that window (src/host/documentLiterals.ts)
  {
    const filler = Array.from(
      { length: 15_500 },
      (_, i) => `value_${i} = compute(${i}, "text")  # a line of ordinary code\n`,
    ).join('');
    const literal = `weights = np.array([${Array.from({ length: 100 }, (_, r) => `[${Array.from({ length: 100 }, (_, c) => ((r * 7 + c) % 13) / 4).join(', ')}]`).join(',\n    ')}])\n`;
    const half = Math.floor(filler.length / 2);
    const text = filler.slice(0, half) + literal + filler.slice(half);
    const start = half + 'weights = np.array([['.length;
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      // the cursor moves around inside the literal, as a mouse would
      const offset = start + ((i * 997) % (literal.length - 40));
      const t = performance.now();
      const windowStart = Math.max(0, offset - 200_000);
      const slice = text.slice(windowStart, offset + 200_000);
      const r = findLiteralAt(slice, offset - windowStart, { maxElements: 100_000 });
      times.push(performance.now() - t);
      if (!r || !r.ok || r.literal.shape.join() !== '100,100')
        throw new Error('the hover did not find the 100×100 literal');
    }
    times.sort((a, b) => a - b);
    results['hover p50 (ms)'] = times[Math.floor(times.length * 0.5)];
    results['hover p95 (ms)'] = times[Math.floor(times.length * 0.95)];
    results['file size (MB)'] = text.length / 1e6;
  }

  // event loop while an S3-sized gradient check (fast mode w.r.t. input and weight) runs in the worker
  {
    const workers = new EngineWorkers(resolve(process.cwd(), 'dist/worker.js'));
    const spec = {
      kind: 'gradcheck' as const,
      input: { shape: [1, 64, 56, 56], data: fill(size([1, 64, 56, 56]), 7) },
      kernel: { shape: [64, 64, 3, 3], data: fill(size([64, 64, 3, 3]), 8) },
      params: { padding: 1, fast_mode: true },
      paramsText: 'padding=1, fast_mode=True',
      flipByDefault: false,
      precision: 6,
      canInsert: false,
      maxElements: 1 << 24,
    };
    const h = monitorEventLoopDelay({ resolution: 5 });
    h.enable();
    const t = performance.now();
    const opened = (await workers.openResult(spec)) as SessionHandle;
    results['S3 gradcheck in worker (ms)'] = performance.now() - t;
    h.disable();
    workers.dispose();
    if (opened.view.error) throw new Error(`worker gradcheck: ${opened.view.error.message}`);
    results['event loop worst delay (ms)'] = h.max / 1e6;
    sampleMemory();
    clearInterval(timer);
    results['peak RSS (MB)'] = peak / 2 ** 20;
  }
  return results;
}
