/**
 * Python's builtins and the standard-library modules model code uses (math, functools, collections, typing,
 * copy, itertools, warnings), plus the methods of str, list, tuple and dict. Anything that reads the outside
 * world (open, input, argparse, os.environ) gives an Unknown that says so.
 *
 * Pure TypeScript: no `vscode`, no Node APIs.
 */
import { equals, sliceBounds, type Runtime } from './interpreter';
import {
  BoundMethod,
  Builtin,
  ELLIPSIS,
  floatText,
  hashKey,
  MethodWrapper,
  ModuleState,
  Namespace,
  numberOf,
  Partial,
  PyClass,
  PyDict,
  PyFloat,
  PyFunction,
  PyInstance,
  PyList,
  PyRange,
  PySet,
  PySlice,
  PyTuple,
  repr,
  str,
  SuperValue,
  Tensor,
  typeName,
  Unknown,
  unknownIn,
  type NativeFn,
  type Value,
} from './values';

export interface PythonLibrary {
  readonly builtins: Map<string, Value>;
  readonly exceptions: Map<string, PyClass>;
  readonly objectClass: PyClass;
  readonly typeClasses: Map<string, PyClass>;
  readonly modules: Map<string, Namespace>;
  methodOf(obj: Value, name: string): Value | undefined;
  /** the class of a value for isinstance() and type() */
  classOf(v: Value): PyClass | undefined;
}

export function fn(name: string, f: NativeFn): Builtin {
  return new Builtin(name, f);
}

const isNum = (v: Value): v is number | boolean | PyFloat =>
  typeof v === 'number' || typeof v === 'boolean' || v instanceof PyFloat;

export function createPythonLibrary(rt: Runtime, tensorClass: () => PyClass): PythonLibrary {
  const objectClass = new PyClass('object', [], new Map(), { isModule: false });
  const cls = (name: string, bases: PyClass[] = [objectClass], attrs = new Map<string, Value>()): PyClass =>
    new PyClass(name, bases, attrs, { isModule: false });

  // ---------------------------------------------------------------------------------------------------
  // Exceptions

  const exceptions = new Map<string, PyClass>();
  const exc = (name: string, base?: string): PyClass => {
    const c = new PyClass(name, [base ? exceptions.get(base)! : objectClass], new Map(), {
      isModule: false,
      exception: true,
    });
    exceptions.set(name, c);
    return c;
  };
  exc('BaseException');
  exc('Exception', 'BaseException');
  for (const n of [
    'ArithmeticError',
    'AssertionError',
    'AttributeError',
    'ImportError',
    'LookupError',
    'NameError',
    'OSError',
    'RuntimeError',
    'StopIteration',
    'SyntaxError',
    'TypeError',
    'ValueError',
    'Warning',
  ])
    exc(n, 'Exception');
  exc('ZeroDivisionError', 'ArithmeticError');
  exc('OverflowError', 'ArithmeticError');
  exc('IndexError', 'LookupError');
  exc('KeyError', 'LookupError');
  exc('ModuleNotFoundError', 'ImportError');
  exc('NotImplementedError', 'RuntimeError');
  exc('RecursionError', 'RuntimeError');
  exc('FileNotFoundError', 'OSError');
  for (const n of ['UserWarning', 'DeprecationWarning', 'FutureWarning', 'RuntimeWarning']) exc(n, 'Warning');
  exceptions.set('IOError', exceptions.get('OSError')!);

  // ---------------------------------------------------------------------------------------------------
  // Conversions

  const toInt = (v: Value, base?: Value): Value => {
    if (v instanceof Unknown) return v;
    if (typeof v === 'number') return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (v instanceof PyFloat) {
      if (!Number.isFinite(v.v)) rt.raise('ValueError', `cannot convert float ${floatText(v.v)} to integer`);
      return Math.trunc(v.v);
    }
    if (typeof v === 'string') {
      const t = v.trim().replace(/_/g, '');
      const b = typeof base === 'number' ? base : 10;
      if (b === 10 ? !/^[+-]?\d+$/.test(t) : Number.isNaN(parseInt(t, b)))
        rt.raise('ValueError', `invalid literal for int() with base ${b}: ${repr(v)}`);
      return parseInt(t, b);
    }
    if (v instanceof Tensor) {
      if (v.data && v.data.length === 1) return Math.trunc(v.data[0]);
      if (v.shape.reduce((a, b) => a * b, 1) !== 1)
        rt.raise('ValueError', 'only one element tensors can be converted to Python scalars');
      return new Unknown('the value of a tensor is not computed by the lens');
    }
    rt.raise(
      'TypeError',
      `int() argument must be a string, a bytes-like object or a real number, not '${typeName(v)}'`,
    );
  };
  const toFloat = (v: Value): Value => {
    if (v instanceof Unknown) return v;
    if (isNum(v)) return new PyFloat(numberOf(v));
    if (typeof v === 'string') {
      const t = v.trim().toLowerCase();
      if (t === 'inf' || t === '+inf') return new PyFloat(Infinity);
      if (t === '-inf') return new PyFloat(-Infinity);
      if (t === 'nan') return new PyFloat(NaN);
      const x = Number(t);
      if (t === '' || Number.isNaN(x)) rt.raise('ValueError', `could not convert string to float: ${repr(v)}`);
      return new PyFloat(x);
    }
    if (v instanceof Tensor) {
      if (v.data && v.data.length === 1) return new PyFloat(v.data[0]);
      return new Unknown('the value of a tensor is not computed by the lens');
    }
    rt.raise('TypeError', `float() argument must be a string or a real number, not '${typeName(v)}'`);
  };
  const iter = (v: Value): Value[] | Unknown => rt.iterate(v);
  const listOf = (v: Value | undefined): Value => {
    if (v === undefined) return new PyList([]);
    const xs = iter(v);
    return xs instanceof Unknown ? xs : new PyList(xs);
  };

  const typeClasses = new Map<string, PyClass>();
  const typeClass = (name: string, make: NativeFn, base = objectClass): PyClass => {
    const c = cls(name, [base]);
    c.attrs.set(
      '__new__',
      fn(name, (args, kwargs, ctx) => make(args.slice(1), kwargs, ctx)),
    );
    typeClasses.set(name, c);
    return c;
  };
  const intClass = typeClass('int', ([v, base]) => (v === undefined ? 0 : toInt(v, base)));
  typeClass('bool', ([v]) => (v === undefined ? false : rt.truth(v)), intClass);
  typeClass('float', ([v]) => (v === undefined ? new PyFloat(0) : toFloat(v)));
  typeClass('str', ([v]) => (v === undefined ? '' : v instanceof Unknown ? v : str(v)));
  typeClass('list', ([v]) => listOf(v));
  typeClass('tuple', ([v]) => {
    if (v === undefined) return new PyTuple([]);
    const xs = iter(v);
    return xs instanceof Unknown ? xs : new PyTuple(xs);
  });
  const dictClass = typeClass('dict', (args, kwargs) => {
    const d = new PyDict();
    if (args[0] !== undefined) {
      const src = args[0];
      if (src instanceof PyDict) for (const [k, v] of src.entries()) d.set(k, v);
      else {
        const pairs = iter(src);
        if (pairs instanceof Unknown) return pairs;
        for (const p of pairs) {
          const kv = iter(p);
          if (kv instanceof Unknown) return kv;
          if (kv.length !== 2) rt.raise('ValueError', 'dictionary update sequence element has length other than 2');
          d.set(kv[0], kv[1]);
        }
      }
    }
    for (const [k, v] of kwargs) d.set(k, v);
    return d;
  });
  typeClass('set', ([v]) => {
    const xs = v === undefined ? [] : iter(v);
    return xs instanceof Unknown ? xs : new PySet(xs);
  });
  typeClasses.set('frozenset', typeClasses.get('set')!);
  const typeType = typeClass('type', ([v]) => classOf(v) ?? new Unknown('the type of an unknown value'));
  const functionClass = cls('function');
  const noneClass = cls('NoneType');
  const rangeClass = typeClass('range', (args) => {
    if (unknownIn(args)) return unknownIn(args)!;
    const ints = args.map((a) => {
      if (typeof a !== 'number' && typeof a !== 'boolean')
        rt.raise('TypeError', `'${typeName(a)}' object cannot be interpreted as an integer`);
      return numberOf(a);
    });
    const [start, stop, step] = ints.length === 1 ? [0, ints[0], 1] : [ints[0], ints[1], ints[2] ?? 1];
    if (step === 0) rt.raise('ValueError', 'range() arg 3 must not be zero');
    return new PyRange(start, stop, step);
  });
  const sliceClass = typeClass('slice', (args) =>
    args.length === 1
      ? new PySlice(null, args[0], null)
      : new PySlice(args[0] ?? null, args[1] ?? null, args[2] ?? null),
  );
  const moduleType = cls('module');

  function classOf(v: Value): PyClass | undefined {
    if (v === null) return noneClass;
    if (typeof v === 'boolean') return typeClasses.get('bool');
    if (typeof v === 'number') return intClass;
    if (v instanceof PyFloat) return typeClasses.get('float');
    if (typeof v === 'string') return typeClasses.get('str');
    if (v instanceof PyList) return typeClasses.get('list');
    if (v instanceof PyTuple) return typeClasses.get('tuple');
    if (v instanceof PyDict) return dictClass;
    if (v instanceof PySet) return typeClasses.get('set');
    if (v instanceof PyRange) return rangeClass;
    if (v instanceof PySlice) return sliceClass;
    if (v instanceof PyInstance) return v.cls;
    if (v instanceof PyClass) return typeType;
    if (v instanceof Tensor) return tensorClass();
    if (v instanceof PyFunction || v instanceof Builtin || v instanceof BoundMethod || v instanceof Partial)
      return functionClass;
    if (v instanceof Namespace) return moduleType;
    return undefined;
  }

  const isinstance = (v: Value, c: Value): boolean | Unknown => {
    if (c instanceof Unknown) return c;
    if (c instanceof PyTuple) {
      for (const x of c.items) {
        const r = isinstance(v, x);
        if (r !== false) return r;
      }
      return false;
    }
    if (v instanceof Unknown) return v;
    if (!(c instanceof PyClass)) rt.raise('TypeError', 'isinstance() arg 2 must be a type or tuple of types');
    if (c === objectClass) return true;
    // OrderedDict is a dict, and our dicts keep their order
    if (v instanceof PyDict && (c === dictClass || c.isSubclassOf(dictClass))) return true;
    const k = classOf(v);
    return k ? k.isSubclassOf(c) : false;
  };

  // ---------------------------------------------------------------------------------------------------
  // Builtin functions

  const builtins = new Map<string, Value>();
  const def = (name: string, f: NativeFn): void => {
    builtins.set(name, fn(name, f));
  };
  for (const [k, v] of typeClasses) builtins.set(k, v);
  builtins.set('object', objectClass);
  for (const [k, v] of exceptions) builtins.set(k, v);
  builtins.set('Ellipsis', ELLIPSIS);
  builtins.set('NotImplemented', new Unknown('NotImplemented'));
  builtins.set('__name__', 'conv_lens_model');
  builtins.set('__file__', new Unknown('the file name is not known to the lens'));

  def('len', ([v]) => {
    if (v instanceof Unknown) return v;
    if (typeof v === 'string') return v.length;
    if (v instanceof PyList) return v.tainted ? new Unknown(v.tainted) : v.items.length;
    if (v instanceof PyTuple) return v.items.length;
    if (v instanceof PyDict) return v.tainted ? new Unknown(v.tainted) : v.map.size;
    if (v instanceof PySet) return v.map.size;
    if (v instanceof PyRange) return v.length;
    if (v instanceof Tensor) {
      if (v.shape.length === 0) rt.raise('TypeError', 'len() of a 0-d tensor');
      return v.shape[0];
    }
    if (v instanceof PyInstance) {
      const xs = rt.iterate(v);
      return xs instanceof Unknown ? xs : xs.length;
    }
    rt.raise('TypeError', `object of type '${typeName(v)}' has no len()`);
  });
  def('isinstance', ([v, c]) => isinstance(v, c));
  def('issubclass', ([a, c]) => {
    if (a instanceof Unknown) return a;
    if (c instanceof Unknown) return c;
    const cs = c instanceof PyTuple ? c.items : [c];
    return a instanceof PyClass && cs.some((x) => x instanceof PyClass && a.isSubclassOf(x));
  });
  def('hasattr', ([o, n]) => {
    if (typeof n !== 'string') return n instanceof Unknown ? n : rt.raise('TypeError', 'attribute name must be string');
    try {
      const v = rt.getattr(o, n, {});
      return o instanceof Unknown ? o : v instanceof Unknown && o instanceof PyInstance && o.tainted ? v : true;
    } catch (e) {
      if (isAttributeError(e)) return false;
      throw e;
    }
  });
  def('getattr', ([o, n, d]) => {
    if (typeof n !== 'string') return n instanceof Unknown ? n : rt.raise('TypeError', 'attribute name must be string');
    try {
      return rt.getattr(o, n, {});
    } catch (e) {
      if (d !== undefined && isAttributeError(e)) return d;
      throw e;
    }
  });
  def('setattr', ([o, n, v]) => {
    if (n instanceof Unknown) {
      if (o instanceof PyInstance) o.tainted ??= `setattr with an unknown name: ${n.reason}`;
      return null;
    }
    if (typeof n !== 'string') rt.raise('TypeError', 'attribute name must be string');
    rt.setattr(o, n, v);
    return null;
  });
  def('delattr', ([o, n]) => {
    if (o instanceof PyInstance && typeof n === 'string') {
      o.attrs.delete(n);
      o.module?.children.delete(n);
    }
    return null;
  });
  def('callable', ([v]) =>
    v instanceof Unknown
      ? v
      : v instanceof PyFunction ||
          v instanceof Builtin ||
          v instanceof BoundMethod ||
          v instanceof PyClass ||
          v instanceof Partial
        ? true
        : v instanceof PyInstance && (v.module !== undefined || v.cls.lookup('__call__') !== undefined),
  );
  def('print', () => null);
  def('repr', ([v]) => (v instanceof Unknown ? v : repr(v)));
  def('format', ([v, spec]) => (v instanceof Unknown ? v : rt.format(v, typeof spec === 'string' ? spec : '')));
  def('id', ([v]) => Number(hashKey(v).slice(1)) || 0);
  def('hash', ([v]) => hashKey(v).length);
  def('abs', ([v]) => {
    if (v instanceof Tensor) return v;
    if (v instanceof Unknown) return v;
    if (v instanceof PyFloat) return new PyFloat(Math.abs(v.v));
    if (isNum(v)) return Math.abs(numberOf(v));
    rt.raise('TypeError', `bad operand type for abs(): '${typeName(v)}'`);
  });
  def('round', ([v, nd]) => {
    if (v instanceof Unknown) return v;
    if (!isNum(v)) rt.raise('TypeError', `type ${typeName(v)} doesn't define __round__ method`);
    const x = numberOf(v);
    // Python rounds half to even
    const even = (y: number): number => {
      const r = Math.round(y);
      return Math.abs(y % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
    };
    if (nd === undefined || nd === null) return even(x);
    const p = 10 ** numberOf(nd as number);
    return new PyFloat(even(x * p) / p);
  });
  def('divmod', ([a, b]) => new PyTuple([rt.pyBinary('//', a, b), rt.pyBinary('%', a, b)]));
  def('pow', ([a, b]) => rt.pyBinary('**', a, b));
  def('ord', ([c]) => (typeof c === 'string' ? c.codePointAt(0)! : new Unknown('ord of a non-string')));
  def('chr', ([n]) => (typeof n === 'number' ? String.fromCodePoint(n) : new Unknown('chr of a non-int')));
  const minmax =
    (name: 'min' | 'max') =>
    (args: Value[], kwargs: Map<string, Value>): Value => {
      const items: Value[] | Unknown = args.length === 1 ? iter(args[0]) : args;
      if (items instanceof Unknown) return items;
      const key = kwargs.get('key');
      if (items.length === 0) {
        if (kwargs.has('default')) return kwargs.get('default')!;
        rt.raise('ValueError', `${name}() arg is an empty sequence`);
      }
      if (items.some((x) => x instanceof Tensor)) return new Unknown(`${name}() of tensors is not followed`);
      let best = items[0];
      let bestKey = key ? rt.call(key, [best], new Map(), {}) : best;
      for (const x of items.slice(1)) {
        const k = key ? rt.call(key, [x], new Map(), {}) : x;
        const c = rt.compare(name === 'max' ? '>' : '<', k, bestKey, undefined, undefined);
        if (c instanceof Unknown) return c;
        if (c === true) {
          best = x;
          bestKey = k;
        }
      }
      return best;
    };
  def('min', minmax('min'));
  def('max', minmax('max'));
  def('sum', ([xs, start]) => {
    const items = iter(xs);
    if (items instanceof Unknown) return items;
    let acc: Value = start ?? 0;
    for (const x of items) acc = rt.binary('+', acc, x, undefined, undefined, false);
    return acc;
  });
  def('any', ([xs]) => {
    const items = iter(xs);
    if (items instanceof Unknown) return items;
    let unknown: Unknown | undefined;
    for (const x of items) {
      const t = rt.truth(x);
      if (t === true) return true;
      if (t instanceof Unknown) unknown ??= t;
    }
    return unknown ?? false;
  });
  def('all', ([xs]) => {
    const items = iter(xs);
    if (items instanceof Unknown) return items;
    let unknown: Unknown | undefined;
    for (const x of items) {
      const t = rt.truth(x);
      if (t === false) return false;
      if (t instanceof Unknown) unknown ??= t;
    }
    return unknown ?? true;
  });
  def('zip', (args) => {
    const lists: Value[][] = [];
    for (const a of args) {
      const xs = iter(a);
      if (xs instanceof Unknown) return xs;
      lists.push(xs);
    }
    const n = lists.length === 0 ? 0 : Math.min(...lists.map((l) => l.length));
    return new PyList(Array.from({ length: n }, (_, i) => new PyTuple(lists.map((l) => l[i]))));
  });
  def('enumerate', ([xs, start], kwargs) => {
    const items = iter(xs);
    if (items instanceof Unknown) return items;
    const s = start ?? kwargs.get('start') ?? 0;
    if (typeof s !== 'number') return new Unknown('enumerate with an unknown start');
    return new PyList(items.map((x, i) => new PyTuple([s + i, x])));
  });
  def('map', ([f, ...seqs]) => {
    const lists: Value[][] = [];
    for (const a of seqs) {
      const xs = iter(a);
      if (xs instanceof Unknown) return xs;
      lists.push(xs);
    }
    const n = Math.min(...lists.map((l) => l.length));
    return new PyList(
      Array.from({ length: n }, (_, i) =>
        rt.call(
          f,
          lists.map((l) => l[i]),
          new Map(),
          {},
        ),
      ),
    );
  });
  def('filter', ([f, xs]) => {
    const items = iter(xs);
    if (items instanceof Unknown) return items;
    const out: Value[] = [];
    for (const x of items) {
      const t = rt.truth(f === null ? x : rt.call(f, [x], new Map(), {}));
      if (t instanceof Unknown) return t;
      if (t) out.push(x);
    }
    return new PyList(out);
  });
  def('sorted', ([xs], kwargs) => {
    const items = iter(xs);
    if (items instanceof Unknown) return items;
    return sortValues(items, kwargs.get('key'), kwargs.get('reverse'));
  });
  const sortValues = (items: Value[], key: Value | undefined, reverse: Value | undefined): Value => {
    const keyed = items.map((x) => [key && key !== null ? rt.call(key, [x], new Map(), {}) : x, x] as const);
    let unknown: Unknown | undefined;
    keyed.sort((a, b) => {
      const lt = rt.compare('<', a[0], b[0], undefined, undefined);
      if (lt instanceof Unknown) {
        unknown ??= lt;
        return 0;
      }
      if (lt) return -1;
      const gt = rt.compare('>', a[0], b[0], undefined, undefined);
      return gt === true ? 1 : 0;
    });
    if (unknown) return unknown;
    const out = keyed.map((k) => k[1]);
    if (reverse === true) out.reverse();
    return new PyList(out);
  };
  def('reversed', ([xs]) => {
    const items = iter(xs);
    return items instanceof Unknown ? items : new PyList(items.reverse());
  });
  const iterators = new WeakSet<PyList>();
  def('iter', ([xs]) => {
    const items = iter(xs);
    if (items instanceof Unknown) return items;
    const l = new PyList(items);
    iterators.add(l);
    return l;
  });
  def('next', ([it, dflt]) => {
    if (it instanceof Unknown) return it;
    if (it instanceof PyList && iterators.has(it)) {
      if (it.items.length === 0) return dflt !== undefined ? dflt : rt.raise('StopIteration', '');
      return it.items.shift()!;
    }
    return new Unknown('next() of something that is not an iterator the lens made');
  });
  def('super', ([c, self]) => {
    if (!(c instanceof PyClass)) return new Unknown('super() of something that is not a class');
    return new SuperValue(c, self ?? null);
  });
  builtins.set(
    'staticmethod',
    fn('staticmethod', ([f]) => new MethodWrapper('static', f)),
  );
  builtins.set(
    'classmethod',
    fn('classmethod', ([f]) => new MethodWrapper('class', f)),
  );
  builtins.set(
    'property',
    fn('property', ([f]) => new MethodWrapper('property', f)),
  );
  def('vars', ([o]) =>
    o instanceof PyInstance
      ? new PyDict([...o.attrs].map(([k, v]) => [k, v] as [Value, Value]))
      : new Unknown('vars()'),
  );
  def('dir', () => new Unknown('dir() is not followed'));
  def('globals', () => new Unknown('globals() is not followed'));
  def('locals', () => new Unknown('locals() is not followed'));
  def('eval', () => new Unknown('eval() runs code the lens does not read'));
  def('exec', () => new Unknown('exec() runs code the lens does not read'));
  def('open', () => new Unknown('a value read from a file'));
  def('input', () => new Unknown('a value typed at run time'));
  def('__import__', ([n]) => (typeof n === 'string' ? rt.library.importModule(n) : new Unknown('__import__')));

  // ---------------------------------------------------------------------------------------------------
  // Standard-library modules

  const modules = new Map<string, Namespace>();
  const ns = (name: string, entries: Record<string, Value>, fallback?: (n: string) => Value | undefined): Namespace => {
    const m = new Namespace(name, new Map(Object.entries(entries)), fallback);
    modules.set(name, m);
    return m;
  };
  const num1 = (name: string, f: (x: number) => number, int = false): Builtin =>
    fn(name, ([x]) => {
      if (x instanceof Unknown) return x;
      if (!isNum(x)) rt.raise('TypeError', `must be real number, not ${typeName(x)}`);
      const r = f(numberOf(x));
      return int ? r : new PyFloat(r);
    });
  ns('math', {
    ceil: num1('ceil', Math.ceil, true),
    floor: num1('floor', Math.floor, true),
    trunc: num1('trunc', Math.trunc, true),
    sqrt: num1('sqrt', Math.sqrt),
    exp: num1('exp', Math.exp),
    log2: num1('log2', Math.log2),
    log10: num1('log10', Math.log10),
    fabs: num1('fabs', Math.abs),
    sin: num1('sin', Math.sin),
    cos: num1('cos', Math.cos),
    tanh: num1('tanh', Math.tanh),
    isqrt: num1('isqrt', (x) => Math.floor(Math.sqrt(x)), true),
    log: fn('log', ([x, b]) =>
      x instanceof Unknown
        ? x
        : new PyFloat(Math.log(numberOf(x as number)) / (b === undefined ? 1 : Math.log(numberOf(b as number)))),
    ),
    pow: fn('pow', ([a, b]) => new PyFloat(numberOf(a as number) ** numberOf(b as number))),
    gcd: fn('gcd', (args) => {
      const g = (a: number, b: number): number => (b === 0 ? Math.abs(a) : g(b, a % b));
      return args.map((a) => numberOf(a as number)).reduce(g, 0);
    }),
    prod: fn('prod', ([xs]) => {
      const items = iter(xs);
      if (items instanceof Unknown) return items;
      let acc: Value = 1;
      for (const x of items) acc = rt.pyBinary('*', acc, x);
      return acc;
    }),
    isfinite: fn('isfinite', ([x]) => Number.isFinite(numberOf(x as number))),
    pi: new PyFloat(Math.PI),
    e: new PyFloat(Math.E),
    inf: new PyFloat(Infinity),
    nan: new PyFloat(NaN),
  });
  const identityDecorator = fn('decorator', ([f]) => f);
  ns('functools', {
    partial: fn('partial', ([f, ...args], kwargs) => new Partial(f, args, kwargs)),
    reduce: fn('reduce', ([f, xs, init]) => {
      const items = iter(xs);
      if (items instanceof Unknown) return items;
      let acc = init ?? items.shift();
      if (acc === undefined) rt.raise('TypeError', 'reduce() of empty iterable with no initial value');
      for (const x of items) acc = rt.call(f, [acc, x], new Map(), {});
      return acc;
    }),
    wraps: fn('wraps', () => identityDecorator),
    lru_cache: fn('lru_cache', ([f]) => (f instanceof PyFunction ? f : identityDecorator)),
    cache: identityDecorator,
  });
  const ordered = typeClass('OrderedDict', (args, kwargs, ctx) => rt.call(dictClass, args, kwargs, ctx), dictClass);
  ns('collections', {
    OrderedDict: ordered,
    namedtuple: fn('namedtuple', ([name, fields]) => {
      const names = typeof fields === 'string' ? fields.replace(/,/g, ' ').split(/\s+/).filter(Boolean) : iter(fields);
      const c = cls(typeof name === 'string' ? name : 'namedtuple', [typeClasses.get('tuple')!]);
      c.attrs.set(
        '__new__',
        fn('__new__', (args) => new PyTuple(args.slice(1))),
      );
      c.attrs.set('_fields', new PyTuple(names instanceof Unknown ? [] : names));
      return c;
    }),
    defaultdict: fn('defaultdict', () => new Unknown('defaultdict is not followed')),
    Counter: fn('Counter', () => new Unknown('Counter is not followed')),
    deque: fn('deque', ([xs]) => listOf(xs)),
  });
  modules.set('collections.abc', new Namespace('collections.abc', new Map(), () => objectClass));
  const anyType = cls('typing');
  ns(
    'typing',
    { TYPE_CHECKING: false, cast: fn('cast', ([, v]) => v), overload: identityDecorator, final: identityDecorator },
    () => anyType,
  );
  ns('typing_extensions', {}, () => anyType);
  const warn = fn('warn', () => null);
  ns('warnings', {
    warn,
    filterwarnings: warn,
    simplefilter: warn,
    catch_warnings: fn('catch_warnings', () => null),
  });
  ns('logging', {}, () => fn('logging', () => null));
  ns('__future__', {}, () => null);
  const deepcopy = (v: Value, memo = new Map<Value, Value>()): Value => {
    if (memo.has(v)) return memo.get(v)!;
    if (v instanceof PyList) {
      const l = new PyList([]);
      memo.set(v, l);
      l.items = v.items.map((x) => deepcopy(x, memo));
      return l;
    }
    if (v instanceof PyTuple) return new PyTuple(v.items.map((x) => deepcopy(x, memo)));
    if (v instanceof PyDict) return new PyDict(v.entries().map(([k, x]) => [k, deepcopy(x, memo)] as [Value, Value]));
    if (v instanceof PyInstance) {
      const c = new PyInstance(v.cls, v.module?.site);
      memo.set(v, c);
      for (const [k, x] of v.attrs) c.attrs.set(k, deepcopy(x, memo));
      if (v.module && c.module) {
        for (const [k, x] of v.module.children)
          c.module.children.set(k, x === null ? null : (deepcopy(x, memo) as PyInstance));
        copyLayer(v.module, c.module);
      }
      c.tainted = v.tainted;
      return c;
    }
    return v;
  };
  ns('copy', {
    deepcopy: fn('deepcopy', ([v]) => deepcopy(v)),
    copy: fn('copy', ([v]) =>
      v instanceof PyList ? new PyList([...v.items]) : v instanceof PyDict ? new PyDict(v.entries()) : v,
    ),
  });
  ns('itertools', {
    chain: fn('chain', (args) => {
      const out: Value[] = [];
      for (const a of args) {
        const xs = iter(a);
        if (xs instanceof Unknown) return xs;
        out.push(...xs);
      }
      return new PyList(out);
    }),
    repeat: fn('repeat', ([x, n]) =>
      typeof n === 'number' ? (rt.tick(n), new PyList(new Array<Value>(n).fill(x))) : new Unknown('an endless repeat'),
    ),
    product: fn('product', (args) => {
      let out: Value[][] = [[]];
      for (const a of args) {
        const xs = iter(a);
        if (xs instanceof Unknown) return xs;
        out = out.flatMap((p) => xs.map((x) => [...p, x]));
        rt.tick(out.length);
      }
      return new PyList(out.map((p) => new PyTuple(p)));
    }),
  });
  const prodOf = fn('prod', ([xs]) => {
    if (isNum(xs)) return xs;
    const items = iter(xs);
    if (items instanceof Unknown) return items;
    let acc: Value = 1;
    for (const x of items) acc = rt.pyBinary('*', acc, x);
    return acc;
  });
  // numpy: only the arithmetic that sizes layers (np.prod(img_shape)); arrays are not followed
  ns(
    'numpy',
    { prod: prodOf, product: prodOf, sqrt: num1('sqrt', Math.sqrt), pi: new PyFloat(Math.PI) },
    (n) => new Unknown(`numpy.${n} is not followed`),
  );
  for (const name of [
    'os',
    'sys',
    're',
    'random',
    'time',
    'json',
    'pathlib',
    'pickle',
    'glob',
    'shutil',
    'datetime',
    'math.random',
  ])
    ns(name, {}, (n) => new Unknown(`${name}.${n} depends on the machine or the run`));
  ns('argparse', {}, (n) => new Unknown(`argparse.${n}: values given on the command line are only known at run time`));

  // ---------------------------------------------------------------------------------------------------
  // Methods of builtin types

  const method = (
    self: Value,
    name: string,
    f: (self: never, args: Value[], kwargs: Map<string, Value>) => Value,
  ): Value =>
    new BoundMethod(
      self,
      fn(name, (args, kwargs) => f(args[0] as never, args.slice(1), kwargs)),
    );

  function methodOf(obj: Value, name: string): Value | undefined {
    if (typeof obj === 'string') return strMethod(obj, name);
    if (obj instanceof PyList) return listMethod(obj, name);
    if (obj instanceof PyTuple) {
      if (name === 'index') return method(obj, name, (t: PyTuple, [x]) => indexOf(t.items, x));
      if (name === 'count')
        return method(obj, name, (t: PyTuple, [x]) => t.items.filter((y) => equals(y, x) === true).length);
      return undefined;
    }
    if (obj instanceof PyDict) return dictMethod(obj, name);
    if (obj instanceof PySet) {
      if (name === 'add') return method(obj, name, (s: PySet, [x]) => (s.map.set(hashKey(x), x), null));
      if (name === 'update')
        return method(obj, name, (s: PySet, [xs]) => {
          const items = iter(xs);
          if (!(items instanceof Unknown)) for (const x of items) s.map.set(hashKey(x), x);
          return null;
        });
      return undefined;
    }
    if (obj instanceof PyFloat) {
      if (name === 'is_integer') return fn(name, () => Number.isInteger(obj.v));
      if (name === 'real') return obj;
    }
    if (typeof obj === 'number') {
      if (name === 'bit_length') return fn(name, () => (obj === 0 ? 0 : Math.floor(Math.log2(Math.abs(obj))) + 1));
      if (name === 'real') return obj;
    }
    if (obj instanceof PyRange) {
      if (name === 'start') return obj.start;
      if (name === 'stop') return obj.stop;
      if (name === 'step') return obj.step;
    }
    return undefined;
  }

  const indexOf = (items: readonly Value[], x: Value): Value => {
    const i = items.findIndex((y) => equals(y, x) === true);
    if (i < 0) rt.raise('ValueError', `${repr(x)} is not in list`);
    return i;
  };

  function strMethod(s: string, name: string): Value | undefined {
    const m = (f: (args: Value[], kwargs: Map<string, Value>) => Value): Value => fn(name, f);
    const strs = (args: Value[]): string[] | Unknown => {
      const u = unknownIn(args);
      if (u) return u;
      return args.map((a) => (typeof a === 'string' ? a : rt.raise('TypeError', `must be str, not ${typeName(a)}`)));
    };
    switch (name) {
      case 'format':
        return m((args, kwargs) => {
          if (unknownIn(args) || unknownIn(kwargs.values())) return unknownIn([...args, ...kwargs.values()])!;
          let auto = 0;
          return s.replace(
            /\{\{|\}\}|\{([^{}!:]*)(?:!([rsa]))?(?::([^{}]*))?\}/g,
            (whole, field: string, conv: string, spec: string) => {
              if (whole === '{{') return '{';
              if (whole === '}}') return '}';
              const [head, ...rest] = (field ?? '').split('.');
              let v: Value =
                head === '' ? args[auto++] : /^\d+$/.test(head) ? args[Number(head)] : (kwargs.get(head) ?? null);
              for (const a of rest) v = rt.getattr(v, a, {});
              if (conv === 'r') return repr(v);
              return rt.format(v, spec ?? '');
            },
          );
        });
      case 'join':
        return m(([xs]) => {
          const items = iter(xs);
          if (items instanceof Unknown) return items;
          const u = unknownIn(items);
          if (u) return u;
          return items
            .map((x) => (typeof x === 'string' ? x : rt.raise('TypeError', 'sequence item: expected str instance')))
            .join(s);
        });
      case 'split':
      case 'rsplit':
        return m(([sep, max]) => {
          if (sep instanceof Unknown) return sep;
          const parts =
            sep === undefined || sep === null
              ? s
                  .trim()
                  .split(/\s+/)
                  .filter((p) => p !== '')
              : s.split(sep as string);
          if (typeof max === 'number' && max >= 0 && parts.length > max + 1) {
            const joiner = typeof sep === 'string' ? sep : ' ';
            return new PyList(
              name === 'split'
                ? [...parts.slice(0, max), parts.slice(max).join(joiner)]
                : [parts.slice(0, parts.length - max).join(joiner), ...parts.slice(parts.length - max)],
            );
          }
          return new PyList(parts);
        });
      case 'strip':
      case 'lstrip':
      case 'rstrip':
        return m(([chars]) => {
          const c = typeof chars === 'string' ? chars.replace(/[-\\\]^]/g, '\\$&') : '\\s';
          const re =
            name === 'strip'
              ? new RegExp(`^[${c}]+|[${c}]+$`, 'g')
              : name === 'lstrip'
                ? new RegExp(`^[${c}]+`)
                : new RegExp(`[${c}]+$`);
          return s.replace(re, '');
        });
      case 'lower':
        return m(() => s.toLowerCase());
      case 'upper':
        return m(() => s.toUpperCase());
      case 'title':
        return m(() => s.replace(/\w\S*/g, (w) => w[0].toUpperCase() + w.slice(1).toLowerCase()));
      case 'capitalize':
        return m(() => (s ? s[0].toUpperCase() + s.slice(1).toLowerCase() : s));
      case 'startswith':
      case 'endswith':
        return m(([p]) => {
          const ps = p instanceof PyTuple ? p.items : [p];
          const xs = strs([...ps]);
          if (xs instanceof Unknown) return xs;
          return xs.some((x) => (name === 'startswith' ? s.startsWith(x) : s.endsWith(x)));
        });
      case 'replace':
        return m((args) => {
          const xs = strs(args.slice(0, 2));
          if (xs instanceof Unknown) return xs;
          return s.split(xs[0]).join(xs[1]);
        });
      case 'find':
      case 'index':
      case 'rfind':
        return m(([x]) => {
          if (typeof x !== 'string') return x instanceof Unknown ? x : rt.raise('TypeError', 'must be str');
          const i = name === 'rfind' ? s.lastIndexOf(x) : s.indexOf(x);
          if (name === 'index' && i < 0) rt.raise('ValueError', 'substring not found');
          return i;
        });
      case 'count':
        return m(([x]) => (typeof x === 'string' && x !== '' ? s.split(x).length - 1 : new Unknown('count')));
      case 'isdigit':
      case 'isnumeric':
        return m(() => /^\d+$/.test(s));
      case 'isalpha':
        return m(() => /^[A-Za-z]+$/.test(s));
      case 'zfill':
        return m(([w]) => (rt.tick(typeof w === 'number' ? w : 0), s.padStart(typeof w === 'number' ? w : 0, '0')));
      case 'center':
      case 'ljust':
      case 'rjust':
        return m(([w, c]) => {
          const width = typeof w === 'number' ? w : 0;
          rt.tick(width);
          const fill = typeof c === 'string' ? c : ' ';
          if (name === 'ljust') return s.padEnd(width, fill);
          if (name === 'rjust') return s.padStart(width, fill);
          return rt.format(s, `${fill}^${width}`);
        });
      case 'splitlines':
        return m(() => new PyList(s.split(/\r?\n/)));
      case 'encode':
        return m(() => new Unknown('bytes are not followed'));
    }
    return undefined;
  }

  function listMethod(l: PyList, name: string): Value | undefined {
    const m = (f: (args: Value[], kwargs: Map<string, Value>) => Value): Value => fn(name, f);
    switch (name) {
      case 'append':
        return m(([x]) => {
          l.items.push(x);
          return null;
        });
      case 'extend':
        return m(([xs]) => {
          const items = iter(xs);
          if (items instanceof Unknown) l.tainted ??= items.reason;
          else {
            rt.tick(items.length);
            l.items.push(...items);
          }
          return null;
        });
      case 'insert':
        return m(([i, x]) => {
          if (typeof i !== 'number') {
            l.tainted ??= 'insert at an unknown index';
            return null;
          }
          l.items.splice(i < 0 ? Math.max(0, l.items.length + i) : i, 0, x);
          return null;
        });
      case 'pop':
        return m(([i]) => {
          if (l.tainted) return new Unknown(l.tainted);
          if (l.items.length === 0) rt.raise('IndexError', 'pop from empty list');
          const k =
            i === undefined ? l.items.length - 1 : typeof i === 'number' ? (i < 0 ? i + l.items.length : i) : -1;
          if (k < 0 || k >= l.items.length) rt.raise('IndexError', 'pop index out of range');
          return l.items.splice(k, 1)[0];
        });
      case 'remove':
        return m(([x]) => {
          const i = indexOf(l.items, x) as number;
          l.items.splice(i, 1);
          return null;
        });
      case 'index':
        return m(([x]) => indexOf(l.items, x));
      case 'count':
        return m(([x]) => l.items.filter((y) => equals(y, x) === true).length);
      case 'reverse':
        return m(() => {
          l.items.reverse();
          return null;
        });
      case 'sort':
        return m((_args, kwargs) => {
          const sorted = sortValues(l.items, kwargs.get('key'), kwargs.get('reverse'));
          if (sorted instanceof PyList) l.items = sorted.items;
          return null;
        });
      case 'copy':
        return m(() => new PyList([...l.items]));
      case 'clear':
        return m(() => {
          l.items = [];
          return null;
        });
    }
    return undefined;
  }

  function dictMethod(d: PyDict, name: string): Value | undefined {
    const m = (f: (args: Value[], kwargs: Map<string, Value>) => Value): Value => fn(name, f);
    const known = (v: () => Value): Value => (d.tainted ? new Unknown(d.tainted) : v());
    switch (name) {
      case 'keys':
        return m(() => known(() => new PyList(d.keys())));
      case 'values':
        return m(() => known(() => new PyList(d.values())));
      case 'items':
        return m(() => known(() => new PyList(d.entries().map(([k, v]) => new PyTuple([k, v])))));
      case 'get':
        return m(([k, dflt]) => {
          if (k instanceof Unknown) return k;
          const v = d.get(k);
          if (v !== undefined) return v;
          return d.tainted ? new Unknown(d.tainted) : (dflt ?? null);
        });
      case 'pop':
        return m(([k, dflt]) => {
          const v = d.get(k);
          if (v !== undefined) {
            d.delete(k);
            return v;
          }
          if (d.tainted) return new Unknown(d.tainted);
          if (dflt !== undefined) return dflt;
          rt.raise('KeyError', repr(k));
        });
      case 'setdefault':
        return m(([k, dflt]) => {
          const v = d.get(k);
          if (v !== undefined) return v;
          d.set(k, dflt ?? null);
          return dflt ?? null;
        });
      case 'update':
        return m(([src], kwargs) => {
          if (src instanceof PyDict) for (const [k, v] of src.entries()) d.set(k, v);
          else if (src instanceof Unknown) d.tainted ??= src.reason;
          else if (src !== undefined) {
            const pairs = iter(src);
            if (pairs instanceof Unknown) d.tainted ??= pairs.reason;
            else
              for (const p of pairs) {
                const kv = iter(p);
                if (!(kv instanceof Unknown) && kv.length === 2) d.set(kv[0], kv[1]);
              }
          }
          for (const [k, v] of kwargs) d.set(k, v);
          return null;
        });
      case 'copy':
        return m(() => new PyDict(d.entries()));
      case 'clear':
        return m(() => {
          d.map.clear();
          return null;
        });
    }
    return undefined;
  }

  return { builtins, exceptions, objectClass, typeClasses, modules, methodOf, classOf };
}

function isAttributeError(e: unknown): boolean {
  return (
    typeof e === 'object' &&
    e !== null &&
    'exc' in e &&
    (e as { exc: PyInstance }).exc instanceof PyInstance &&
    (e as { exc: PyInstance }).exc.cls.mro.some((c) => c.name === 'AttributeError')
  );
}

/** A deep copy of a layer keeps its arguments. */
function copyLayer(from: ModuleState, to: ModuleState): void {
  if (from.layerArgs) to.layerArgs = new Map(from.layerArgs);
  if (from.argSites) to.argSites = new Map(from.argSites);
  if (from.layerProblem) to.layerProblem = from.layerProblem;
}

export { sliceBounds };
