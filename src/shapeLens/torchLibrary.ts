/* eslint-disable @typescript-eslint/only-throw-error -- the interpreter's signals (a Python exception, an unknown, a refusal) are not Errors: the lens re-runs on every keystroke, and capturing a stack trace per signal would cost more than the work */
/**
 * PyTorch as the interpreter sees it: nn.Module and its containers (Sequential, ModuleList, ModuleDict)
 * with named_modules() as PyTorch orders it, every layer class (its constructor arguments bound by name,
 * its forward given by the shape rules in layerRules.ts), tensors as shapes (view, reshape, flatten,
 * permute, indexing, cat, chunk, split, broadcasting arithmetic, reductions), and the torch, torch.nn,
 * torch.nn.functional and torch.nn.init namespaces. Names it does not model give Unknown values that say so.
 *
 * Every tensor operation made from the user's code while a model runs is recorded in the trace with its
 * shapes; a refusal raises PyTorch's RuntimeError with the fix attached.
 *
 * Pure TypeScript: no `vscode`, no Node APIs.
 */
import { convGeometry } from '../engine/geometry';
import { EngineError } from '../engine/errors';
import { PyRaise, type Library, type LayerRecord, type Runtime } from './interpreter';
import {
  broadcastShapes,
  checkDim,
  concatenate,
  family,
  flattenOutcome,
  LAYER_PARAMS,
  layerOutcome,
  pixelShuffleOutcome,
  Refusal,
  shapeX,
  UnknownShape,
  upsampleOutcome,
  type Literal,
  type Outcome,
  type RfChange,
} from './layerRules';
import { createPythonLibrary, fn } from './pythonBuiltins';
import {
  BoundMethod,
  Builtin,
  EllipsisValue,
  Namespace,
  numberOf,
  PyClass,
  PyDict,
  PyFloat,
  PyInstance,
  PyList,
  PySlice,
  PyTuple,
  str,
  Tensor,
  typeName,
  Unknown,
  unknownIn,
  type CallContext,
  type NativeFn,
  type ReceptiveField,
  type SourceSite,
  type Value,
} from './values';

const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/** Functional windowed ops: the module they equal, and their positional parameters after the input. */
const FUNCTIONAL_WINDOWED: Record<string, readonly [string, readonly string[]]> = (() => {
  const t: Record<string, readonly [string, readonly string[]]> = {};
  for (const n of [1, 2, 3]) {
    t[`max_pool${n}d`] = [
      `MaxPool${n}d`,
      ['kernel_size', 'stride', 'padding', 'dilation', 'ceil_mode', 'return_indices'],
    ];
    t[`max_pool${n}d_with_indices`] = t[`max_pool${n}d`];
    t[`avg_pool${n}d`] = [
      `AvgPool${n}d`,
      ['kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad', ...(n > 1 ? ['divisor_override'] : [])],
    ];
    t[`adaptive_avg_pool${n}d`] = [`AdaptiveAvgPool${n}d`, ['output_size']];
    t[`adaptive_max_pool${n}d`] = [`AdaptiveMaxPool${n}d`, ['output_size', 'return_indices']];
  }
  return t;
})();

/** Functional and torch.* forms that keep the shape, by name, and the layer they are named after in records. */
const ELEMENTWISE: Record<string, string> = {
  relu: 'ReLU',
  relu_: 'ReLU',
  relu6: 'ReLU6',
  leaky_relu: 'LeakyReLU',
  leaky_relu_: 'LeakyReLU',
  gelu: 'GELU',
  silu: 'SiLU',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  elu: 'ELU',
  elu_: 'ELU',
  selu: 'SELU',
  celu: 'CELU',
  hardswish: 'Hardswish',
  hardsigmoid: 'Hardsigmoid',
  hardtanh: 'Hardtanh',
  hardtanh_: 'Hardtanh',
  mish: 'Mish',
  softplus: 'Softplus',
  softsign: 'Softsign',
  logsigmoid: 'LogSigmoid',
  tanhshrink: 'Tanhshrink',
  threshold: 'Threshold',
  prelu: 'PReLU',
  rrelu: 'RReLU',
  dropout: 'Dropout',
  dropout1d: 'Dropout1d',
  dropout2d: 'Dropout2d',
  dropout3d: 'Dropout3d',
  alpha_dropout: 'AlphaDropout',
  feature_alpha_dropout: 'FeatureAlphaDropout',
  exp: 'Exp',
  log: 'Log',
  abs: 'Abs',
  sqrt: 'Sqrt',
  rsqrt: 'Rsqrt',
  neg: 'Neg',
  sin: 'Sin',
  cos: 'Cos',
  square: 'Square',
  sign: 'Sign',
  floor: 'Floor',
  ceil: 'Ceil',
  round: 'Round',
  erf: 'Erf',
  clamp: 'Clamp',
  clamp_: 'Clamp',
  clip: 'Clamp',
  clamp_min: 'Clamp',
  clamp_max: 'Clamp',
  normalize: 'Normalize',
  batch_norm: 'BatchNorm',
  instance_norm: 'InstanceNorm',
  layer_norm: 'LayerNorm',
  group_norm: 'GroupNorm',
  local_response_norm: 'LocalResponseNorm',
  sigmoid_: 'Sigmoid',
  tanh_: 'Tanh',
  exp_: 'Exp',
  contiguous: 'Contiguous',
  clone: 'Clone',
  detach: 'Detach',
  masked_fill: 'MaskedFill',
  nan_to_num: 'NanToNum',
  pow: 'Pow',
};

const LOSSES = new Set([
  'cross_entropy',
  'nll_loss',
  'mse_loss',
  'l1_loss',
  'smooth_l1_loss',
  'huber_loss',
  'binary_cross_entropy',
  'binary_cross_entropy_with_logits',
  'kl_div',
  'cosine_embedding_loss',
  'margin_ranking_loss',
  'soft_margin_loss',
  'triplet_margin_loss',
  'poisson_nll_loss',
  'hinge_embedding_loss',
]);

const REDUCTIONS = new Set([
  'sum',
  'mean',
  'amax',
  'amin',
  'prod',
  'std',
  'var',
  'norm',
  'logsumexp',
  'nansum',
  'nanmean',
  'median',
  'all',
  'any',
  'count_nonzero',
]);

export interface TorchLibrary extends Library {
  readonly moduleClass: PyClass;
  readonly tensorClass: PyClass;
  /** named_modules() of a module, as PyTorch lists them (first path wins for a shared module) */
  namedModules(root: PyInstance): [string, PyInstance][];
}

/** Builds the library the interpreter runs model code with. */
export function createTorchLibrary(rt: Runtime): TorchLibrary {
  // eslint-disable-next-line prefer-const
  let tensorClass: PyClass;
  const py = createPythonLibrary(rt, () => tensorClass);
  const { objectClass } = py;
  tensorClass = new PyClass('Tensor', [objectClass], new Map(), { isModule: false });
  tensorClass.attrs.set(
    '__new__',
    fn('Tensor', ([, ...sizes]) => creation('Tensor', sizes, new Map())),
  );

  // ---------------------------------------------------------------------------------------------------
  // Recording

  const trace = () => rt.trace;

  /** Records a tensor operation made from the user's code; returns its index (or -1 when not recording). */
  const recordOp = (
    ctx: CallContext,
    op: string,
    inputs: readonly Value[],
    output: Value,
    extra: Partial<LayerRecord> = {},
  ): number => {
    const t = trace();
    if (!t || !ctx.site) return -1;
    const tensors = inputs.filter((x): x is Tensor => x instanceof Tensor);
    const unknown = extra.unknown ?? (output instanceof Unknown ? output.reason : undefined);
    const index = rt.recordLayer({
      kind: 'function',
      op,
      site: ctx.site,
      input: tensors[0]?.shape ?? null,
      ...(tensors.length > 1 ? { inputs: tensors.map((x) => x.shape) } : {}),
      output: output instanceof Tensor ? output.shape : null,
      ...(unknown ? { unknown } : {}),
      formula: extra.formula ?? [],
      params: 0,
      flops: extra.flops ?? 0,
      rf: output instanceof Tensor ? (output.rf ?? null) : null,
      fromInput: tensors.some((x) => t.modelInputs.has(x)),
      sources: rt.sourcesOf(tensors),
      ...(extra.refused ? { refused: true } : {}),
      ...(extra.preserving ? { preserving: true } : {}),
      ...(extra.args ? { args: extra.args } : {}),
    });
    if (output instanceof Tensor) t.producers.set(output, index);
    else if (output instanceof PyTuple)
      for (const x of output.items) if (x instanceof Tensor) t.producers.set(x, index);
    return index;
  };

  const runtimeError = (message: string): PyInstance => {
    const e = new PyInstance(py.exceptions.get('RuntimeError')!);
    e.message = message;
    return e;
  };

  /**
   * A tensor operation: unknown inputs give an unknown output (recorded), PyTorch's refusal raises its
   * RuntimeError with the fix, a shape the lens cannot tell gives an unknown.
   */
  const op = (
    ctx: CallContext,
    name: string,
    inputs: readonly Value[],
    compute: () => Value,
    /** read after `compute`, which may fill in the formula */
    extra: { preserving?: boolean; args?: ReadonlyMap<string, Literal>; formula?: string[] } = {},
  ): Value => {
    const unk = unknownIn(inputs);
    if (unk) {
      recordOp(ctx, name, inputs, unk, { ...extra, unknown: `its input is unknown: ${unk.reason}` });
      return unk;
    }
    try {
      const out = compute();
      recordOp(ctx, name, inputs, out, extra);
      return out;
    } catch (e) {
      if (e instanceof Refusal) {
        const index = recordOp(ctx, name, inputs, null, { ...extra, refused: true });
        throw new PyRaise(runtimeError(e.torch), { refusal: e, index });
      }
      if (e instanceof UnknownShape) {
        const u = new Unknown(e.message);
        recordOp(ctx, name, inputs, u, extra);
        return u;
      }
      if (e instanceof EngineError) {
        const u = new Unknown(e.message);
        recordOp(ctx, name, inputs, u, extra);
        return u;
      }
      throw e;
    }
  };

  // ---------------------------------------------------------------------------------------------------
  // Argument helpers

  /** Python arguments bound to a torch function's parameters (positional ones in order). */
  const bindArgs = (
    what: string,
    names: readonly string[],
    args: Value[],
    kwargs: Map<string, Value>,
  ): Map<string, Value> => {
    const out = new Map<string, Value>();
    if (args.length > names.length)
      throw new UnknownShape(`${what} takes at most ${names.length} positional arguments`);
    args.forEach((a, i) => out.set(names[i], a));
    for (const [k, v] of kwargs) {
      if (k === '**') throw new UnknownShape(`${what} gets **kwargs the lens does not know: ${(v as Unknown).reason}`);
      if (!names.includes(k)) throw new UnknownShape(`${what} has no argument ${k}`);
      out.set(k, v);
    }
    return out;
  };

  /** A value as a layer rule reads it. */
  const literal = (v: Value, name: string): Literal => {
    if (v instanceof Unknown) throw new UnknownShape(`${name} is unknown: ${v.reason}`);
    if (v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' || v instanceof PyFloat)
      return v;
    if (v instanceof PyList || v instanceof PyTuple) return v.items.map((x) => literal(x, name));
    if (v instanceof Tensor && v.data && v.data.length === 1 && v.dtype === 'int') return v.data[0];
    throw new UnknownShape(`${name} is a ${typeName(v)}, not a value the lens reads`);
  };

  const literals = (m: Map<string, Value>, skip: readonly string[] = ['device', 'dtype']): Map<string, Literal> => {
    const out = new Map<string, Literal>();
    for (const [k, v] of m) if (!skip.includes(k)) out.set(k, literal(v, k));
    return out;
  };

  const intArg = (v: Value | undefined, name: string, dflt?: number): number => {
    if (v === undefined || v === null) {
      if (dflt === undefined) throw new UnknownShape(`${name} is missing`);
      return dflt;
    }
    if (v instanceof Unknown) throw new UnknownShape(`${name} is unknown: ${v.reason}`);
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'number') return v;
    if (v instanceof Tensor && v.data?.length === 1) return Math.trunc(v.data[0]);
    throw new UnknownShape(`${name}=${str(v)} is not an integer`);
  };

  /** Sizes given as varargs (x.view(2, 3)) or one sequence (x.view((2, 3)), torch.zeros([2, 3])). */
  const sizesOf = (args: Value[], what: string): number[] => {
    const list = args.length === 1 && (args[0] instanceof PyTuple || args[0] instanceof PyList) ? args[0].items : args;
    return list.map((v, i) => intArg(v, `${what} size ${i}`));
  };

  const normDim = (dim: number, rank: number, what: string): number => checkDim(dim, rank, what);

  // ---------------------------------------------------------------------------------------------------
  // Receptive fields

  /** The receptive field after a layer (undefined: still the input's own pixels; null: no longer tracked). */
  const nextField = (
    rf: ReceptiveField | null | undefined,
    change: RfChange | undefined,
    input: readonly number[],
  ): ReceptiveField | null | undefined => {
    const c = change ?? { kind: 'same' };
    if (rf === null || c.kind === 'lost') return null;
    if (c.kind === 'same') return rf;
    const dims = c.kind === 'window' ? c.span.length : c.factor.length;
    void input;
    const start: ReceptiveField = rf ?? { size: new Array(dims).fill(1), jump: new Array(dims).fill(1) };
    if (start.size.length !== dims) return null;
    if (c.kind === 'window')
      return {
        size: start.size.map((s, i) => s + (c.span[i] - 1) * start.jump[i]),
        jump: start.jump.map((j, i) => j * c.stride[i]),
      };
    return { size: start.size, jump: start.jump.map((j, i) => j / c.factor[i]) };
  };
  const mergeFields = (tensors: readonly Tensor[]): ReceptiveField | null | undefined => {
    if (tensors.every((t) => t.rf === undefined)) return undefined;
    const dims = Math.max(tensors[0].shape.length - 2, 0);
    const all = tensors.map((t) =>
      t.rf === undefined ? { size: new Array<number>(dims).fill(1), jump: new Array<number>(dims).fill(1) } : t.rf,
    );
    if (all.some((f) => f === null || f.size.length !== dims)) return null;
    const known = all as ReceptiveField[];
    if (!known.every((f) => f.jump.every((j, i) => j === known[0].jump[i]))) return null;
    return { size: known[0].size.map((_, i) => Math.max(...known.map((f) => f.size[i]))), jump: known[0].jump };
  };
  const fromOutcome = (input: Tensor, o: Outcome): Tensor =>
    new Tensor(o.output, undefined, nextField(input.rf, o.rf, input.shape));
  /** A tensor of a new shape that no longer maps to input pixels. */
  const reshaped = (shape: readonly number[], like?: Tensor, data?: readonly number[]): Tensor =>
    new Tensor(
      shape,
      data,
      like && like.rf === undefined && shape.length === like.shape.length ? undefined : null,
      like?.dtype ?? 'float',
    );

  // ---------------------------------------------------------------------------------------------------
  // nn.Module

  const module = (
    name: string,
    attrs: Record<string, Value>,
    bases: PyClass[],
    layer?: string,
    container?: 'Sequential' | 'ModuleList' | 'ModuleDict',
  ): PyClass =>
    new PyClass(name, bases, new Map(Object.entries(attrs)), {
      isModule: true,
      ...(layer ? { layer } : {}),
      ...(container ? { container } : {}),
    });
  const self = (args: Value[]): PyInstance => {
    const s = args[0];
    if (!(s instanceof PyInstance) || !s.module)
      rt.raise('TypeError', 'a Module method called on something that is not a Module');
    return s;
  };
  const method = (name: string, f: NativeFn): Builtin => fn(name, f);

  const namedModules = (
    root: PyInstance,
    prefix = '',
    memo = new Set<PyInstance>(),
    out: [string, PyInstance][] = [],
  ): [string, PyInstance][] => {
    if (memo.has(root)) return out;
    memo.add(root);
    out.push([prefix, root]);
    for (const [k, child] of root.module!.children) {
      if (child) namedModules(child, prefix ? `${prefix}.${k}` : k, memo, out);
    }
    return out;
  };
  const uncertain = (m: PyInstance): string | undefined => {
    for (const [, x] of namedModules(m)) if (x.tainted) return x.tainted;
    return undefined;
  };

  const moduleClass = module(
    'Module',
    {
      __init__: method('__init__', () => null),
      forward: method('forward', (args) =>
        rt.raise('NotImplementedError', `Module [${self(args).cls.name}] is missing the required "forward" function`),
      ),
      add_module: method('add_module', ([s, name, m]) => {
        const inst = self([s]);
        if (name instanceof Unknown) {
          inst.tainted ??= `add_module with an unknown name: ${name.reason}`;
          return null;
        }
        if (typeof name !== 'string') rt.raise('TypeError', `module name should be a string. Got ${typeName(name)}`);
        if (m instanceof Unknown) {
          inst.tainted ??= `add_module('${name}', …) adds something unknown: ${m.reason}`;
          return null;
        }
        if (m !== null && !(m instanceof PyInstance && m.module))
          rt.raise('TypeError', `${typeName(m)} is not a Module subclass`);
        if (name.includes('.')) rt.raise('KeyError', `module name can't contain ".", got: ${name}`);
        inst.attrs.delete(name);
        inst.module!.children.set(name, m);
        return null;
      }),
      register_buffer: method('register_buffer', ([s, name, t]) => {
        if (typeof name === 'string') self([s]).attrs.set(name, t ?? null);
        return null;
      }),
      register_parameter: method('register_parameter', ([s, name, t]) => {
        if (typeof name === 'string') self([s]).attrs.set(name, t ?? null);
        return null;
      }),
      modules: method('modules', ([s]) => {
        const m = self([s]);
        const u = uncertain(m);
        return u ? new Unknown(u) : new PyList(namedModules(m).map(([, x]) => x));
      }),
      named_modules: method('named_modules', ([s]) => {
        const m = self([s]);
        const u = uncertain(m);
        return u ? new Unknown(u) : new PyList(namedModules(m).map(([k, x]) => new PyTuple([k, x])));
      }),
      children: method('children', ([s]) => {
        const m = self([s]);
        if (m.tainted) return new Unknown(m.tainted);
        const seen = new Set<PyInstance>();
        return new PyList(
          [...m.module!.children.values()].filter((x): x is PyInstance => x !== null && !seen.has(x) && !!seen.add(x)),
        );
      }),
      named_children: method('named_children', ([s]) => {
        const m = self([s]);
        if (m.tainted) return new Unknown(m.tainted);
        const seen = new Set<PyInstance>();
        const out: Value[] = [];
        for (const [k, x] of m.module!.children) {
          if (x === null || seen.has(x)) continue;
          seen.add(x);
          out.push(new PyTuple([k, x]));
        }
        return new PyList(out);
      }),
      parameters: method('parameters', () => new Unknown('the parameter tensors are not followed')),
      named_parameters: method('named_parameters', () => new Unknown('the parameter tensors are not followed')),
      buffers: method('buffers', () => new Unknown('the buffers are not followed')),
      state_dict: method('state_dict', () => new Unknown('a state dict is not followed')),
      load_state_dict: method('load_state_dict', () => null),
      apply: method('apply', ([s, f]) => {
        const m = self([s]);
        // children first, then the module itself, as PyTorch does
        const visit = (x: PyInstance): void => {
          for (const c of x.module!.children.values()) if (c) visit(c);
          rt.call(f, [x], new Map(), {});
        };
        visit(m);
        return m;
      }),
      zero_grad: method('zero_grad', () => null),
      extra_repr: method('extra_repr', () => ''),
      __len__: method('__len__', ([s]) => self([s]).module!.children.size),
    },
    [objectClass],
  );
  const returnsSelf = (name: string) => method(name, ([s]) => s);
  for (const n of [
    'to',
    'cuda',
    'cpu',
    'float',
    'double',
    'half',
    'bfloat16',
    'type',
    'eval',
    'train',
    'requires_grad_',
    'share_memory',
    'to_empty',
  ])
    moduleClass.attrs.set(n, returnsSelf(n));
  // len() of a plain Module is a TypeError; only the containers have one
  moduleClass.attrs.delete('__len__');

  // ---------------------------------------------------------------------------------------------------
  // Containers

  const containerItems = (m: PyInstance): Value[] => [...m.module!.children.values()].filter((x) => x !== null);
  const addChild = (m: PyInstance, name: string, v: Value): void => {
    if (v instanceof Unknown) {
      m.tainted ??= v.reason;
      return;
    }
    if (!(v instanceof PyInstance && v.module)) rt.raise('TypeError', `${typeName(v)} is not a Module subclass`);
    m.module!.children.set(name, v);
  };
  const indexChild = (m: PyInstance, key: Value, kind: string): Value => {
    if (m.tainted) return new Unknown(m.tainted);
    const items = [...m.module!.children.entries()];
    if (key instanceof Unknown) return key;
    if (typeof key === 'number' || typeof key === 'boolean') {
      const k = numberOf(key);
      const i = k < 0 ? k + items.length : k;
      if (i < 0 || i >= items.length) rt.raise('IndexError', `index ${k} is out of range`);
      return items[i][1];
    }
    if (key instanceof PySlice && kind !== 'ModuleDict') {
      const cls = m.cls;
      const part = new PyInstance(cls, m.module!.site);
      const picked = (rt.getitem(new PyList(items.map(([k]) => k)), key, {}) as PyList).items as string[];
      for (const k of picked) part.module!.children.set(k, m.module!.children.get(k)!);
      return part;
    }
    if (typeof key === 'string' && kind === 'ModuleDict') {
      const v = m.module!.children.get(key);
      if (v === undefined) rt.raise('KeyError', `'${key}'`);
      return v;
    }
    rt.raise('TypeError', `${kind} indices must be integers or slices, not ${typeName(key)}`);
  };
  const extend = (m: PyInstance, xs: Value): void => {
    const items = rt.iterate(xs);
    if (items instanceof Unknown) {
      m.tainted ??= items.reason;
      return;
    }
    for (const x of items) addChild(m, String(m.module!.children.size), x);
  };

  const sequentialClass = module(
    'Sequential',
    {
      __init__: method('__init__', ([s, ...args]) => {
        const m = self([s]);
        if (args.length === 1 && args[0] instanceof PyDict) {
          const d = args[0];
          if (d.tainted) m.tainted ??= d.tainted;
          for (const [k, v] of d.entries()) addChild(m, str(k), v);
        } else args.forEach((a, i) => addChild(m, String(i), a));
        return null;
      }),
      forward: method('forward', ([s, x, ...rest]) => {
        const m = self([s]);
        if (m.tainted) return new Unknown(m.tainted);
        if (rest.length > 0)
          rt.raise('TypeError', `forward() takes 2 positional arguments but ${rest.length + 2} were given`);
        let v = x;
        for (const child of containerItems(m)) v = rt.callModule(child as PyInstance, [v], new Map(), {});
        return v;
      }),
      append: method('append', ([s, x]) => {
        const m = self([s]);
        addChild(m, String(m.module!.children.size), x);
        return m;
      }),
      extend: method('extend', ([s, xs]) => {
        extend(self([s]), xs);
        return s;
      }),
      insert: method('insert', ([s, i, x]) => {
        const m = self([s]);
        const items = containerItems(m);
        if (typeof i !== 'number') {
          m.tainted ??= 'insert at an unknown index';
          return m;
        }
        items.splice(i < 0 ? items.length + i : i, 0, x);
        m.module!.children.clear();
        items.forEach((v, k) => addChild(m, String(k), v));
        return m;
      }),
      __getitem__: method('__getitem__', ([s, k]) => indexChild(self([s]), k, 'Sequential')),
      __len__: method('__len__', ([s]) => self([s]).module!.children.size),
    },
    [moduleClass],
    undefined,
    'Sequential',
  );
  const moduleListClass = module(
    'ModuleList',
    {
      __init__: method('__init__', ([s, xs]) => {
        if (xs !== undefined && xs !== null) extend(self([s]), xs);
        return null;
      }),
      append: method('append', ([s, x]) => {
        const m = self([s]);
        addChild(m, String(m.module!.children.size), x);
        return m;
      }),
      extend: method('extend', ([s, xs]) => {
        extend(self([s]), xs);
        return s;
      }),
      insert: method('insert', ([s, i, x]) => {
        const m = self([s]);
        const items = containerItems(m);
        if (typeof i !== 'number') {
          m.tainted ??= 'insert at an unknown index';
          return null;
        }
        items.splice(i < 0 ? items.length + i : i, 0, x);
        m.module!.children.clear();
        items.forEach((v, k) => addChild(m, String(k), v));
        return null;
      }),
      __getitem__: method('__getitem__', ([s, k]) => indexChild(self([s]), k, 'ModuleList')),
      __len__: method('__len__', ([s]) => self([s]).module!.children.size),
      forward: method('forward', () =>
        rt.raise('NotImplementedError', 'Module [ModuleList] is missing the required "forward" function'),
      ),
    },
    [moduleClass],
    undefined,
    'ModuleList',
  );
  const moduleDictClass = module(
    'ModuleDict',
    {
      __init__: method('__init__', ([s, d]) => {
        const m = self([s]);
        if (d instanceof PyDict) for (const [k, v] of d.entries()) addChild(m, str(k), v);
        else if (d instanceof Unknown) m.tainted ??= d.reason;
        else if (d !== undefined && d !== null) {
          const pairs = rt.iterate(d);
          if (pairs instanceof Unknown) m.tainted ??= pairs.reason;
          else
            for (const p of pairs) {
              const kv = rt.iterate(p);
              if (!(kv instanceof Unknown)) addChild(m, str(kv[0]), kv[1]);
            }
        }
        return null;
      }),
      __getitem__: method('__getitem__', ([s, k]) => indexChild(self([s]), k, 'ModuleDict')),
      __len__: method('__len__', ([s]) => self([s]).module!.children.size),
      keys: method('keys', ([s]) => new PyList([...self([s]).module!.children.keys()])),
      values: method('values', ([s]) => new PyList(containerItems(self([s])))),
      items: method('items', ([s]) => new PyList([...self([s]).module!.children].map(([k, v]) => new PyTuple([k, v])))),
      update: method('update', ([s, d]) => {
        const m = self([s]);
        if (d instanceof PyDict) for (const [k, v] of d.entries()) addChild(m, str(k), v);
        else m.tainted ??= 'ModuleDict.update with something the lens does not follow';
        return null;
      }),
      forward: method('forward', () =>
        rt.raise('NotImplementedError', 'Module [ModuleDict] is missing the required "forward" function'),
      ),
    },
    [moduleClass],
    undefined,
    'ModuleDict',
  );

  // ---------------------------------------------------------------------------------------------------
  // Layers

  const layerClasses = new Map<string, PyClass>();
  const layerInit = (layer: string): Builtin =>
    method('__init__', ([s, ...args], kwargs, ctx) => {
      const m = self([s]).module!;
      const spec = LAYER_PARAMS[layer];
      const bound = new Map<string, Value>();
      const problems: string[] = [];
      if (spec) {
        if (args.length > spec.names.length)
          problems.push(`${layer}() takes ${spec.names.length} positional arguments but ${args.length} were given`);
        args.forEach((a, i) => {
          if (i < spec.names.length) bound.set(spec.names[i], a);
        });
        for (const [k, v] of kwargs) {
          if (k === '**') problems.push(`${layer} gets **kwargs the lens does not know: ${(v as Unknown).reason}`);
          else if (!spec.names.includes(k)) problems.push(`${layer}() got an unexpected keyword argument '${k}'`);
          else if (bound.has(k)) problems.push(`${layer}() got multiple values for argument '${k}'`);
          else bound.set(k, v);
        }
        const missing = spec.names.slice(0, spec.required).filter((n) => !bound.has(n));
        if (missing.length > 0) problems.push(`${layer}() is missing ${missing.join(', ')}`);
      } else if (layer !== 'Identity') problems.push(`nn.${layer} is not a layer Conv Lens knows`);
      m.layerArgs = bound;
      if (problems.length > 0) m.layerProblem = problems[0];
      // where each argument is written, for the quick fix: only for a direct call with no *args/**kwargs
      const call = ctx.call;
      if (call && spec && !call.args.some((a) => a.kind === 'star' || a.kind === 'dstar')) {
        const sites = new Map<string, { site: SourceSite; literal: boolean }>();
        let pos = 0;
        for (const a of call.args) {
          const name = a.kind === 'kw' ? a.name! : spec.names[pos++];
          if (!name) continue;
          const v = a.value;
          sites.set(name, {
            site: { start: call.chunk.base + v.s, end: call.chunk.base + v.e, line: call.chunk.line + v.ln },
            literal: v.k === 'num' && !v.float,
          });
        }
        m.argSites = sites;
      }
      return null;
    });

  const layerForward = (layer: string): Builtin =>
    method('forward', ([s, x, ...rest], kwargs, ctx) => {
      const inst = self([s]);
      const m = inst.module!;
      const t = trace();
      const record = (output: Value, extra: Partial<LayerRecord> = {}): number => {
        if (!t) return -1;
        const unknown = extra.unknown ?? (output instanceof Unknown ? output.reason : undefined);
        const index = rt.recordLayer({
          kind: 'module',
          op: layer,
          module: inst,
          site: m.site ?? ctx.site ?? { start: 0, end: 0, line: 0 },
          ...(ctx.site ? { callSite: ctx.site } : {}),
          input: x instanceof Tensor ? x.shape : null,
          output: output instanceof Tensor ? output.shape : null,
          ...(unknown ? { unknown } : {}),
          formula: extra.formula ?? [],
          params: extra.params ?? 0,
          flops: extra.flops ?? 0,
          rf: output instanceof Tensor ? (output.rf ?? null) : null,
          fromInput: x instanceof Tensor && t.modelInputs.has(x),
          sources: rt.sourcesOf([x]),
          ...(extra.refused ? { refused: true } : {}),
        });
        if (output instanceof Tensor) t.producers.set(output, index);
        else if (output instanceof PyTuple)
          for (const y of output.items) if (y instanceof Tensor) t.producers.set(y, index);
        return index;
      };
      if (x instanceof Unknown) {
        record(x, { unknown: `its input is unknown: ${x.reason}` });
        return x;
      }
      if (layer === 'Identity') {
        record(x);
        return x;
      }
      if (m.layerProblem) {
        const u = new Unknown(m.layerProblem);
        record(u);
        return u;
      }
      if (!(x instanceof Tensor)) {
        const u = new Unknown(`the input of ${layer} is a ${typeName(x)}, not a tensor`);
        record(u);
        return u;
      }
      if (rest.length > 0 || kwargs.size > 0) {
        const u = new Unknown(`${layer} is called with more than one input`);
        record(u);
        return u;
      }
      try {
        const o = layerOutcome(layer, literals(m.layerArgs!), [x.shape], t ? t.modelInputs.has(x) : false);
        const out = new Tensor(o.output, undefined, nextField(x.rf, o.rf, x.shape));
        record(out, { formula: o.formula ?? [], params: o.params ?? 0, flops: o.flops ?? 0 });
        if (o.withIndices) return new PyTuple([out, new Tensor(o.output, undefined, null, 'int')]);
        return out;
      } catch (e) {
        if (e instanceof Refusal) {
          const index = record(null, { refused: true });
          throw new PyRaise(runtimeError(e.torch), { refusal: e, index });
        }
        if (e instanceof UnknownShape) {
          const u = new Unknown(e.message);
          record(u);
          return u;
        }
        throw e;
      }
    });

  /** The attributes PyTorch's layers have (conv.out_channels, conv.kernel_size as a tuple, conv.weight…). */
  const layerAttribute = (inst: PyInstance, name: string): Value | undefined => {
    const m = inst.module;
    const layer = inst.cls.nativeBase?.native?.layer;
    if (!m || !layer || !m.layerArgs) return undefined;
    const [fam, rank] = family(layer);
    const spec = LAYER_PARAMS[layer];
    const args = m.layerArgs;
    const tuple = (v: Value | undefined, dflt: number): Value => {
      const x = v ?? dflt;
      if (typeof x === 'number' && rank > 0) return new PyTuple(new Array(rank).fill(x));
      return x instanceof PyList ? new PyTuple(x.items) : x;
    };
    if (name === 'weight' || name === 'bias' || name === 'running_mean' || name === 'running_var') {
      const shape = parameterShape(layer, fam, rank, args, name);
      return shape instanceof Unknown ? shape : shape === null ? null : new Tensor(shape, undefined, null);
    }
    if (fam === 'Conv' || fam === 'ConvTranspose') {
      if (name === 'kernel_size') return tuple(args.get('kernel_size'), 1);
      if (name === 'stride' || name === 'dilation') return tuple(args.get(name), 1);
      if (name === 'padding') {
        const p = args.get('padding') ?? 0;
        return typeof p === 'string' ? p : tuple(p, 0);
      }
      if (name === 'output_padding') return tuple(args.get(name), 0);
      if (name === 'groups') return args.get('groups') ?? 1;
      if (name === 'padding_mode') return args.get('padding_mode') ?? 'zeros';
    }
    if (spec?.names.includes(name)) {
      const v = args.get(name);
      if (v !== undefined) return v;
      if (name === 'stride' && (fam === 'MaxPool' || fam === 'AvgPool')) return args.get('kernel_size') ?? null;
    }
    if (name === 'inplace') return args.get('inplace') ?? false;
    return undefined;
  };

  /** The shape of a layer's parameter (null when the layer has none: bias=False, affine=False). */
  const parameterShape = (
    layer: string,
    fam: string,
    rank: number,
    args: Map<string, Value>,
    name: string,
  ): number[] | null | Unknown => {
    const int = (k: string, dflt?: number): number | undefined => {
      const v = args.get(k) ?? dflt;
      return typeof v === 'number' ? v : undefined;
    };
    const unknown = new Unknown(`the ${name} of this ${layer} depends on arguments the lens does not know`);
    if (fam === 'Conv' || fam === 'ConvTranspose') {
      if (name === 'running_mean' || name === 'running_var') return unknown;
      const inC = int('in_channels');
      const outC = int('out_channels');
      const groups = int('groups', 1);
      const k = args.get('kernel_size');
      const kernel =
        typeof k === 'number'
          ? new Array<number>(rank).fill(k)
          : k instanceof PyTuple || k instanceof PyList
            ? k.items
            : undefined;
      if (
        inC === undefined ||
        outC === undefined ||
        groups === undefined ||
        !kernel ||
        !kernel.every((x) => typeof x === 'number')
      )
        return unknown;
      if (name === 'bias') return args.get('bias') === false ? null : [outC];
      return fam === 'Conv'
        ? [outC, inC / groups, ...(kernel as number[])]
        : [inC, outC / groups, ...(kernel as number[])];
    }
    if (layer === 'Linear') {
      const inF = int('in_features');
      const outF = int('out_features');
      if (inF === undefined || outF === undefined || name.startsWith('running')) return unknown;
      if (name === 'bias') return args.get('bias') === false ? null : [outF];
      return [outF, inF];
    }
    if (fam === 'BatchNorm' || fam === 'InstanceNorm') {
      const c = int('num_features');
      if (c === undefined) return unknown;
      if (name.startsWith('running'))
        return (args.get('track_running_stats') ?? fam === 'BatchNorm') === false ? null : [c];
      return (args.get('affine') ?? fam === 'BatchNorm') === false ? null : [c];
    }
    if (layer === 'GroupNorm') {
      const c = int('num_channels');
      if (c === undefined || name.startsWith('running')) return unknown;
      return args.get('affine') === false ? null : [c];
    }
    if (layer === 'PReLU' && name === 'weight') return [int('num_parameters', 1) ?? 1];
    return unknown;
  };

  const layerClass = (name: string): PyClass => {
    let c = layerClasses.get(name);
    if (!c) {
      c = module(name, { __init__: layerInit(name), forward: layerForward(name) }, [moduleClass], name);
      layerClasses.set(name, c);
    }
    return c;
  };
  for (const name of Object.keys(LAYER_PARAMS)) layerClass(name);
  layerClass('Identity');

  // ---------------------------------------------------------------------------------------------------
  // Tensors

  const isTensor = (v: Value): v is Tensor => v instanceof Tensor;

  const BINARY_NAMES: Record<string, string> = {
    '+': 'Add',
    '-': 'Sub',
    '*': 'Mul',
    '/': 'Div',
    '//': 'FloorDiv',
    '%': 'Mod',
    '**': 'Pow',
    '@': 'MatMul',
    '&': 'And',
    '|': 'Or',
    '^': 'Xor',
    '<<': 'Shift',
    '>>': 'Shift',
  };

  const scalarData = (v: Value): number | undefined =>
    typeof v === 'number' || typeof v === 'boolean' || v instanceof PyFloat ? numberOf(v) : undefined;

  const elementwiseData = (o: string, a: readonly number[], b: readonly number[]): number[] | undefined => {
    const n = Math.max(a.length, b.length);
    if (a.length !== n && a.length !== 1) return undefined;
    if (b.length !== n && b.length !== 1) return undefined;
    const at = (x: readonly number[], i: number) => (x.length === 1 ? x[0] : x[i]);
    const f: Record<string, (x: number, y: number) => number> = {
      '+': (x, y) => x + y,
      '-': (x, y) => x - y,
      '*': (x, y) => x * y,
      '/': (x, y) => x / y,
      '//': (x, y) => Math.floor(x / y),
      '%': (x, y) => x - y * Math.floor(x / y),
      '**': (x, y) => x ** y,
    };
    if (!f[o]) return undefined;
    return Array.from({ length: n }, (_, i) => f[o](at(a, i), at(b, i)));
  };

  const matmulShape = (a: readonly number[], b: readonly number[]): number[] => {
    if (a.length === 0 || b.length === 0)
      throw new Refusal(
        'both arguments to matmul need to be at least 1D',
        'matmul needs tensors',
        'give both sides at least one dim',
      );
    if (a.length === 1 && b.length === 1) {
      if (a[0] !== b[0]) throw new UnknownShape(`matmul of vectors of sizes ${a[0]} and ${b[0]}`);
      return [];
    }
    if (a.length <= 2 && b.length <= 2) {
      const [n, m] = a.length === 1 ? [1, a[0]] : a;
      const [k, p] = b.length === 1 ? [b[0], 1] : b;
      if (m !== k)
        throw new Refusal(
          `mat1 and mat2 shapes cannot be multiplied (${n}x${m} and ${k}x${p})`,
          `a ${n}×${m} matrix times a ${k}×${p} one: the inner sizes ${m} and ${k} differ`,
          `make the left's last dim equal the right's first (${k})`,
        );
      const out: number[] = [];
      if (a.length === 2) out.push(n);
      if (b.length === 2) out.push(p);
      return out;
    }
    const m = a[a.length - 1];
    const k = b.length === 1 ? b[0] : b[b.length - 2];
    if (m !== k) throw new UnknownShape(`batched matmul of ${shapeX(a)} and ${shapeX(b)}: the inner sizes differ`);
    const batch = broadcastShapes(a.length > 2 ? a.slice(0, -2) : [], b.length > 2 ? b.slice(0, -2) : [], 'matmul');
    return [...batch, ...(a.length > 1 ? [a[a.length - 2]] : []), ...(b.length > 1 ? [b[b.length - 1]] : [])];
  };

  const tensorBinary = (o: string, a: Value, b: Value, ctx: CallContext, inplace: boolean): Value => {
    const name = BINARY_NAMES[o] ?? o;
    const text = ctx.site ? `a ${o} b` : o;
    return op(
      ctx,
      name,
      [a, b],
      () => {
        const ta = a instanceof Tensor ? a : undefined;
        const tb = b instanceof Tensor ? b : undefined;
        for (const side of [a, b])
          if (!(side instanceof Tensor) && scalarData(side) === undefined)
            rt.raise('TypeError', `unsupported operand type(s) for ${o}: '${typeName(a)}' and '${typeName(b)}'`);
        if (o === '@') {
          if (!ta || !tb) rt.raise('TypeError', 'unsupported operand type(s) for @');
          return new Tensor(matmulShape(ta.shape, tb.shape), undefined, null);
        }
        const shape = ta && tb ? broadcastShapes(ta.shape, tb.shape, text) : (ta ?? tb)!.shape;
        if (inplace && ta && shape.join() !== ta.shape.join())
          throw new Refusal(
            `output with shape [${ta.shape.join(', ')}] doesn't match the broadcast shape [${shape.join(', ')}]`,
            `an in-place \`${o}=\` keeps the left side's shape ${shapeX(ta.shape)}, but the result would be ${shapeX(shape)}`,
            `write it out of place (x = x ${o} y), or give the right side a shape that broadcasts to ${shapeX(ta.shape)}`,
          );
        const da = ta ? ta.data : [scalarData(a)!];
        const db = tb ? tb.data : [scalarData(b)!];
        const data = da && db && shape.length <= 1 ? elementwiseData(o, da, db) : undefined;
        const intish =
          (ta ? ta.dtype === 'int' : typeof a === 'number') &&
          (tb ? tb.dtype === 'int' : typeof b === 'number') &&
          o !== '/';
        const rf = ta && tb ? mergeFields([ta, tb]) : (ta ?? tb)!.rf;
        return new Tensor(shape, data, rf, intish ? 'int' : 'float');
      },
      ta_preserving(a, b),
    );
  };
  const ta_preserving = (a: Value, b: Value): { preserving?: boolean } =>
    a instanceof Tensor && b instanceof Tensor ? {} : { preserving: true };

  const tensorCompare = (o: string, a: Value, b: Value, ctx: CallContext): Value =>
    op(
      ctx,
      'Compare',
      [a, b],
      () => {
        const ta = a instanceof Tensor ? a : undefined;
        const tb = b instanceof Tensor ? b : undefined;
        const shape = ta && tb ? broadcastShapes(ta.shape, tb.shape, `a ${o} b`) : (ta ?? tb)!.shape;
        return new Tensor(shape, undefined, null, 'bool');
      },
      { preserving: true },
    );

  const tensorUnary = (o: string, t: Tensor, ctx: CallContext): Value =>
    op(
      ctx,
      o === '-' ? 'Neg' : 'Not',
      [t],
      () => new Tensor(t.shape, t.data && o === '-' ? t.data.map((v) => -v) : undefined, t.rf, t.dtype),
      {
        preserving: true,
      },
    );

  /** x[...]: ints, slices, None and ... (advanced indexing with tensors or lists is not followed). */
  const tensorIndex = (t: Tensor, index: Value, ctx: CallContext): Value =>
    op(ctx, 'Index', [t, index instanceof Unknown ? index : null], () => {
      const items = index instanceof PyTuple ? [...index.items] : [index];
      const ell = items.findIndex((x) => x instanceof EllipsisValue);
      const consumes = items.filter((x) => x !== null && !(x instanceof EllipsisValue)).length;
      if (consumes > t.shape.length)
        rt.raise('IndexError', `too many indices for tensor of dimension ${t.shape.length}`);
      if (ell >= 0)
        items.splice(ell, 1, ...new Array<Value>(t.shape.length - consumes).fill(new PySlice(null, null, null)));
      const out: number[] = [];
      let d = 0;
      let data: number[] | undefined;
      for (const x of items) {
        if (x === null) {
          out.push(1);
          continue;
        }
        const size = t.shape[d];
        if (typeof x === 'number' || typeof x === 'boolean') {
          const i = numberOf(x);
          if (i < -size || i >= size)
            rt.raise('IndexError', `index ${i} is out of bounds for dimension ${d} with size ${size}`);
          if (t.data && t.shape.length === 1) data = [t.data[i < 0 ? i + size : i]];
          d++;
          continue;
        }
        if (x instanceof PySlice) {
          const part = rt.getitem(new PyList(Array.from({ length: size }, (_, i) => i)), x, {}) as PyList;
          out.push(part.items.length);
          if (t.data && t.shape.length === 1) data = (part.items as number[]).map((i) => t.data![i]);
          d++;
          continue;
        }
        throw new UnknownShape(`indexing with a ${typeName(x)} depends on values the lens does not compute`);
      }
      out.push(...t.shape.slice(d));
      return new Tensor(out, data, null, t.dtype);
    });

  // ---------------------------------------------------------------------------------------------------
  // Shape operations

  const viewShape = (t: Tensor, sizes: number[], what: string): number[] => {
    const n = prod(t.shape);
    const unknownAt = sizes.indexOf(-1);
    if (sizes.filter((s) => s === -1).length > 1)
      throw new Refusal(
        'only one dimension can be inferred',
        `${what} has more than one -1`,
        'use -1 for one dim only',
      );
    for (const s of sizes)
      if (s < -1)
        throw new Refusal(
          `invalid shape dimension ${s}`,
          `${what} has a negative size ${s}`,
          'use sizes ≥ 0 (and one -1)',
        );
    const known = prod(sizes.filter((s) => s !== -1));
    const fail = (): never => {
      throw new Refusal(
        `shape '[${sizes.join(', ')}]' is invalid for input of size ${n}`,
        `${what} asks for ${unknownAt >= 0 ? `a multiple of ${known}` : known} elements, but the tensor ${shapeX(t.shape)} has ${n}`,
        unknownAt >= 0
          ? `use sizes whose product divides ${n}`
          : `use sizes whose product is ${n} (for example [${t.shape[0]}, ${n / (t.shape[0] || 1)}] keeps the batch), or -1 for one dim`,
      );
    };
    if (unknownAt < 0) {
      if (known !== n) fail();
      return sizes;
    }
    if (known === 0 || n % known !== 0) fail();
    const out = [...sizes];
    out[unknownAt] = n / known;
    return out;
  };

  const view = (t: Tensor, args: Value[], ctx: CallContext, name: string): Value =>
    op(ctx, 'View', [t, ...args], () => {
      const sizes = sizesOf(args, name);
      if (name === 'view' && t.strided)
        throw new UnknownShape(
          `${name}() of a transposed or permuted tensor: PyTorch accepts it only for some strides (use .contiguous() or .reshape())`,
        );
      const shape = viewShape(t, sizes, `${name}(${sizes.join(', ')})`);
      return reshaped(shape, t, t.data);
    });

  const flatten = (
    t: Tensor,
    start: Value | undefined,
    end: Value | undefined,
    dfltStart: number,
    ctx: CallContext,
  ): Value =>
    op(ctx, 'Flatten', [t, start ?? null, end ?? null], () => {
      const o = flattenOutcome(t.shape, intArg(start, 'start_dim', dfltStart), intArg(end, 'end_dim', -1));
      return new Tensor(o.output, t.data, null, t.dtype);
    });

  const permute = (t: Tensor, dims: number[], what: string): Tensor => {
    if (dims.length !== t.shape.length)
      throw new Refusal(
        `permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = ${t.shape.length} is not equal to len(dims) = ${dims.length}`,
        `${what} lists ${dims.length} dims for a ${t.shape.length}-D tensor`,
        `list all ${t.shape.length} dims`,
      );
    const norm = dims.map((d) => normDim(d, t.shape.length, what));
    if (new Set(norm).size !== norm.length)
      throw new Refusal('permute(): duplicate dims are not allowed.', `${what} repeats a dim`, 'list each dim once');
    const out = new Tensor(
      norm.map((d) => t.shape[d]),
      undefined,
      null,
      t.dtype,
    );
    (out as { strided?: boolean }).strided = norm.some((d, i) => d !== i && t.shape[d] !== 1);
    return out;
  };

  const transpose = (t: Tensor, d0: number, d1: number): Tensor => {
    const n = t.shape.length;
    const a = normDim(d0, n, `transpose(${d0}, ${d1})`);
    const b = normDim(d1, n, `transpose(${d0}, ${d1})`);
    const dims = Array.from({ length: n }, (_, i) => (i === a ? b : i === b ? a : i));
    return permute(t, dims, `transpose(${d0}, ${d1})`);
  };

  const reduce = (t: Tensor, dimArg: Value | undefined, keepdim: Value | undefined, what: string): Tensor => {
    if (dimArg === undefined || dimArg === null)
      return new Tensor(keepdim === true ? t.shape.map(() => 1) : [], undefined, null, t.dtype);
    const dims = (dimArg instanceof PyTuple || dimArg instanceof PyList ? dimArg.items : [dimArg]).map((d) =>
      normDim(intArg(d, 'dim'), t.shape.length, `${what}(dim=${str(dimArg)})`),
    );
    const keep = keepdim === true;
    const out: number[] = [];
    t.shape.forEach((s, i) => {
      if (!dims.includes(i)) out.push(s);
      else if (keep) out.push(1);
    });
    return new Tensor(out, undefined, null, t.dtype);
  };

  const chunks = (t: Tensor, n: number, dimArg: number): PyTuple => {
    const dim = normDim(dimArg, t.shape.length, `chunk(${n}, dim=${dimArg})`);
    if (n <= 0)
      throw new Refusal(
        `chunk expects \`chunks\` to be greater than 0, got: ${n}`,
        'chunk needs at least one piece',
        'use chunks ≥ 1',
      );
    const size = t.shape[dim];
    const each = Math.ceil(size / n);
    const parts: Tensor[] = [];
    for (let start = 0; start < size; start += each) {
      const shape = [...t.shape];
      shape[dim] = Math.min(each, size - start);
      parts.push(new Tensor(shape, undefined, dim >= 2 ? null : t.rf, t.dtype));
    }
    return new PyTuple(parts);
  };

  const split = (t: Tensor, sizes: Value, dimArg: number): PyTuple => {
    const dim = normDim(dimArg, t.shape.length, `split(dim=${dimArg})`);
    const total = t.shape[dim];
    const parts: number[] = [];
    if (sizes instanceof PyList || sizes instanceof PyTuple) {
      const ls = sizes.items.map((s) => intArg(s, 'split size'));
      if (ls.reduce((a, b) => a + b, 0) !== total)
        throw new Refusal(
          `split_with_sizes expects split_sizes to sum exactly to ${total} (input tensor's size at dimension ${dim}), but got split_sizes=[${ls.join(', ')}]`,
          `the pieces ${ls.join(' + ')} do not add up to ${total}`,
          `use sizes that add up to ${total}`,
        );
      parts.push(...ls);
    } else {
      const each = intArg(sizes, 'split_size');
      if (each <= 0) throw new UnknownShape('split size must be positive');
      for (let s = 0; s < total; s += each) parts.push(Math.min(each, total - s));
    }
    return new PyTuple(
      parts.map((p) => {
        const shape = [...t.shape];
        shape[dim] = p;
        return new Tensor(shape, undefined, dim >= 2 ? null : t.rf, t.dtype);
      }),
    );
  };

  const catOp = (tensorsArg: Value, dimArg: Value | undefined, ctx: CallContext, name: string): Value => {
    const items = rt.iterate(tensorsArg);
    if (items instanceof Unknown) return op(ctx, 'Cat', [items], () => items);
    const extra: { formula?: string[] } = {};
    return op(
      ctx,
      name === 'stack' ? 'Stack' : 'Cat',
      items,
      () => {
        if (items.length === 0)
          throw new Refusal(
            `torch.${name}(): expected a non-empty list of Tensors`,
            `torch.${name} of an empty list`,
            'give it at least one tensor',
          );
        for (const x of items)
          if (!(x instanceof Tensor))
            rt.raise('TypeError', `expected Tensor as element in argument 0, but got ${typeName(x)}`);
        const ts = items as Tensor[];
        const dim = intArg(dimArg, 'dim', 0);
        if (name === 'stack') {
          for (const x of ts)
            if (x.shape.join() !== ts[0].shape.join())
              throw new Refusal(
                `stack expects each tensor to be equal size, but got [${ts[0].shape.join(', ')}] at entry 0 and [${x.shape.join(', ')}] at entry ${ts.indexOf(x)}`,
                'torch.stack needs tensors of the same shape',
                `give every tensor the shape ${shapeX(ts[0].shape)}`,
              );
          const d = normDim(dim, ts[0].shape.length + 1, `torch.stack(dim=${dim})`);
          const shape = [...ts[0].shape];
          shape.splice(d, 0, ts.length);
          return new Tensor(shape, undefined, null, ts[0].dtype);
        }
        const o = concatenate(
          ts.map((x) => x.shape),
          dim,
        );
        extra.formula = o.formula;
        const data = ts.every((x) => x.data) && ts[0].shape.length === 1 ? ts.flatMap((x) => [...x.data!]) : undefined;
        return new Tensor(o.output, data, mergeFields(ts), ts[0].dtype);
      },
      extra,
    );
  };

  const padOp = (t: Tensor, pad: Value, mode: Value | undefined): Tensor => {
    const items = rt.iterate(pad);
    if (items instanceof Unknown) throw new UnknownShape(`pad is unknown: ${items.reason}`);
    const p = items.map((v, i) => intArg(v, `pad[${i}]`));
    if (p.length % 2 !== 0)
      throw new Refusal(
        'Padding length must be divisible by 2',
        'F.pad takes (left, right, top, bottom, …) pairs',
        'give an even number of pad sizes',
      );
    if (p.length / 2 > t.shape.length)
      throw new Refusal(
        'Padding length too large',
        `F.pad pads ${p.length / 2} dims of a ${t.shape.length}-D tensor`,
        'pad at most every dim',
      );
    const out = [...t.shape];
    for (let i = 0; i < p.length / 2; i++) {
      const dim = t.shape.length - 1 - i;
      out[dim] = t.shape[dim] + p[2 * i] + p[2 * i + 1];
      if (out[dim] < 0) throw new UnknownShape('negative padding below zero size is not followed');
      if (mode === 'reflect' && (p[2 * i] >= t.shape[dim] || p[2 * i + 1] >= t.shape[dim]))
        throw new UnknownShape(
          `reflect padding ${p[2 * i]}, ${p[2 * i + 1]} on size ${t.shape[dim]}: PyTorch's error here is not modelled`,
        );
    }
    return new Tensor(out, undefined, t.rf, t.dtype);
  };

  const creation = (what: string, args: Value[], kwargs: Map<string, Value>): Value => {
    try {
      const sizeArg = kwargs.get('size');
      const shape = sizesOf(sizeArg !== undefined ? [sizeArg] : args, what);
      if (shape.some((s) => s < 0)) throw new UnknownShape(`${what} with a negative size`);
      const dtype = kwargs.get('dtype');
      const isInt = typeof dtype === 'string' && /int|long/.test(dtype);
      const fill = what === 'zeros' ? 0 : what === 'ones' ? 1 : undefined;
      const n = prod(shape);
      return new Tensor(
        shape,
        fill !== undefined && n <= 64 ? new Array(n).fill(fill) : undefined,
        null,
        isInt ? 'int' : 'float',
      );
    } catch (e) {
      if (e instanceof UnknownShape) return new Unknown(e.message);
      throw e;
    }
  };

  const tensorFromData = (data: Value, kwargs: Map<string, Value>): Value => {
    const u = unknownIn([data]);
    if (u) return u;
    if (data instanceof Tensor) return data;
    const shape: number[] = [];
    const flat: number[] = [];
    let isFloat = false;
    const walk = (v: Value, depth: number): boolean => {
      if (v instanceof PyList || v instanceof PyTuple) {
        if (shape.length === depth) shape.push(v.items.length);
        else if (shape[depth] !== v.items.length) return false;
        return v.items.every((x) => walk(x, depth + 1));
      }
      if (v instanceof Tensor && v.data && v.shape.length <= 1) {
        flat.push(...v.data);
        if (v.dtype === 'float') isFloat = true;
        return shape.length === depth || v.shape.length === 0;
      }
      const x = scalarData(v);
      if (x === undefined) return false;
      if (v instanceof PyFloat) isFloat = true;
      flat.push(x);
      return true;
    };
    if (!walk(data, 0)) return new Unknown('torch.tensor of data the lens does not read');
    const dtype = kwargs.get('dtype');
    const isInt = typeof dtype === 'string' ? /int|long/.test(dtype) : !isFloat;
    return new Tensor(shape, flat.length <= 64 ? flat : undefined, null, isInt ? 'int' : 'float');
  };

  // ---------------------------------------------------------------------------------------------------
  // Functional forms shared by torch.*, F.* and tensor methods

  const elementwise = (name: string, label: string) =>
    fn(name, ([x, ...rest], kwargs, ctx) =>
      op(
        ctx,
        label,
        [x],
        () => {
          if (!(x instanceof Tensor))
            rt.raise('TypeError', `${name}(): argument 'input' must be Tensor, not ${typeName(x)}`);
          if (
            (name === 'softmax' || name === 'log_softmax' || name === 'softmin') &&
            (rest[0] ?? kwargs.get('dim')) !== undefined
          ) {
            const d = rest[0] ?? kwargs.get('dim')!;
            if (d !== null) checkDim(intArg(d, 'dim'), x.shape.length, `${name}(dim=${str(d)})`);
          }
          const other = rest[0];
          if (name === 'pow' && other instanceof Tensor)
            return new Tensor(broadcastShapes(x.shape, other.shape, 'pow'), undefined, null, x.dtype);
          return new Tensor(x.shape, undefined, x.rf, x.dtype);
        },
        { preserving: true },
      ),
    );

  const windowed = (name: string) => {
    const [layer, names] = FUNCTIONAL_WINDOWED[name];
    return fn(name, ([x, ...rest], kwargs, ctx) => {
      let args: Map<string, Literal> | undefined;
      let problem: string | undefined;
      try {
        args = literals(bindArgs(`F.${name}`, names, rest, kwargs));
      } catch (e) {
        if (!(e instanceof UnknownShape)) throw e;
        problem = e.message;
      }
      const extra: { args?: ReadonlyMap<string, Literal>; formula?: string[] } = args ? { args } : {};
      return op(
        ctx,
        layer,
        [x],
        () => {
          if (problem) throw new UnknownShape(problem);
          if (!(x instanceof Tensor))
            rt.raise('TypeError', `${name}(): argument 'input' must be Tensor, not ${typeName(x)}`);
          const o = layerOutcome(layer, args!, [x.shape], trace()?.modelInputs.has(x) ?? false);
          extra.formula = o.formula;
          const out = fromOutcome(x, o);
          return o.withIndices ? new PyTuple([out, new Tensor(o.output, undefined, null, 'int')]) : out;
        },
        extra,
      );
    });
  };

  const interpolate = (name: string) =>
    fn(name, ([x, ...rest], kwargs, ctx) => {
      const extra: { formula?: string[] } = {};
      return op(
        ctx,
        'Upsample',
        [x],
        () => {
          if (!(x instanceof Tensor)) rt.raise('TypeError', `${name}(): argument 'input' must be Tensor`);
          const a = bindArgs(
            `F.${name}`,
            ['size', 'scale_factor', 'mode', 'align_corners', 'recompute_scale_factor', 'antialias'],
            rest,
            kwargs,
          );
          const o = upsampleOutcome(
            x.shape,
            a.has('size') ? literal(a.get('size')!, 'size') : undefined,
            a.has('scale_factor') ? literal(a.get('scale_factor')!, 'scale_factor') : undefined,
          );
          extra.formula = o.formula;
          return fromOutcome(x, o);
        },
        extra,
      );
    });

  const loss = (name: string) =>
    fn(name, ([x, y], kwargs, ctx) =>
      op(ctx, 'Loss', [x, y ?? null], () => {
        if (!(x instanceof Tensor)) rt.raise('TypeError', `${name}(): argument 'input' must be Tensor`);
        return kwargs.get('reduction') === 'none'
          ? new Tensor(x.shape, undefined, null)
          : new Tensor([], undefined, null);
      }),
    );

  const notFollowed = (what: string) =>
    fn(what, (args, _kw, ctx) => {
      const u = new Unknown(`${what} is not followed by the lens`);
      return op(ctx, what.replace(/^.*\./, ''), args, () => u);
    });

  // ---------------------------------------------------------------------------------------------------
  // Tensor methods

  const tensorMethod = (t: Tensor, name: string): Value | undefined => {
    const m = (f: NativeFn): Value =>
      new BoundMethod(
        t,
        fn(name, (args, kwargs, ctx) => f(args.slice(1), kwargs, ctx)),
      );
    const elem = ELEMENTWISE[name] ?? ELEMENTWISE[name.replace(/_$/, '')];
    switch (name) {
      case 'size':
        return m(([d]) => {
          if (d === undefined || d === null) return new PyTuple([...t.shape]);
          const i = intArg(d, 'dim');
          return t.shape[normDim(i, t.shape.length, `size(${i})`)];
        });
      case 'dim':
      case 'ndimension':
        return m(() => t.shape.length);
      case 'numel':
      case 'nelement':
        return m(() => prod(t.shape));
      case 'view':
      case 'reshape':
        return m((args, _kw, ctx) => view(t, args, ctx, name));
      case 'view_as':
      case 'reshape_as':
        return m(([o], _kw, ctx) =>
          o instanceof Tensor
            ? view(t, [new PyTuple([...o.shape])], ctx, name.slice(0, -3))
            : new Unknown(`${name} of a non-tensor`),
        );
      case 'flatten':
        return m(([s, e], kwargs, ctx) => flatten(t, s ?? kwargs.get('start_dim'), e ?? kwargs.get('end_dim'), 0, ctx));
      case 'unflatten':
        return m(([d, sizes], _kw, ctx) =>
          op(ctx, 'Unflatten', [t], () => {
            const o = layerOutcome(
              'Unflatten',
              new Map<string, Literal>([
                ['dim', literal(d, 'dim')],
                ['unflattened_size', literal(sizes, 'sizes')],
              ]),
              [t.shape],
              false,
            );
            return new Tensor(o.output, undefined, null, t.dtype);
          }),
        );
      case 'squeeze':
        return m(([d], kwargs, ctx) =>
          op(ctx, 'Squeeze', [t], () => {
            const dim = d ?? kwargs.get('dim');
            if (dim === undefined || dim === null)
              return new Tensor(
                t.shape.filter((s) => s !== 1),
                t.data,
                null,
                t.dtype,
              );
            const i = normDim(intArg(dim, 'dim'), t.shape.length, `squeeze(${str(dim)})`);
            return new Tensor(t.shape[i] === 1 ? t.shape.filter((_, k) => k !== i) : t.shape, t.data, null, t.dtype);
          }),
        );
      case 'unsqueeze':
        return m(([d], kwargs, ctx) =>
          op(ctx, 'Unsqueeze', [t], () => {
            const i = normDim(
              intArg(d ?? kwargs.get('dim'), 'dim'),
              t.shape.length + 1,
              `unsqueeze(${str(d ?? null)})`,
            );
            const shape = [...t.shape];
            shape.splice(i, 0, 1);
            return new Tensor(shape, t.data, null, t.dtype);
          }),
        );
      case 'permute':
        return m((args, _kw, ctx) =>
          op(ctx, 'Permute', [t], () => permute(t, sizesOf(args, 'permute'), `permute(${args.map(str).join(', ')})`)),
        );
      case 'transpose':
        return m(([a, b], _kw, ctx) =>
          op(ctx, 'Transpose', [t], () => transpose(t, intArg(a, 'dim0'), intArg(b, 'dim1'))),
        );
      case 't':
        return m((_a, _kw, ctx) => op(ctx, 'Transpose', [t], () => (t.shape.length < 2 ? t : transpose(t, 0, 1))));
      case 'contiguous':
      case 'clone':
      case 'detach':
        return m((_a, _kw, ctx) =>
          op(ctx, elem, [t], () => new Tensor(t.shape, t.data, t.rf, t.dtype), { preserving: true }),
        );
      case 'to':
      case 'cuda':
      case 'cpu':
      case 'float':
      case 'double':
      case 'half':
      case 'type_as':
      case 'requires_grad_':
      case 'pin_memory':
        return m(() => t);
      case 'long':
      case 'int':
        return m(() => new Tensor(t.shape, t.data?.map(Math.trunc), t.rf, 'int'));
      case 'bool':
        return m(
          () =>
            new Tensor(
              t.shape,
              t.data?.map((v) => (v ? 1 : 0)),
              t.rf,
              'bool',
            ),
        );
      case 'type':
        return m(([d]) => (d === undefined ? 'torch.FloatTensor' : t));
      case 'item':
        return m(() => {
          if (prod(t.shape) !== 1)
            rt.raise('ValueError', 'only one element tensors can be converted to Python scalars');
          if (!t.data) return new Unknown('the value of a tensor is not computed by the lens');
          return t.dtype === 'int' ? t.data[0] : new PyFloat(t.data[0]);
        });
      case 'tolist':
        return m(() =>
          t.data && t.shape.length <= 1
            ? t.shape.length === 0
              ? t.data[0]
              : new PyList([...t.data])
            : new Unknown('tensor values are not computed'),
        );
      case 'max':
      case 'min':
        return m(([d, k], kwargs, ctx) => {
          const other = d instanceof Tensor ? d : undefined;
          if (other) return tensorBinary('+', t, other, ctx, false);
          const dim = d ?? kwargs.get('dim');
          return op(ctx, name === 'max' ? 'Max' : 'Min', [t], () => {
            const r = reduce(t, dim, k ?? kwargs.get('keepdim'), name);
            return dim === undefined ? r : new PyTuple([r, new Tensor(r.shape, undefined, null, 'int')]);
          });
        });
      case 'argmax':
      case 'argmin':
        return m(([d, k], kwargs, ctx) =>
          op(ctx, 'ArgMax', [t], () => {
            const r = reduce(t, d ?? kwargs.get('dim'), k ?? kwargs.get('keepdim'), name);
            return new Tensor(r.shape, undefined, null, 'int');
          }),
        );
      case 'chunk':
        return m(([n, d], kwargs, ctx) =>
          op(ctx, 'Chunk', [t], () => chunks(t, intArg(n, 'chunks'), intArg(d ?? kwargs.get('dim'), 'dim', 0))),
        );
      case 'split':
        return m(([s, d], kwargs, ctx) =>
          op(ctx, 'Split', [t], () =>
            split(t, s ?? kwargs.get('split_size') ?? null, intArg(d ?? kwargs.get('dim'), 'dim', 0)),
          ),
        );
      case 'unbind':
        return m(([d], kwargs, ctx) =>
          op(ctx, 'Unbind', [t], () => {
            const dim = normDim(intArg(d ?? kwargs.get('dim'), 'dim', 0), t.shape.length, 'unbind');
            return new PyTuple(
              Array.from(
                { length: t.shape[dim] },
                () =>
                  new Tensor(
                    t.shape.filter((_, i) => i !== dim),
                    undefined,
                    null,
                    t.dtype,
                  ),
              ),
            );
          }),
        );
      case 'narrow':
        return m(([d, s, l], _kw, ctx) =>
          op(ctx, 'Narrow', [t], () => {
            const dim = normDim(intArg(d, 'dim'), t.shape.length, 'narrow');
            const shape = [...t.shape];
            shape[dim] = intArg(l, 'length');
            if (intArg(s, 'start') + shape[dim] > t.shape[dim])
              throw new UnknownShape('narrow past the end is not followed');
            return new Tensor(shape, undefined, null, t.dtype);
          }),
        );
      case 'expand':
        return m((args, _kw, ctx) =>
          op(ctx, 'Expand', [t], () => {
            const sizes = sizesOf(args, 'expand');
            const lead = sizes.length - t.shape.length;
            if (lead < 0) throw new UnknownShape('expand to fewer dims');
            return new Tensor(
              sizes.map((s, i) => (s === -1 ? t.shape[i - lead] : s)),
              undefined,
              null,
              t.dtype,
            );
          }),
        );
      case 'expand_as':
        return m(([o], _kw, ctx) =>
          op(ctx, 'Expand', [t, o], () => new Tensor((o as Tensor).shape, undefined, null, t.dtype)),
        );
      case 'repeat':
        return m((args, _kw, ctx) =>
          op(ctx, 'Repeat', [t], () => {
            const reps = sizesOf(args, 'repeat');
            if (reps.length < t.shape.length)
              throw new Refusal(
                'Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor',
                'repeat needs one count per dim',
                `give at least ${t.shape.length} counts`,
              );
            const shape = [...new Array<number>(reps.length - t.shape.length).fill(1), ...t.shape];
            return new Tensor(
              shape.map((s, i) => s * reps[i]),
              undefined,
              null,
              t.dtype,
            );
          }),
        );
      case 'matmul':
      case 'mm':
      case 'bmm':
        return m(([o], _kw, ctx) => tensorBinary('@', t, o, ctx, false));
      case 'add':
      case 'sub':
      case 'mul':
      case 'div':
      case 'add_':
      case 'sub_':
      case 'mul_':
      case 'div_':
      case 'true_divide':
      case 'floor_divide':
      case 'remainder': {
        const sym: Record<string, string> = {
          add: '+',
          sub: '-',
          mul: '*',
          div: '/',
          true_divide: '/',
          floor_divide: '//',
          remainder: '%',
        };
        return m(([o], _kw, ctx) => tensorBinary(sym[name.replace(/_$/, '')], t, o, ctx, name.endsWith('_')));
      }
      case 'eq':
      case 'ne':
      case 'gt':
      case 'lt':
      case 'ge':
      case 'le':
        return m(([o], _kw, ctx) => tensorCompare(name, t, o, ctx));
      case 'fill_':
      case 'zero_':
      case 'normal_':
      case 'uniform_':
      case 'copy_':
      case 'data_ptr':
        return m(() => t);
      case 'new_zeros':
      case 'new_ones':
      case 'new_empty':
      case 'new_full':
        return m((args, kwargs) => creation(name.slice(4), name === 'new_full' ? args.slice(0, 1) : args, kwargs));
      case 'masked_fill':
      case 'masked_fill_':
        return m((_a, _kw, ctx) =>
          op(ctx, 'MaskedFill', [t], () => new Tensor(t.shape, undefined, t.rf, t.dtype), { preserving: true }),
        );
      case 'is_contiguous':
        return m(() => !t.strided);
      case 'numpy':
        return m(() => new Unknown('numpy arrays are not followed'));
    }
    if (REDUCTIONS.has(name))
      return m(([d, k], kwargs, ctx) =>
        op(ctx, name[0].toUpperCase() + name.slice(1), [t], () =>
          reduce(t, d ?? kwargs.get('dim'), k ?? kwargs.get('keepdim'), name),
        ),
      );
    if (elem)
      return new BoundMethod(
        t,
        fn(name, (args, kwargs, ctx) => elementwise(name.replace(/_$/, ''), elem).fn(args, kwargs, ctx)),
      );
    if (name === 'softmax' || name === 'log_softmax')
      return new BoundMethod(t, elementwise(name, name === 'softmax' ? 'Softmax' : 'LogSoftmax'));
    return new BoundMethod(t, notFollowed(`Tensor.${name}`));
  };

  const tensorAttribute = (t: Tensor, name: string): Value | undefined => {
    switch (name) {
      case 'shape':
        return new PyTuple([...t.shape]);
      case 'ndim':
        return t.shape.length;
      case 'data':
        return t;
      case 'T':
        return t.shape.length < 2 ? t : new Tensor([...t.shape].reverse(), undefined, null, t.dtype);
      case 'dtype':
        return t.dtype === 'int' ? 'torch.int64' : t.dtype === 'bool' ? 'torch.bool' : 'torch.float32';
      case 'device':
        return new Unknown('the device is only known at run time');
      case 'is_cuda':
        return new Unknown('whether the tensor is on a GPU is only known at run time');
      case 'requires_grad':
      case 'is_sparse':
        return false;
      case 'grad':
      case 'grad_fn':
        return null;
    }
    return tensorMethod(t, name);
  };

  // ---------------------------------------------------------------------------------------------------
  // Namespaces

  const F = new Map<string, Value>();
  for (const [k, label] of Object.entries(ELEMENTWISE)) F.set(k, elementwise(k, label));
  for (const k of Object.keys(FUNCTIONAL_WINDOWED)) F.set(k, windowed(k));
  for (const k of ['interpolate', 'upsample', 'upsample_nearest', 'upsample_bilinear']) F.set(k, interpolate(k));
  for (const k of LOSSES) F.set(k, loss(k));
  F.set('softmax', elementwise('softmax', 'Softmax'));
  F.set('log_softmax', elementwise('log_softmax', 'LogSoftmax'));
  F.set('softmin', elementwise('softmin', 'Softmin'));
  F.set(
    'pad',
    fn('pad', ([x, pad, mode, value], kwargs, ctx) =>
      op(ctx, 'Pad', [x, pad ?? kwargs.get('pad') ?? null], () => {
        if (!(x instanceof Tensor)) rt.raise('TypeError', 'pad(): argument input must be Tensor');
        void value;
        return padOp(x, pad ?? kwargs.get('pad')!, mode ?? kwargs.get('mode'));
      }),
    ),
  );
  F.set(
    'pixel_shuffle',
    fn('pixel_shuffle', ([x, r], kwargs, ctx) =>
      op(ctx, 'PixelShuffle', [x], () =>
        fromOutcome(
          x as Tensor,
          pixelShuffleOutcome((x as Tensor).shape, intArg(r ?? kwargs.get('upscale_factor'), 'upscale_factor'), true),
        ),
      ),
    ),
  );
  F.set(
    'pixel_unshuffle',
    fn('pixel_unshuffle', ([x, r], kwargs, ctx) =>
      op(ctx, 'PixelUnshuffle', [x], () =>
        fromOutcome(
          x as Tensor,
          pixelShuffleOutcome(
            (x as Tensor).shape,
            intArg(r ?? kwargs.get('downscale_factor'), 'downscale_factor'),
            false,
          ),
        ),
      ),
    ),
  );
  F.set(
    'linear',
    fn('linear', ([x, w, b], _kw, ctx) =>
      op(ctx, 'Linear', [x, w], () => {
        const t = x as Tensor;
        const weight = w as Tensor;
        if (!(weight instanceof Tensor) || weight.shape.length !== 2)
          throw new UnknownShape('F.linear with a weight that is not a 2-D tensor');
        void b;
        return new Tensor([...t.shape.slice(0, -1), weight.shape[0]], undefined, null);
      }),
    ),
  );
  for (const n of [1, 2, 3])
    F.set(
      `conv${n}d`,
      fn(`conv${n}d`, ([x, w, b, ...rest], kwargs, ctx) =>
        op(ctx, `Conv${n}d`, [x, w], () => {
          const a = bindArgs(
            `F.conv${n}d`,
            ['stride', 'padding', 'dilation', 'groups'],
            rest,
            new Map([...kwargs].filter(([k]) => k !== 'bias')),
          );
          const g = convGeometry({
            rank: n as 1 | 2 | 3,
            inputShape: (x as Tensor).shape,
            weightShape: (w as Tensor).shape,
            biasShape: b instanceof Tensor ? b.shape : null,
            stride: a.has('stride') ? literal(a.get('stride')!, 'stride') : undefined,
            padding: a.has('padding') ? literal(a.get('padding')!, 'padding') : undefined,
            dilation: a.has('dilation') ? literal(a.get('dilation')!, 'dilation') : undefined,
            groups: a.has('groups') ? intArg(a.get('groups'), 'groups') : 1,
          });
          return new Tensor([...g.outputShape], undefined, null);
        }),
      ),
    );
  F.set(
    'glu',
    fn('glu', ([x, d], _kw, ctx) =>
      op(ctx, 'GLU', [x], () => {
        const t = x as Tensor;
        const dim = normDim(intArg(d, 'dim', -1), t.shape.length, 'glu');
        const shape = [...t.shape];
        shape[dim] = shape[dim] / 2;
        return new Tensor(shape, undefined, t.rf);
      }),
    ),
  );
  const functional = new Namespace('torch.nn.functional', F, (n) => notFollowed(`F.${n}`));

  const initNS = new Namespace(
    'torch.nn.init',
    new Map([['calculate_gain', fn('calculate_gain', () => new Unknown('a gain'))]]),
    (n) => fn(n, () => null),
  );

  const nnAttrs = new Map<string, Value>([
    ['Module', moduleClass],
    ['Sequential', sequentialClass],
    ['ModuleList', moduleListClass],
    ['ModuleDict', moduleDictClass],
    ['Parameter', fn('Parameter', ([t]) => t ?? new Unknown('an empty parameter'))],
    ['functional', functional],
    ['init', initNS],
    ['parallel', new Namespace('torch.nn.parallel', new Map(), (n) => notFollowed(`nn.parallel.${n}`))],
    [
      'utils',
      new Namespace(
        'torch.nn.utils',
        new Map<string, Value>([
          ['spectral_norm', fn('spectral_norm', ([m]) => m)],
          ['weight_norm', fn('weight_norm', ([m]) => m)],
        ]),
        (n) => new Unknown(`nn.utils.${n} is not followed`),
      ),
    ],
  ]);
  for (const [k, v] of layerClasses) nnAttrs.set(k, v);
  const nn = new Namespace('torch.nn', nnAttrs, (n) => (/^[A-Z]/.test(n) ? layerClass(n) : undefined));
  nnAttrs.set('modules', nn);

  const torchAttrs = new Map<string, Value>([
    ['nn', nn],
    ['Tensor', tensorClass],
    ['FloatTensor', tensorClass],
    ['LongTensor', tensorClass],
    ['Size', py.typeClasses.get('tuple')!],
    ['is_tensor', fn('is_tensor', ([x]) => x instanceof Tensor)],
    ['numel', fn('numel', ([x]) => (x instanceof Tensor ? prod(x.shape) : new Unknown('numel')))],
    ['tensor', fn('tensor', ([d], kwargs) => tensorFromData(d, kwargs))],
    ['as_tensor', fn('as_tensor', ([d], kwargs) => tensorFromData(d, kwargs))],
    [
      'cat',
      fn('cat', ([ts, d], kwargs, ctx) => catOp(ts ?? kwargs.get('tensors')!, d ?? kwargs.get('dim'), ctx, 'cat')),
    ],
    [
      'concat',
      fn('concat', ([ts, d], kwargs, ctx) => catOp(ts ?? kwargs.get('tensors')!, d ?? kwargs.get('dim'), ctx, 'cat')),
    ],
    [
      'concatenate',
      fn('concatenate', ([ts, d], kwargs, ctx) =>
        catOp(ts ?? kwargs.get('tensors')!, d ?? kwargs.get('dim') ?? kwargs.get('axis'), ctx, 'cat'),
      ),
    ],
    [
      'stack',
      fn('stack', ([ts, d], kwargs, ctx) => catOp(ts ?? kwargs.get('tensors')!, d ?? kwargs.get('dim'), ctx, 'stack')),
    ],
    [
      'flatten',
      fn('flatten', ([x, s, e], kwargs, ctx) =>
        x instanceof Tensor
          ? flatten(x, s ?? kwargs.get('start_dim'), e ?? kwargs.get('end_dim'), 0, ctx)
          : op(ctx, 'Flatten', [x], () => new Unknown('flatten of a non-tensor')),
      ),
    ],
    ['matmul', fn('matmul', ([a, b], _kw, ctx) => tensorBinary('@', a, b, ctx, false))],
    ['mm', fn('mm', ([a, b], _kw, ctx) => tensorBinary('@', a, b, ctx, false))],
    ['bmm', fn('bmm', ([a, b], _kw, ctx) => tensorBinary('@', a, b, ctx, false))],
    [
      'where',
      fn('where', ([c, a, b], _kw, ctx) =>
        op(ctx, 'Where', [c, a, b], () => {
          const shapes = [c, a, b].filter(isTensor).map((t) => t.shape);
          return new Tensor(
            shapes.reduce((s, x) => broadcastShapes(s, x, 'torch.where'), [] as number[]),
            undefined,
            null,
          );
        }),
      ),
    ],
    ['no_grad', fn('no_grad', () => null)],
    ['enable_grad', fn('enable_grad', () => null)],
    ['inference_mode', fn('inference_mode', () => null)],
    ['set_grad_enabled', fn('set_grad_enabled', () => null)],
    ['manual_seed', fn('manual_seed', () => null)],
    ['device', fn('device', ([d]) => (typeof d === 'string' ? d : new Unknown('a device')))],
    ['load', fn('load', () => new Unknown('a value loaded from a file'))],
    ['save', fn('save', () => null)],
    ['from_numpy', fn('from_numpy', () => new Unknown('a NumPy array is not followed'))],
  ]);
  for (const k of ['zeros', 'ones', 'empty', 'rand', 'randn', 'full'])
    torchAttrs.set(
      k,
      fn(k, (args, kwargs) => creation(k, k === 'full' ? args.slice(0, 1) : args, kwargs)),
    );
  for (const k of ['zeros_like', 'ones_like', 'empty_like', 'rand_like', 'randn_like', 'full_like'])
    torchAttrs.set(
      k,
      fn(k, ([x]) =>
        x instanceof Tensor
          ? new Tensor(x.shape, undefined, x.rf, x.dtype)
          : x instanceof Unknown
            ? x
            : new Unknown(`${k} of a non-tensor`),
      ),
    );
  torchAttrs.set(
    'arange',
    fn('arange', (args) => {
      const xs = args.map((a) => scalarData(a));
      if (xs.some((x) => x === undefined)) return new Unknown('torch.arange with unknown bounds');
      const [start, end, step] = xs.length === 1 ? [0, xs[0]!, 1] : [xs[0]!, xs[1]!, xs[2] ?? 1];
      const n = Math.max(0, Math.ceil((end - start) / step));
      return new Tensor(
        [n],
        n <= 64 ? Array.from({ length: n }, (_, i) => start + i * step) : undefined,
        null,
        args.every((a) => typeof a === 'number') ? 'int' : 'float',
      );
    }),
  );
  for (const [k, label] of Object.entries(ELEMENTWISE))
    if (!torchAttrs.has(k)) torchAttrs.set(k, elementwise(k, label));
  torchAttrs.set('softmax', elementwise('softmax', 'Softmax'));
  torchAttrs.set('log_softmax', elementwise('log_softmax', 'LogSoftmax'));
  const method1 = (name: string) =>
    fn(name, ([x, ...rest], kwargs, ctx) => {
      if (x instanceof Unknown) return op(ctx, name, [x], () => x);
      if (!(x instanceof Tensor))
        rt.raise('TypeError', `${name}(): argument 'input' must be Tensor, not ${typeName(x)}`);
      return rt.call(tensorMethod(x, name)!, rest, kwargs, ctx);
    });
  for (const k of [
    'transpose',
    'permute',
    'reshape',
    'squeeze',
    'unsqueeze',
    'chunk',
    'split',
    'narrow',
    'unbind',
    'add',
    'sub',
    'mul',
    'div',
    'true_divide',
    'max',
    'min',
    'argmax',
    'argmin',
    'eq',
    'gt',
    'lt',
    'ge',
    'le',
    'ne',
    't',
    'masked_fill',
    ...REDUCTIONS,
  ])
    torchAttrs.set(k, method1(k));
  const jit = new Namespace(
    'torch.jit',
    new Map<string, Value>([
      ['is_scripting', fn('is_scripting', () => false)],
      ['is_tracing', fn('is_tracing', () => false)],
      ['annotate', fn('annotate', ([, v]) => v)],
      ['unused', fn('unused', ([f]) => f)],
      [
        'ignore',
        fn('ignore', ([f]) =>
          f instanceof Builtin || f instanceof PyClass || typeof f !== 'object' ? fn('ignore', ([g]) => g) : f,
        ),
      ],
      ['export', fn('export', ([f]) => f)],
      ['script', fn('script', ([f]) => f)],
      ['Final', objectClass],
    ]),
    () => fn('jit', ([f]) => f),
  );
  const cudnn = new Namespace(
    'torch.backends.cudnn',
    new Map<string, Value>([
      ['benchmark', false],
      ['deterministic', false],
    ]),
  );
  const cuda = new Namespace(
    'torch.cuda',
    new Map<string, Value>([
      ['is_available', fn('is_available', () => new Unknown('whether CUDA is available is only known at run time'))],
      ['device_count', fn('device_count', () => new Unknown('the number of GPUs is only known at run time'))],
      ['manual_seed', fn('manual_seed', () => null)],
      ['manual_seed_all', fn('manual_seed_all', () => null)],
      ['FloatTensor', tensorClass],
    ]),
    (n) => new Unknown(`torch.cuda.${n} is only known at run time`),
  );
  const checkpoint = new Namespace(
    'torch.utils.checkpoint',
    new Map<string, Value>([
      [
        'checkpoint',
        fn('checkpoint', ([f, ...args], kwargs, ctx) =>
          rt.call(f, args, new Map([...kwargs].filter(([k]) => k !== 'use_reentrant')), ctx),
        ),
      ],
    ]),
  );
  const data = new Namespace('torch.utils.data', new Map(), (n) =>
    fn(n, () => new Unknown(`torch.utils.data.${n}: data is only known at run time`)),
  );
  const modelZoo = new Namespace(
    'torch.utils.model_zoo',
    new Map<string, Value>([['load_url', fn('load_url', () => new Unknown('weights downloaded at run time'))]]),
  );
  const hub = new Namespace(
    'torch.hub',
    new Map<string, Value>([
      ['load_state_dict_from_url', fn('load_state_dict_from_url', () => new Unknown('weights downloaded at run time'))],
    ]),
    (n) => new Unknown(`torch.hub.${n}`),
  );
  const utils = new Namespace(
    'torch.utils',
    new Map<string, Value>([
      ['checkpoint', checkpoint],
      ['data', data],
      ['model_zoo', modelZoo],
    ]),
    (n) => new Unknown(`torch.utils.${n} is not followed`),
  );
  const autograd = new Namespace(
    'torch.autograd',
    new Map<string, Value>([['Variable', fn('Variable', ([t]) => t ?? new Unknown('a Variable'))]]),
    (n) => new Unknown(`torch.autograd.${n} is not followed`),
  );
  const backends = new Namespace(
    'torch.backends',
    new Map<string, Value>([['cudnn', cudnn]]),
    (n) => new Unknown(`torch.backends.${n} depends on the machine`),
  );
  torchAttrs.set('jit', jit);
  torchAttrs.set('cuda', cuda);
  torchAttrs.set('utils', utils);
  torchAttrs.set('autograd', autograd);
  torchAttrs.set('backends', backends);
  torchAttrs.set('hub', hub);
  for (const d of [
    'float32',
    'float',
    'float64',
    'double',
    'float16',
    'half',
    'bfloat16',
    'int64',
    'long',
    'int32',
    'int',
    'int8',
    'uint8',
    'bool',
  ])
    torchAttrs.set(d, `torch.${d}`);
  const torch = new Namespace('torch', torchAttrs, (n) => new Unknown(`torch.${n} is not followed`));

  const known = new Map<string, Value>([
    ['torch', torch],
    ['torch.nn', nn],
    ['torch.nn.functional', functional],
    ['torch.nn.init', initNS],
    ['torch.nn.modules', nn],
    ['torch.nn.parallel', nnAttrs.get('parallel')!],
    ['torch.nn.utils', nnAttrs.get('utils')!],
    ['torch.jit', jit],
    ['torch.cuda', cuda],
    ['torch.utils', utils],
    ['torch.utils.checkpoint', checkpoint],
    ['torch.utils.data', data],
    ['torch.utils.model_zoo', modelZoo],
    ['torch.hub', hub],
    ['torch.autograd', autograd],
    ['torch.backends', backends],
    ['torch.backends.cudnn', cudnn],
    ['torch.jit.annotations', py.modules.get('typing')!],
    ['torch.optim', new Namespace('torch.optim', new Map(), (n) => fn(n, () => new Unknown(`an optimizer (${n})`)))],
    [
      'torch.optim.lr_scheduler',
      new Namespace('torch.optim.lr_scheduler', new Map(), (n) => fn(n, () => new Unknown(`a scheduler (${n})`))),
    ],
  ]);
  for (const [k, v] of py.modules) known.set(k, v);

  const importModule = (name: string): Value => {
    const v = known.get(name);
    if (v !== undefined) return v;
    // torch.nn.modules.conv and the like
    if (name.startsWith('torch.nn.modules.')) return nn;
    const top = name.split('.')[0];
    if (top === 'torch') return new Unknown(`\`${name}\` is a part of PyTorch the lens does not model`);
    return new Unknown(`\`import ${name}\`: a package the lens does not read`);
  };

  // ---------------------------------------------------------------------------------------------------
  // The library

  const attribute = (obj: Value, name: string): Value | undefined => {
    if (obj instanceof Tensor) return tensorAttribute(obj, name);
    if (obj instanceof PyInstance) {
      const a = layerAttribute(obj, name);
      if (a !== undefined) return a;
      return undefined;
    }
    return py.methodOf(obj, name);
  };

  return {
    builtins: py.builtins,
    exceptions: py.exceptions,
    objectClass,
    moduleClass,
    tensorClass,
    namedModules: (root) => namedModules(root),
    importModule,
    attribute,
    tensorBinary,
    tensorUnary,
    tensorIndex,
    tensorCompare,
    nativeForward: (inst) =>
      rt.raise('NotImplementedError', `Module [${inst.cls.name}] is missing the required "forward" function`),
    nativeInit: () => undefined,
    nativeItems: (inst) => {
      const c = inst.cls.mro.find((k) => k.native?.container)?.native?.container;
      if (!c) return undefined;
      if (c === 'ModuleDict') return [...inst.module!.children.keys()];
      return containerItems(inst);
    },
  };
}
