/**
 * Bad input for every reader: the crafted files of generate.py (each refused with its rule and a message that
 * names the problem), and truncated, bit-flipped and overwritten copies of every good fixture. Each case runs
 * in-process with a time bound; a case passes when the file is refused with a TensorFileError or read
 * completely — never another exception (a crash), never more time than the bound (a hang), and never an
 * allocation beyond what the file and the cap justify (checked on every buffer the readers announce).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TensorFile, TensorFileError, TensorFileSync, memorySource, type TensorFileRule } from '../../src/tensorFiles';

const FIXTURES = resolve(__dirname, 'fixtures');
const BAD = resolve(__dirname, 'bad');
const CAP = 1 << 16;
const CHUNK = 4096;
const TIME_BOUND_MS = 2000;
const read = (dir: string, name: string) => new Uint8Array(readFileSync(resolve(dir, name)));

interface Outcome {
  ok: boolean;
  error?: TensorFileError;
  largestAllocation: number;
  ms: number;
}

/** Opens the file, reads every tensor and its stats; any exception other than TensorFileError is rethrown. */
function attempt(bytes: Uint8Array, name: string): Outcome {
  let largest = 0;
  const onAllocate = (n: number) => {
    largest = Math.max(largest, n);
  };
  const start = performance.now();
  try {
    const file = TensorFileSync.open(
      memorySource(bytes),
      { name, maxElements: CAP, chunkElements: CHUNK },
      { onAllocate },
    );
    for (const t of file.listing.tensors) {
      if (t.elements <= CAP) file.read(t.name, { onAllocate });
      file.stats(t.name, { onAllocate });
    }
    return { ok: true, largestAllocation: largest, ms: performance.now() - start };
  } catch (e) {
    if (!(e instanceof TensorFileError)) throw e;
    return { ok: false, error: e, largestAllocation: largest, ms: performance.now() - start };
  }
}

/** What a file of this size may make the readers allocate at once: itself, a chunk, the cap. */
function allocationBound(size: number): number {
  return Math.max(size, CHUNK * 16, CAP * 8);
}

function checkOutcome(o: Outcome, size: number): void {
  expect(o.ms).toBeLessThan(TIME_BOUND_MS);
  expect(o.largestAllocation).toBeLessThanOrEqual(allocationBound(size));
  if (o.error) {
    expect(o.error.message.length).toBeGreaterThan(10);
    expect(o.error.message).not.toMatch(/undefined|\[object/);
  }
}

const good = readdirSync(FIXTURES).filter((f) => !f.endsWith('.json'));

describe('crafted files are refused with a message that names the problem', () => {
  const cases: [string, TensorFileRule, RegExp][] = [
    [
      'os_system.pt',
      'refused_global',
      /refused: the pickle names posix\.system \(that is, os\.system\); only tensors, storages, dicts, lists, tuples and numbers are read/,
    ],
    ['eval_stack_global.pt', 'refused_global', /the pickle names builtins\.eval/],
    [
      'huge_view.pt',
      'out_of_bounds',
      /tensor "w" \(shape \[1099511627776\].*reaches element 1,099,511,627,775 of storage 0 .* which holds only 4/,
    ],
    [
      'huge_storage.pt',
      'out_of_bounds',
      /storage "0" is said to hold 1,099,511,627,776 float32 elements, 4\.0 TiB .* but its record holds 16 bytes/,
    ],
    ['missing_record.pt', 'truncated', /uses storage "0", but the archive has no record archive\/data\/0/],
    ['truncated.pt', 'bad_zip', /no end-of-central-directory record: it is truncated/],
    ['legacy.pt', 'legacy_format', /PyTorch's legacy format .* re-save it in the zip format/],
    ['plain_pickle.pt', 'not_tensor_file', /a plain Python pickle/],
    [
      'not_a_tensor_file.pth',
      'not_tensor_file',
      /not a tensor file \(Python's own \.pth files in site-packages are text/,
    ],
    [
      'huge_claim.npy',
      'truncated',
      /header says shape \(1099511627776,\) of float32, 1,099,511,627,776 elements in 4\.0 TiB .* but only 16 bytes follow the header/,
    ],
    ['truncated.npy', 'truncated', /15 elements in 60 bytes, but only 53 bytes follow the header/],
    ['object.npy', 'unsupported', /Python objects \(descr '\|O': its data is a pickle, which is never loaded\)/],
    [
      'huge_claim.safetensors',
      'out_of_bounds',
      /data_offsets \[0, 4,398,046,511,104\] run past the end of the data, which holds 16 bytes/,
    ],
    [
      'past_end.safetensors',
      'out_of_bounds',
      /data_offsets \[0, 32\] run past the end of the data, which holds 16 bytes/,
    ],
    ['overlap.safetensors', 'overlap', /tensors "a" and "b" claim the same bytes/],
    ['header_past_end.safetensors', 'bad_header', /header length .* is over the 100 MB safetensors allows/],
    ['truncated.npz', 'bad_zip', /no end-of-central-directory record/],
    ['past_end.npz', 'out_of_bounds', /member "int8\.npy" \(134 bytes at byte 2,147,483,632\) runs past the data area/],
    ['overlap.npz', 'overlap', /members "a\.npy" and "b\.npy" claim the same bytes/],
    [
      'zip_bomb.npz',
      'too_large',
      /member "x\.npy" inflates to more than the 1\.0 KiB \(1,024 bytes\) it declares \(a zip bomb\?\)/,
    ],
  ];
  it.each(cases)('%s: %s', (name, rule, message) => {
    const bytes = read(BAD, name);
    const o = attempt(bytes, name);
    checkOutcome(o, bytes.length);
    expect(o.ok).toBe(false);
    expect(o.error!.rule).toBe(rule);
    expect(o.error!.message).toMatch(message);
  });

  it('covers every crafted file', () => {
    const covered = new Set([...cases.map((c) => c[0]), 'billion_laughs.pt', 'cycle.pt', 'big_member.npz']);
    expect(readdirSync(BAD).filter((f) => !covered.has(f))).toEqual([]);
  });

  it('shared and cyclic structure in a pickle is listed once, in linear time', () => {
    for (const name of ['billion_laughs.pt', 'cycle.pt']) {
      const bytes = read(BAD, name);
      const o = attempt(bytes, name);
      checkOutcome(o, bytes.length);
      expect(o.ok).toBe(true);
    }
    const laughs = TensorFileSync.open(memorySource(read(BAD, 'billion_laughs.pt')), { name: 'laughs' }).listing;
    expect(laughs.tensors).toHaveLength(1);
    expect(laughs.values).toHaveLength(40);
    expect(laughs.values[0].text).toMatch(/^\(the same object as 0(\.0)*\)$/);
    const cycle = TensorFileSync.open(memorySource(read(BAD, 'cycle.pt')), { name: 'cycle' }).listing;
    expect(cycle.values).toEqual([{ name: '1', kind: 'other', text: '(the same object as the whole file)' }]);
  });

  it('a 16 MiB compressed member is listed from its header and refused under the cap without inflating', () => {
    let largest = 0;
    const file = TensorFileSync.open(memorySource(read(BAD, 'big_member.npz')), { name: 'big.npz', maxElements: CAP });
    expect(file.listing.tensors[0].shape).toEqual([2 ** 21]);
    expect(() => file.read('x')).toThrow(/has 2,097,152 elements .* over the limit of 65,536 loaded at once/);
    const slice = { slice: [{ stop: 10 }], onAllocate: (n: number) => (largest = Math.max(largest, n)) };
    expect(() => file.read('x', slice)).toThrow(
      /inflated whole to read any of it: 2,097,152 elements, over the limit of 65,536/,
    );
    expect(largest).toBeLessThan(1 << 16);
  });

  it('the async reader refuses them the same way', async () => {
    for (const [name, rule] of cases) {
      let error: unknown = null;
      try {
        const f = await TensorFile.open(memorySource(read(BAD, name)), { name });
        for (const t of f.listing.tensors) await f.read(t.name);
      } catch (e) {
        error = e;
      }
      expect(error, name).toBeInstanceOf(TensorFileError);
      expect((error as TensorFileError).rule, name).toBe(rule);
    }
  });
});

describe.each(good)('mutations of %s', (name) => {
  const bytes = read(FIXTURES, name);

  it('every truncation is refused cleanly (or, past the data, read)', () => {
    const step = Math.max(1, Math.floor(bytes.length / 400));
    for (let n = 0; n < bytes.length; n += step) {
      const o = attempt(bytes.subarray(0, n), name);
      checkOutcome(o, n);
      // a zip's directory is at its end: any cut of a zip loses it
      if (/\.(npz|pt|pth|ckpt)$/.test(name)) expect(o.ok, `cut at ${n}`).toBe(false);
    }
  });

  it('bit flips anywhere: refused cleanly or read', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 }),
        (flips) => {
          const copy = bytes.slice();
          for (const [at, bit] of flips) copy[at] ^= 1 << bit;
          checkOutcome(attempt(copy, name), copy.length);
        },
      ),
      { numRuns: 150, seed: 16 },
    );
  });

  it('bytes overwritten in the headers (the first and last 512 bytes): refused cleanly or read', () => {
    const head = Math.min(512, bytes.length);
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.nat(head - 1),
        fc.uint8Array({ minLength: 1, maxLength: 8 }),
        (atEnd, offset, junk) => {
          const copy = bytes.slice();
          const at = atEnd ? bytes.length - head + offset : offset;
          copy.set(junk.subarray(0, copy.length - at), at);
          checkOutcome(attempt(copy, name), copy.length);
        },
      ),
      { numRuns: 150, seed: 61 },
    );
  });
});

describe('a flip in the data is read, and changes only the element it lands in', () => {
  const cases = good.filter((f) => f.endsWith('.npy') || f.endsWith('.safetensors'));
  it.each(cases)('%s', (name) => {
    const bytes = read(FIXTURES, name);
    const original = TensorFileSync.open(memorySource(bytes), { name });
    // where each tensor's bytes are: the data ends the file, in listing order for safetensors
    const entries = original.listing.tensors;
    let end = bytes.length;
    const spans = entries
      .slice()
      .reverse()
      .map((t) => {
        const span = { name: t.name, start: end - t.bytes, end, itemBytes: t.elements ? t.bytes / t.elements : 0 };
        end -= t.bytes;
        return span;
      })
      .filter((s) => s.end > s.start);
    if (spans.length === 0) return; // empty.npy: no data to flip
    const values = new Map(entries.map((t) => [t.name, original.read(t.name).data]));
    fc.assert(
      fc.property(fc.nat(spans.length - 1), fc.nat(), fc.integer({ min: 0, max: 7 }), (which, offset, bit) => {
        const span = spans[which];
        const at = span.start + (offset % (span.end - span.start));
        const copy = bytes.slice();
        copy[at] ^= 1 << bit;
        const file = TensorFileSync.open(memorySource(copy), { name });
        const after = file.read(span.name).data;
        const before = values.get(span.name)!;
        const entry = entries.find((t) => t.name === span.name)!;
        // the flipped byte's element, as a row-major index (Fortran order maps storage order to it)
        const storageIndex = Math.floor((at - span.start) / span.itemBytes);
        const changed = [...after.keys()].filter(
          (i) => !Object.is(after[i], before[i]) && !(Number.isNaN(after[i]) && Number.isNaN(before[i])),
        );
        expect(changed.length).toBeLessThanOrEqual(1);
        if (changed.length && entry.contiguous) expect(changed[0]).toBe(storageIndex);
        for (const t of entries) if (t.name !== span.name) expect(file.read(t.name).data).toEqual(values.get(t.name));
      }),
      { numRuns: 100, seed: 7 },
    );
  });
});
