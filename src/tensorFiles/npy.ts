/**
 * NumPy's .npy format (numpy/lib/format.py): the magic `\x93NUMPY`, a major and minor version byte, the
 * header's length (little-endian uint16 in version 1, uint32 in versions 2 and 3), the header — a Python dict
 * literal `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`, Latin-1 in versions 1–2, UTF-8 in 3 —
 * then the data, C or Fortran order, in the byte order the descr says. The header is parsed by a small strict
 * parser of exactly that literal (never evaluated), and the data's size checked against the file.
 */
import { DTYPES, parseNumpyDescr, type DType } from '../engine/dtype';
import { bytesText, count, refuse } from './errors';
import { columnMajorStrides, elementCount, rowMajorStrides, MAX_RANK } from './layout';
import { latin1, utf8, view, type Job, type Region } from './source';

export const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
/** NumPy itself refuses headers over 10,000 bytes unless told otherwise; real ones are ~128 bytes */
const MAX_HEADER = 1 << 20;

export function isNpyStart(head: Uint8Array): boolean {
  return head.length >= 6 && NPY_MAGIC.every((b, i) => head[i] === b);
}

export interface NpyHeader {
  readonly version: string;
  readonly descr: string;
  readonly dtype: DType;
  readonly littleEndian: boolean;
  readonly fortranOrder: boolean;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly elements: number;
  /** where the data starts, from the start of the .npy */
  readonly dataOffset: number;
  readonly dataBytes: number;
}

/** The header's length field and total preamble size, from the first 12 bytes. */
export function npyPreamble(
  head: Uint8Array,
  what: string,
): { major: number; minor: number; headerStart: number; headerLength: number } {
  if (head.length < 10 || !isNpyStart(head))
    refuse('bad_header', `${what} does not start with .npy's magic \\x93NUMPY`);
  const major = head[6];
  const minor = head[7];
  if (major < 1 || major > 3 || minor !== 0) {
    refuse('unsupported', `${what} is .npy format version ${major}.${minor}; versions 1.0, 2.0 and 3.0 are read`);
  }
  const dv = view(head);
  if (major === 1) return { major, minor, headerStart: 10, headerLength: dv.getUint16(8, true) };
  if (head.length < 12) refuse('truncated', `${what} ends inside its .npy preamble`);
  return { major, minor, headerStart: 12, headerLength: dv.getUint32(8, true) };
}

/**
 * Reads and checks the header of the .npy in `region` (a whole file, or a member of an .npz). Nothing of the
 * data is read; its size is checked against what the region holds.
 */
export function* readNpyHeader(region: Region): Job<NpyHeader> {
  const what = region.what;
  if (region.size < 10) refuse('truncated', `${what} is ${region.size} bytes: too short for a .npy file`);
  const head = yield* region.read(0, Math.min(12, region.size));
  const { major, minor, headerStart, headerLength } = npyPreamble(head, what);
  if (headerLength > MAX_HEADER)
    refuse('bad_header', `${what} declares a header of ${bytesText(headerLength)}: not a plausible .npy`);
  if (headerStart + headerLength > region.size) {
    refuse('truncated', `${what} declares a ${headerLength}-byte header, but the file ends at byte ${region.size}`);
  }
  const raw = yield* region.read(headerStart, headerLength);
  const text = major === 3 ? utf8(raw) : latin1(raw);
  if (text === null) refuse('bad_header', `${what}: its version-3 header is not valid UTF-8`);
  return npyHeaderFrom(text, `${major}.${minor}`, headerStart + headerLength, region.size, what);
}

/** Checks a parsed header and the data size it implies against the bytes available after it. */
export function npyHeaderFrom(
  text: string,
  version: string,
  dataOffset: number,
  size: number,
  what: string,
): NpyHeader {
  const dict = parseHeaderDict(text, what);
  const keys = Object.keys(dict).sort().join(', ');
  if (keys !== 'descr, fortran_order, shape') {
    refuse(
      'bad_header',
      `${what}: the header has keys ${keys || 'none'}; a .npy header has exactly descr, fortran_order and shape`,
    );
  }
  const {
    descr,
    fortran_order: fortranOrder,
    shape,
  } = dict as { descr: unknown; fortran_order: unknown; shape: unknown };
  if (Array.isArray(descr)) {
    refuse(
      'unsupported',
      `${what} holds a structured array (fields ${describeFields(descr)}): only plain numeric arrays are read`,
    );
  }
  if (typeof descr !== 'string') refuse('bad_header', `${what}: 'descr' must be a type string such as '<f4'`);
  const parsed = parseNumpyDescr(descr);
  if (!parsed)
    refuse(
      'unsupported',
      `${what} holds ${describeDescr(descr)}: only numeric arrays (bool, int, uint, float16/32/64) are read`,
    );
  if (typeof fortranOrder !== 'boolean') refuse('bad_header', `${what}: 'fortran_order' must be True or False`);
  if (
    !isTuple(shape) ||
    !shape.items.every((d): d is number => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)
  ) {
    refuse('bad_header', `${what}: 'shape' must be a tuple of integers ≥ 0, such as (3, 4)`);
  }
  const dims = shape.items as number[];
  if (dims.length > MAX_RANK) refuse('bad_header', `${what} has ${dims.length} dims; at most ${MAX_RANK} are read`);
  const elements = elementCount(dims, what);
  const itemBytes = DTYPES[parsed.dtype].bytes;
  const dataBytes = elements * itemBytes;
  const available = size - dataOffset;
  if (dataBytes > available) {
    refuse(
      'truncated',
      `${what}: its header says shape (${dims.join(', ')}${dims.length === 1 ? ',' : ''}) of ${parsed.dtype}, ${count(elements)} elements in ${bytesText(dataBytes)}, but only ${bytesText(available)} follow the header: the file is truncated or its header is wrong`,
    );
  }
  return {
    version,
    descr,
    dtype: parsed.dtype,
    littleEndian: parsed.littleEndian,
    fortranOrder,
    shape: dims,
    strides: fortranOrder ? columnMajorStrides(dims) : rowMajorStrides(dims),
    elements,
    dataOffset,
    dataBytes,
  };
}

function describeDescr(descr: string): string {
  const kind = /^[<>|=]?([a-zA-Z?])/.exec(descr)?.[1];
  switch (kind) {
    case 'O':
      return "Python objects (descr '|O': its data is a pickle, which is never loaded)";
    case 'c':
      return `complex numbers (descr '${descr}')`;
    case 'U':
    case 'S':
    case 'a':
      return `strings (descr '${descr}')`;
    case 'M':
    case 'm':
      return `dates or time deltas (descr '${descr}')`;
    case 'V':
      return `raw bytes (descr '${descr}')`;
    default:
      return `the element type '${descr}'`;
  }
}

function describeFields(descr: unknown[]): string {
  const names = descr.map((f) => (isTuple(f) && typeof f.items[0] === 'string' ? f.items[0] : '?'));
  return names.slice(0, 5).join(', ') + (names.length > 5 ? ', …' : '');
}

interface PyTupleLiteral {
  readonly tuple: true;
  readonly items: readonly HeaderValue[];
}
type HeaderValue = string | number | boolean | null | PyTupleLiteral | HeaderValue[] | { [key: string]: HeaderValue };

function isTuple(v: unknown): v is PyTupleLiteral {
  return typeof v === 'object' && v !== null && (v as PyTupleLiteral).tuple === true;
}

/**
 * The header's dict literal: strings ('…' or "…"), integers (Python 2's `3L` too), True/False/None, tuples,
 * lists (a structured descr) and dicts, nothing else. Never evaluated.
 */
export function parseHeaderDict(text: string, what: string): Record<string, HeaderValue> {
  let i = 0;
  const fail: (message: string) => never = (message) =>
    refuse(
      'bad_header',
      `${what}: the header is not a valid .npy dict literal (${message} at character ${i}): ${JSON.stringify(text.slice(0, 120))}`,
    );
  const space = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  let depth = 0;
  const value = (): HeaderValue => {
    space();
    const c = text[i];
    if (c === undefined) return fail('unexpected end');
    if (++depth > 32) return fail('nesting too deep');
    try {
      if (c === "'" || c === '"') return str(c);
      if (c === '(' || c === '[') return seq(c === '(' ? ')' : ']');
      if (c === '{') return dict();
      const m = /^(-?\d+)L?|^(True|False|None)\b/.exec(text.slice(i, i + 64));
      if (!m) return fail(`unexpected ${JSON.stringify(c)}`);
      i += m[0].length;
      if (m[2]) return m[2] === 'True' ? true : m[2] === 'False' ? false : null;
      const n = Number(m[1]);
      if (!Number.isSafeInteger(n)) return fail(`the integer ${m[1]} is too large`);
      return n;
    } finally {
      depth--;
    }
  };
  const str = (quote: string): string => {
    let out = '';
    i++;
    while (i < text.length && text[i] !== quote) {
      if (text[i] === '\\') {
        i++;
        if (i >= text.length) break;
      }
      out += text[i++];
    }
    if (text[i] !== quote) return fail('unterminated string');
    i++;
    return out;
  };
  const seq = (close: string): HeaderValue => {
    i++;
    const items: HeaderValue[] = [];
    for (;;) {
      space();
      if (text[i] === close) {
        i++;
        break;
      }
      items.push(value());
      space();
      if (text[i] === ',') i++;
      else if (text[i] !== close) return fail(`expected ',' or '${close}'`);
    }
    return close === ')' ? { tuple: true, items } : items;
  };
  const dict = (): Record<string, HeaderValue> => {
    i++;
    const out: Record<string, HeaderValue> = Object.create(null) as Record<string, HeaderValue>;
    for (;;) {
      space();
      if (text[i] === '}') {
        i++;
        break;
      }
      const key = value();
      if (typeof key !== 'string') return fail('dict keys must be strings');
      space();
      if (text[i++] !== ':') return fail("expected ':'");
      if (key in out) return fail(`the key '${key}' appears twice`);
      out[key] = value();
      space();
      if (text[i] === ',') i++;
      else if (text[i] !== '}') return fail("expected ',' or '}'");
    }
    return out;
  };
  space();
  if (text[i] !== '{') fail("expected '{'");
  const result = dict();
  space();
  if (i !== text.length) fail('text after the dict');
  return result;
}
