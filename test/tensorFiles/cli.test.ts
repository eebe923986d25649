/** `conv-lens inspect` and tensors from files in requests, through the built CLI (dist/cli.js). */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = resolve(__dirname, '../../dist/cli.js');
const FIXTURES = resolve(__dirname, 'fixtures');
const expected = JSON.parse(readFileSync(resolve(FIXTURES, 'expected.json'), 'utf8')) as Record<
  string,
  { tensors: Record<string, { shape: number[]; values: (number | string)[]; stats: Record<string, unknown> }> }
>;

function conv(args: string[], input?: string) {
  return spawnSync(process.execPath, [cli, ...args], { input, encoding: 'utf8', cwd: FIXTURES, maxBuffer: 1 << 26 });
}

function nest(values: number[], shape: number[]): unknown {
  if (shape.length === 0) return values[0];
  const [n, ...rest] = shape;
  const size = values.length / n;
  return Array.from({ length: n }, (_, i) => nest(values.slice(i * size, (i + 1) * size), rest));
}

describe('conv-lens inspect', () => {
  it('lists a nested checkpoint as a table with stats and the other values', () => {
    const r = conv(['inspect', 'checkpoint.ckpt']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^checkpoint\.ckpt: PyTorch checkpoint \(torch\.save zip, format version 3\)\n35 tensors/);
    expect(r.stdout).toMatch(/model\.conv1\.weight\s+float32\s+8×3×3×3\s+864 B\s+-0\.194\s+0\.1931/);
    expect(r.stdout).toMatch(/\n {2}epoch = 3\n/);
    expect(r.stdout).toMatch(/\n {2}optimizer\.param_groups\.0\.lr = 0\.001\n/);
  });

  it('--json gives every field and the stats NumPy computes', () => {
    const r = conv(['inspect', 'nan_inf.npy', '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as {
      format: string;
      tensors: { name: string; shape: number[]; stats: Record<string, unknown> }[];
    };
    expect(out.format).toBe('npy');
    const want = expected['nan_inf.npy'].tensors[''].stats;
    const got = out.tensors[0].stats;
    expect([got.min, got.max, got.nan, got.posInf, got.negInf, got.firstNaN]).toEqual([
      want.min,
      want.max,
      want.nan,
      want.posInf,
      want.negInf,
      [1, 2],
    ]);
  });

  it('--no-stats lists without reading the data; refusals exit 1 with the reason; usage errors exit 2', () => {
    const r = conv(['inspect', 'views.pt', '--no-stats']);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/mean/);
    expect(r.stdout).toMatch(
      /transposed: shares storage 0 with base, strided, row and 2 more; a strided view \(strides 1, 6\)/,
    );
    const bad = conv(['inspect', '../bad/os_system.pt']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/refused: the pickle names posix\.system \(that is, os\.system\)/);
    const missing = conv(['inspect', 'nope.pt']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*nope\.pt: no such file/);
    expect(conv(['inspect']).status).toBe(2);
    expect(conv(['inspect', 'a.pt', '--max-elements', '0']).status).toBe(2);
  });

  it('--help documents inspect and tensors from files', () => {
    const r = conv(['--help']);
    expect(r.stdout).toContain('conv-lens inspect FILE');
    expect(r.stdout).toContain('{"file": "weights.pt", "name": "conv1.weight"}');
  });
});

describe('tensors from files in requests', () => {
  const w = expected['small_cnn.pt'].tensors['conv1.weight'];
  const b = expected['small_cnn.pt'].tensors['conv1.bias'];
  const input = nest(
    Array.from({ length: 3 * 5 * 5 }, (_, i) => ((i * 7) % 11) - 5),
    [3, 5, 5],
  );
  const literal = { op: 'conv2d', input, weight: nest(w.values as number[], w.shape), bias: b.values, padding: 1 };
  const fromFile = {
    op: 'conv2d',
    input,
    weight: { file: 'small_cnn.pt', name: 'conv1.weight' },
    bias: { file: 'small_cnn.pt', name: 'conv1.bias' },
    padding: 1,
  };

  it('eval: a weight from a checkpoint gives the answer its values give', () => {
    const a = conv(['eval', JSON.stringify(literal)]);
    const f = conv(['eval', JSON.stringify(fromFile)]);
    expect(f.status).toBe(0);
    expect(JSON.parse(f.stdout)).toEqual(JSON.parse(a.stdout));
  });

  it('run: paths are relative to the working directory; errors name the field', () => {
    const lines = [
      JSON.stringify({ ...fromFile, id: 1 }),
      JSON.stringify({ ...fromFile, weight: { file: 'small_cnn.pt', name: 'conv1.weigth' }, id: 2 }),
      JSON.stringify({ ...fromFile, weight: { file: 'missing.pt', name: 'w' }, id: 3 }),
      JSON.stringify({ ...fromFile, weight: { file: 'small_cnn.pt', name: 'conv1.weight', slice: 1 }, id: 4 }),
      JSON.stringify({
        ...fromFile,
        input: { file: 'fortran.npy' },
        weight: { file: '../bad/os_system.pt', name: 'x' },
        id: 5,
      }),
    ];
    const r = conv(['run'], lines.join('\n') + '\n');
    expect(r.status).toBe(0);
    const answers = r.stdout
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as { ok: boolean; id: number; param?: string; rule?: string; error?: string; shape?: number[] },
      );
    expect(answers.map((a) => a.ok)).toEqual([true, false, false, false, false]);
    expect(answers[0].shape).toEqual([8, 5, 5]);
    expect(answers[1]).toMatchObject({ param: 'weight', rule: 'file' });
    expect(answers[1].error).toMatch(/no tensor named "conv1\.weigth"; did you mean "conv1\.weight"/);
    expect(answers[2].error).toMatch(/weight: cannot read .*missing\.pt: no such file/);
    expect(answers[3].error).toMatch(/unknown field "slice"/);
    expect(answers[4].error).toMatch(/refused: the pickle names posix\.system/);
  });

  it('the request’s size limit applies to tensors from files', () => {
    const r = conv(['run', '--max-elements', '100'], JSON.stringify(fromFile) + '\n');
    const a = JSON.parse(r.stdout) as { ok: boolean; error: string };
    expect(a.ok).toBe(false);
    expect(a.error).toMatch(
      /"conv1\.weight" of small_cnn\.pt has 216 elements .* over the limit of 100 loaded at once \(--max-elements\)/,
    );
  });
});
