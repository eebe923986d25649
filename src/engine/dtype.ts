/**
 * Element types of tensors that come from outside the engine (tensor files, a paused debug session): their
 * names in PyTorch, NumPy and safetensors, their sizes, and the decoding of raw bytes into the float64 the
 * engine computes in. The engine itself is float64 throughout; a tensor keeps its dtype only as a label, so
 * the panel can say "float16" while the numbers it shows are the exact float64 values of those float16s.
 */

export type DType =
  | 'float16'
  | 'bfloat16'
  | 'float32'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool';

export interface DTypeInfo {
  readonly bytes: number;
  readonly kind: 'float' | 'int' | 'uint' | 'bool';
}

export const DTYPES: Readonly<Record<DType, DTypeInfo>> = {
  float16: { bytes: 2, kind: 'float' },
  bfloat16: { bytes: 2, kind: 'float' },
  float32: { bytes: 4, kind: 'float' },
  float64: { bytes: 8, kind: 'float' },
  int8: { bytes: 1, kind: 'int' },
  uint8: { bytes: 1, kind: 'uint' },
  int16: { bytes: 2, kind: 'int' },
  uint16: { bytes: 2, kind: 'uint' },
  int32: { bytes: 4, kind: 'int' },
  uint32: { bytes: 4, kind: 'uint' },
  int64: { bytes: 8, kind: 'int' },
  uint64: { bytes: 8, kind: 'uint' },
  bool: { bytes: 1, kind: 'bool' },
};

/** Spellings of each dtype: PyTorch (`torch.float16`, `half`), NumPy (`<f2`, `float16`), safetensors (`F16`). */
const ALIASES: Readonly<Record<string, DType>> = {
  float16: 'float16',
  half: 'float16',
  f2: 'float16',
  f16: 'float16',
  bfloat16: 'bfloat16',
  bf16: 'bfloat16',
  float32: 'float32',
  float: 'float32',
  f4: 'float32',
  f32: 'float32',
  float64: 'float64',
  double: 'float64',
  f8: 'float64',
  f64: 'float64',
  int8: 'int8',
  i1: 'int8',
  i8: 'int8',
  uint8: 'uint8',
  u1: 'uint8',
  u8: 'uint8',
  int16: 'int16',
  short: 'int16',
  i2: 'int16',
  i16: 'int16',
  uint16: 'uint16',
  u2: 'uint16',
  u16: 'uint16',
  int32: 'int32',
  int: 'int32',
  i4: 'int32',
  i32: 'int32',
  uint32: 'uint32',
  u4: 'uint32',
  u32: 'uint32',
  int64: 'int64',
  long: 'int64',
  i64: 'int64',
  uint64: 'uint64',
  u64: 'uint64',
  bool: 'bool',
  b1: 'bool',
  '?': 'bool',
  '?1': 'bool',
};

/**
 * The dtype a name means, or null. Accepts `torch.float32`, `float32`, `numpy.float16`, safetensors' `F16`
 * and `BF16`, and NumPy type strings without their byte-order character (`f4`; see parseNumpyDescr for `<f4`).
 * NumPy's `i8` is int64 (eight bytes) while safetensors' `I8` is int8: pass `{ safetensors: true }` for the latter.
 */
export function parseDType(name: string, options: { safetensors?: boolean } = {}): DType | null {
  let s = name.trim();
  s = s.replace(/^(torch|numpy|np)\./, '');
  if (options.safetensors) {
    const upper = s.toUpperCase();
    const safetensors: Record<string, DType> = {
      F16: 'float16',
      BF16: 'bfloat16',
      F32: 'float32',
      F64: 'float64',
      I8: 'int8',
      U8: 'uint8',
      I16: 'int16',
      U16: 'uint16',
      I32: 'int32',
      U32: 'uint32',
      I64: 'int64',
      U64: 'uint64',
      BOOL: 'bool',
    };
    return safetensors[upper] ?? null;
  }
  // NumPy's type strings count bytes (i8 = int64), its names count bits (int8): read the short form as bytes
  const numpyShort: Record<string, DType> = {
    b1: 'bool',
    i1: 'int8',
    u1: 'uint8',
    i2: 'int16',
    u2: 'uint16',
    f2: 'float16',
    i4: 'int32',
    u4: 'uint32',
    f4: 'float32',
    i8: 'int64',
    u8: 'uint64',
    f8: 'float64',
  };
  return numpyShort[s] ?? ALIASES[s.toLowerCase()] ?? null;
}

/** A NumPy `descr` such as `<f4`, `>i8`, `|u1`, `|b1`: the dtype and its byte order, or null if unsupported. */
export function parseNumpyDescr(descr: string): { dtype: DType; littleEndian: boolean } | null {
  const m = /^([<>|=]?)([a-z?]\d*)$/i.exec(descr.trim());
  if (!m) return null;
  const dtype = parseDType(m[2]);
  if (!dtype) return null;
  // '|' (not applicable) and '=' (native: little on every machine this runs on) read as little-endian
  return { dtype, littleEndian: m[1] !== '>' };
}

/** The float64 value of one IEEE half-precision bit pattern (exact: every float16 is a float64). */
export function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const f32Scratch = new DataView(new ArrayBuffer(4));

/** The float64 value of one bfloat16 bit pattern: the upper half of a float32. */
export function bfloat16ToNumber(bits: number): number {
  f32Scratch.setUint32(0, (bits & 0xffff) << 16, false);
  return f32Scratch.getFloat32(0, false);
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The dtypes whose typed array converts to float64 exactly (every int32 and float32 is a float64). */
const TYPED_ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
} as const;

let float16Values: Float64Array | undefined;
/** All 65,536 float16 values, built once (512 KiB): decoding is then one lookup per element. */
function float16Table(): Float64Array {
  if (!float16Values) {
    float16Values = new Float64Array(65536);
    for (let bits = 0; bits < 65536; bits++) float16Values[bits] = float16ToNumber(bits);
  }
  return float16Values;
}

/**
 * Decodes `count` elements of `dtype` from `bytes` (row-major, densely packed) into float64. int64/uint64
 * values beyond ±2^53 are rounded to the nearest float64 (`lossyIntegers` tells whether any was).
 */
export function decodeElements(
  dtype: DType,
  bytes: Uint8Array,
  count: number,
  littleEndian = true,
): { data: Float64Array; lossyIntegers: boolean } {
  const size = DTYPES[dtype].bytes;
  if (bytes.byteLength < count * size) {
    throw new RangeError(
      `${count} ${dtype} elements need ${count * size} bytes, but only ${bytes.byteLength} are there`,
    );
  }
  const data = new Float64Array(count);
  if (count > 0 && littleEndian === HOST_LITTLE_ENDIAN && dtype in TYPED_ARRAYS) {
    // the host's own byte order: a typed-array view converts natively, an order of magnitude faster than
    // DataView element by element (an unaligned run is copied to an aligned buffer first)
    const aligned = bytes.byteOffset % size === 0 ? bytes : bytes.slice(0, count * size);
    data.set(
      new TYPED_ARRAYS[dtype as keyof typeof TYPED_ARRAYS](aligned.buffer as ArrayBuffer, aligned.byteOffset, count),
    );
    return { data, lossyIntegers: false };
  }
  if (count > 0 && dtype === 'float16') {
    const table = float16Table();
    const view = new DataView(bytes.buffer, bytes.byteOffset, count * size);
    for (let i = 0; i < count; i++) data[i] = table[view.getUint16(2 * i, littleEndian)];
    return { data, lossyIntegers: false };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * size);
  let lossyIntegers = false;
  switch (dtype) {
    case 'float16':
      for (let i = 0; i < count; i++) data[i] = float16ToNumber(view.getUint16(2 * i, littleEndian));
      break;
    case 'bfloat16':
      for (let i = 0; i < count; i++) data[i] = bfloat16ToNumber(view.getUint16(2 * i, littleEndian));
      break;
    case 'float32':
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(4 * i, littleEndian);
      break;
    case 'float64':
      for (let i = 0; i < count; i++) data[i] = view.getFloat64(8 * i, littleEndian);
      break;
    case 'int8':
      for (let i = 0; i < count; i++) data[i] = view.getInt8(i);
      break;
    case 'uint8':
      for (let i = 0; i < count; i++) data[i] = view.getUint8(i);
      break;
    case 'bool':
      for (let i = 0; i < count; i++) data[i] = view.getUint8(i) !== 0 ? 1 : 0;
      break;
    case 'int16':
      for (let i = 0; i < count; i++) data[i] = view.getInt16(2 * i, littleEndian);
      break;
    case 'uint16':
      for (let i = 0; i < count; i++) data[i] = view.getUint16(2 * i, littleEndian);
      break;
    case 'int32':
      for (let i = 0; i < count; i++) data[i] = view.getInt32(4 * i, littleEndian);
      break;
    case 'uint32':
      for (let i = 0; i < count; i++) data[i] = view.getUint32(4 * i, littleEndian);
      break;
    case 'int64':
    case 'uint64':
      for (let i = 0; i < count; i++) {
        const v = dtype === 'int64' ? view.getBigInt64(8 * i, littleEndian) : view.getBigUint64(8 * i, littleEndian);
        const n = Number(v);
        if (!lossyIntegers && BigInt(n) !== v) lossyIntegers = true;
        data[i] = n;
      }
      break;
  }
  return { data, lossyIntegers };
}
