/**
 * A data-only unpickler: it reads Python's pickle opcodes (protocols 0–5, as far as data goes) into plain
 * values and never executes anything. Whatever a pickle would import or call goes through `PickleHooks`,
 * which for torch.save files (torch.ts) allows exactly what `torch.load(weights_only=True)` allows — tensors,
 * storages, OrderedDict, torch.Size, dtypes — and refuses every other global by name.
 *
 * Modelled on CPython's Lib/pickle.py (`_Unpickler`) and PyTorch's torch/_weights_only_unpickler.py. Each
 * opcode checks its operands against the bytes left, so a truncated or crafted pickle is refused with the
 * opcode and its byte position; everything built is proportional to the pickle's size (references through the
 * memo are shared, not copied).
 */
import type { DType } from '../engine/dtype';
import { refuse } from './errors';
import { latin1, utf8, view } from './source';

export class PyFloat {
  constructor(readonly value: number) {}
}

export class PyBytes {
  constructor(readonly bytes: Uint8Array) {}
}

export class PyList {
  readonly items: PyValue[] = [];
}

export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

export class PySet {
  readonly items: PyValue[] = [];
  constructor(readonly frozen: boolean) {}
}

/** dict and collections.OrderedDict: insertion order, Python's key equality for str/int/bool/float/None/tuple */
export class PyDict {
  readonly keys: PyValue[] = [];
  readonly values: PyValue[] = [];
  private readonly index = new Map<string, number>();
  constructor(readonly ordered = false) {}

  set(key: PyValue, value: PyValue): void {
    const k = hashKey(key);
    if (k === null) refuse('bad_pickle', `the pickle uses ${typeName(key)} as a dict key, which Python cannot hash`);
    const at = this.index.get(k);
    if (at !== undefined) {
      this.values[at] = value;
      return;
    }
    this.index.set(k, this.keys.length);
    this.keys.push(key);
    this.values.push(value);
  }

  get size(): number {
    return this.keys.length;
  }
}

/** A global the hooks allowed (a dtype, a storage class, a rebuild function); a name, never an import. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get path(): string {
    return `${this.module}.${this.name}`;
  }
}

export class PyStorage {
  constructor(
    /** null for storages of dtypes not read (complex, quantized) */
    readonly dtype: DType | null,
    readonly typeName: string,
    readonly key: string,
    readonly location: string,
    readonly elements: number,
  ) {}
}

export class PyTensor {
  constructor(
    readonly storage: PyStorage,
    readonly offset: number,
    readonly shape: readonly number[],
    readonly strides: readonly number[],
    readonly requiresGrad: boolean,
    readonly parameter: boolean,
  ) {}
}

/** An allowed object that is not read (a sparse or meta tensor): listed with the reason, never built. */
export class PyUnsupported {
  constructor(readonly what: string) {}
}

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | PyFloat
  | PyBytes
  | PyList
  | PyTuple
  | PySet
  | PyDict
  | PyGlobal
  | PyStorage
  | PyTensor
  | PyUnsupported;

export interface PickleHooks {
  /** GLOBAL / STACK_GLOBAL: the allowed global, or a refusal naming it */
  global(module: string, name: string): PyGlobal;
  /** REDUCE: callable(*args) for the allowed callables */
  reduce(callable: PyValue, args: PyTuple): PyValue;
  /** NEWOBJ / NEWOBJ_EX: cls.__new__(cls, *args) */
  newObject(cls: PyValue, args: PyTuple): PyValue;
  /** BUILD: instance.__setstate__(state) */
  build(instance: PyValue, state: PyValue): PyValue;
  /** BINPERSID: the object a persistent id stands for (torch.save: a storage) */
  persistentLoad(pid: PyValue): PyValue;
}

export function typeName(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'a bool';
  if (typeof v === 'number' || typeof v === 'bigint') return 'an int';
  if (typeof v === 'string') return 'a str';
  if (v instanceof PyFloat) return 'a float';
  if (v instanceof PyBytes) return 'bytes';
  if (v instanceof PyList) return 'a list';
  if (v instanceof PyTuple) return 'a tuple';
  if (v instanceof PySet) return v.frozen ? 'a frozenset' : 'a set';
  if (v instanceof PyDict) return v.ordered ? 'an OrderedDict' : 'a dict';
  if (v instanceof PyGlobal) return v.path;
  if (v instanceof PyStorage) return `a ${v.typeName}`;
  if (v instanceof PyTensor) return 'a tensor';
  return v.what;
}

/** Python's dict-key equality for the hashable data types (1 == 1.0 == True). */
function hashKey(v: PyValue, depth = 0): string | null {
  if (typeof v === 'string') return `s${v}`;
  if (typeof v === 'number' || typeof v === 'bigint') return `n${v}`;
  if (typeof v === 'boolean') return v ? 'n1' : 'n0';
  if (v === null) return 'None';
  if (v instanceof PyFloat) return Number.isInteger(v.value) ? `n${BigInt(v.value)}` : `f${v.value}`;
  if (v instanceof PyBytes) return `b${latin1(v.bytes)}`;
  if (v instanceof PyTuple) {
    // a tuple nested deeper than any real key is treated as unhashable (and the recursion stays shallow)
    if (depth > 32) return null;
    const parts: string[] = [];
    for (const item of v.items) {
      const k = hashKey(item, depth + 1);
      if (k === null) return null;
      parts.push(`${k.length}:${k}`);
    }
    return `t(${parts.join('')})`;
  }
  if (v instanceof PyGlobal) return `g${v.path}`;
  return null;
}

const OPCODE_NAMES: Record<number, string> = {
  0x28: 'MARK',
  0x2e: 'STOP',
  0x30: 'POP',
  0x31: 'POP_MARK',
  0x32: 'DUP',
  0x46: 'FLOAT',
  0x49: 'INT',
  0x4a: 'BININT',
  0x4b: 'BININT1',
  0x4c: 'LONG',
  0x4d: 'BININT2',
  0x4e: 'NONE',
  0x50: 'PERSID',
  0x51: 'BINPERSID',
  0x52: 'REDUCE',
  0x53: 'STRING',
  0x54: 'BINSTRING',
  0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE',
  0x58: 'BINUNICODE',
  0x61: 'APPEND',
  0x62: 'BUILD',
  0x63: 'GLOBAL',
  0x64: 'DICT',
  0x7d: 'EMPTY_DICT',
  0x65: 'APPENDS',
  0x67: 'GET',
  0x68: 'BINGET',
  0x69: 'INST',
  0x6a: 'LONG_BINGET',
  0x6c: 'LIST',
  0x5d: 'EMPTY_LIST',
  0x6f: 'OBJ',
  0x70: 'PUT',
  0x71: 'BINPUT',
  0x72: 'LONG_BINPUT',
  0x73: 'SETITEM',
  0x74: 'TUPLE',
  0x29: 'EMPTY_TUPLE',
  0x75: 'SETITEMS',
  0x47: 'BINFLOAT',
  0x80: 'PROTO',
  0x81: 'NEWOBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x85: 'TUPLE1',
  0x86: 'TUPLE2',
  0x87: 'TUPLE3',
  0x88: 'NEWTRUE',
  0x89: 'NEWFALSE',
  0x8a: 'LONG1',
  0x8b: 'LONG4',
  0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES',
  0x8c: 'SHORT_BINUNICODE',
  0x8d: 'BINUNICODE8',
  0x8e: 'BINBYTES8',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
  0x92: 'NEWOBJ_EX',
  0x93: 'STACK_GLOBAL',
  0x94: 'MEMOIZE',
  0x95: 'FRAME',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

/** Integers wider than this are not plausible in a checkpoint (and would cost quadratic time to decode). */
const MAX_LONG_BYTES = 64;
const MAX_LINE = 1024;

/** Unpickles `data` (a whole pickle) with every object-creating opcode routed through `hooks`. */
export function unpickle(data: Uint8Array, hooks: PickleHooks, what: string): PyValue {
  const dv = view(data);
  let pos = 0;
  let stack: PyValue[] = [];
  const metastack: PyValue[][] = [];
  const memo = new Map<number, PyValue>();
  let op = 0;
  let opAt = 0;

  const opName = () => OPCODE_NAMES[op] ?? `0x${op.toString(16).padStart(2, '0')}`;
  const malformed: (reason: string) => never = (reason) =>
    refuse('bad_pickle', `${what}: malformed pickle at byte ${opAt} (${opName()}): ${reason}`);
  const need = (n: number) => {
    if (n < 0 || pos + n > data.length) {
      refuse(
        'truncated',
        `${what}: the pickle ends inside ${opName()} at byte ${opAt} (it needs ${n} more bytes, ${data.length - pos} are left)`,
      );
    }
  };
  const bytes = (n: number) => {
    need(n);
    const b = data.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const u8 = () => {
    need(1);
    return data[pos++];
  };
  const u16 = () => {
    need(2);
    const v = dv.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = () => {
    need(4);
    const v = dv.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = () => {
    need(8);
    const low = dv.getUint32(pos, true);
    const high = dv.getUint32(pos + 4, true);
    pos += 8;
    // a length past what any pickle here can hold: `need` will refuse it
    return high >= 0x200000 ? Number.MAX_SAFE_INTEGER : high * 0x100000000 + low;
  };
  const line = () => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0 || end - pos > MAX_LINE) malformed(end < 0 ? 'the line never ends' : 'a line over 1024 bytes');
    const text = latin1(data.subarray(pos, end));
    pos = end + 1;
    return text;
  };
  const text = (b: Uint8Array) => {
    const s = utf8(b);
    if (s === null) malformed('a string that is not valid UTF-8');
    return s;
  };
  const pop = (): PyValue => {
    if (stack.length === 0) malformed('the stack is empty');
    return stack.pop()!;
  };
  const top = (): PyValue => {
    if (stack.length === 0) malformed('the stack is empty');
    return stack[stack.length - 1];
  };
  const popMark = (): PyValue[] => {
    if (metastack.length === 0) malformed('no MARK to pop to');
    const items = stack;
    stack = metastack.pop()!;
    return items;
  };
  const int = (v: bigint): number | bigint => (v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v);
  const long = (b: Uint8Array): number | bigint => {
    if (b.length > MAX_LONG_BYTES) malformed(`an integer of ${b.length} bytes`);
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return int(v);
  };
  const memoGet = (i: number) => {
    if (!memo.has(i)) malformed(`memo entry ${i} was never stored`);
    return memo.get(i)!;
  };
  const setItems = (target: PyValue, items: PyValue[]) => {
    if (!(target instanceof PyDict)) malformed(`SETITEM(S) on ${typeName(target)}`);
    if (items.length % 2) malformed('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) target.set(items[i], items[i + 1]);
  };
  const append = (target: PyValue, items: PyValue[]) => {
    if (!(target instanceof PyList)) malformed(`APPEND(S) on ${typeName(target)}`);
    for (const v of items) target.items.push(v);
  };
  const textInt = (s: string): number | bigint | boolean => {
    if (s === '01') return true;
    if (s === '00') return false;
    const m = /^\s*([+-]?\d{1,200})L?\s*$/.exec(s);
    if (!m) malformed(`${JSON.stringify(s.slice(0, 40))} is not an integer`);
    return int(BigInt(m[1]));
  };

  for (;;) {
    opAt = pos;
    if (pos >= data.length) refuse('truncated', `${what}: the pickle ends at byte ${pos} without its STOP opcode`);
    op = data[pos++];
    switch (op) {
      case 0x80: {
        const protocol = u8();
        if (protocol > 5) malformed(`protocol ${protocol}; Python writes 0–5`);
        break;
      }
      case 0x95: // FRAME: a length prefix for buffering; the frame's opcodes follow inline
        u64();
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        metastack.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        if (stack.length) stack.pop();
        else popMark();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e:
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4a: // BININT
        need(4);
        stack.push(dv.getInt32(pos, true));
        pos += 4;
        break;
      case 0x4b:
        stack.push(u8());
        break;
      case 0x4d:
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(long(bytes(u8())));
        break;
      case 0x8b: {
        // LONG4
        need(4);
        const n = dv.getInt32(pos, true);
        pos += 4;
        if (n < 0) malformed('a negative length');
        stack.push(long(bytes(n)));
        break;
      }
      case 0x49: // INT (text)
        stack.push(textInt(line()));
        break;
      case 0x4c: {
        // LONG (text)
        const v = textInt(line());
        stack.push(typeof v === 'boolean' ? Number(v) : v);
        break;
      }
      case 0x46: {
        // FLOAT (text)
        const s = line().trim();
        let v: number;
        if (/^[+-]?inf(inity)?$/i.test(s)) v = s.startsWith('-') ? -Infinity : Infinity;
        else if (/^[+-]?nan$/i.test(s)) v = NaN;
        else {
          v = s === '' ? NaN : Number(s);
          if (Number.isNaN(v)) malformed(`${JSON.stringify(s.slice(0, 40))} is not a float`);
        }
        stack.push(new PyFloat(v));
        break;
      }
      case 0x47: // BINFLOAT: big-endian float64
        need(8);
        stack.push(new PyFloat(dv.getFloat64(pos, false)));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(text(bytes(u32())));
        break;
      case 0x8c:
        stack.push(text(bytes(u8())));
        break;
      case 0x8d:
        stack.push(text(bytes(u64())));
        break;
      case 0x54: {
        // BINSTRING (Python 2 str; torch.load decodes such strings as text)
        need(4);
        const n = dv.getInt32(pos, true);
        pos += 4;
        if (n < 0) malformed('a negative length');
        stack.push(latin1(bytes(n)));
        break;
      }
      case 0x55:
        stack.push(latin1(bytes(u8())));
        break;
      case 0x42:
        stack.push(new PyBytes(bytes(u32())));
        break;
      case 0x43:
        stack.push(new PyBytes(bytes(u8())));
        break;
      case 0x8e:
      case 0x96:
        stack.push(new PyBytes(bytes(u64())));
        break;
      case 0x53:
      case 0x56:
        refuse(
          'unsupported',
          `${what}: the pickle uses protocol 0's text strings (${opName()}); torch.save writes protocol 2`,
        );
        break;
      case 0x29:
        stack.push(new PyTuple([]));
        break;
      case 0x74: {
        // popMark() replaces `stack`: take the items first, then push onto the restored stack
        const items = popMark();
        stack.push(new PyTuple(items));
        break;
      }
      case 0x85:
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: {
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b]));
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(new PyTuple([a, b, c]));
        break;
      }
      case 0x5d:
        stack.push(new PyList());
        break;
      case 0x6c: {
        const list = new PyList();
        list.items.push(...popMark());
        stack.push(list);
        break;
      }
      case 0x7d:
        stack.push(new PyDict());
        break;
      case 0x64: {
        const dict = new PyDict();
        setItems(dict, popMark());
        stack.push(dict);
        break;
      }
      case 0x8f:
        stack.push(new PySet(false));
        break;
      case 0x91: {
        const set = new PySet(true);
        set.items.push(...popMark());
        stack.push(set);
        break;
      }
      case 0x90: {
        const items = popMark();
        const set = top();
        if (!(set instanceof PySet)) malformed(`ADDITEMS on ${typeName(set)}`);
        set.items.push(...items);
        break;
      }
      case 0x61: {
        const v = pop();
        append(top(), [v]);
        break;
      }
      case 0x65: {
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x67: // GET (text)
        stack.push(memoGet(Number(textInt(line()))));
        break;
      case 0x68:
        stack.push(memoGet(u8()));
        break;
      case 0x6a:
        stack.push(memoGet(u32()));
        break;
      case 0x70: // PUT (text)
        memo.set(Number(textInt(line())), top());
        break;
      case 0x71:
        memo.set(u8(), top());
        break;
      case 0x72:
        memo.set(u32(), top());
        break;
      case 0x94:
        memo.set(memo.size, top());
        break;
      case 0x63: {
        // GLOBAL module\nname\n
        const module = line();
        const name = line();
        stack.push(hooks.global(module, name));
        break;
      }
      case 0x93: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') malformed('STACK_GLOBAL needs two strings');
        stack.push(hooks.global(module, name));
        break;
      }
      case 0x52: {
        const args = pop();
        const callable = pop();
        if (!(args instanceof PyTuple)) malformed(`REDUCE with ${typeName(args)} as its arguments`);
        stack.push(hooks.reduce(callable, args));
        break;
      }
      case 0x81: {
        const args = pop();
        const cls = pop();
        if (!(args instanceof PyTuple)) malformed(`NEWOBJ with ${typeName(args)} as its arguments`);
        stack.push(hooks.newObject(cls, args));
        break;
      }
      case 0x92: {
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        if (!(args instanceof PyTuple) || !(kwargs instanceof PyDict)) malformed('NEWOBJ_EX needs a tuple and a dict');
        if (kwargs.size)
          refuse('refused_global', `${what}: the pickle constructs ${typeName(cls)} with keyword arguments`);
        stack.push(hooks.newObject(cls, args));
        break;
      }
      case 0x62: {
        const state = pop();
        const instance = pop();
        stack.push(hooks.build(instance, state));
        break;
      }
      case 0x51: // BINPERSID
        stack.push(hooks.persistentLoad(pop()));
        break;
      case 0x50:
        refuse('unsupported', `${what}: the pickle uses text persistent ids (PERSID); torch.save writes BINPERSID`);
        break;
      case 0x69: {
        // INST module\nname\n: class instantiation in protocol 0 — named, refused unless allowed
        const module = line();
        const name = line();
        hooks.global(module, name);
        refuse(
          'refused_global',
          `${what}: the pickle instantiates ${module}.${name} (INST); only tensors, storages, dicts, lists, tuples and numbers are read`,
        );
        break;
      }
      case 0x6f: {
        const items = popMark();
        refuse(
          'refused_global',
          `${what}: the pickle instantiates ${items.length ? typeName(items[0]) : 'a class'} (OBJ); only tensors, storages, dicts, lists, tuples and numbers are read`,
        );
        break;
      }
      case 0x82:
      case 0x83:
      case 0x84:
        refuse(
          'refused_global',
          `${what}: the pickle names a global through the copyreg extension registry (${opName()}), which is never consulted; only tensors, storages, dicts, lists, tuples and numbers are read`,
        );
        break;
      case 0x97:
      case 0x98:
        refuse('unsupported', `${what}: the pickle uses out-of-band buffers (${opName()})`);
        break;
      default:
        malformed(`unknown opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}
