/** The built CLI as a person and a script use it. */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const cli = resolve(__dirname, '../../dist/cli.js');

function conv(args: string[], input?: string) {
  return spawnSync(process.execPath, [cli, ...args], { input, encoding: 'utf8', maxBuffer: 1 << 28 });
}

const valid = {
  op: 'conv2d',
  input: [
    [
      [1, 3, 2],
      [3, 1, 2],
      [3, 3, 3],
    ],
  ],
  weight: [
    [
      [
        [1, 0],
        [0, 1],
      ],
    ],
  ],
  bias: [0.5],
  stride: 1,
  padding: 1,
  dilation: 1,
  groups: 1,
};

describe('conv-lens one-shot commands', () => {
  it('--help lists the commands', () => {
    const r = conv(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('conv-lens run');
    expect(r.stdout).toContain('conv-lens shape');
  });
  it('shape: the ResNet stem with its formula', () => {
    const r = conv(['shape', '--input', '1x3x224x224', '--weight', '64x3x7x7', '--stride', '2', '--padding', '3']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('conv2d output shape: 1x64x112x112');
    expect(r.stdout).toContain('height floor((224 + 2·3 − 1·(7 − 1) − 1) / 2) + 1 = 112');
  });
  it('shape: a refusal in PyTorch’s words with the fix, exit 1', () => {
    const r = conv(['shape', '--input', '1x1x7x7', '--weight', '1x1x5x5', '--dilation', '2']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Kernel size can't be greater than actual input size");
    expect(r.stderr).toContain('fix: use padding ≥ 1 or dilation 1');
  });
  it('shape --json and pooling inferred from --kernel-size', () => {
    const r = conv([
      'shape',
      '--input',
      '1x64x112x112',
      '--kernel-size',
      '3',
      '--stride',
      '2',
      '--padding',
      '1',
      '--json',
    ]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).shape).toEqual([1, 64, 56, 56]);
  });
  it('an unknown flag is a usage error, not a crash', () => {
    const r = conv(['shape', '--input', '1x3x8x8', '--strid', '2']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--strid');
  });
  it('eval answers one request', () => {
    const r = conv(['eval', JSON.stringify(valid)]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).shape).toEqual([1, 4, 4]);
  });
});

describe('conv-lens run (JSON Lines)', () => {
  it('answers every line, bad ones with the field and the rule, and exits 0', () => {
    const lines = [
      JSON.stringify(valid),
      '{"op": "conv2d", "input": [[1, 2], [3]], "weight": [[[[1]]]]}',
      '{"op": "conv2d", "input": [[[1]]], "weight": [[[[1]]]], "stride": -1}',
      '{"op": "conv2d", "input": [[[1]]], "weight": [[[[1]]]], "strides": 2}',
      '{"op": "conv9d"}',
      'nonsense',
      '[1, 2, 3]',
      JSON.stringify({ ...valid, id: 'last' }),
    ];
    const r = conv(['run', '--max-elements', '1000'], lines.join('\n') + '\n');
    expect(r.status).toBe(0);
    const answers = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(answers).toHaveLength(lines.length);
    expect(answers[0].ok).toBe(true);
    expect(answers[1]).toMatchObject({ ok: false, param: 'input', rule: 'ragged' });
    expect(answers[1].error).toContain('input[1] has length 1');
    expect(answers[2]).toMatchObject({ ok: false, param: 'stride', rule: 'nonpositive' });
    expect(answers[3]).toMatchObject({ ok: false, param: 'strides', rule: 'unknown_field' });
    expect(answers[3].error).toContain('did you mean "stride"');
    expect(answers[4]).toMatchObject({ ok: false, rule: 'unknown_op' });
    expect(answers[5]).toMatchObject({ ok: false, rule: 'json' });
    expect(answers[6]).toMatchObject({ ok: false, rule: 'type' });
    expect(answers[7]).toMatchObject({ ok: true, id: 'last' });
  });
  it('labels the float32 fast path as float32 and the exact path as float64', () => {
    const lines = [{ ...valid, algorithm: 'wasm_f32' }, valid].map((l) => JSON.stringify(l)).join('\n') + '\n';
    const [fast, exact] = conv(['run'], lines)
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(fast).toMatchObject({ ok: true, dtype: 'float32', shape: [1, 4, 4] });
    expect(exact).toMatchObject({ ok: true, dtype: 'float64' });
    expect(fast.output).toEqual(exact.output);
  });
  it('refuses a tensor over the size limit', () => {
    const big = { op: 'max_pool1d', input: [[new Array(2000).fill(1)]], kernel_size: 2 };
    const r = conv(['run', '--max-elements', '1000'], JSON.stringify(big) + '\n');
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, param: 'input', rule: 'size_limit' });
  });
  it('NaN and infinities travel as strings both ways', () => {
    const r = conv(
      ['run'],
      JSON.stringify({
        op: 'max_pool1d',
        input: [[1, 'NaN', '-Infinity', 'Infinity']],
        kernel_size: 2,
        return_indices: true,
      }) + '\n',
    );
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, output: [['NaN', 'Infinity']], indices: [[1, 3]] });
  });
});

/** Random and mutated requests: every line gets one JSON answer, none is an internal error, the process survives. */
describe('fuzz: the CLI never crashes', () => {
  const fields = [
    'op',
    'input',
    'weight',
    'bias',
    'stride',
    'padding',
    'dilation',
    'groups',
    'padding_mode',
    'flip',
    'kernel_size',
    'output_padding',
    'ceil_mode',
    'count_include_pad',
    'divisor_override',
    'return_indices',
    'grad_output',
    'of',
    'input_shape',
    'weight_shape',
    'output_size',
    'wrt',
    'fast_mode',
    'eps',
    'start',
    'count',
  ];
  const ops = [
    'conv1d',
    'conv2d',
    'conv3d',
    'conv_transpose2d',
    'max_pool2d',
    'avg_pool1d',
    'avg_pool3d',
    'unfold',
    'fold',
    'conv2d_backward',
    'max_pool2d_backward',
    'gradcheck',
    'shape',
    'trace',
    'parse',
    'bogus',
  ];
  const scalar = fc.oneof(
    fc.integer({ min: -3, max: 6 }),
    fc.double({ noNaN: false }),
    fc.constantFrom('same', 'valid', 'NaN', 'reflect', 'circular', 'x', '', 'conv2d', 'max_pool2d'),
    fc.boolean(),
    fc.constant(null),
  );
  const nested = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('value'), { maxLength: 4 })),
  })).value;
  const tensorLike = fc.integer({ min: 0, max: 3 }).chain((rank) =>
    fc.array(fc.integer({ min: 1, max: 4 }), { minLength: rank + 1, maxLength: rank + 1 }).map((shape) => {
      const build = (d: number): unknown =>
        d === shape.length ? ((d * 7 + shape[0]) % 5) - 2 : Array.from({ length: shape[d] }, () => build(d + 1));
      return build(0);
    }),
  );
  const request = fc
    .dictionary(
      fc.constantFrom(...fields),
      fc.oneof(scalar, nested, tensorLike, fc.array(fc.integer({ min: -1, max: 4 }), { maxLength: 4 })),
      { maxKeys: 9 },
    )
    .chain((d) =>
      fc
        .constantFrom(...ops)
        .map((op) => ({ ...d, op, of: typeof d.of === 'string' ? d.of : ops[(op.length * 3) % ops.length] })),
    );
  const bases: Record<string, unknown>[] = [
    valid,
    {
      op: 'max_pool2d',
      input: [
        [
          [1, 2, 3],
          [4, 5, 6],
          [7, 8, 9],
        ],
      ],
      kernel_size: 2,
      stride: 1,
      return_indices: true,
    },
    { op: 'avg_pool1d', input: [[1, 2, 3, 4]], kernel_size: 2, ceil_mode: true },
    { op: 'conv_transpose1d', input: [[1, 2, 3]], weight: [[[1, 2]]], stride: 2 },
    { op: 'shape', of: 'conv2d', input_shape: [1, 3, 32, 32], weight_shape: [8, 3, 3, 3], padding: 'same' },
    { op: 'gradcheck', of: 'conv1d', input: [[1, 2, 3, 4]], weight: [[[1, -1]]], fast_mode: true },
    {
      op: 'trace',
      of: 'conv2d',
      input: [
        [
          [1, 2, 3],
          [4, 5, 6],
          [7, 8, 9],
        ],
      ],
      weight: [
        [
          [
            [1, 0],
            [0, 1],
          ],
        ],
      ],
      count: 2,
    },
    {
      op: 'unfold',
      input: [
        [
          [1, 2, 3],
          [4, 5, 6],
          [7, 8, 9],
        ],
      ],
      kernel_size: 2,
    },
  ];
  const mutated = fc
    .tuple(fc.constantFrom(...bases), fc.constantFrom(...fields), fc.oneof(scalar, nested, tensorLike), fc.boolean())
    .map(([base, key, value, remove]) => {
      const r: Record<string, unknown> = { ...base };
      if (remove) delete r[key];
      else r[key] = value;
      return r;
    });
  const line = fc.oneof(
    { weight: 3, arbitrary: request.map((r) => JSON.stringify(r)) },
    { weight: 4, arbitrary: mutated.map((r) => JSON.stringify(r)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
    {
      weight: 1,
      arbitrary: request.chain((r) =>
        fc.nat().map((cut) => {
          const s = JSON.stringify(r);
          return s.slice(0, cut % (s.length + 1));
        }),
      ),
    },
  );

  it('answers 2,000 random lines', () => {
    const lines = fc
      .sample(line, { numRuns: 2000, seed: 20261125 })
      .map((l) => l.replace(/\n/g, ' '))
      .filter((l) => l.trim() !== '');
    const r = conv(['run', '--max-elements', '100000'], lines.join('\n') + '\n');
    expect(r.status, r.stderr).toBe(0);
    const answers = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(answers).toHaveLength(lines.length);
    const internal = answers.map((a, i) => [a, lines[i]] as const).filter(([a]) => a.rule === 'internal');
    expect(internal.map(([a, l]) => `${a.error} ← ${l}`)).toEqual([]);
    for (const a of answers) {
      expect(typeof a.ok).toBe('boolean');
      if (!a.ok) expect(a.error.length).toBeGreaterThan(0);
    }
    // the generator reaches both answers, or the test proves little
    expect(answers.some((a) => a.ok)).toBe(true);
    expect(answers.some((a) => !a.ok)).toBe(true);
  });
});

describe('conv-lens run: the parse op', () => {
  it('finds the literal at an offset, and reads a whole text', () => {
    const text = 'x = np.array([[1, 2], [3, 4]], dtype=np.float32)\n';
    const lines = [
      { op: 'parse', text, offset: 15, id: 1 },
      { op: 'parse', text: '[1 2; 3 4]' },
      { op: 'parse', text: '[[1, 2], [3]]' },
      { op: 'parse', text: 'nothing here', offset: 3 },
      { op: 'parse', text: 5 },
    ];
    const r = conv(['run'], lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const [a, b, c, d, e] = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(a).toMatchObject({
      ok: true,
      shape: [2, 2],
      values: [
        [1, 2],
        [3, 4],
      ],
      format: 'numpy',
      wrapper: 'np.array',
      id: 1,
    });
    expect(text.slice(a.range.start, a.range.end)).toBe('np.array([[1, 2], [3, 4]], dtype=np.float32)');
    expect(b).toMatchObject({ ok: true, shape: [2, 2], format: 'matlab' });
    expect(c).toMatchObject({ ok: false, param: 'text', rule: 'syntax', line: 0 });
    expect(c.error).toMatch(/row 2 has 1 element/);
    expect(d).toMatchObject({ ok: false, rule: 'not_found' });
    expect(e).toMatchObject({ ok: false, param: 'text', rule: 'type' });
  });
});
