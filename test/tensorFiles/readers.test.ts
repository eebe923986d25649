/**
 * Every reader against what NumPy and PyTorch wrote (test/tensorFiles/generate.py): the listing (names in
 * order, dtypes, shapes), every value of every tensor, the statistics, the non-tensor values of checkpoints
 * and safetensors' metadata — through the async reader over a real file and the sync one over memory, with
 * the default chunking and with tiny chunks that split every tensor into many reads.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  TensorFile,
  TensorFileError,
  TensorFileSync,
  memorySource,
  openFileSource,
  type TensorStats,
} from '../../src/tensorFiles';

const FIXTURES = resolve(__dirname, 'fixtures');

type Num = number | 'NaN' | 'Infinity' | '-Infinity';
interface ExpectedTensor {
  dtype: string;
  shape: number[];
  values: Num[];
  stats: {
    count: number;
    finite: number;
    min: Num | null;
    max: Num | null;
    mean: Num | null;
    std: Num | null;
    nan: number;
    posInf: number;
    negInf: number;
    firstNaN: number | null;
  };
}
interface ExpectedFile {
  format: string;
  tensors: Record<string, ExpectedTensor>;
  values?: Record<string, string>;
  metadata?: Record<string, string>;
}

const expected = JSON.parse(readFileSync(resolve(FIXTURES, 'expected.json'), 'utf8')) as Record<string, ExpectedFile>;
const num = (v: Num): number => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v);
const bytesOf = (name: string) => new Uint8Array(readFileSync(resolve(FIXTURES, name)));

function sameValues(actual: Float64Array, want: Num[]): string[] {
  const wrong: string[] = [];
  if (actual.length !== want.length) return [`length ${actual.length}, expected ${want.length}`];
  for (let i = 0; i < want.length && wrong.length < 5; i++) {
    const w = num(want[i]);
    if (!(Object.is(actual[i], w) || (Number.isNaN(w) && Number.isNaN(actual[i]))))
      wrong.push(`[${i}] ${actual[i]} ≠ ${w}`);
  }
  return wrong;
}

function unravel(flat: number, shape: number[]): number[] {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(flat % shape[d]);
    flat = Math.floor(flat / shape[d]);
  }
  return idx;
}

function checkStats(actual: TensorStats, want: ExpectedTensor) {
  const s = want.stats;
  expect({
    count: actual.count,
    finite: actual.finite,
    nan: actual.nan,
    posInf: actual.posInf,
    negInf: actual.negInf,
  }).toEqual({
    count: s.count,
    finite: s.finite,
    nan: s.nan,
    posInf: s.posInf,
    negInf: s.negInf,
  });
  expect(actual.min).toBe(s.min === null ? null : num(s.min));
  expect(actual.max).toBe(s.max === null ? null : num(s.max));
  for (const key of ['mean', 'std'] as const) {
    const w = s[key];
    if (w === null) expect(actual[key]).toBeNull();
    else expect(Math.abs(actual[key]! - num(w))).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(num(w))));
  }
  expect(actual.firstNaN).toEqual(s.firstNaN === null ? null : unravel(s.firstNaN, want.shape));
}

describe.each(Object.keys(expected))('%s', (fileName) => {
  const want = expected[fileName];
  const names = Object.keys(want.tensors);

  it('lists every tensor with its dtype and shape, in the file’s order, and the other values', async () => {
    const source = await openFileSource(resolve(FIXTURES, fileName));
    const file = await TensorFile.open(source, { name: fileName });
    try {
      expect(file.listing.format).toBe(want.format);
      expect(file.listing.tensors.map((t) => t.name)).toEqual(names);
      for (const t of file.listing.tensors) {
        expect([t.name, t.dtype, [...t.shape]]).toEqual([
          t.name,
          want.tensors[t.name].dtype,
          want.tensors[t.name].shape,
        ]);
        expect(t.elements).toBe(want.tensors[t.name].values.length);
      }
      const values = Object.fromEntries(file.listing.values.map((v) => [v.name, v.text]));
      expect(values).toEqual(want.values ?? {});
      expect(file.listing.metadata).toEqual(want.metadata ?? null);
      expect(file.listing.skipped).toEqual([]);
    } finally {
      await file.close();
    }
  });

  it('reads every value exactly and computes the stats NumPy computes (async, from disk)', async () => {
    const source = await openFileSource(resolve(FIXTURES, fileName));
    const file = await TensorFile.open(source, { name: fileName });
    try {
      for (const name of names) {
        const t = await file.read(name);
        expect([...t.shape]).toEqual(want.tensors[name].shape);
        expect(sameValues(t.data, want.tensors[name].values), name).toEqual([]);
        checkStats(await file.stats(name), want.tensors[name]);
      }
    } finally {
      await file.close();
    }
  });

  it.each([1, 2, 5, 13])('reads the same values in chunks of %i elements (sync, from memory)', (chunkElements) => {
    const file = TensorFileSync.open(memorySource(bytesOf(fileName)), { name: fileName, chunkElements });
    for (const name of names) {
      expect(sameValues(file.read(name).data, want.tensors[name].values), name).toEqual([]);
      checkStats(file.stats(name), want.tensors[name]);
    }
  });
});

describe('what the listing says about layouts', () => {
  const listing = (name: string) => TensorFileSync.open(memorySource(bytesOf(name)), { name }).listing;
  const entry = (file: string, name: string) => listing(file).tensors.find((t) => t.name === name)!;

  it('names nested checkpoints by dotted paths and keeps the optimizer’s numbers', () => {
    const l = listing('checkpoint.ckpt');
    expect(l.description).toBe('PyTorch checkpoint (torch.save zip, format version 3)');
    expect(l.tensors.map((t) => t.name)).toContain('optimizer.state.0.exp_avg');
    expect(l.values.find((v) => v.name === 'epoch')).toEqual({ name: 'epoch', kind: 'int', text: '3' });
    expect(l.values.find((v) => v.name === 'big')?.text).toBe(String(2n ** 70n));
  });

  it('marks views, shared storages, Fortran order and byte order', () => {
    expect(entry('views.pt', 'transposed').contiguous).toBe(false);
    expect(entry('views.pt', 'transposed').notes.join('; ')).toMatch(/shares storage 0 with base/);
    expect(entry('views.pt', 'channels_last').contiguous).toBe(false);
    expect(entry('views.pt', 'expanded').notes.join()).toMatch(/strides 0, 1/);
    expect(entry('views.pt', 'parameter').notes).toContain('nn.Parameter');
    expect(entry('views.pt', 'base').bytes).toBe(24 * 4);
    expect(entry('views.pt', 'row').bytes).toBe(6 * 4);
    expect(entry('fortran.npy', '').notes).toEqual(['Fortran order']);
    expect(entry('big_endian_f8.npy', '').notes).toEqual(['big-endian']);
    expect(listing('compressed.npz').description).toBe('NumPy .npz, compressed (np.savez_compressed)');
    expect(listing('v3.npy').description).toBe('NumPy .npy (format version 3.0)');
  });

  it('says when int64 values were rounded to float64', () => {
    const file = TensorFileSync.open(memorySource(bytesOf('dtypes.pt')), { name: 'dtypes.pt' });
    expect(file.read('int64').lossyIntegers).toBe(true);
    expect(file.read('int32').lossyIntegers).toBe(false);
  });
});

describe('slices', () => {
  const file = TensorFileSync.open(memorySource(bytesOf('views.pt')), { name: 'views.pt', chunkElements: 4 });
  const base = expected['views.pt'].tensors.base.values.map(num); // 4×6, row-major
  const at = (r: number, c: number) => base[r * 6 + c];

  it('an index drops the dim, a range keeps it, negative indices count from the end', () => {
    expect([...file.read('base', { slice: [2] }).data]).toEqual([0, 1, 2, 3, 4, 5].map((c) => at(2, c)));
    expect([...file.read('base', { slice: [null, -1] }).data]).toEqual([0, 1, 2, 3].map((r) => at(r, 5)));
    const s = file.read('base', { slice: [{ start: 1, stop: 4, step: 2 }, { start: -3 }] });
    expect(s.shape).toEqual([2, 3]);
    expect([...s.data]).toEqual([at(1, 3), at(1, 4), at(1, 5), at(3, 3), at(3, 4), at(3, 5)]);
  });

  it('slices of a transposed view read the storage’s elements', () => {
    const s = file.read('transposed', { slice: [{ start: 1, stop: 3 }, 2] });
    expect([...s.data]).toEqual([at(2, 1), at(2, 2)]);
  });

  it('stats of a slice', () => {
    expect(file.stats('base', { slice: [0] }).max).toBe(at(0, 5));
  });

  it('refuses slices outside the tensor, naming the dim and its size', () => {
    expect(() => file.read('base', { slice: [4] })).toThrow(
      /index 4 is out of range for dim 0 of "base" of views.pt, whose size is 4/,
    );
    expect(() => file.read('base', { slice: [0, 0, 0] })).toThrow(/has 2 dims, the slice gives 3/);
    expect(() => file.read('base', { slice: [{ step: 0 }] })).toThrow(/step 0 must be an integer ≥ 1/);
  });
});

describe('the cap on what is loaded at once', () => {
  it('refuses a tensor over the cap, naming the limit, and reads a slice of it', () => {
    const file = TensorFileSync.open(memorySource(bytesOf('views.pt')), {
      name: 'views.pt',
      maxElements: 10,
      limitName: 'the convLens.files.maxElements setting',
    });
    expect(() => file.read('base')).toThrow(
      /"base" of views.pt has 24 elements \(shape \[4, 6\]\), over the limit of 10 loaded at once \(the convLens.files.maxElements setting\): read a slice of it/,
    );
    expect(file.read('base', { slice: [1] }).data.length).toBe(6);
    // stats stream in chunks, so they are not capped
    expect(file.stats('base').count).toBe(24);
  });

  it('a compressed member is inflated whole, so it is capped as a whole', () => {
    const file = TensorFileSync.open(memorySource(bytesOf('compressed.npz')), {
      name: 'compressed.npz',
      maxElements: 1000,
    });
    expect(file.read('conv1.bias').data.length).toBe(8);
    expect(() => file.read('activations', { slice: [0, 0] })).toThrow(
      /is compressed, so it is inflated whole to read any of it: 2,000 elements, over the limit of 1,000/,
    );
  });
});

describe('names', () => {
  const file = TensorFileSync.open(memorySource(bytesOf('checkpoint.ckpt')), { name: 'checkpoint.ckpt' });
  it('suggests the full dotted name', () => {
    expect(() => file.read('conv1.weight')).toThrow(
      /no tensor named "conv1.weight"; did you mean "model.conv1.weight"\?/,
    );
  });
  it('needs a name when the file holds several tensors, and takes none for a single tensor', () => {
    expect(() => file.read(undefined)).toThrow(/holds 35 tensors: say which one/);
    const single = TensorFileSync.open(memorySource(bytesOf('nan_inf.npy')), { name: 'nan_inf.npy' });
    expect(single.read(undefined).shape).toEqual([4, 5]);
    expect(single.stats(undefined).firstNaN).toEqual([1, 2]);
    expect(single.stats(undefined).firstInf).toEqual([0, 4]);
  });
  it('errors are TensorFileErrors with a rule', () => {
    try {
      file.read('nope');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TensorFileError);
      expect((e as TensorFileError).rule).toBe('not_found');
    }
  });
});
