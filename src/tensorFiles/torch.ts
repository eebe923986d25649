/**
 * PyTorch's zip checkpoint format, as torch.save writes it since 1.6 (torch/serialization.py, `_save`):
 *   <archive>/data.pkl     the object, pickled (protocol 2) with each storage replaced by a persistent id
 *                          ('storage', torch.FloatStorage, '<key>', '<location>', <element count>)
 *   <archive>/data/<key>   each storage's raw bytes, stored uncompressed (64-byte aligned)
 *   <archive>/version      the format version ("3"); newer PyTorch also writes <archive>/byteorder
 * Tensors are rebuilt by `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, …)`, so a
 * view (transposed, sliced, expanded, channels-last) is a strided window on a storage that other tensors may
 * share. The pickle is read by the data-only unpickler (pickle.ts) with exactly the globals that
 * `torch.load(weights_only=True)` allows (torch/_weights_only_unpickler.py, PyTorch 1.13 and 2.x); any other
 * global — os.system, builtins.eval, a model class — refuses the whole file, by name, and nothing is called.
 */
import { DTYPES, type DType } from '../engine/dtype';
import { bytesText, count, refuse } from './errors';
import type { FoundTensor, FoundValue, ReaderResult, SkippedEntry } from './found';
import { checkView, elementCount, inflatedStorage, isRowMajor, type StorageData } from './layout';
import {
  PyBytes,
  PyDict,
  PyFloat,
  PyGlobal,
  PyList,
  PySet,
  PyStorage,
  PyTensor,
  PyTuple,
  PyUnsupported,
  typeName,
  unpickle,
  type PickleHooks,
  type PyValue,
} from './pickle';
import { inflateWhole } from './npz';
import { fileRegion, latin1, type Job, type Region } from './source';
import { memberDataOffset, readMember, type ZipDirectory, type ZipEntry } from './zip';

/** A state_dict's pickle is ~200 bytes per tensor; 64 MiB is a third of a million tensors. */
const MAX_PICKLE = 64 << 20;
/** tensors, values and containers visited while naming, at most */
const MAX_ITEMS = 1_000_000;
const MAX_DEPTH = 200;

const STORAGE_DTYPES: Readonly<Record<string, DType | null>> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  ComplexFloatStorage: null,
  ComplexDoubleStorage: null,
  QInt8Storage: null,
  QUInt8Storage: null,
  QInt32Storage: null,
  QUInt4x2Storage: null,
  QUInt2x4Storage: null,
};

const UNREAD_STORAGES: Readonly<Record<string, string>> = {
  ComplexFloatStorage: 'complex64',
  ComplexDoubleStorage: 'complex128',
  QInt8Storage: 'quantized qint8',
  QUInt8Storage: 'quantized quint8',
  QInt32Storage: 'quantized qint32',
  QUInt4x2Storage: 'quantized quint4x2',
  QUInt2x4Storage: 'quantized quint2x4',
};

const TENSOR_CLASSES = ['Float', 'Double', 'Half', 'BFloat16', 'Long', 'Int', 'Short', 'Char', 'Byte', 'Bool'];
const DTYPE_NAMES = [
  'float16',
  'float32',
  'float64',
  'bfloat16',
  'half',
  'float',
  'double',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'short',
  'int',
  'long',
  'bool',
  'complex32',
  'complex64',
  'complex128',
  'cfloat',
  'cdouble',
];

/** The rebuild functions that make something other than a dense tensor: allowed, listed, not read. */
const UNREAD_REBUILDS: Readonly<Record<string, string>> = {
  'torch._utils._rebuild_sparse_tensor': 'a sparse tensor',
  'torch._utils._rebuild_sparse_csr_tensor': 'a sparse CSR tensor',
  'torch._utils._rebuild_meta_tensor_no_storage': 'a meta tensor (it has no data)',
  'torch._utils._rebuild_qtensor': 'a quantized tensor',
  'torch._utils._rebuild_wrapper_subclass': 'a tensor subclass',
  'torch._utils._rebuild_nested_tensor': 'a nested tensor',
  'torch._utils._rebuild_device_tensor_from_numpy': 'a tensor rebuilt from NumPy',
};

/** What `torch.load(weights_only=True)` allows, by dotted name. */
function allowed(path: string): boolean {
  if (
    path === 'collections.OrderedDict' ||
    path === 'torch.nn.parameter.Parameter' ||
    path === 'torch.serialization._get_layout' ||
    path === 'torch.Size' ||
    path === 'torch.Tensor' ||
    path === 'torch.device' ||
    path === 'torch._utils._rebuild_tensor' ||
    path === 'torch._utils._rebuild_tensor_v2' ||
    path === 'torch._utils._rebuild_parameter' ||
    path === 'torch._utils._rebuild_parameter_with_state' ||
    path === 'torch._tensor._rebuild_from_type_v2' ||
    path === 'torch.storage.UntypedStorage' ||
    path === 'torch.storage.TypedStorage' ||
    path in UNREAD_REBUILDS
  ) {
    return true;
  }
  const m = /^torch\.(?:(cuda|sparse|cuda\.sparse)\.)?(\w+)$/.exec(path);
  if (!m) return false;
  const [, sub, name] = m;
  if (!sub && DTYPE_NAMES.includes(name)) return true;
  if (sub !== 'sparse' && sub !== 'cuda.sparse' && name in STORAGE_DTYPES) return true;
  return name.endsWith('Tensor') && TENSOR_CLASSES.includes(name.slice(0, -6));
}

export function refusedGlobal(path: string, what: string): never {
  const alias = /^(posix|nt)\.(\w+)$/.exec(path);
  return refuse(
    'refused_global',
    `${what}: refused: the pickle names ${path}${alias ? ` (that is, os.${alias[2]})` : ''}; only tensors, storages, dicts, lists, tuples and numbers are read, and nothing in the file is ever run (torch.load(weights_only=True) refuses it too)`,
  );
}

function isInt(v: PyValue): v is number {
  return typeof v === 'number';
}

function ints(v: PyValue, what: string, field: string): number[] {
  if (!(v instanceof PyTuple) || !v.items.every(isInt)) {
    refuse('bad_pickle', `${what}: a tensor's ${field} is ${typeName(v)}, not a tuple of integers`);
  }
  return v.items as number[];
}

interface StorageRecord {
  readonly storage: PyStorage;
  readonly entry: ZipEntry;
}

function hooksFor(
  directory: ZipDirectory,
  prefix: string,
  what: string,
  storages: Map<string, StorageRecord>,
): PickleHooks {
  const rebuild = (path: string, args: readonly PyValue[]): PyValue => {
    if (path === 'torch._utils._rebuild_tensor_v2' || path === 'torch._utils._rebuild_tensor') {
      const [storage, offset, size, stride, requiresGrad] = args;
      if (args.length < 4)
        refuse('bad_pickle', `${what}: ${path} needs at least 4 arguments, the pickle gives ${args.length}`);
      if (storage instanceof PyUnsupported) return storage;
      if (!(storage instanceof PyStorage))
        refuse('bad_pickle', `${what}: ${path} is given ${typeName(storage)} as its storage`);
      if (!isInt(offset)) refuse('bad_pickle', `${what}: a tensor's storage offset is ${typeName(offset)}`);
      const shape = ints(size, what, 'size');
      const strides = ints(stride, what, 'stride');
      if (storage.dtype === null)
        return new PyUnsupported(`a ${UNREAD_STORAGES[storage.typeName] ?? storage.typeName} tensor`);
      return new PyTensor(storage, offset, shape, strides, requiresGrad === true, false);
    }
    if (path === 'torch._utils._rebuild_parameter' || path === 'torch._utils._rebuild_parameter_with_state') {
      const [data, requiresGrad] = args;
      if (data instanceof PyUnsupported) return data;
      if (!(data instanceof PyTensor)) refuse('bad_pickle', `${what}: a Parameter is built from ${typeName(data)}`);
      return new PyTensor(data.storage, data.offset, data.shape, data.strides, requiresGrad === true, true);
    }
    if (path === 'torch._tensor._rebuild_from_type_v2') {
      // (func, new_type, args, state): a Tensor or Parameter with Python attributes; the attributes are dropped
      const [func, newType, inner] = args;
      if (!(func instanceof PyGlobal) || !(inner instanceof PyTuple))
        refuse('bad_pickle', `${what}: malformed _rebuild_from_type_v2`);
      if (!(newType instanceof PyGlobal) || !['torch.Tensor', 'torch.nn.parameter.Parameter'].includes(newType.path)) {
        refusedGlobal(typeName(newType), what);
      }
      return call(func, inner);
    }
    if (path === 'collections.OrderedDict') {
      const dict = new PyDict(true);
      const [items] = args;
      if (items instanceof PyList || items instanceof PyTuple) {
        for (const pair of items.items) {
          if (!(pair instanceof PyTuple) || pair.items.length !== 2)
            refuse('bad_pickle', `${what}: OrderedDict built from ${typeName(pair)}`);
          dict.set(pair.items[0], pair.items[1]);
        }
      } else if (items instanceof PyDict) {
        items.keys.forEach((k, i) => dict.set(k, items.values[i]));
      } else if (args.length) refuse('bad_pickle', `${what}: OrderedDict built from ${typeName(items)}`);
      return dict;
    }
    if (path === 'torch.Size') {
      const [dims] = args;
      return new PyTuple(ints(dims, what, 'torch.Size'));
    }
    if (path === 'torch.device') return `device(${args.map((a) => repr(a)).join(', ')})`;
    if (path === 'torch.serialization._get_layout') return new PyUnsupported('a tensor layout');
    if (path in UNREAD_REBUILDS) return new PyUnsupported(UNREAD_REBUILDS[path]);
    return refuse('refused_global', `${what}: refused: the pickle calls ${path}, which loading weights never calls`);
  };
  const call = (callable: PyValue, args: PyTuple): PyValue => {
    if (!(callable instanceof PyGlobal))
      refuse('bad_pickle', `${what}: the pickle calls ${typeName(callable)}, which is not callable`);
    return rebuild(callable.path, args.items);
  };
  return {
    global(module, name) {
      if (!/^[A-Za-z_][\w.]{0,200}$/.test(module) || !/^[A-Za-z_][\w.]{0,200}$/.test(name)) {
        refuse(
          'bad_pickle',
          `${what}: the pickle names a global that is not a Python name: ${JSON.stringify(`${module}.${name}`.slice(0, 80))}`,
        );
      }
      const path = `${module}.${name}`;
      if (!allowed(path)) refusedGlobal(path, what);
      return new PyGlobal(module, name);
    },
    reduce: call,
    newObject(cls, args) {
      if (cls instanceof PyGlobal && cls.path === 'torch.nn.parameter.Parameter') {
        return rebuild('torch._utils._rebuild_parameter', args.items);
      }
      if (cls instanceof PyGlobal && cls.path === 'collections.OrderedDict') return new PyDict(true);
      return refusedGlobal(typeName(cls), what);
    },
    build(instance, state) {
      // OrderedDict's attributes (a state_dict's _metadata) and a Parameter's state are not needed
      if (instance instanceof PyDict || instance instanceof PyUnsupported) return instance;
      if (instance instanceof PyTensor && instance.parameter) return instance;
      void state;
      return refuse(
        'bad_pickle',
        `${what}: the pickle sets the state of ${typeName(instance)} (BUILD), which weights never need`,
      );
    },
    persistentLoad(pid) {
      if (!(pid instanceof PyTuple) || pid.items.length !== 5) {
        refuse(
          'bad_pickle',
          `${what}: a persistent id is ${typeName(pid)}; torch.save writes ('storage', type, key, location, size)`,
        );
      }
      const [tag, type, key, location, elements] = pid.items;
      const tagText = tag instanceof PyBytes ? latin1(tag.bytes) : tag;
      if (tagText !== 'storage')
        refuse('bad_pickle', `${what}: a persistent id for ${typeName(tag)}, only storages are read`);
      if (
        !(type instanceof PyGlobal) ||
        typeof key !== 'string' ||
        typeof location !== 'string' ||
        !isInt(elements) ||
        elements < 0
      ) {
        refuse('bad_pickle', `${what}: a malformed storage id`);
      }
      const known = storages.get(key);
      if (known) return known.storage;
      const entry = directory.byName.get(`${prefix}data/${key}`);
      if (!entry) {
        refuse(
          'truncated',
          `${what}: the pickle uses storage ${JSON.stringify(key)}, but the archive has no record ${prefix}data/${key}: the file is incomplete`,
        );
      }
      let dtype: DType | null;
      if (type.path === 'torch.storage.UntypedStorage') dtype = 'uint8';
      else if (type.name in STORAGE_DTYPES && type.path !== 'torch.storage.TypedStorage')
        dtype = STORAGE_DTYPES[type.name];
      else return new PyUnsupported(`a tensor on a ${type.path}`);
      if (dtype !== null && elements * DTYPES[dtype].bytes > entry.size) {
        refuse(
          'out_of_bounds',
          `${what}: storage ${JSON.stringify(key)} is said to hold ${count(elements)} ${dtype} elements, ${bytesText(elements * DTYPES[dtype].bytes)}, but its record holds ${bytesText(entry.size)}`,
        );
      }
      const storage = new PyStorage(dtype, type.name, key, location, elements);
      storages.set(key, { storage, entry });
      return storage;
    },
  };
}

/** A Python float as repr writes it: shortest round-trip digits, '1.0', '1e-05', '1e+16', 'inf', 'nan'. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, exp] = x.toExponential().split('e');
  const e = Number(exp);
  if (e < -4 || e >= 16) {
    return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = x < 0 ? '-' : '';
  if (e >= 0) {
    const intPart = digits.slice(0, e + 1).padEnd(e + 1, '0');
    const frac = digits.slice(e + 1);
    return `${sign}${intPart}.${frac || '0'}`;
  }
  return `${sign}0.${'0'.repeat(-e - 1)}${digits}`;
}

export function pyStrRepr(s: string, max = 200): string {
  const cut = s.length > max ? s.slice(0, max) : s;
  const quote = cut.includes("'") && !cut.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of cut) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote + (s.length > max ? '…' : '');
}

function bytesRepr(b: Uint8Array): string {
  let out = "b'";
  for (const c of b.subarray(0, 64)) {
    if (c === 0x5c) out += '\\\\';
    else if (c === 0x27) out += "\\'";
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else out += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return out + "'" + (b.length > 64 ? '…' : '');
}

/** repr of a value that is not a tensor (containers only shallowly: they are walked instead). */
function repr(v: PyValue, depth = 0): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return pyStrRepr(v);
  if (v instanceof PyFloat) return pyFloatRepr(v.value);
  if (v instanceof PyBytes) return bytesRepr(v.bytes);
  if (v instanceof PyGlobal) return v.path;
  if (depth > 2) return '…';
  if (v instanceof PyTuple) {
    const inner = v.items.slice(0, 8).map((x) => repr(x, depth + 1));
    if (v.items.length > 8) inner.push('…');
    return v.items.length === 1 ? `(${inner[0]},)` : `(${inner.join(', ')})`;
  }
  if (v instanceof PySet) {
    if (!v.items.length) return v.frozen ? 'frozenset()' : 'set()';
    const inner = v.items
      .slice(0, 8)
      .map((x) => repr(x, depth + 1))
      .join(', ');
    return v.frozen ? `frozenset({${inner}})` : `{${inner}}`;
  }
  if (v instanceof PyList) return v.items.length ? '[…]' : '[]';
  if (v instanceof PyDict) return v.size ? '{…}' : v.ordered ? 'OrderedDict()' : '{}';
  return `<${typeName(v)}>`;
}

function kindOf(v: PyValue): FoundValue['kind'] {
  if (v === null) return 'none';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof PyFloat) return 'float';
  if (v instanceof PyBytes) return 'bytes';
  return 'other';
}

function keyText(k: PyValue): string {
  if (typeof k === 'string') return k;
  return repr(k);
}

export interface NamedTensor {
  readonly name: string;
  readonly tensor: PyTensor;
  /** the first name this same tensor object was listed under (tied weights) */
  readonly sameAs?: string;
}

/**
 * Names everything in the unpickled object by its path: dict keys and list/tuple indices joined by dots
 * (`model.layer1.0.conv1.weight`, `optimizer.state.0.exp_avg`). A container reached a second time through the
 * memo is listed once, as an alias, so shared structure cannot multiply the work.
 */
export function nameTree(
  root: PyValue,
  what: string,
): { tensors: NamedTensor[]; values: FoundValue[]; skipped: SkippedEntry[] } {
  const tensors: NamedTensor[] = [];
  const values: FoundValue[] = [];
  const skipped: SkippedEntry[] = [];
  const seen = new Map<object, string>();
  const used = new Set<string>();
  let items = 0;
  const unique = (name: string) => {
    if (!used.has(name)) {
      used.add(name);
      return name;
    }
    for (let i = 2; ; i++) {
      const n = `${name} (${i})`;
      if (!used.has(n)) {
        used.add(n);
        return n;
      }
    }
  };
  const visit = (v: PyValue, path: string, depth: number): void => {
    if (++items > MAX_ITEMS)
      refuse('too_large', `${what}: the pickle holds more than ${count(MAX_ITEMS)} values; no checkpoint is that big`);
    if (depth > MAX_DEPTH) refuse('too_large', `${what}: the pickle nests containers more than ${MAX_DEPTH} deep`);
    const name = path;
    if (v instanceof PyTensor) {
      const first = seen.get(v);
      if (first === undefined) seen.set(v, name);
      tensors.push({ name: unique(name), tensor: v, sameAs: first });
      return;
    }
    if (v instanceof PyUnsupported) {
      skipped.push({ name: unique(name), reason: `${v.what}: not read` });
      return;
    }
    if (v instanceof PyStorage) {
      skipped.push({ name: unique(name), reason: 'a storage without a tensor: not read' });
      return;
    }
    const container = v instanceof PyDict || v instanceof PyList || v instanceof PyTuple;
    if (container && (v instanceof PyDict ? v.size : v.items.length) > 0) {
      const first = seen.get(v);
      if (first !== undefined) {
        values.push({ name: unique(name), kind: 'other', text: `(the same object as ${first || 'the whole file'})` });
        return;
      }
      seen.set(v, name);
      const join = (k: string) => (path ? `${path}.${k}` : k);
      if (v instanceof PyDict) v.keys.forEach((k, i) => visit(v.values[i], join(keyText(k)), depth + 1));
      else v.items.forEach((x, i) => visit(x, join(String(i)), depth + 1));
      return;
    }
    values.push({ name: unique(name), kind: kindOf(v), text: repr(v) });
  };
  visit(root, '', 0);
  return { tensors, values, skipped };
}

/** The archive's folder (`archive/`, or torch.save's file stem): the one holding data.pkl. */
function findPrefix(directory: ZipDirectory, what: string): string | null {
  const pickles = directory.entries.filter((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (pickles.length === 0) return null;
  if (pickles.length > 1) {
    refuse(
      'bad_zip',
      `${what} holds ${pickles.length} archives (${pickles.map((e) => e.name).join(', ')}); torch.save writes one`,
    );
  }
  return pickles[0].name.slice(0, -'data.pkl'.length);
}

export function isTorchZip(directory: ZipDirectory): boolean {
  return directory.entries.some((e) => /^[^/]+\/data\.pkl$/.test(e.name));
}

export function* readTorchZip(
  file: Region,
  directory: ZipDirectory,
  maxElements: number,
  limitName: string,
): Job<ReaderResult> {
  const what = file.what;
  const prefix = findPrefix(directory, what);
  if (prefix === null)
    refuse('not_tensor_file', `${what} is a zip archive without data.pkl: not written by torch.save`);
  if (
    directory.byName.has(`${prefix}constants.pkl`) ||
    directory.entries.some((e) => e.name.startsWith(`${prefix}code/`))
  ) {
    refuse(
      'unsupported',
      `${what} is a TorchScript archive (torch.jit.save), whose pickle names the model's own classes: load it in Python with torch.jit.load and torch.save(model.state_dict(), path) to open its weights here`,
    );
  }
  let version = '';
  const versionEntry = directory.byName.get(`${prefix}version`) ?? directory.byName.get(`${prefix}.data/version`);
  if (versionEntry) version = latin1(yield* readMember(file, versionEntry, 64, 'a version record')).trim();
  if (version && !/^\d+$/.test(version))
    refuse('bad_zip', `${what}: its version record says ${JSON.stringify(version.slice(0, 20))}`);
  let littleEndian = true;
  const order = directory.byName.get(`${prefix}byteorder`);
  if (order) {
    const text = latin1(yield* readMember(file, order, 64, 'a byte-order record')).trim();
    if (text !== 'little' && text !== 'big')
      refuse('bad_zip', `${what}: its byteorder record says ${JSON.stringify(text.slice(0, 20))}`);
    littleEndian = text === 'little';
  }
  const pickleEntry = directory.byName.get(`${prefix}data.pkl`)!;
  const pickle = yield* readMember(file, pickleEntry, MAX_PICKLE, 'the most a checkpoint pickle may be');
  const storages = new Map<string, StorageRecord>();
  const root = unpickle(pickle, hooksFor(directory, prefix, what, storages), what);
  const named = nameTree(root, what);
  const data = new Map<string, StorageData>();
  const storageData = (record: StorageRecord): StorageData => {
    const known = data.get(record.storage.key);
    if (known) return known;
    const { storage, entry } = record;
    const dtype = storage.dtype!;
    const item = DTYPES[dtype].bytes;
    const label = `storage ${storage.key} (${prefix}data/${storage.key})`;
    let made: StorageData;
    if (entry.method === 0) {
      // the record's data offset comes from its local header, read on first use: listing reads no record
      let region: Region | undefined;
      made = {
        elements: storage.elements,
        what: label,
        *readElements(start, n) {
          region ??= fileRegion(yield* memberDataOffset(file, entry), entry.size, label);
          return yield* region.read(start * item, n * item);
        },
      };
    } else {
      made = inflatedStorage(
        () => {
          if (storage.elements > maxElements)
            refuse('too_large', inflateWhole(label, storage.elements, maxElements, limitName));
          if (entry.size !== storage.elements * item) {
            refuse(
              'bad_zip',
              `${label} is compressed and declares ${count(entry.size)} bytes, but holds ${count(storage.elements)} ${dtype} elements`,
            );
          }
          return readMember(file, entry, entry.size, limitName);
        },
        0,
        dtype,
        storage.elements,
        label,
      );
    }
    data.set(storage.key, made);
    return made;
  };
  const viewers = new Map<string, string[]>();
  for (const { name, tensor } of named.tensors) {
    const list = viewers.get(tensor.storage.key) ?? [];
    list.push(name);
    viewers.set(tensor.storage.key, list);
  }
  const tensors: FoundTensor[] = named.tensors.map(({ name, tensor, sameAs }) => {
    const record = storages.get(tensor.storage.key)!;
    const layout = {
      dtype: tensor.storage.dtype!,
      littleEndian,
      shape: tensor.shape,
      strides: tensor.strides,
      offset: tensor.offset,
      storage: storageData(record),
    };
    checkView(layout, `${what}, tensor ${JSON.stringify(name)}`);
    const notes: string[] = [];
    if (sameAs !== undefined) notes.push(`the same tensor as ${sameAs || 'the whole file'}`);
    else {
      const others = viewers.get(tensor.storage.key)!.filter((n) => n !== name);
      if (others.length)
        notes.push(
          `shares storage ${tensor.storage.key} with ${others.slice(0, 3).join(', ')}${others.length > 3 ? ` and ${others.length - 3} more` : ''}`,
        );
    }
    const n = elementCount(tensor.shape, name);
    if (n > 0 && !isRowMajor(tensor.shape, tensor.strides))
      notes.push(`a strided view (strides ${tensor.strides.join(', ')})`);
    if (tensor.parameter) notes.push('nn.Parameter');
    return { name, layout, storageKey: tensor.storage.key, notes };
  });
  return {
    format: 'torch',
    description: `PyTorch checkpoint (torch.save zip${version ? `, format version ${version}` : ''}${littleEndian ? '' : ', big-endian'})`,
    tensors,
    values: named.values,
    skipped: named.skipped,
    metadata: null,
  };
}
