// The bench's PyTorch family: the interpreter search, and one long-lived pytorch.py driven over JSON lines on a
// small conv — it reads the very inputs the other families read (float64 bit for bit: its float64 answer equals
// Conv Lens's to rounding), really computes in float32 when asked, times with its own clock, and a wrong answer
// is caught by the same check as every family's.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOutputs, readTensor, type Cell } from '../../bench/harness.mjs';
import { findTorchPython, pythonCandidates, startTorchServer } from '../../bench/families/pytorch.mjs';
import { fill } from '../../bench/shapes.mjs';
import { writeConvProblem } from './support';

const dir = mkdtempSync(join(tmpdir(), 'bench-torch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const problem = writeConvProblem(dir, {
  id: 'small',
  input: [1, 8, 20, 20],
  weight: [12, 8, 3, 3],
  stride: 2,
  padding: 1,
  groups: 1,
});
writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ rows: [problem.row] }));

/** Runs the family as `npm run bench` does, on the one-row data folder; returns its report. */
function runFamily(variant: string, env: Record<string, string> = {}) {
  const p = spawnSync(process.execPath, ['bench/families/pytorch.mjs', variant, '--data', dir], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  expect(p.status, p.stderr).toBe(0);
  const report = JSON.parse(p.stdout.trim().split('\n').at(-1)!) as {
    columns: Record<string, { meta: Record<string, unknown>; rows: Record<string, Cell> }>;
  };
  return report.columns[`pytorch ${variant}`];
}

describe('PyTorch interpreter search', () => {
  it('tries /usr/bin/python3, then python3 and python on PATH; only $CONV_LENS_PYTHON when it is set', () => {
    expect(pythonCandidates({})).toEqual(['/usr/bin/python3', 'python3', 'python']);
    expect(pythonCandidates({ CONV_LENS_PYTHON: '/opt/py/bin/python' })).toEqual(['/opt/py/bin/python']);
  });

  it('without torch the family still reports: every cell says PyTorch not found', () => {
    const report = runFamily('f64', { CONV_LENS_PYTHON: '/nonexistent/python3' });
    expect(report.meta.notFound).toBe('PyTorch not found (tried /nonexistent/python3: not installed)');
    expect(report.rows.small).toEqual({ status: 'n/a', note: 'PyTorch not found' });
  });

  it('says why each interpreter was passed over when none has torch', () => {
    const found = findTorchPython(['/nonexistent/python3', process.execPath]);
    expect(found.python).toBeNull();
    expect(found.tried.map((t) => t.python)).toEqual(['/nonexistent/python3', process.execPath]);
    expect(found.tried[0].reason).toBe('not installed');
    expect(found.tried[1].reason).not.toBe('');
  });
});

const torch = findTorchPython();
describe.skipIf(!torch.python)(`PyTorch family (${torch.python ?? 'PyTorch not found'})`, () => {
  let server: ReturnType<typeof startTorchServer>;
  beforeAll(() => {
    server = startTorchServer(torch.python!);
  });
  afterAll(() => server.close());

  const prepare = (dtype: string, inputFile = problem.row.inputs.input.file) =>
    server.request({
      cmd: 'prepare',
      id: `${dtype}-${inputFile}`,
      kind: 'conv',
      dtype,
      params: problem.row.params,
      inputs: {
        input: { path: join(dir, inputFile), shape: problem.row.inputs.input.shape },
        weight: { path: join(dir, problem.row.inputs.weight.file), shape: problem.row.inputs.weight.shape },
      },
      outputs: { output: join(dir, `torch-${dtype}-${inputFile}`) },
    });
  const output = (dtype: string, inputFile = problem.row.inputs.input.file) =>
    readTensor(dir, { file: `torch-${dtype}-${inputFile}`, shape: problem.row.outputs.output.shape });

  it('runs one thread and says which torch it is', async () => {
    const hello = await server.request({ cmd: 'hello' });
    expect(hello).toMatchObject({ ok: true, threads: 1, torch: torch.python ? torch.torch : '' });
  });

  it('float64: the same inputs as every family, so the same answer as Conv Lens to rounding', async () => {
    expect(await prepare('float64')).toMatchObject({ ok: true });
    const check = checkOutputs(dir, problem.row, { output: output('float64') }, 'float64');
    expect(check.ok).toBe(true);
    expect(check.delta!).toBeLessThan(1e-13); // other inputs (another seed, a float32 round trip) would be ≥ 1e-8
    const timed = await server.request({ cmd: 'time', id: `float64-${problem.row.inputs.input.file}` });
    expect(timed).toMatchObject({ ok: true });
    expect(timed.ms as number).toBeGreaterThan(0);
    expect(timed.samples as number).toBeGreaterThanOrEqual(3);
  });

  it('float32: computes in float32 (off by float32 rounding, within the tolerance)', async () => {
    expect(await prepare('float32')).toMatchObject({ ok: true });
    const check = checkOutputs(dir, problem.row, { output: output('float32') }, 'float32');
    expect(check.ok).toBe(true);
    expect(check.delta!).toBeGreaterThan(1e-9);
  });

  it("inputs other than the reference's are caught by the check", async () => {
    // the same shape, another seed: what a family generating its own data would compute
    const other = fill(problem.input.length, 9);
    writeFileSync(join(dir, 'other.input.f64'), new Uint8Array(other.buffer));
    expect(await prepare('float64', 'other.input.f64')).toMatchObject({ ok: true });
    const check = checkOutputs(dir, problem.row, { output: output('float64', 'other.input.f64') }, 'float64');
    expect(check.ok).toBe(false);
    expect(check.delta!).toBeGreaterThan(0.01);
  });

  it('answers a bad request with an error, and goes on serving', async () => {
    const bad = await server.request({ cmd: 'time', id: 'never prepared' });
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatch(/KeyError/);
    expect(await server.request({ cmd: 'hello' })).toMatchObject({ ok: true });
  });
});
