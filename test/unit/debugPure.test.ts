/**
 * The pure parts of runtime tensors: which variables are tensor-like (from debugpy's own type/value fields), the
 * menus' when-clauses, slice suggestions, the statistics the tensor view is fed (against NumPy), the reader's
 * answers checked before they are trusted, and the loopback channel's guards.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeRead, parseDescriptions, parseReadAnswer, ReaderProtocolError } from '../../src/debug/readerResult';
import { suggestSlice, isPrimaryExpression } from '../../src/debug/slice';
import { ChannelError, openSocketChannel } from '../../src/debug/socketChannel';
import {
  JUPYTER_MENU_CONTEXT,
  markTensorVariables,
  TENSOR_MENU_CONTEXT,
  tensorLikeKind,
  type ProtocolVariable,
} from '../../src/debug/tensorLike';
import { tensorViewSpec } from '../../src/debug/tensorViewSpec';
import { openTensorView } from '../../src/app/results/tensorView';
import { tensorStats, type TensorSource } from '../../src/tensorSource';
import { isPanelView } from '../../src/protocol';
import { operandStatusText } from '../../src/editor/operandText';

describe('tensor-like variables, from the type and value debugpy sends', () => {
  // type/value pairs as debugpy 1.6 sends them for the debuggee test/integration/workspace/debug_tensors.py
  const cases: [type: string, value: string, kind: string | null][] = [
    ['Tensor', 'tensor([[ 0.,  4.,  8.],\n        [ 1.,  5.,  9.],', 'torch'],
    ['Parameter', 'Parameter containing:\ntensor([[1., 1.],\n        [1., 1.]], requires_grad=True)', 'torch'],
    ['Tensor', 'tensor(2.)', 'torch'],
    ['ndarray', 'array([[0., 1., 2.],\n       [3., 4., 5.]], dtype=float16)', 'numpy'],
    ['float32', '3.5', 'numpy-scalar'],
    ['int64', '7', 'numpy-scalar'],
    ['bool_', 'True', 'numpy-scalar'],
    ['list', '[[1, 2], [3, 4.5]]', 'list'],
    ['list', '[1e-05, -2.5, nan, inf]', 'list'],
    ['tuple', '(1, 2, 3)', 'list'],
    ['list', '[[0.1, 0.2, ...', 'list'],
    ['list', "['a', 'b']", null],
    ['list', '[]', null],
    ['list', '[None, 1]', null],
    ['str', "'hello'", null],
    ['float', '0.5', null],
    ['int', '3', null],
    ['dict', "{'stride': 1}", null],
    ['Conv2d', 'Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1))', null],
    ['array', "array('d', [1.0, 2.0])", null],
  ];
  for (const [type, value, kind] of cases) {
    it(`${type} ${JSON.stringify(value.slice(0, 30))} → ${kind}`, () => {
      expect(tensorLikeKind(type, value)).toBe(kind);
    });
  }

  it('marks the tensor-like ones and leaves a context another extension set', () => {
    const variables: ProtocolVariable[] = [
      { name: 'x', type: 'Tensor', value: 'tensor([1.])' },
      { name: 'label', type: 'str', value: "'conv1'" },
      { name: 'df', type: 'DataFrame', value: '   a\n0  1', __vscodeVariableMenuContext: JUPYTER_MENU_CONTEXT },
    ];
    expect(markTensorVariables(variables)).toBe(1);
    expect(variables.map((v) => v.__vscodeVariableMenuContext)).toEqual([
      TENSOR_MENU_CONTEXT,
      undefined,
      JUPYTER_MENU_CONTEXT,
    ]);
  });

  it("the Variables view menus show on our context and on vscode-jupyter's", () => {
    const pkg = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as {
      contributes: { menus: Record<string, { command: string; when: string }[]> };
    };
    const items = pkg.contributes.menus['debug/variables/context'];
    expect(items.map((i) => i.command)).toEqual([
      'convLens.debug.showTensor',
      'convLens.debug.useAsInput',
      'convLens.debug.useAsKernel',
    ]);
    for (const i of items) {
      expect(i.when).toContain(`debugProtocolVariableMenuContext == ${TENSOR_MENU_CONTEXT}`);
      expect(i.when).toContain(`debugProtocolVariableMenuContext == ${JUPYTER_MENU_CONTEXT}`);
    }
    const palette = pkg.contributes.menus.commandPalette;
    for (const c of ['convLens.debug.showTensor', 'convLens.debug.useAsInput', 'convLens.debug.useAsKernel'])
      expect(palette.find((p) => p.command === c)?.when).toBe('false');
  });
});

describe('a slice that fits the cap', () => {
  it('fixes leading indices until the rest fits', () => {
    expect(suggestSlice('activations', [8, 64, 56, 56], 1_000_000)).toBe('activations[0]');
    expect(suggestSlice('x', [8, 64, 56, 56], 4000)).toBe('x[0, 0]');
    expect(suggestSlice('x', [8, 64, 56, 56], 56)).toBe('x[0, 0, 0]');
    expect(suggestSlice('x', [8, 64, 56, 56], 50)).toBe('x[0, 0, 0, :50]');
    expect(suggestSlice('x', [10, 2_000_000], 1_000_000)).toBe('x[0, :1000000]');
    expect(suggestSlice('signal', [3_000_000], 1_000_000)).toBe('signal[:1000000]');
    expect(suggestSlice('x', [2, 3], 100)).toBe('x');
  });

  it('parenthesises what is not a primary expression', () => {
    expect(isPrimaryExpression('model.conv1.weight')).toBe(true);
    expect(isPrimaryExpression('x[0, :3].grad')).toBe(true);
    expect(isPrimaryExpression('f(a, "b)")[1]')).toBe(true);
    expect(isPrimaryExpression('a + b')).toBe(false);
    expect(isPrimaryExpression('-x')).toBe(false);
    expect(suggestSlice('a @ b', [2000, 2000], 1_000_000)).toBe('(a @ b)[0]');
    expect(suggestSlice('model.fc.weight', [4096, 25088], 1_000_000)).toBe('model.fc.weight[0]');
  });
});

describe('tensorStats: what the tensor view shows first', () => {
  it("mean and std (ddof=0) to the last digits: against Python's exactly rounded math.fsum", () => {
    const n = 100_003;
    const data = new Float64Array(n);
    let seed = 12345;
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      data[i] = (seed / 2147483648 - 0.5) * 1e6 + 1e9; // a big offset: sum(x²) − n·mean² would lose every digit
    }
    const s = tensorStats(data, [n]);
    const py = spawnSync(
      '/usr/bin/python3',
      [
        '-c',
        'import sys, math, json, array; a = array.array("d"); a.frombytes(sys.stdin.buffer.read()); m = math.fsum(a) / len(a); ' +
          'print(json.dumps([min(a), max(a), m, math.sqrt(math.fsum((x - m) ** 2 for x in a) / len(a))]))',
      ],
      { input: Buffer.from(data.buffer), encoding: 'utf8' },
    );
    expect(py.status, String(py.stderr || py.error)).toBe(0);
    const [min, max, mean, std] = JSON.parse(py.stdout) as number[];
    expect(s.min).toBe(min);
    expect(s.max).toBe(max);
    expect(s.mean).toBe(mean);
    expect(Math.abs((s.std as number) - std) / std).toBeLessThan(1e-14);
  });

  it('counts NaN and ±Infinity and says where the first ones are', () => {
    const shape = [2, 3, 4];
    const data = new Float64Array(24).fill(1);
    data[13] = NaN;
    data[20] = NaN;
    data[5] = Infinity;
    data[7] = -Infinity;
    const s = tensorStats(data, shape);
    expect(s).toMatchObject({
      count: 24,
      finiteCount: 20,
      nanCount: 2,
      posInfCount: 1,
      negInfCount: 1,
      min: 1,
      max: 1,
      mean: 1,
      std: 0,
    });
    expect(s.firstNaN).toEqual([1, 0, 1]);
    expect(s.firstPosInf).toEqual([0, 1, 1]);
    expect(s.firstNegInf).toEqual([0, 1, 3]);
    const empty = tensorStats(new Float64Array([NaN]), []);
    expect(empty).toMatchObject({ min: null, max: null, mean: null, std: null, firstNaN: [] });
  });
});

describe('the tensor view of a tensor read in a debug session', () => {
  const source = (shape: number[]): TensorSource => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = Float64Array.from({ length: n }, (_, i) => i);
    return {
      name: 'x',
      expression: 'x',
      dtype: 'float32',
      shape,
      device: 'cpu',
      pythonType: 'torch.Tensor',
      requiresGrad: true,
      origin: { kind: 'debug', sessionName: 'Python: train.py', frame: 'main (train.py:12)' },
      data,
      stats: tensorStats(data, shape),
      notes: [],
    };
  };

  it('is a tensor view the protocol accepts, with the summary a person reads', () => {
    const view = openTensorView(tensorViewSpec(source([2, 3, 2, 3, 4]), 6)).view;
    expect(isPanelView(view)).toBe(true);
    expect(view.kind).toBe('tensor');
    const summary = Object.fromEntries(view.summary.map((r) => [r.label, r.value]));
    expect(summary).toMatchObject({
      dtype: 'float32 (shown exactly, as float64)',
      shape: '2×3×2×3×4 (144 elements)',
      device: 'cpu',
      requires_grad: 'True (read detached)',
      'min / max': '0 / 143',
    });
    expect(summary.from).toBe('debug session Python: train.py, main (train.py:12)');
  });

  it('a big tensor travels as its statistics, its planes on request', () => {
    const s = source([4, 1000, 1000]);
    const session = openTensorView(tensorViewSpec(s, 6));
    expect(isPanelView(session.view)).toBe(true);
    expect(session.view.tensors[0].data).toBeNull();
    expect(session.plane('tensor', [1])[0]).toBe(1_000_000);
  });
});

describe("the reader's answers are checked before they are trusted", () => {
  const header = {
    ok: true,
    kind: 'torch',
    type: 'torch.Tensor',
    dtype: 'float32',
    shape: [2],
    numel: 2,
    device: 'cpu',
  };

  it('a header and its base64', () => {
    const bytes = Buffer.from(new Float32Array([1.5, -2]).buffer);
    const a = parseReadAnswer(
      `${JSON.stringify({ ...header, nbytes: 8, channel: 'inline', notes: [] })}\n${bytes.toString('base64')}`,
    );
    expect(a.header.ok).toBe(true);
    if (!a.header.ok || !('base64' in a)) throw new Error('no data');
    expect([...decodeRead(a.header, Buffer.from(a.base64 ?? '', 'base64')).data]).toEqual([1.5, -2]);
  });

  it('refuses a size that does not match the dtype and shape, or a shape that does not match numel', () => {
    expect(() => parseReadAnswer(JSON.stringify({ ...header, nbytes: 7 }))).toThrow(ReaderProtocolError);
    expect(() => parseReadAnswer(JSON.stringify({ ...header, numel: 3, nbytes: 12 }))).toThrow(
      /3 elements for shape \[2\]/,
    );
    expect(() => parseReadAnswer(JSON.stringify({ ...header, dtype: 'complex64' }))).toThrow(/unknown dtype/);
    expect(() => parseReadAnswer('Traceback (most recent call last):')).toThrow(/not the reader's JSON/);
    expect(() => parseDescriptions('[]', 2)).toThrow(/should list 2/);
  });
});

describe('the loopback channel', () => {
  const sendFrom = (port: number, token: string, data: Buffer, announce = data.length) =>
    new Promise<void>((res, rej) => {
      const s = connect(port, '127.0.0.1');
      s.once('data', () => {
        const length = Buffer.alloc(8);
        length.writeBigUInt64LE(BigInt(announce));
        s.end(Buffer.concat([Buffer.from(token, 'ascii'), length, data]), () => res());
      });
      s.on('error', rej);
    });

  it('takes the data of the one who knows the token, with progress', async () => {
    const fractions: number[] = [];
    const r = await openSocketChannel({ maxBytes: 1 << 20, onProgress: (a, b) => fractions.push(a / b) });
    const data = Buffer.alloc(300_000, 7);
    await sendFrom(r.channel.port, r.channel.token, data);
    const got = await r.bytes;
    expect(got.length).toBe(300_000);
    expect(got[299_999]).toBe(7);
    expect(fractions.at(-1)).toBe(1);
  });

  it('refuses a wrong token, and an announced size over the limit', async () => {
    const a = await openSocketChannel({ maxBytes: 100 });
    await sendFrom(a.channel.port, 'f'.repeat(32), Buffer.alloc(10)).catch(() => {});
    await expect(a.bytes).rejects.toThrow(/did not carry its token/);
    const b = await openSocketChannel({ maxBytes: 100 });
    await sendFrom(b.channel.port, b.channel.token, Buffer.alloc(10), 1000).catch(() => {});
    await expect(b.bytes).rejects.toThrow(/1000 bytes, more than the 100 allowed/);
  });

  it('a connection that closes early is an error, and close() stops listening', async () => {
    const a = await openSocketChannel({ maxBytes: 100 });
    await sendFrom(a.channel.port, a.channel.token, Buffer.alloc(10), 50).catch(() => {});
    await expect(a.bytes).rejects.toThrow(/closed after 10 of 50 bytes/);
    const b = await openSocketChannel({ maxBytes: 100 });
    b.close('cancelled');
    await expect(b.bytes).rejects.toBeInstanceOf(ChannelError);
    await expect(
      new Promise((res, rej) => connect(b.channel.port, '127.0.0.1').on('connect', res).on('error', rej)),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('the status bar says where each operand came from', () => {
  it('debug, literal, typed, unset', () => {
    const t = (shape: number[]) => ({ shape });
    expect(
      operandStatusText('input', {
        tensor: t([1, 3, 32, 32]),
        dtype: 'float32',
        origin: { kind: 'debug', name: 'x' },
      }),
    ).toBe('input x: 1×3×32×32 float32 (debug)');
    expect(
      operandStatusText('kernel', { tensor: t([3, 3]), uri: { path: '/w/lecture.py' }, range: { start: { line: 3 } } }),
    ).toBe('kernel 3×3 (lecture.py:4)');
    expect(operandStatusText('input', { tensor: t([2, 2]) })).toBe('input 2×2');
    expect(operandStatusText('kernel', undefined)).toBe('kernel —');
  });
});
