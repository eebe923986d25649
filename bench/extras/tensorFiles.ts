// Tensor files: listing a 1 GB PyTorch checkpoint (270 layers of 1000×1000 float32 plus biases, written by
// PyTorch into bench/.out/ the first time, never committed) and reading one 1,000,000-element tensor from it,
// as the custom editor does (async range reads through node:fs). Targets: under 1 s each. The values read
// are checked against what PyTorch wrote before anything is timed. Default export: row label → value.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TensorFile, TensorFileSync, openFileSource, openFileSourceSync, type ByteSource } from '../../src/tensorFiles';

const OUT = resolve(__dirname, '..', '.out');
const CHECKPOINT = join(OUT, 'checkpoint-1gb.pt');
const PROBE = join(OUT, 'checkpoint-1gb.json');
const LAYERS = 270;
const TENSOR = 'layers.137.weight';

const GENERATE = `
import json, sys, torch
path, probe, layers = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch.manual_seed(0)
state = {}
for i in range(layers):
    state[f'layers.{i}.weight'] = torch.randn(1000, 1000)
    state[f'layers.{i}.bias'] = torch.randn(1000)
torch.save(state, path + '.partial')
w = state['layers.137.weight'].double()
json.dump({'first': w.reshape(-1)[:8].tolist(), 'last': w.reshape(-1)[-8:].tolist(), 'sum': w.sum().item(),
           'min': w.min().item(), 'max': w.max().item(), 'tensors': len(state)}, open(probe, 'w'))
`;

/** An interpreter with PyTorch: $CONV_LENS_PYTHON, Debian's /usr/bin/python3, or python3 on PATH. */
function pythonWithTorch(): string {
  const candidates = [process.env.CONV_LENS_PYTHON, '/usr/bin/python3', 'python3'].filter((c): c is string => !!c);
  for (const c of candidates) {
    if (spawnSync(c, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return c;
  }
  throw new Error(`no Python with torch found (tried ${candidates.join(', ')}); set CONV_LENS_PYTHON`);
}

function ensureCheckpoint(): void {
  if (existsSync(CHECKPOINT) && existsSync(PROBE)) return;
  mkdirSync(OUT, { recursive: true });
  const r = spawnSync(pythonWithTorch(), ['-c', GENERATE, CHECKPOINT, PROBE, String(LAYERS)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`generating ${CHECKPOINT} failed: ${r.stderr}`);
  renameSync(CHECKPOINT + '.partial', CHECKPOINT);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Counts the bytes a reader asks for. */
function counting(source: ByteSource): ByteSource & { bytesRead: number } {
  const counted = {
    size: source.size,
    bytesRead: 0,
    read: (offset: number, length: number) => {
      counted.bytesRead += length;
      return source.read(offset, length);
    },
    close: () => source.close?.(),
  };
  return counted;
}

export default async function tensorFiles(): Promise<Record<string, number>> {
  ensureCheckpoint();
  const probe = JSON.parse(readFileSync(PROBE, 'utf8')) as {
    first: number[];
    last: number[];
    sum: number;
    min: number;
    max: number;
    tensors: number;
  };
  const size = statSync(CHECKPOINT).size;

  // check before timing: the listing and the tensor's values are what PyTorch wrote
  {
    const file = await TensorFile.open(await openFileSource(CHECKPOINT), { name: 'checkpoint-1gb.pt' });
    const t = await file.read(TENSOR);
    const stats = await file.stats(TENSOR);
    await file.close();
    const n = t.data.length;
    const sum = t.data.reduce((a, b) => a + b, 0);
    if (
      file.listing.tensors.length !== probe.tensors ||
      n !== 1_000_000 ||
      probe.first.some((v, i) => t.data[i] !== v) ||
      probe.last.some((v, i) => t.data[n - 8 + i] !== v) ||
      Math.abs(sum - probe.sum) > 1e-6 * Math.abs(probe.sum) + 1e-6 ||
      stats.min !== probe.min ||
      stats.max !== probe.max
    ) {
      throw new Error(`${TENSOR} read from ${CHECKPOINT} does not match what PyTorch wrote`);
    }
  }

  const list: number[] = [];
  const listSync: number[] = [];
  const read: number[] = [];
  const stats: number[] = [];
  let bytesRead = 0;
  for (let round = 0; round < 7; round++) {
    let t0 = performance.now();
    const source = counting(await openFileSource(CHECKPOINT));
    const file = await TensorFile.open(source, { name: 'checkpoint-1gb.pt' });
    list.push(performance.now() - t0);
    bytesRead = source.bytesRead;
    t0 = performance.now();
    // a different tensor each round, so the storage's local header and data are read afresh
    await file.read(`layers.${(round * 37) % LAYERS}.weight`);
    read.push(performance.now() - t0);
    t0 = performance.now();
    await file.stats(`layers.${(round * 41 + 3) % LAYERS}.weight`);
    stats.push(performance.now() - t0);
    await file.close();
    t0 = performance.now();
    const sync = TensorFileSync.open(openFileSourceSync(CHECKPOINT), { name: 'checkpoint-1gb.pt' });
    listSync.push(performance.now() - t0);
    sync.close();
  }
  return {
    [`tensor files: list a ${(size / 1e9).toFixed(2)} GB checkpoint, ${probe.tensors} tensors (ms)`]: median(list),
    'tensor files: bytes read to list it (KB)': bytesRead / 1e3,
    'tensor files: list it, CLI (sync) reader (ms)': median(listSync),
    'tensor files: read one 1,000,000-element float32 tensor from it (ms)': median(read),
    'tensor files: stats of one 1,000,000-element tensor (ms)': median(stats),
  };
}
