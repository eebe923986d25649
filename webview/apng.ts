/**
 * An animated PNG from PNG frames of one size (what the canvas encodes): the first frame's IHDR, an acTL
 * saying how many frames and that it loops, then per frame an fcTL (its delay) and its image data — the
 * first frame's as IDAT, so viewers without APNG show it, the others' as fdAT. No decoding or re-encoding:
 * each frame's compressed data is carried over as the canvas wrote it.
 */

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

let crcTable: Uint32Array | undefined;
function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface PngChunk {
  readonly type: string;
  readonly data: Uint8Array;
}

/** The chunks of a PNG file, checked: signature, lengths inside the file, CRCs. */
export function readChunks(png: Uint8Array): PngChunk[] {
  if (png.length < 8 || SIGNATURE.some((b, i) => png[i] !== b)) throw new Error('not a PNG file');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: PngChunk[] = [];
  for (let p = 8; p < png.length;) {
    if (p + 12 > png.length) throw new Error('a PNG chunk runs past the end of the file');
    const length = view.getUint32(p);
    if (p + 12 + length > png.length) throw new Error('a PNG chunk runs past the end of the file');
    const typeAndData = png.subarray(p + 4, p + 8 + length);
    if (crc32(typeAndData) !== view.getUint32(p + 8 + length)) throw new Error('a PNG chunk has a wrong CRC');
    chunks.push({ type: String.fromCharCode(...typeAndData.subarray(0, 4)), data: typeAndData.slice(4) });
    p += 12 + length;
  }
  return chunks;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function u32(...values: number[]): Uint8Array {
  const out = new Uint8Array(4 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint32(4 * i, v));
  return out;
}

/** Assembles frames (PNG files of one size) into an animated PNG showing each for `delayMs`, looping. */
export function assembleApng(frames: readonly Uint8Array[], delayMs: number): Uint8Array {
  if (frames.length === 0) throw new Error('an animation needs at least one frame');
  const parsed = frames.map(readChunks);
  const ihdr = parsed[0].find((c) => c.type === 'IHDR');
  if (!ihdr) throw new Error('the first frame has no IHDR');
  const width = new DataView(ihdr.data.buffer).getUint32(0);
  const height = new DataView(ihdr.data.buffer).getUint32(4);
  const out: Uint8Array[] = [
    Uint8Array.from(SIGNATURE),
    chunk('IHDR', ihdr.data),
    chunk('acTL', u32(frames.length, 0)),
  ];
  let sequence = 0;
  parsed.forEach((chunks, f) => {
    const head = chunks.find((c) => c.type === 'IHDR');
    if (!head || head.data.some((b, i) => b !== ihdr.data[i]))
      throw new Error(`frame ${f} differs in size or format from the first`);
    // fcTL: sequence, width, height, x, y, delay as a fraction (ms/1000), dispose none, blend source
    const control = new Uint8Array(26);
    const view = new DataView(control.buffer);
    view.setUint32(0, sequence++);
    view.setUint32(4, width);
    view.setUint32(8, height);
    view.setUint16(20, Math.max(1, Math.round(delayMs)));
    view.setUint16(22, 1000);
    out.push(chunk('fcTL', control));
    for (const c of chunks.filter((x) => x.type === 'IDAT')) {
      if (f === 0) out.push(chunk('IDAT', c.data));
      else {
        const data = new Uint8Array(4 + c.data.length);
        new DataView(data.buffer).setUint32(0, sequence++);
        data.set(c.data, 4);
        out.push(chunk('fdAT', data));
      }
    }
  });
  out.push(chunk('IEND', new Uint8Array(0)));
  const total = out.reduce((n, c) => n + c.length, 0);
  const file = new Uint8Array(total);
  let p = 0;
  for (const c of out) {
    file.set(c, p);
    p += c.length;
  }
  return file;
}
