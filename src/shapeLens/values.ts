/**
 * The values the interpreter computes with: Python's (ints, floats, strings, lists, dicts, functions,
 * classes, instances) and PyTorch's as far as shapes go (tensors with a shape and, for small constant
 * tensors, their values; modules with their children and, for layers, their arguments). A value that
 * cannot be known from the text is an `Unknown` with the reason; every operation on it gives it back.
 *
 * Pure TypeScript: no `vscode`, no Node APIs.
 */
import type { CallArg, Expr, Param, Stmt } from './syntax';

export type Value =
  | null
  | boolean
  | number
  | string
  | PyFloat
  | PyList
  | PyTuple
  | PyDict
  | PySet
  | PyRange
  | PySlice
  | PyFunction
  | BoundMethod
  | Builtin
  | PyClass
  | PyInstance
  | Namespace
  | Tensor
  | Unknown
  | EllipsisValue
  | SuperValue
  | Partial
  | MethodWrapper;

/** Python's float (an int is a plain JS number, so that 2 and 2.0 stay apart as they do in Python). */
export class PyFloat {
  constructor(readonly v: number) {}
}

export class PyList {
  /** set when the list may hold values the lens did not follow (an append in a branch it could not decide) */
  tainted?: string;
  constructor(public items: Value[]) {}
}

export class PyTuple {
  constructor(readonly items: readonly Value[]) {}
}

/** dict (insertion-ordered, as Python's), also OrderedDict. Keys are compared as Python compares them. */
export class PyDict {
  tainted?: string;
  readonly map = new Map<string, [Value, Value]>();
  constructor(entries?: Iterable<[Value, Value]>) {
    if (entries) for (const [k, v] of entries) this.set(k, v);
  }
  get(k: Value): Value | undefined {
    return this.map.get(hashKey(k))?.[1];
  }
  set(k: Value, v: Value): void {
    const h = hashKey(k);
    const at = this.map.get(h);
    if (at) at[1] = v;
    else this.map.set(h, [k, v]);
  }
  has(k: Value): boolean {
    return this.map.has(hashKey(k));
  }
  delete(k: Value): boolean {
    return this.map.delete(hashKey(k));
  }
  keys(): Value[] {
    return [...this.map.values()].map((e) => e[0]);
  }
  values(): Value[] {
    return [...this.map.values()].map((e) => e[1]);
  }
  entries(): [Value, Value][] {
    return [...this.map.values()];
  }
}

export class PySet {
  readonly map = new Map<string, Value>();
  constructor(items?: Iterable<Value>) {
    if (items) for (const v of items) this.map.set(hashKey(v), v);
  }
}

export class PyRange {
  constructor(
    readonly start: number,
    readonly stop: number,
    readonly step: number,
  ) {}
  get length(): number {
    const n = Math.ceil((this.stop - this.start) / this.step);
    return n > 0 ? n : 0;
  }
}

export class PySlice {
  constructor(
    readonly lo: Value,
    readonly hi: Value,
    readonly step: Value,
  ) {}
}

export class EllipsisValue {}
export const ELLIPSIS = new EllipsisValue();

/** Where code lives: the chunk (top-level statement) of the file, so that offsets can be made absolute. */
export interface CodeChunk {
  /** offset and 0-based line of the chunk in the analysed text */
  readonly base: number;
  readonly line: number;
  readonly index: number;
}

/** A scope of a running function (or of the module): its variables, and the enclosing function's scope. */
export class Scope {
  readonly vars = new Map<string, Value>();
  constructor(
    readonly parent: Scope | undefined,
    /** names this function assigns (its locals); undefined for the module scope */
    readonly locals: ReadonlySet<string> | undefined,
    /** `global x` / `nonlocal x` declarations */
    readonly declared?: ReadonlyMap<string, 'global' | 'nonlocal'>,
  ) {}
}

export class PyFunction {
  constructor(
    readonly name: string,
    readonly params: readonly Param[],
    /** statements of a def, or the expression of a lambda */
    readonly body: readonly Stmt[] | Expr,
    readonly defaults: ReadonlyMap<string, Value>,
    readonly closure: Scope | undefined,
    readonly globals: Scope,
    readonly chunk: CodeChunk,
    readonly generator: boolean,
    /** the class it was defined in (for zero-argument super()) */
    public owner?: PyClass,
  ) {}
}

export class BoundMethod {
  constructor(
    readonly self: Value,
    readonly fn: PyFunction | Builtin,
  ) {}
}

/** `@staticmethod`, `@classmethod`, `@property` wrappers in a class body. */
export class MethodWrapper {
  constructor(
    readonly kind: 'static' | 'class' | 'property',
    readonly fn: Value,
  ) {}
}

export interface CallContext {
  /** the call expression, absolute in the analysed text */
  readonly site?: SourceSite;
  /** the call's arguments as written (for a layer's quick fix: where each argument's value is) */
  readonly call?: { readonly args: readonly CallArg[]; readonly chunk: CodeChunk };
}

export interface SourceSite {
  readonly start: number;
  readonly end: number;
  readonly line: number;
}

export type NativeFn = (args: Value[], kwargs: Map<string, Value>, ctx: CallContext) => Value;

/** A function implemented by the lens (len, range, torch.cat, a tensor's view, …). */
export class Builtin {
  constructor(
    readonly name: string,
    readonly fn: NativeFn,
  ) {}
}

/** functools.partial */
export class Partial {
  constructor(
    readonly fn: Value,
    readonly args: readonly Value[],
    readonly kwargs: ReadonlyMap<string, Value>,
  ) {}
}

/** What a builtin class (nn.Module, nn.Conv2d, nn.Sequential, …) adds to its instances and calls. */
export interface NativeClass {
  /** the layer's PyTorch name, for layers with a shape rule */
  readonly layer?: string;
  /** a container: Sequential, ModuleList or ModuleDict */
  readonly container?: 'Sequential' | 'ModuleList' | 'ModuleDict';
  readonly isModule: boolean;
  /** an exception class */
  readonly exception?: boolean;
}

export class PyClass {
  readonly mro: PyClass[];
  constructor(
    readonly name: string,
    readonly bases: readonly PyClass[],
    readonly attrs: Map<string, Value>,
    readonly native?: NativeClass,
    /** where a user class is defined */
    readonly site?: SourceSite,
  ) {
    this.mro = linearize(this);
  }
  lookup(name: string): Value | undefined {
    for (const c of this.mro) {
      const v = c.attrs.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  }
  isSubclassOf(other: PyClass): boolean {
    return this.mro.includes(other);
  }
  /** the first builtin class in the MRO (nn.Module, nn.Sequential, a layer, object) */
  get nativeBase(): PyClass | undefined {
    return this.mro.find((c) => c.native);
  }
  get isModule(): boolean {
    return this.mro.some((c) => c.native?.isModule);
  }
}

/** C3 linearisation, as Python orders base classes. */
function linearize(cls: PyClass): PyClass[] {
  const seqs = [...cls.bases.map((b) => [...b.mro]), [...cls.bases]];
  const out: PyClass[] = [cls];
  for (;;) {
    const live = seqs.filter((s) => s.length > 0);
    if (live.length === 0) return out;
    const head = live.map((s) => s[0]).find((h) => !live.some((s) => s.indexOf(h) > 0));
    if (!head) return [...out, ...cls.bases]; // inconsistent: Python refuses; keep a usable order
    out.push(head);
    for (const s of live) if (s[0] === head) s.shift();
  }
}

/** The module part of an nn.Module instance: its children (in registration order) and, for a layer, its arguments. */
export class ModuleState {
  readonly children = new Map<string, PyInstance | null>();
  constructor(
    readonly id: number,
    /** where it was built: the constructor call (absolute) */
    readonly site: SourceSite | undefined,
  ) {}
  /** a layer's arguments by parameter name, and the source of each (for the quick fix) */
  layerArgs?: Map<string, Value>;
  argSites?: Map<string, { readonly site: SourceSite; readonly literal: boolean }>;
  /** why the layer cannot be followed (an argument PyTorch would not take, an unknown argument) */
  layerProblem?: string;
}

let nextId = 1;

export class PyInstance {
  readonly attrs = new Map<string, Value>();
  /** for nn.Module instances */
  readonly module?: ModuleState;
  /** set when the object may have been changed by code the lens could not follow */
  tainted?: string;
  /** for exception instances: the message */
  message?: string;
  constructor(
    readonly cls: PyClass,
    site?: SourceSite,
  ) {
    if (cls.isModule) this.module = new ModuleState(nextId++, site);
  }
}

/** A Python module (torch, torch.nn, math, …): a bag of attributes, some made on first use. */
export class Namespace {
  constructor(
    readonly name: string,
    readonly attrs: Map<string, Value>,
    /** for a name it does not hold: a value (or undefined for AttributeError) */
    readonly fallback?: (name: string) => Value | undefined,
  ) {}
}

export interface ReceptiveField {
  /** per spatial dim, in input pixels */
  readonly size: readonly number[];
  /** distance in input pixels between neighbouring output positions */
  readonly jump: readonly number[];
}

/** A tensor: its shape, and its values when it is a small constant (`torch.tensor([3])`). */
export class Tensor {
  /** set by permute/transpose: PyTorch's view() may refuse it (its strides are no longer contiguous) */
  strided?: boolean;
  constructor(
    readonly shape: readonly number[],
    readonly data?: readonly number[],
    /** receptive field in the model's input: undefined = the input's own pixels, null = no longer tracked */
    readonly rf?: ReceptiveField | null,
    readonly dtype: 'float' | 'int' | 'bool' = 'float',
  ) {}
}

export class Unknown {
  constructor(readonly reason: string) {}
}

/** `super()` bound to a class and an instance: attribute lookup starts after `cls` in the instance's MRO. */
export class SuperValue {
  constructor(
    readonly cls: PyClass,
    readonly self: Value,
  ) {}
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

export function isInt(v: Value): v is number {
  return typeof v === 'number';
}

export function isNumeric(v: Value): v is number | boolean | PyFloat {
  return typeof v === 'number' || typeof v === 'boolean' || v instanceof PyFloat;
}

/** The JS number of an int, bool or float. */
export function numberOf(v: number | boolean | PyFloat): number {
  return typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : v.v;
}

/** Keys as Python compares them: 1, 1.0 and True are the same key; tuples by their items; objects by identity. */
const identities = new WeakMap<object, number>();
let nextIdentity = 1;
export function hashKey(v: Value): string {
  if (v === null) return 'N';
  if (typeof v === 'boolean') return `n${v ? 1 : 0}`;
  if (typeof v === 'number') return `n${v}`;
  if (v instanceof PyFloat) return `n${v.v}`;
  if (typeof v === 'string') return `s${v}`;
  if (v instanceof PyTuple) return `t(${v.items.map(hashKey).join(',')})`;
  let id = identities.get(v);
  if (id === undefined) identities.set(v, (id = nextIdentity++));
  return `o${id}`;
}

export function typeName(v: Value): string {
  if (v === null) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof PyFloat) return 'float';
  if (v instanceof PyList) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return 'dict';
  if (v instanceof PySet) return 'set';
  if (v instanceof PyRange) return 'range';
  if (v instanceof PySlice) return 'slice';
  if (v instanceof PyFunction || v instanceof Builtin || v instanceof Partial) return 'function';
  if (v instanceof BoundMethod) return 'method';
  if (v instanceof PyClass) return 'type';
  if (v instanceof PyInstance) return v.cls.name;
  if (v instanceof Namespace) return 'module';
  if (v instanceof Tensor) return 'Tensor';
  if (v instanceof Unknown) return 'unknown';
  return 'object';
}

/** Python's repr, as far as names and messages need it. */
export function repr(v: Value, depth = 0): string {
  if (depth > 4) return '…';
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return String(v);
  if (v instanceof PyFloat) return floatText(v.v);
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (v instanceof PyList) return `[${v.items.map((x) => repr(x, depth + 1)).join(', ')}]`;
  if (v instanceof PyTuple)
    return v.items.length === 1
      ? `(${repr(v.items[0], depth + 1)},)`
      : `(${v.items.map((x) => repr(x, depth + 1)).join(', ')})`;
  if (v instanceof PyDict)
    return `{${v
      .entries()
      .map(([k, x]) => `${repr(k, depth + 1)}: ${repr(x, depth + 1)}`)
      .join(', ')}}`;
  if (v instanceof PyRange) return `range(${v.start}, ${v.stop}${v.step !== 1 ? `, ${v.step}` : ''})`;
  if (v instanceof Tensor) return `tensor of shape [${v.shape.join(', ')}]`;
  if (v instanceof PyClass) return `<class '${v.name}'>`;
  if (v instanceof PyInstance)
    return v.message !== undefined ? `${v.cls.name}(${repr(v.message)})` : `<${v.cls.name} object>`;
  if (v instanceof PyFunction || v instanceof Builtin) return `<function ${v.name}>`;
  if (v instanceof Unknown) return '<unknown>';
  if (v instanceof EllipsisValue) return 'Ellipsis';
  return `<${typeName(v)}>`;
}

/** str(): strings as they are, floats as Python prints them. */
export function str(v: Value): string {
  if (typeof v === 'string') return v;
  return repr(v);
}

export function floatText(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.0`;
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Number.isNaN(x)) return 'nan';
  const s = String(x);
  return s.includes('e') ? s.replace(/e([+-])(\d)$/, 'e$10$2') : s;
}

export function unknownIn(values: Iterable<Value>): Unknown | undefined {
  for (const v of values) if (v instanceof Unknown) return v;
  return undefined;
}
