// The shape lens's work per keystroke in a 5,000-line Python file: the extension host analyses every new version
// of the document once (src/lens/shapeLens.ts: one ShapeAnalyzer per document, shared by every provider), so the
// cost of a keystroke is analyze + hints + diagnostics. Two files: a training script with eight models, and a
// stress file that is one-third model definitions (the fixtures of test/shapeLens/models that PyTorch accepts,
// renamed so that names stay unique). Typing happens in a function's name in the middle of the file.
// The interpreter's step and depth budget is on (its default).
//
// Default export: async () => { "row label (unit)": value }.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ShapeAnalyzer, shapeDiagnostics, shapeHints } from '../../src/shapeLens/analyze';

const KEYSTROKES = 200;

function filler(k: number): string {
  return [
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
}

/** 5,000 lines: every `every`-th block a model (at most `most`), the rest training code. */
function file(models: readonly string[], every: number, most: number): string {
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
}

function measure(label: string, original: string, minModels: number, results: Record<string, number>): void {
  let text = original;
  const analyzer = new ShapeAnalyzer();
  let t = performance.now();
  const found = analyzer.analyze(text);
  shapeHints(found);
  shapeDiagnostics(found);
  results[`shape lens, ${label}: open (ms)`] = performance.now() - t;
  if (found.length < minModels || found.filter((m) => m.propagation.output).length < minModels / 2)
    throw new Error(`the shape lens followed too few of the ${label}'s models: ${found.length}`);
  const times: number[] = [];
  const at = text.indexOf('def train_epoch_', text.length / 2) + 4;
  for (let i = 0; i < KEYSTROKES; i++) {
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
}

export default async function shapeLens(): Promise<Record<string, number>> {
  // the bench runs each extra from the project root (bench/run.mjs), so the bundle's own directory is no guide
  const dir = resolve(process.cwd(), 'test/shapeLens/models');
  // the models PyTorch accepts (the mismatch_* files hold one deliberate error each)
  const models = readdirSync(dir)
    .filter((f) => f.endsWith('.py') && !f.startsWith('mismatch_'))
    .sort()
    .map((f) => readFileSync(join(dir, f), 'utf8'));
  const results: Record<string, number> = {};
  measure('5,000-line script, 8 models', file(models, 25, 8), 8, results);
  measure('5,000-line stress file, 1/3 models', file(models, 3, Infinity), 30, results);
  return Promise.resolve(results);
}
