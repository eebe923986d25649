/**
 * Every golden case PyTorch answered (test/golden/golden.json, made by generate_golden.py) and every worked
 * example of the lecture (test/fixtures/lecture-examples.json) goes through the built CLI, all in one
 * `conv-lens run` process as a script would use it, and each answer is checked against PyTorch's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeToString } from '../../src/cli/encode';
import { diffTensor } from '../support/compare';

interface Case {
  name: string;
  request: Record<string, unknown>;
  expect: Record<string, unknown>;
}

const root = resolve(__dirname, '../..');
const cli = resolve(root, 'dist/cli.js');
const golden = JSON.parse(readFileSync(resolve(root, 'test/golden/golden.json'), 'utf8')) as {
  cases: Case[];
  torch_version: string;
};
const lecturePath = resolve(root, 'test/fixtures/lecture-examples.json');

function runAll(cases: Case[]): Record<string, unknown>[] {
  if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` first (npm test does)');
  // JSON.stringify would write an input's −0.0 as 0; the CLI's own encoder keeps it, as PyTorch's JSON does
  const input = cases.map((c) => encodeToString(c.request)).join('\n') + '\n';
  const r = spawnSync(process.execPath, [cli, 'run'], { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  expect(r.status, r.stderr).toBe(0);
  const lines = r.stdout.trim().split('\n');
  expect(lines.length).toBe(cases.length);
  return lines.map((l) => JSON.parse(l));
}

const TENSOR_KEYS = ['output', 'indices', 'grad_input', 'grad_weight', 'grad_bias'];

function check(c: Case, answer: Record<string, unknown>): void {
  if (c.expect.ok === false) {
    expect(answer.ok, `${c.name}: PyTorch refused it (${c.expect.error}) but Conv Lens answered`).toBe(false);
    if (c.expect.rule) expect(answer.rule, `${c.name}: ${answer.error}`).toBe(c.expect.rule);
    expect(typeof answer.error).toBe('string');
    return;
  }
  expect(answer.ok, `${c.name}: ${answer.error}`).toBe(true);
  if (c.expect.shape) expect(answer.shape).toEqual(c.expect.shape);
  for (const key of TENSOR_KEYS) {
    if (!(key in c.expect)) continue;
    if (c.expect[key] === null) {
      expect(answer[key], `${c.name}: ${key}`).toBeNull();
      continue;
    }
    const d = diffTensor(answer[key], c.expect[key], 1e-9, key === 'indices');
    expect(d, `${c.name}: ${key}: ${d}`).toBeNull();
  }
}

describe(`PyTorch ${golden.torch_version} golden cases through the CLI`, () => {
  const answers = runAll(golden.cases);
  it('has at least 300 cases over every op', () => {
    expect(golden.cases.length).toBeGreaterThanOrEqual(300);
    const ops = new Set(golden.cases.map((c) => (c.request.op === 'shape' ? `shape:${c.request.of}` : c.request.op)));
    for (const op of [
      'conv1d',
      'conv2d',
      'conv3d',
      'conv_transpose1d',
      'conv_transpose2d',
      'conv_transpose3d',
      'max_pool1d',
      'max_pool2d',
      'max_pool3d',
      'avg_pool1d',
      'avg_pool2d',
      'avg_pool3d',
      'unfold',
      'fold',
      'conv1d_backward',
      'conv2d_backward',
      'conv3d_backward',
    ]) {
      expect(ops.has(op), op).toBe(true);
    }
  });
  golden.cases.forEach((c, i) => {
    it(c.name, () => check(c, answers[i]));
  });
});

describe('the lecture worked examples through the CLI', () => {
  it('are present beside the project', () => {
    expect(existsSync(lecturePath), `${lecturePath} is missing`).toBe(true);
  });
  if (!existsSync(lecturePath)) return;
  const lecture = JSON.parse(readFileSync(lecturePath, 'utf8')) as { cases: Case[] };
  const answers = runAll(lecture.cases);
  lecture.cases.forEach((c, i) => {
    it(c.name, () => check(c, answers[i]));
  });
});
