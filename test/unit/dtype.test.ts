import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeElements, parseDType, parseNumpyDescr } from '../../src/engine/dtype';

const fixtures = resolve(__dirname, '../fixtures/dtypes');
const f32 = (name: string) => {
  const b = readFileSync(resolve(fixtures, name));
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};
const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

describe('decodeElements against NumPy and PyTorch (test/fixtures/dtypes/generate.py)', () => {
  it('decodes every float16 bit pattern exactly as NumPy does', () => {
    const expected = f32('float16.f32');
    const bytes = new Uint8Array(65536 * 2);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < 65536; i++) view.setUint16(2 * i, i, true);
    const { data } = decodeElements('float16', bytes, 65536);
    const wrong = [...data.keys()].filter((i) => !same(data[i], expected[i]));
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('decodes bfloat16 as PyTorch does, in both byte orders', () => {
    const expected = f32('bfloat16.f32');
    const n = expected.length;
    for (const littleEndian of [true, false]) {
      const bytes = new Uint8Array(n * 2);
      const view = new DataView(bytes.buffer);
      for (let i = 0; i < n; i++) view.setUint16(2 * i, i * 16, littleEndian);
      const { data } = decodeElements('bfloat16', bytes, n, littleEndian);
      expect([...data.keys()].filter((i) => !same(data[i], expected[i]))).toEqual([]);
    }
  });

  it('rounds int64 beyond 2^53 as PyTorch does and says so', () => {
    const fixture = JSON.parse(readFileSync(resolve(fixtures, 'int64.json'), 'utf8')) as {
      values: string[];
      float64: number[];
    };
    const bytes = new Uint8Array(fixture.values.length * 8);
    const view = new DataView(bytes.buffer);
    fixture.values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
    const { data, lossyIntegers } = decodeElements('int64', bytes, fixture.values.length);
    expect([...data]).toEqual(fixture.float64);
    expect(lossyIntegers).toBe(true);
    expect(decodeElements('int64', bytes.subarray(0, 32), 4).lossyIntegers).toBe(false);
  });

  it('refuses a buffer shorter than the elements it should hold', () => {
    expect(() => decodeElements('float32', new Uint8Array(7), 2)).toThrow(/need 8 bytes, but only 7/);
  });

  it('reads the small integer types and bool, big- and little-endian', () => {
    const bytes = Uint8Array.from([0xff, 0x01, 0x80, 0x00]);
    expect([...decodeElements('int8', bytes, 4).data]).toEqual([-1, 1, -128, 0]);
    expect([...decodeElements('uint8', bytes, 4).data]).toEqual([255, 1, 128, 0]);
    expect([...decodeElements('bool', bytes, 4).data]).toEqual([1, 1, 1, 0]);
    expect([...decodeElements('int16', bytes, 2, false).data]).toEqual([-255, -32768]);
    expect([...decodeElements('uint16', bytes, 2, true).data]).toEqual([0x01ff, 0x0080]);
  });
});

describe('dtype names', () => {
  it.each([
    ['torch.float16', 'float16'],
    ['half', 'float16'],
    ['torch.bfloat16', 'bfloat16'],
    ['float32', 'float32'],
    ['torch.long', 'int64'],
    ['numpy.uint8', 'uint8'],
    ['i8', 'int64'],
    ['f2', 'float16'],
    ['bool', 'bool'],
  ])('%s is %s', (name, dtype) => expect(parseDType(name)).toBe(dtype));

  it('reads safetensors names, where I8 is int8', () => {
    expect(parseDType('I8', { safetensors: true })).toBe('int8');
    expect(parseDType('BF16', { safetensors: true })).toBe('bfloat16');
    expect(parseDType('C64', { safetensors: true })).toBeNull();
  });

  it('reads NumPy descr strings with their byte order', () => {
    expect(parseNumpyDescr('<f4')).toEqual({ dtype: 'float32', littleEndian: true });
    expect(parseNumpyDescr('>i8')).toEqual({ dtype: 'int64', littleEndian: false });
    expect(parseNumpyDescr('|b1')).toEqual({ dtype: 'bool', littleEndian: true });
    expect(parseNumpyDescr('<c16')).toBeNull();
    expect(parseNumpyDescr('<U10')).toBeNull();
  });
});
