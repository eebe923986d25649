/**
 * Verify in PyTorch, run for real: the script and the runner of src/python/ against Debian's /usr/bin/python3
 * with torch (skipped with a message when it has none), an interpreter without torch, one that does not exist,
 * a timeout, Cancel, and an interpreter path a shell would misread.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { handleRequest } from '../../src/engine/requests';
import { runPythonScript } from '../../src/python/runPython';
import { compareTensors, reportLines, verifyInTorch, type CurrentOperation } from '../../src/python/verify';

const TORCH_PYTHON = '/usr/bin/python3';
const hasTorch = (python: string) => spawnSync(python, ['-c', 'import torch'], { timeout: 60_000 }).status === 0;
const torchMissing = hasTorch(TORCH_PYTHON)
  ? null
  : `${TORCH_PYTHON} cannot import torch: apt-get install python3-torch`;
if (torchMissing) console.warn(`skipping the Verify in PyTorch tests that need torch: ${torchMissing}`);

const lecture = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/lecture-examples.json'), 'utf8')) as {
  cases: { name: string; request: Record<string, unknown> }[];
};

const operation = (request: Record<string, unknown>): CurrentOperation => ({ request, answer: handleRequest(request) });
const verify = (op: CurrentOperation, interpreter = TORCH_PYTHON) =>
  verifyInTorch(op, { interpreter, timeoutMs: 120_000 });

describe.skipIf(torchMissing !== null)('Verify in PyTorch with torch', () => {
  for (const c of lecture.cases) {
    it(`the lecture: ${c.name} — difference 0`, async () => {
      const report = await verify(operation(c.request));
      expect(report.kind, JSON.stringify(report)).toBe('compared');
      if (report.kind !== 'compared') return;
      expect(report.agree, reportLines(report).join('\n')).toBe(true);
      expect(report.comparisons.length).toBeGreaterThan(0);
      for (const cmp of report.comparisons) expect(cmp.maxAbsDifference, cmp.name).toBe(0);
    });
  }

  it('every option of conv, transposed conv, pooling, unfold and fold agrees', async () => {
    const x = [
      [
        [1, -2, 3, 0.5, 2],
        [0, 1, -1, 2, 3],
        [2, 2, -3, 1, 0],
        [1, 0, 0, 2, -1],
        [3, 1, 2, -2, 1],
      ],
    ];
    const requests: Record<string, unknown>[] = [
      {
        op: 'conv2d',
        input: [x],
        weight: [
          [
            [
              [1, 0],
              [-1, 2],
            ],
          ],
        ],
        bias: [0.5],
        padding: 2,
        padding_mode: 'reflect',
        flip: true,
      },
      {
        op: 'conv2d',
        input: [x],
        weight: [
          [
            [
              [1, 2, 0],
              [0, 1, 0],
              [1, 0, -1],
            ],
          ],
        ],
        padding: 'same',
        padding_mode: 'circular',
        dilation: 2,
      },
      {
        op: 'conv_transpose2d',
        input: [x],
        weight: [
          [
            [
              [1, 2],
              [3, 4],
            ],
          ],
        ],
        stride: 2,
        padding: 1,
        output_padding: 1,
      },
      { op: 'max_pool2d', input: [x], kernel_size: 2, stride: 2, ceil_mode: true, return_indices: true },
      { op: 'avg_pool2d', input: [x], kernel_size: 3, stride: 2, padding: 1, count_include_pad: false },
      { op: 'avg_pool2d', input: [x], kernel_size: 2, divisor_override: 3 },
      { op: 'unfold', input: [x], kernel_size: 2, padding: 1, stride: 2 },
      {
        op: 'fold',
        input: [
          [
            [1, 2, 3, 4],
            [5, 6, 7, 8],
            [9, 10, 11, 12],
            [13, 14, 15, 16],
          ],
        ],
        output_size: [3, 3],
        kernel_size: 2,
      },
      { op: 'conv1d', input: [[1, 2, 3, 4, 5, 6]], weight: [[[1, 0, -1]]], stride: 2, padding: 1 },
      {
        op: 'conv2d_backward',
        input: [x],
        weight: [
          [
            [
              [1, 0],
              [-1, 2],
            ],
          ],
        ],
        bias: [1],
        grad_output: [
          [
            [
              [1, 2, 3, 4],
              [1, 1, 1, 1],
              [0, 0, 2, 0],
              [1, -1, 1, -1],
            ],
          ],
        ],
      },
      {
        op: 'max_pool2d_backward',
        input: [x],
        kernel_size: 2,
        grad_output: [
          [
            [
              [1, 2],
              [3, 4],
            ],
          ],
        ],
      },
      {
        op: 'trace',
        of: 'conv2d',
        input: [x],
        weight: [
          [
            [
              [1, 0],
              [-1, 2],
            ],
          ],
        ],
        start: 0,
        count: 4,
      },
    ];
    // one Python per request, as the command runs them; three at a time (each imports torch)
    for (let i = 0; i < requests.length; i += 3) {
      const batch = requests.slice(i, i + 3);
      const reports = await Promise.all(batch.map((request) => verify(operation(request))));
      reports.forEach((report, j) => {
        const op = String(batch[j].op);
        expect(report.kind, `${op}: ${JSON.stringify(report)}`).toBe('compared');
        if (report.kind === 'compared') expect(report.agree, `${op}: ${reportLines(report).join('; ')}`).toBe(true);
      });
    }
  }, 300_000);

  it('gradient checks: both verdicts and every gradient', async () => {
    const x = [
      [
        [1, 3, 2],
        [3, 1, 2],
        [3, 3, 3],
      ],
    ];
    const report = await verify(
      operation({
        op: 'gradcheck',
        of: 'conv2d',
        input: [x],
        weight: [
          [
            [
              [1, 2],
              [0, 1],
            ],
          ],
        ],
        bias: [0.5],
        padding: 1,
      }),
    );
    expect(report.kind).toBe('compared');
    if (report.kind !== 'compared') return;
    expect(report.gradcheck).toEqual({ convLens: true, torch: true });
    expect(report.comparisons.map((c) => c.name)).toEqual(['grad_input', 'grad_weight', 'grad_bias']);
    expect(report.agree).toBe(true);
  });

  it('a shape check, and PyTorch’s own error when it refuses', async () => {
    const ok = await verify(
      operation({
        op: 'shape',
        of: 'conv2d',
        input_shape: [1, 3, 224, 224],
        weight_shape: [64, 3, 7, 7],
        stride: 2,
        padding: 3,
      }),
    );
    expect(ok).toMatchObject({
      kind: 'compared',
      agree: true,
      shape: { convLens: [1, 64, 112, 112], torch: [1, 64, 112, 112] },
    });
    const refused = await verify(
      operation({
        op: 'conv2d',
        input: [
          [
            [1, 2],
            [3, 4],
          ],
        ],
        weight: [[[[1]]]],
        stride: 0,
      }),
    );
    expect(refused.kind).toBe('torch-refused');
    if (refused.kind === 'torch-refused') {
      expect(refused.torchError).toMatch(/^RuntimeError: non-positive stride is not supported/);
      expect(refused.convLensError).not.toBeNull();
    }
  });

  it('NaN where PyTorch has NaN is agreement; a wrong number is found with its index', async () => {
    const request = {
      op: 'conv2d',
      input: [
        [
          [1, 'NaN', 3],
          [4, 5, 6],
          [7, 8, 9],
        ],
      ],
      weight: [
        [
          [
            [1, 1],
            [1, 1],
          ],
        ],
      ],
    };
    const agree = await verify(operation(request));
    expect(agree).toMatchObject({ kind: 'compared', agree: true });
    const answer = handleRequest(request) as { ok: true; output: number[][][] };
    const wrong = JSON.parse(JSON.stringify(answer)) as typeof answer;
    wrong.output[0][1][1] += 1e-3;
    const report = await verify({ request, answer: wrong });
    expect(report.kind).toBe('compared');
    if (report.kind !== 'compared') return;
    expect(report.agree).toBe(false);
    expect(report.comparisons[0].maxAbsDifference).toBeCloseTo(1e-3, 12);
    expect(report.comparisons[0].worstIndex).toEqual([0, 1, 1]);
  });

  it('the interpreter path is never read by a shell', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conv lens $(touch pwned) '));
    try {
      const odd = join(dir, "py 'thon' $(touch pwned)");
      symlinkSync(TORCH_PYTHON, odd);
      const report = await verify(operation(lecture.cases[0].request), odd);
      expect(report).toMatchObject({ kind: 'compared', agree: true, interpreter: odd });
      expect(existsSync(join(dir, 'pwned')) || existsSync(join(tmpdir(), 'pwned'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Verify in PyTorch without torch, without Python, too slow, cancelled', () => {
  const withoutTorch = ['python3', '/usr/local/bin/python3'].find((p) => {
    const r = spawnSync(p, ['-c', 'import sys'], { timeout: 30_000 });
    return r.status === 0 && !hasTorch(p);
  });

  it.skipIf(!withoutTorch)('an interpreter without torch: which one, and what is missing', async () => {
    const report = await verify(operation(lecture.cases[0].request), withoutTorch);
    expect(report).toMatchObject({ kind: 'no-torch', interpreter: withoutTorch });
    if (report.kind === 'no-torch') expect(report.error).toMatch(/No module named 'torch'/);
  });

  it('an interpreter that does not exist', async () => {
    const report = await verify(operation(lecture.cases[0].request), '/nonexistent/bin/python3');
    expect(report).toMatchObject({ kind: 'not-started', interpreter: '/nonexistent/bin/python3' });
    if (report.kind === 'not-started') expect(report.message).toMatch(/ENOENT/);
  });

  it('a timeout stops the process, and Cancel does at once', async () => {
    const python = withoutTorch ?? TORCH_PYTHON;
    const started = performance.now();
    const slow = await runPythonScript(python, 'import time; time.sleep(30)', {}, { timeoutMs: 300 });
    expect(slow.kind).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(5_000);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const cancelled = await runPythonScript(
      python,
      'import time; time.sleep(30)',
      {},
      { timeoutMs: 60_000, signal: controller.signal },
    );
    expect(cancelled.kind).toBe('cancelled');
  });

  it('an op PyTorch has no function for is said so, not run', async () => {
    const report = await verify(operation({ op: 'unfold1d', input: [[1, 2, 3, 4]], kernel_size: 2 }));
    expect(report.kind).toBe('not-applicable');
  });

  it('compareTensors: shapes that differ are not compared element by element', () => {
    expect(compareTensors('output', [[1, 2]], [[1], [2]])).toMatchObject({
      maxAbsDifference: null,
      shape: [1, 2],
      torchShape: [2, 1],
    });
    expect(compareTensors('output', [1, 'Infinity', 'NaN'], [1, 'Infinity', 2])).toMatchObject({
      maxAbsDifference: 0,
      specialMismatches: 1,
    });
  });
});
