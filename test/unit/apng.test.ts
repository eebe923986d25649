/** The animated-PNG assembler the panel exports animations with (webview/apng.ts). */
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { assembleApng, readChunks } from '../../webview/apng';

/** A real PNG (8-bit grey, no filter) of the given pixel rows, as a canvas would write one. */
function png(rows: number[][]): Uint8Array {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Uint8Array) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Uint8Array) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    Buffer.from(data).copy(out, 8);
    out.writeUInt32BE(crc(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(rows[0].length, 0);
  ihdr.writeUInt32BE(rows.length, 4);
  ihdr[8] = 8; // bit depth
  const raw = Buffer.from(rows.flatMap((r) => [0, ...r]));
  return Uint8Array.from(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('IDAT', deflateSync(raw)),
      chunk('IEND', new Uint8Array(0)),
    ]),
  );
}

describe('assembleApng', () => {
  const a = png([
    [0, 255],
    [255, 0],
  ]);
  const b = png([
    [255, 0],
    [0, 255],
  ]);
  it('writes IHDR, acTL, then per frame fcTL and its data (IDAT first, fdAT after), each chunk with a right CRC', () => {
    const apng = assembleApng([a, b, a], 250);
    const chunks = readChunks(apng);
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'acTL', 'fcTL', 'IDAT', 'fcTL', 'fdAT', 'fcTL', 'fdAT', 'IEND']);
    const actl = new DataView(chunks[1].data.buffer);
    expect([actl.getUint32(0), actl.getUint32(4)]).toEqual([3, 0]);
    // sequence numbers run over fcTL and fdAT together, from 0
    const seq = chunks
      .filter((c) => c.type === 'fcTL' || c.type === 'fdAT')
      .map((c) => new DataView(c.data.buffer).getUint32(0));
    expect(seq).toEqual([0, 1, 2, 3, 4]);
    const fctl = new DataView(chunks[2].data.buffer);
    expect([fctl.getUint32(4), fctl.getUint32(8), fctl.getUint16(20), fctl.getUint16(22)]).toEqual([2, 2, 250, 1000]);
    // the second frame's data is the second PNG's IDAT, carried over unchanged
    const idatB = readChunks(b).find((c) => c.type === 'IDAT')!.data;
    expect(Array.from(chunks[5].data.subarray(4))).toEqual(Array.from(idatB));
  });
  it('refuses frames of different sizes, and files that are not PNG', () => {
    expect(() => assembleApng([a, png([[1, 2, 3]])], 100)).toThrow(/differs in size/);
    expect(() => readChunks(new Uint8Array([1, 2, 3]))).toThrow(/not a PNG/);
    const broken = a.slice();
    broken[20] ^= 0xff;
    expect(() => readChunks(broken)).toThrow(/wrong CRC/);
  });
});
