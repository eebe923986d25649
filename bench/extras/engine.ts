// "Other measurements" of `npm run bench` (the contract is at the top of bench/run.mjs): gradient-check times,
// hover latency on a 1 MB file, the shape lens's work per keystroke in a 5,000-line Python file, the extension
// host's worst event-loop delay while an S3 gradient check runs in the engine worker, and peak memory.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { convFunction } from '../../src/engine/differentiable';
import { convGeometry } from '../../src/engine/geometry';
import { gradcheck } from '../../src/engine/gradcheck';
import { EngineWorkers, type SessionHandle } from '../../src/editor/engineWorkers';
import { findLiteralAt } from '../../src/parse';
import { ShapeAnalyzer, shapeDiagnostics, shapeHints } from '../../src/shapeLens/analyze';
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

  // shape lens: the work the extension host does for each new version of a 5,000-line Python file: parse every
  // model, propagate the shapes of those the edit touched, build hints and diagnostics (src/lens/shapeLens.ts
  // does this once per version with one ShapeAnalyzer per document; every provider shares the result). Two
  // files: a training script with eight models, and a stress file that is one-third model definitions.
  {
    const dir = resolve(process.cwd(), 'test/shapeLens/models');
    // the models that PyTorch accepts (the mismatch_* files hold one deliberate error each)
    const models = readdirSync(dir)
      .filter((f) => f.endsWith('.py') && !f.startsWith('mismatch_'))
      .sort()
      .map((f) => readFileSync(join(dir, f), 'utf8'));
    const filler = (k: number) =>
      [
        `def train_epoch_${k}(model, loader, optimizer, scheduler=None, log_every=50):`,
        '    """One epoch of training; returns the mean loss."""',
        '    model.train()',
        '    total, seen = 0.0, 0',
        '    for step, (images, labels) in enumerate(loader):',
        '        images, labels = images.to(DEVICE), labels.to(DEVICE)',
        '        optimizer.zero_grad(set_to_none=True)',
        '        logits = model(images)',
        '        loss = F.cross_entropy(logits, labels, label_smoothing=0.1)',
        '        loss.backward()',
        '        optimizer.step()',
        '        total += loss.item() * images.size(0)',
        '        seen += images.size(0)',
        '        if step % log_every == 0:',
        `            print(f"epoch ${k} step {step}: loss {total / max(seen, 1):.4f}", {"lr": optimizer.param_groups[0]["lr"]})`,
        '    if scheduler is not None:',
        '        scheduler.step()',
        '    return total / max(seen, 1)',
        '',
        '',
      ].join('\n');
    /** 5,000 lines: every `every`-th block a model (at most `most`), renamed so that names stay unique */
    const file = (every: number, most: number): string => {
      const parts: string[] = [];
      let lines = 0;
      for (let k = 0; lines < 5_000; k++) {
        const m = k / every;
        const block =
          k % every === 0 && m < most
            ? models[m % models.length]
                .replace(/^class (\w+)/m, `class $1_${k}`)
                .replace(/^(\w+) = nn\.Sequential/m, `$1_${k} = nn.Sequential`)
            : filler(k);
        parts.push(block);
        lines += block.split('\n').length;
      }
      return parts.join('\n').split('\n').slice(0, 5_000).join('\n');
    };
    const measure = (label: string, original: string, minModels: number) => {
      let text = original;
      const analyzer = new ShapeAnalyzer();
      let t = performance.now();
      const found = analyzer.analyze(text);
      shapeHints(found);
      shapeDiagnostics(found);
      results[`shape lens, ${label}: open (ms)`] = performance.now() - t;
      if (found.length < minModels || found.filter((m) => m.propagation.output).length < minModels / 2) {
        throw new Error(`the shape lens followed too few of the ${label}'s models: ${found.length}`);
      }
      const times: number[] = [];
      const at = text.indexOf('def train_epoch_', text.length / 2) + 4;
      for (let i = 0; i < 200; i++) {
        // typing a function's name in the middle of the file, one character per version
        text = `${text.slice(0, at + i)}x${text.slice(at + i)}`;
        t = performance.now();
        const analysed = analyzer.analyze(text);
        shapeHints(analysed);
        shapeDiagnostics(analysed);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      results[`shape lens, ${label}: per keystroke p50 (ms)`] = times[Math.floor(times.length * 0.5)];
      results[`shape lens, ${label}: per keystroke p95 (ms)`] = times[Math.floor(times.length * 0.95)];
    };
    measure('5,000-line script, 8 models', file(25, 8), 8);
    measure('5,000-line stress file, 1/3 models', file(3, Infinity), 30);
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
