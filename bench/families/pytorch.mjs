// PyTorch as a bench family: `node pytorch.mjs f64|f32 --data <dir> [--skip ids]` (see bench/harness.mjs).
// Finds a Python whose `import torch` works, starts ONE bench/families/pytorch.py for the whole family run (its
// start-up and torch's import are never timed) and drives it over JSON lines: per row, "prepare" (Python loads
// the same float64 input files as every other family, runs the call once and writes its outputs), the check
// here against Conv Lens's float64 answer, then "time" (Python times the call with time.perf_counter).
// No Python with torch: every cell says "PyTorch not found" and the bench goes on.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { checkOutputs, emit, familyArgs, readManifest, readTensor } from '../harness.mjs';

const SERVER = join(dirname(fileURLToPath(import.meta.url)), 'pytorch.py');

/**
 * The interpreters tried, in order: Debian's /usr/bin/python3 (python3-torch), then `python3` and `python` on
 * PATH (on some machines `python3` is a pyenv or venv interpreter without torch). $CONV_LENS_PYTHON, if set, is
 * the only one tried: an explicit choice is not second-guessed.
 */
export function pythonCandidates(env = process.env) {
  return env.CONV_LENS_PYTHON ? [env.CONV_LENS_PYTHON] : ['/usr/bin/python3', 'python3', 'python'];
}

/** The first candidate that imports torch: {python, torch} or {python: null, tried: [{python, reason}]}. */
export function findTorchPython(candidates = pythonCandidates()) {
  const tried = [];
  for (const python of candidates) {
    const p = spawnSync(python, ['-c', 'import torch, numpy; print(torch.__version__)'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (p.status === 0) return { python, torch: p.stdout.trim(), tried };
    const reason = p.error
      ? p.error.code === 'ENOENT'
        ? 'not installed'
        : String(p.error.message)
      : (p.stderr.trim().split('\n').at(-1) ?? `exit ${p.status}`);
    tried.push({ python, reason });
  }
  return { python: null, tried };
}

/** One long-lived pytorch.py: `request(obj)` sends a line and resolves with the answer line. */
export function startTorchServer(python) {
  const child = spawn(python, [SERVER], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (line) => waiting.shift()?.resolve(JSON.parse(line)));
  child.on('exit', (code) => {
    for (const w of waiting.splice(0))
      w.reject(new Error(`pytorch.py exited (${code}): ${stderr.trim().split('\n').at(-1) ?? ''}`));
  });
  return {
    request(obj) {
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        child.stdin.write(`${JSON.stringify(obj)}\n`);
      });
    },
    async close() {
      await this.request({ cmd: 'quit' }).catch(() => {});
      child.stdin.end();
    },
    stderr: () => stderr,
  };
}

async function main() {
  const { variant, data, skip } = familyArgs();
  const manifest = readManifest(data);
  const dtype = variant === 'f32' ? 'float32' : 'float64';
  const column = `pytorch ${variant}`;
  const rows = {};
  const found = findTorchPython();
  if (!found.python) {
    const tried = found.tried.map((t) => `${t.python}: ${t.reason}`).join('; ');
    for (const row of manifest.rows) rows[row.id] = { status: 'n/a', note: 'PyTorch not found' };
    emit({ [column]: { meta: { name: 'PyTorch', notFound: `PyTorch not found (tried ${tried})` }, rows } });
    return;
  }
  const server = startTorchServer(found.python);
  const hello = await server.request({ cmd: 'hello' });
  const outDir = join(data, 'pytorch');
  mkdirSync(outDir, { recursive: true });
  const onednn = {};
  for (const row of manifest.rows) {
    if (skip.has(row.id)) {
      rows[row.id] = { status: 'skipped' };
      continue;
    }
    const outputs = Object.fromEntries(
      Object.keys(row.outputs).map((name) => [name, join(outDir, `${variant}-${row.outputs[name].file}`)]),
    );
    const prepared = await server.request({
      cmd: 'prepare',
      id: row.id,
      kind: row.kind,
      dtype,
      params: row.params,
      inputs: Object.fromEntries(
        Object.entries(row.inputs).map(([k, e]) => [k, { path: join(data, e.file), shape: e.shape }]),
      ),
      outputs,
    });
    if (!prepared.ok) {
      rows[row.id] = { status: 'failed', note: prepared.error };
      continue;
    }
    onednn[row.id] = prepared.onednn.length ? prepared.onednn : ['none (an ATen kernel)'];
    const values = Object.fromEntries(
      Object.entries(outputs).map(([name, path]) => [
        name,
        readTensor(data, { file: path, shape: row.outputs[name].shape }),
      ]),
    );
    const check = checkOutputs(data, row, values, dtype);
    const base = { delta: check.delta, tol: check.tol };
    if (!check.ok) {
      rows[row.id] = { status: 'wrong', ...base, note: check.note };
    } else {
      const timed = await server.request({ cmd: 'time', id: row.id });
      rows[row.id] = timed.ok
        ? { status: 'ok', ...base, ms: timed.ms, samples: timed.samples, faultsPerCall: timed.faultsPerCall }
        : { status: 'failed', ...base, note: timed.error };
    }
    await server.request({ cmd: 'drop', id: row.id });
  }
  await server.close();
  const meta = {
    name: `PyTorch, ${dtype}`,
    version: hello.torch,
    precision: dtype,
    threads: hello.threads,
    python: found.python,
    pythonVersion: hello.python,
    numpy: hello.numpy,
    blas: hello.blas,
    mkldnn: hello.mkldnn,
    cpuCapability: hello.cpuCapability,
    mmGflops: hello.mmGflops,
    onednn,
    skippedInterpreters: found.tried,
  };
  emit({ [column]: { meta, rows } });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
