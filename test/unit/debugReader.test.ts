/**
 * Reading tensors from a real paused Python program — Debian's debugpy adapter over stdio (test/support/dap.ts),
 * the program test/integration/workspace/debug_tensors.py — through readTensor.ts, both channels, checked against
 * what Python itself wrote about each value; and nothing in the program changes.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DTYPES, type DType } from '../../src/engine/dtype';
import { describeValues, ReadCancelled, readValue, type Evaluate } from '../../src/debug/readTensor';
import { DapClient, debugpyMissing } from '../support/dap';

const ROOT = resolve(__dirname, '../..');
const PROGRAM = join(ROOT, 'test/integration/workspace/debug_tensors.py');
const missing = debugpyMissing();
if (missing) console.warn(`skipping the debug-session unit tests: ${missing}`);

interface Expected {
  values: Record<
    string,
    { type: string; dtype: string; shape: number[]; sha256?: string; values?: (number | string)[] }
  >;
  before: { locals: string[]; globals: string[]; modules: string[]; tensors: Record<string, unknown> };
}

/** The float64 values back in their own dtype's bytes, for a SHA-256 against Python's. */
function storedBytes(dtype: DType, data: Float64Array): Buffer {
  const b = Buffer.alloc(data.length * DTYPES[dtype].bytes);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    switch (dtype) {
      case 'float32':
        b.writeFloatLE(x, 4 * i);
        break;
      case 'float64':
        b.writeDoubleLE(x, 8 * i);
        break;
      case 'bfloat16':
        f32[0] = x;
        b.writeUInt16LE(u32[0] >>> 16, 2 * i);
        break;
      case 'int64':
        b.writeBigInt64LE(BigInt(x), 8 * i);
        break;
      case 'bool':
      case 'uint8':
        b.writeUInt8(x, i);
        break;
      default:
        throw new Error(`no encoder for ${dtype} in this test`);
    }
  }
  return b;
}

const decodeJson = (v: number | string) =>
  v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v;

describe.skipIf(missing !== null)('reading tensors from a paused debugpy session', () => {
  let dap: DapClient;
  let frameId: number;
  let evaluate: Evaluate;
  let expected: Expected;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'conv-lens-debug-'));
    dap = new DapClient();
    ({ frameId } = await dap.launchAndPause(PROGRAM, {
      CONV_LENS_LECTURE: join(ROOT, 'test/fixtures/lecture-examples.json'),
      CONV_LENS_EXPECTED: join(dir, 'expected.json'),
    }));
    evaluate = (expression) => dap.evaluate(frameId, expression);
    expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
  }, 180_000);

  afterAll(async () => {
    await dap?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const read = async (expression: string, channel: 'auto' | 'evaluate' = 'auto', cap = 1_000_000) => {
    const outcome = await readValue(evaluate, expression, { cap, channel });
    if (outcome.kind !== 'tensor') throw new Error(`${expression}: ${JSON.stringify(outcome)}`);
    return outcome;
  };

  for (const channel of ['auto', 'evaluate'] as const) {
    it(`reads every planted tensor exactly as Python stores it (${channel === 'auto' ? 'socket' : 'inline'} channel)`, async () => {
      for (const [name, e] of Object.entries(expected.values)) {
        if (name === 'activations') continue; // over the cap: below
        const r = await read(name, channel);
        expect(r.timings.channel, name).toBe(channel === 'auto' ? 'socket' : 'inline');
        expect(r.header.dtype, name).toBe(e.dtype);
        expect([...r.header.shape], name).toEqual(e.shape);
        if (e.values) {
          const got = [...r.data];
          const want = e.values.map(decodeJson);
          expect(got.length, name).toBe(want.length);
          got.forEach((x, i) =>
            expect(
              Object.is(x, want[i]) || (Number.isNaN(x) && Number.isNaN(want[i] as number)),
              `${name}[${i}]: ${x} vs ${want[i]}`,
            ).toBe(true),
          );
        }
        if (
          e.sha256 &&
          ['float32', 'float64', 'bfloat16', 'bool', 'uint8'].includes(e.dtype) &&
          !name.includes('endian')
        ) {
          const hash = createHash('sha256').update(storedBytes(r.header.dtype, r.data)).digest('hex');
          expect(hash, `${name}: the bytes Python stores`).toBe(e.sha256);
        }
      }
    }, 120_000);
  }

  it('says what it did: detached, non-contiguous copied, int64 beyond 2^53 rounded, big-endian read', async () => {
    const w = await read('weights_t');
    expect(w.header.requiresGrad).toBe(true);
    expect(w.header.contiguous).toBe(false);
    expect(w.notes.join('; ')).toMatch(/detached.*non-contiguous/);
    const ints = await read('int64s');
    expect(ints.notes.join('; ')).toMatch(/beyond ±2\^53 rounded/);
    const be = await read('big_endian');
    expect([...be.data]).toEqual([1.5, -2, 3.25]);
    const scalar = await read('np_scalar');
    expect(scalar.header.shape).toEqual([]);
    expect(scalar.data[0]).toBe(Math.fround(0.1));
    const zero = await read('zero_d');
    expect([...zero.data]).toEqual([2.5]);
  });

  it('reads expressions: a parameter, a slice, a gradient', async () => {
    const weight = await read('model.weight');
    expect(weight.header.type).toBe('torch.nn.parameter.Parameter');
    expect([...weight.header.shape]).toEqual([2, 1, 3, 3]);
    const slice = await read('lecture_input[0, :3]');
    expect([...slice.data]).toEqual(expected.values.lecture_input.values?.slice(0, 3));
    const grad = await read('model.weight.grad');
    expect([...grad.header.shape]).toEqual([2, 1, 3, 3]);
  });

  it('describes many values in one evaluate, and refuses what it cannot read with the reason', async () => {
    const d = await describeValues(evaluate, [
      'big',
      'half_np',
      'label',
      'words',
      'nope_not_defined',
      'out.grad',
      'config',
    ]);
    expect(d[0]).toMatchObject({ ok: true, dtype: 'float32', shape: [1000, 1000], numel: 1_000_000, device: 'cpu' });
    expect(d[1]).toMatchObject({ ok: true, dtype: 'float16', type: 'numpy.ndarray' });
    expect(d[2]).toMatchObject({ ok: false, error: 'a str, not a tensor' });
    expect(d[3]).toMatchObject({ ok: false, error: 'a list of str, not of numbers' });
    expect(d[4]).toMatchObject({ ok: false, raised: true });
    expect((d[4] as { error: string }).error).toMatch(/^NameError: name 'nope_not_defined' is not defined/);
    expect(d[5]).toMatchObject({ ok: false, error: 'None, not a tensor' });
    expect(d[6]).toMatchObject({ ok: false, error: 'a dict, not a tensor' });
  });

  it('over the cap: no data, only the description', async () => {
    const outcome = await readValue(evaluate, 'activations', { cap: 1_000_000, channel: 'auto' });
    expect(outcome.kind).toBe('over-cap');
    if (outcome.kind === 'over-cap') expect(outcome.description.numel).toBe(8 * 64 * 56 * 56);
    const slice = await read('activations[0]');
    expect(slice.header.numel).toBe(64 * 56 * 56);
  });

  it('finds the planted NaN and infinity', async () => {
    const r = await read('with_nan');
    const nan = [...r.data].findIndex(Number.isNaN);
    expect(nan).toBe(((1 * 3 + 2) * 4 + 3) * 5 + 4);
    expect([...r.data].indexOf(Infinity)).toBe(((0 * 3 + 1) * 4 + 2) * 5 + 3);
  });

  it('Cancel stops waiting at once and the session stays usable', async () => {
    const controller = new AbortController();
    const reading = readValue(evaluate, 'big', { cap: 1_000_000, channel: 'evaluate', signal: controller.signal });
    setTimeout(() => controller.abort('cancelled'), 5);
    const started = performance.now();
    await expect(reading).rejects.toBeInstanceOf(ReadCancelled);
    expect(performance.now() - started).toBeLessThan(500);
    const again = await read('lecture_kernel');
    expect(again.header.shape).toEqual([3, 3]);
  });

  it('a cancelled socket transfer closes the socket; the next read works', async () => {
    const controller = new AbortController();
    const reading = readValue(evaluate, 'big', {
      cap: 1_000_000,
      channel: 'auto',
      signal: controller.signal,
      onProgress: (f) => {
        if (f > 0) controller.abort('cancelled');
      },
    });
    await expect(reading).rejects.toBeInstanceOf(ReadCancelled);
    // the reader's sendall broke off: its evaluate answers (an error header) and the frame is free again
    const again = await read('lecture_input');
    expect(again.header.shape).toEqual([5, 5]);
  });

  it('changed nothing in the program: names, modules, tensors, versions, gradients', async () => {
    const state = JSON.parse(await evaluate('state_now()')) as Expected['before'];
    expect(state.locals).toEqual(expected.before.locals);
    // reading `out.grad` (above) made torch warn about a non-leaf's .grad, and Python's warnings module notes that
    // in the module's __warningregistry__: the person's own expression, as a Watch of it would
    expect(state.globals.filter((g) => g !== '__warningregistry__')).toEqual(expected.before.globals);
    expect(state.tensors).toEqual(expected.before.tensors);
    // the modules the reader uses were loaded before it ran (by debugpy and torch): it imported none
    const added = state.modules.filter((m) => !expected.before.modules.includes(m));
    const mine = added.filter((m) => ['json', 'socket', 'binascii', 'ctypes', 'array', 'traceback'].includes(m));
    expect(mine).toEqual([]);
  });
});

describe.skipIf(missing !== null)('a debug session that ends mid-transfer', () => {
  it('gives a clear error, not a hang', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'conv-lens-debug-'));
    const dap = new DapClient();
    try {
      const { frameId } = await dap.launchAndPause(PROGRAM, {
        CONV_LENS_LECTURE: join(ROOT, 'test/fixtures/lecture-examples.json'),
        CONV_LENS_EXPECTED: join(dir, 'expected.json'),
      });
      const reading = readValue((e) => dap.evaluate(frameId, e), 'big', { cap: 1_000_000, channel: 'evaluate' });
      setTimeout(() => dap.kill(), 20);
      await expect(reading).rejects.toThrow(/adapter exited/);
    } finally {
      await dap.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
