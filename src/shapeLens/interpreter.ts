/* eslint-disable @typescript-eslint/only-throw-error -- the interpreter's signals (a Python exception, an unknown, a refusal) are not Errors: the lens re-runs on every keystroke, and capturing a stack trace per signal would cost more than the work */
/**
 * A small, bounded interpreter for the Python that model code is written in, evaluating on shapes instead
 * of numbers: module-level code, classes and inheritance, functions and closures, constructors that build
 * layers in loops and helpers, and `forward` as dataflow over tensors that carry only their shape.
 *
 * It never guesses. A value it cannot know (an import from another file, a value read from a file or the
 * command line, a branch on data) is an `Unknown` with the reason, and so is everything computed from it; a
 * branch on an unknown condition makes every name and attribute it assigns unknown (or, when it could return
 * or raise, the whole function's result). A step and depth budget stops `while True:` and runaway recursion.
 *
 * While a model runs, every module call and tensor operation is recorded with its shapes (`Trace`).
 *
 * Pure TypeScript: no `vscode`, no Node APIs.
 */
import type { CallArg, Expr, Param, Stmt } from './syntax';
import {
  BoundMethod,
  Builtin,
  ELLIPSIS,
  EllipsisValue,
  hashKey,
  MethodWrapper,
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
  Scope,
  str,
  SuperValue,
  Tensor,
  typeName,
  Unknown,
  type CallContext,
  type CodeChunk,
  type ReceptiveField,
  type SourceSite,
  type Value,
} from './values';
import type { Literal, Refusal } from './layerRules';

// ---------------------------------------------------------------------------------------------------------
// Signals (not Errors: they are part of normal operation, and stack traces cost)

/** A Python exception in flight. `refusal` is set when it is PyTorch refusing a layer's input. */
export class PyRaise {
  constructor(
    readonly exc: PyInstance,
    readonly refusal?: { readonly refusal: Refusal; readonly index: number },
  ) {}
}

/** The interpreter cannot follow the code from here: the current function's result is unknown. */
export class UnknownAbort {
  constructor(readonly reason: string) {}
}

/** The step or depth budget ran out: the whole analysis of the model is unknown. */
export class BudgetExceeded {
  constructor(readonly reason: string) {}
}

// ---------------------------------------------------------------------------------------------------------
// The trace of a model run

export interface LayerRecord {
  readonly index: number;
  /** a call of a module, or a tensor operation in the code (torch.cat, x.view, a + b, F.relu…) */
  readonly kind: 'module' | 'function';
  /** the layer's class (`Conv2d`, a user class with no children), or the operation (`Add`, `Cat`, `View`, `MaxPool2d` for F.max_pool2d) */
  readonly op: string;
  /** named_modules() path of a module in the model (`layer1.0.conv1`) */
  readonly path?: string;
  /** how many calls of the same module came before this one */
  readonly call: number;
  readonly module?: PyInstance;
  /** modules: the constructor call; operations: the expression */
  readonly site: SourceSite;
  /** for a module called straight from the code: that call */
  readonly callSite?: SourceSite;
  readonly input: readonly number[] | null;
  /** every input's shape, for an operation that takes several (a sum, a concatenation) */
  readonly inputs?: readonly (readonly number[] | null)[];
  readonly output: readonly number[] | null;
  readonly unknown?: string;
  readonly refused?: boolean;
  readonly formula: readonly string[];
  readonly params: number;
  readonly flops: number;
  readonly rf: ReceptiveField | null;
  /** a module with no children: one PyTorch's forward hooks of named_modules() see */
  readonly leaf: boolean;
  /** which of the inputs came straight from the model's input */
  readonly fromInput: boolean;
  /** the records whose outputs this one reads (-1: not made by a record, e.g. the model's input) */
  readonly sources: readonly number[];
  /** an elementwise operation that keeps its input's shape (F.relu, x * 0.5): no hint of its own inside an expression */
  readonly preserving?: boolean;
  /** a functional pooling op's arguments by the equivalent layer's parameter names (for stepping through it) */
  readonly args?: ReadonlyMap<string, Literal>;
}

/** A call of a module in the code, and what it returned. */
export interface CallSiteRecord {
  readonly site: SourceSite;
  readonly module: PyInstance;
  readonly path?: string;
  readonly output: readonly number[] | null;
  readonly unknown?: string;
  readonly refused: boolean;
  /** the layer records made during the call: [first, end) */
  readonly first: number;
  readonly end: number;
}

export interface Trace {
  readonly layers: LayerRecord[];
  readonly callSites: CallSiteRecord[];
  /** named_modules() of the model: module id → path */
  readonly paths: Map<number, string>;
  readonly calls: Map<number, number>;
  readonly modelInputs: Set<Tensor>;
  /** which record made each tensor, for linking a record to the ones it reads */
  readonly producers: WeakMap<Tensor, number>;
  readTraining: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// Frames and scopes

interface Frame {
  readonly scope: Scope;
  readonly chunk: CodeChunk;
  /** the namespace of a class body being executed */
  readonly classNS?: Map<string, Value>;
  readonly fn?: PyFunction;
  /** the instance `self` of a method, for zero-argument super() */
  readonly self?: Value;
  readonly module: boolean;
  ret: Value;
}

const NO_CONTEXT: CallContext = {};

const NORMAL = 0;
const RETURN = 1;
const BREAK = 2;
const CONTINUE = 3;
type Completion = typeof NORMAL | typeof RETURN | typeof BREAK | typeof CONTINUE;

interface FunctionLocals {
  readonly locals: Set<string>;
  readonly declared: Map<string, 'global' | 'nonlocal'>;
}

export interface Limits {
  readonly maxSteps: number;
  readonly maxDepth: number;
}

export const DEFAULT_LIMITS: Limits = { maxSteps: 200_000, maxDepth: 120 };

/** Everything the torch/Python library gives the interpreter (torchLibrary.ts, pythonBuiltins.ts). */
export interface Library {
  readonly builtins: Map<string, Value>;
  readonly exceptions: Map<string, PyClass>;
  readonly objectClass: PyClass;
  importModule(name: string): Value;
  /** an attribute or method of a value the library implements (tensors, str, list, dict, …) */
  attribute(obj: Value, name: string, ctx: CallContext): Value | undefined;
  /** a binary operator with a tensor on one side */
  tensorBinary(op: string, a: Value, b: Value, ctx: CallContext, inplace: boolean): Value;
  tensorUnary(op: string, t: Tensor, ctx: CallContext): Value;
  tensorIndex(t: Tensor, index: Value, ctx: CallContext): Value;
  tensorCompare(op: string, a: Value, b: Value, ctx: CallContext): Value;
  /** calling a native module class's forward (a layer's shape rule, a container's loop) */
  nativeForward(inst: PyInstance, args: Value[], kwargs: Map<string, Value>, ctx: CallContext): Value;
  /** constructing a native module class (a layer with its arguments, a container with its children) */
  nativeInit(inst: PyInstance, cls: PyClass, args: Value[], kwargs: Map<string, Value>, ctx: CallContext): void;
  /** len() and iteration of a native container module */
  nativeItems(inst: PyInstance): Value[] | undefined;
}

export class Runtime {
  steps = 0;
  depth = 0;
  readonly globals = new Scope(undefined, undefined);
  library!: Library;
  /** set while a model runs forward: records layers and call sites */
  trace?: Trace;
  /** global names read, and the chunk reading them (for the incremental analysis) */
  onGlobalRead?: (name: string) => void;
  onGlobalWrite?: (name: string) => void;
  /** `from x import *` of something unknown: a name not found may come from there */
  starImport?: string;
  private readonly localsCache = new WeakMap<object, FunctionLocals>();
  private readonly havocCache = new WeakMap<object, HavocSummary>();
  private stepLimit: number;

  constructor(readonly limits: Limits = DEFAULT_LIMITS) {
    this.stepLimit = limits.maxSteps;
  }

  /** Gives the next phase (one model's run) a budget of its own. */
  resetBudget(): void {
    this.steps = 0;
    this.depth = 0;
    this.stepLimit = this.limits.maxSteps;
  }

  tick(n = 1): void {
    this.steps += n;
    if (this.steps > this.stepLimit)
      throw new BudgetExceeded(
        `the lens stopped after ${this.limits.maxSteps.toLocaleString('en-US')} steps (a loop that does not end, or very long code)`,
      );
  }

  // -------------------------------------------------------------------------------------------------
  // Errors

  raise(kind: string, message: string): never {
    const cls = this.library.exceptions.get(kind) ?? this.library.exceptions.get('Exception')!;
    const exc = new PyInstance(cls);
    exc.message = message;
    throw new PyRaise(exc);
  }

  // -------------------------------------------------------------------------------------------------
  // Module level

  /** Runs the top-level statements of one chunk in the module scope. */
  execChunk(body: readonly Stmt[], chunk: CodeChunk): void {
    const frame: Frame = { scope: this.globals, chunk, module: true, ret: null };
    for (const s of body) {
      try {
        this.exec(s, frame);
      } catch (e) {
        if (e instanceof UnknownAbort) {
          // a statement at module level the lens cannot follow: what it binds is unknown
          this.havoc([s], frame, e.reason, true);
        } else if (e instanceof PyRaise) {
          // Python would stop here; the lens keeps what came before and marks what this statement binds
          this.havoc([s], frame, `line ${chunk.line + s.ln + 1} raises ${describeException(e.exc)}`, true);
        } else throw e;
      }
    }
  }

  /** Evaluates an expression at module level (an input comment's `as`, a Sequential on its own). */
  evaluate(e: Expr, chunk: CodeChunk): Value {
    const frame: Frame = { scope: this.globals, chunk, module: true, ret: null };
    try {
      return this.eval(e, frame);
    } catch (err) {
      if (err instanceof UnknownAbort) return new Unknown(err.reason);
      throw err;
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Statements

  private block(stmts: readonly Stmt[], f: Frame): Completion {
    for (const s of stmts) {
      const c = this.exec(s, f);
      if (c !== NORMAL) return c;
    }
    return NORMAL;
  }

  private exec(s: Stmt, f: Frame): Completion {
    this.tick();
    switch (s.k) {
      case 'expr':
        this.eval(s.x, f);
        return NORMAL;
      case 'assign': {
        const v = this.eval(s.value, f);
        for (const t of s.targets) this.assign(t, v, f);
        return NORMAL;
      }
      case 'ann':
        if (s.value) this.assign(s.target, this.eval(s.value, f), f);
        return NORMAL;
      case 'aug': {
        const cur = this.eval(s.target, f);
        const r = this.eval(s.value, f);
        this.assign(s.target, this.binary(s.op, cur, r, f, s, true), f);
        return NORMAL;
      }
      case 'if': {
        const t = this.truth(this.eval(s.test, f));
        if (t instanceof Unknown) {
          this.havoc([...s.body, ...s.orelse], f, `the condition \`${this.text(s.test, f)}\` is unknown: ${t.reason}`);
          return NORMAL;
        }
        return this.block(t ? s.body : s.orelse, f);
      }
      case 'for': {
        const it = this.iterate(this.eval(s.iter, f));
        if (it instanceof Unknown) {
          this.havoc([s], f, `the loop over \`${this.text(s.iter, f)}\` is unknown: ${it.reason}`);
          return NORMAL;
        }
        for (const v of it) {
          this.tick();
          this.assign(s.target, v, f);
          const c = this.block(s.body, f);
          if (c === BREAK) return NORMAL;
          if (c === RETURN) return c;
        }
        return this.block(s.orelse, f);
      }
      case 'while': {
        for (;;) {
          const t = this.truth(this.eval(s.test, f));
          if (t instanceof Unknown) {
            this.havoc(
              [...s.body, ...s.orelse],
              f,
              `the loop condition \`${this.text(s.test, f)}\` is unknown: ${t.reason}`,
            );
            return NORMAL;
          }
          if (!t) break;
          const c = this.block(s.body, f);
          if (c === BREAK) return NORMAL;
          if (c === RETURN) return c;
        }
        return this.block(s.orelse, f);
      }
      case 'def':
        this.bind(s.name, this.makeFunction(s, f), f);
        return NORMAL;
      case 'class':
        this.bind(s.name, this.makeClass(s, f), f);
        return NORMAL;
      case 'return':
        f.ret = s.value ? this.eval(s.value, f) : null;
        return RETURN;
      case 'pass':
        return NORMAL;
      case 'break':
        return BREAK;
      case 'continue':
        return CONTINUE;
      case 'raise': {
        if (!s.exc) this.raise('RuntimeError', 'No active exception to reraise');
        let v = this.eval(s.exc, f);
        if (v instanceof Unknown) throw new UnknownAbort(`line ${f.chunk.line + s.ln + 1} raises something unknown`);
        if (v instanceof PyClass) v = this.call(v, [], new Map(), {});
        if (v instanceof PyInstance && v.cls.mro.some((c) => c.native?.exception)) throw new PyRaise(v);
        this.raise('TypeError', 'exceptions must derive from BaseException');
        break;
      }
      case 'try':
        return this.tryStmt(s, f);
      case 'with': {
        for (const item of s.items) {
          const ctx = this.eval(item.ctx, f);
          if (item.target) this.assign(item.target, ctx, f);
        }
        return this.block(s.body, f);
      }
      case 'import':
        for (const n of s.names) {
          const mod = this.library.importModule(n.name);
          if (n.as) this.bind(n.as, mod, f);
          else {
            const top = n.name.split('.')[0];
            this.bind(top, top === n.name ? mod : this.library.importModule(top), f);
          }
        }
        return NORMAL;
      case 'from': {
        const mod =
          s.level > 0
            ? new Unknown(
                `\`from ${'.'.repeat(s.level)}${s.module} import …\` reads another file of the project, which the lens does not follow`,
              )
            : this.library.importModule(s.module);
        if (!s.names) {
          if (mod instanceof Namespace)
            for (const [k, v] of mod.attrs)
              if (!k.startsWith('_')) this.bind(k, v, f);
              else this.starImport = mod instanceof Unknown ? mod.reason : `\`from ${s.module} import *\``;
          return NORMAL;
        }
        for (const n of s.names) {
          let v: Value;
          if (mod instanceof Unknown) v = mod;
          else {
            v = this.library.importModule(`${s.module}.${n.name}`);
            if (v instanceof Unknown && mod instanceof Namespace) {
              const a = mod.attrs.get(n.name) ?? mod.fallback?.(n.name);
              if (a !== undefined) v = a;
            }
          }
          this.bind(n.as ?? n.name, v, f);
        }
        return NORMAL;
      }
      case 'global':
      case 'nonlocal':
        return NORMAL;
      case 'assert': {
        const t = this.truth(this.eval(s.test, f));
        if (t === false) this.raise('AssertionError', s.msg ? str(this.eval(s.msg, f)) : '');
        return NORMAL;
      }
      case 'del':
        for (const t of s.targets) this.del(t, f);
        return NORMAL;
      case 'error':
        if (f.module) {
          if (s.binds)
            this.bind(s.binds, new Unknown(`${s.binds} has a ${s.msg} (line ${f.chunk.line + s.ln + 1})`), f);
          return NORMAL;
        }
        throw new UnknownAbort(`${s.msg} (line ${f.chunk.line + s.ln + 1})`);
    }
  }

  private tryStmt(s: Extract<Stmt, { k: 'try' }>, f: Frame): Completion {
    let completion: Completion = NORMAL;
    let pending: unknown;
    let threw = false;
    try {
      completion = this.tryBody(s, f);
    } catch (e) {
      threw = true;
      pending = e;
    }
    // `finally` runs whatever happened; a return (or break) in it wins, as in Python
    if (s.final.length > 0) {
      const c = this.block(s.final, f);
      if (c !== NORMAL) return c;
    }
    if (threw) throw pending;
    return completion;
  }

  private tryBody(s: Extract<Stmt, { k: 'try' }>, f: Frame): Completion {
    let completion: Completion;
    try {
      completion = this.block(s.body, f);
    } catch (e) {
      if (!(e instanceof PyRaise)) throw e;
      for (const h of s.handlers) {
        const match = this.exceptionMatches(e.exc, h.type, f);
        if (match instanceof Unknown)
          throw new UnknownAbort(`the \`except\` at line ${f.chunk.line + s.ln + 1} is unknown: ${match.reason}`);
        if (!match) continue;
        if (h.name) this.bind(h.name, e.exc, f);
        return this.block(h.body, f);
      }
      throw e;
    }
    return completion === NORMAL ? this.block(s.orelse, f) : completion;
  }

  private exceptionMatches(exc: PyInstance, type: Expr | undefined, f: Frame): boolean | Unknown {
    if (!type) return true;
    const t = this.eval(type, f);
    const classes = t instanceof PyTuple ? t.items : [t];
    for (const c of classes) {
      if (c instanceof Unknown) return c;
      if (c instanceof PyClass && exc.cls.isSubclassOf(c)) return true;
    }
    return false;
  }

  // -------------------------------------------------------------------------------------------------
  // Names

  private bind(name: string, v: Value, f: Frame): void {
    if (f.classNS) {
      f.classNS.set(name, v);
      return;
    }
    if (f.module) {
      this.globals.vars.set(name, v);
      this.onGlobalWrite?.(name);
      return;
    }
    const decl = f.scope.declared?.get(name);
    if (decl === 'global') {
      this.globals.vars.set(name, v);
      this.onGlobalWrite?.(name);
      return;
    }
    if (decl === 'nonlocal') {
      for (let sc = f.scope.parent; sc; sc = sc.parent) {
        if (sc.vars.has(name) || sc.locals?.has(name)) {
          sc.vars.set(name, v);
          return;
        }
      }
    }
    f.scope.vars.set(name, v);
  }

  private lookup(name: string, f: Frame, at: Expr): Value {
    if (f.classNS) {
      const v = f.classNS.get(name);
      if (v !== undefined) return v;
    }
    if (!f.module) {
      const decl = f.scope.declared?.get(name);
      if (decl !== 'global') {
        for (let sc: Scope | undefined = f.scope; sc && sc !== this.globals; sc = sc.parent) {
          const v = sc.vars.get(name);
          if (v !== undefined) return v;
          if (sc === f.scope && sc.locals?.has(name) && !f.classNS && decl === undefined)
            this.raise('NameError', `local variable '${name}' referenced before assignment`);
        }
      }
    }
    this.onGlobalRead?.(name);
    const g = this.globals.vars.get(name);
    if (g !== undefined) return g;
    const b = this.library.builtins.get(name);
    if (b !== undefined) return b;
    if (this.starImport) return new Unknown(`${name} may come from ${this.starImport}`);
    this.raise('NameError', `name '${name}' is not defined (line ${f.chunk.line + at.ln + 1})`);
  }

  /** The names a function assigns (its locals), and its global/nonlocal declarations. */
  private functionLocals(params: readonly Param[], body: readonly Stmt[] | Expr): FunctionLocals {
    const key = params as object;
    const hit = this.localsCache.get(key);
    if (hit) return hit;
    const locals = new Set<string>(params.map((p) => p.name));
    const declared = new Map<string, 'global' | 'nonlocal'>();
    if (Array.isArray(body)) collectTargets(body as readonly Stmt[], locals, declared);
    for (const d of declared.keys()) locals.delete(d);
    const r = { locals, declared };
    this.localsCache.set(key, r);
    return r;
  }

  // -------------------------------------------------------------------------------------------------
  // Assignment

  assign(target: Expr, v: Value, f: Frame): void {
    switch (target.k) {
      case 'name':
        this.bind(target.id, v, f);
        return;
      case 'tuple':
      case 'list': {
        const star = target.items.findIndex((t) => t.k === 'star');
        const items = this.iterate(v);
        if (items instanceof Unknown) {
          for (const t of target.items) this.assign(t.k === 'star' ? t.x : t, items, f);
          return;
        }
        if (star < 0) {
          if (items.length !== target.items.length)
            this.raise(
              'ValueError',
              items.length > target.items.length
                ? `too many values to unpack (expected ${target.items.length})`
                : `not enough values to unpack (expected ${target.items.length}, got ${items.length})`,
            );
          target.items.forEach((t, i) => this.assign(t, items[i], f));
          return;
        }
        const after = target.items.length - star - 1;
        if (items.length < target.items.length - 1)
          this.raise(
            'ValueError',
            `not enough values to unpack (expected at least ${target.items.length - 1}, got ${items.length})`,
          );
        target.items.forEach((t, i) => {
          if (i < star) this.assign(t, items[i], f);
          else if (i === star)
            this.assign((t as { x: Expr }).x, new PyList(items.slice(star, items.length - after)), f);
          else this.assign(t, items[items.length - (target.items.length - i)], f);
        });
        return;
      }
      case 'attr':
        this.setattr(this.eval(target.obj, f), target.name, v);
        return;
      case 'sub': {
        const obj = this.eval(target.obj, f);
        this.setitem(obj, this.eval(target.index, f), v);
        return;
      }
      case 'star':
        this.assign(target.x, v, f);
        return;
      default:
        this.raise('SyntaxError', 'cannot assign to this expression');
    }
  }

  private del(target: Expr, f: Frame): void {
    if (target.k === 'name') {
      if (f.classNS) f.classNS.delete(target.id);
      else if (f.module) this.globals.vars.delete(target.id);
      else f.scope.vars.delete(target.id);
    } else if (target.k === 'sub') {
      const obj = this.eval(target.obj, f);
      const key = this.eval(target.index, f);
      if (obj instanceof PyDict) obj.delete(key);
      else if (obj instanceof PyList && typeof key === 'number')
        obj.items.splice(key < 0 ? key + obj.items.length : key, 1);
    } else if (target.k === 'attr') {
      const obj = this.eval(target.obj, f);
      if (obj instanceof PyInstance) {
        obj.attrs.delete(target.name);
        obj.module?.children.delete(target.name);
      }
    } else if (target.k === 'tuple' || target.k === 'list') for (const t of target.items) this.del(t, f);
  }

  setattr(obj: Value, name: string, v: Value): void {
    if (obj instanceof PyInstance) {
      const setter = obj.cls.lookup(name);
      if (setter instanceof MethodWrapper && setter.kind === 'property')
        this.raise('AttributeError', `can't set attribute '${name}'`);
      const m = obj.module;
      if (m) {
        if (v instanceof PyInstance && v.module) {
          obj.attrs.delete(name);
          m.children.set(name, v);
          return;
        }
        if (m.children.has(name)) {
          if (v === null) {
            m.children.set(name, null);
            return;
          }
          m.children.delete(name);
          if (!(v instanceof Unknown))
            this.raise(
              'TypeError',
              `cannot assign '${typeName(v)}' as child module '${name}' (torch.nn.Module or None expected)`,
            );
        }
      }
      obj.attrs.set(name, v);
      return;
    }
    if (obj instanceof PyClass) {
      obj.attrs.set(name, v);
      return;
    }
    if (obj instanceof Namespace) {
      obj.attrs.set(name, v);
      return;
    }
    // attributes of tensors, unknown values, functions: nothing the shapes depend on
  }

  setitem(obj: Value, key: Value, v: Value): void {
    if (obj instanceof PyDict) {
      if (key instanceof Unknown) obj.tainted = key.reason;
      else obj.set(key, v);
      return;
    }
    if (obj instanceof PyList) {
      if (typeof key === 'number') {
        const i = key < 0 ? key + obj.items.length : key;
        if (i < 0 || i >= obj.items.length) this.raise('IndexError', 'list assignment index out of range');
        obj.items[i] = v;
      } else if (key instanceof PySlice) {
        const items = this.iterate(v);
        if (items instanceof Unknown) obj.tainted = items.reason;
        else {
          const [lo, hi] = sliceBounds(key, obj.items.length);
          obj.items.splice(lo, Math.max(0, hi - lo), ...items);
        }
      } else obj.tainted = key instanceof Unknown ? key.reason : 'an index the lens does not follow';
      return;
    }
    if (obj instanceof PyInstance) {
      const fn = obj.cls.lookup('__setitem__');
      if (fn) {
        this.callMethod(obj, '__setitem__', [key, v]);
        return;
      }
      if (obj.module) obj.tainted = 'an item assignment the lens does not follow';
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Branches the lens cannot decide

  /**
   * Statements that may or may not run: every name they assign becomes unknown, every object they change is
   * marked as changed in a way the lens does not know, and if they could leave the function (return, raise,
   * break) the function's result is unknown.
   */
  private havoc(stmts: readonly Stmt[], f: Frame, reason: string, moduleLevel = false): void {
    const h = this.havocSummary(stmts);
    if (h.leaves && !moduleLevel) throw new UnknownAbort(reason);
    const u = new Unknown(reason);
    for (const n of h.names) this.bind(n, u, f);
    for (const t of h.objects) {
      let obj: Value;
      try {
        obj = this.evalPure(t, f);
      } catch {
        continue;
      }
      if (t.k === 'attr' && h.attrs.has(t)) {
        // obj.attr = … in the branch: that attribute alone is unknown
        const base = obj;
        if (base instanceof PyInstance) {
          base.attrs.set(h.attrs.get(t)!, u);
          base.module?.children.delete(h.attrs.get(t)!);
        }
        continue;
      }
      taint(obj, reason);
    }
  }

  private havocSummary(stmts: readonly Stmt[]): HavocSummary {
    const hit = this.havocCache.get(stmts);
    if (hit) return hit;
    const s: HavocSummary = { names: new Set(), objects: [], attrs: new Map(), leaves: false };
    summarize(stmts, s, 0);
    this.havocCache.set(stmts, s);
    return s;
  }

  /** Evaluates a name or attribute chain (the object a branch changes) without running anything. */
  private evalPure(e: Expr, f: Frame): Value {
    if (e.k === 'name') return this.lookup(e.id, f, e);
    if (e.k === 'attr') {
      const base = this.evalPure(e.obj, f);
      return base instanceof PyInstance ? base : this.getattr(base, e.name, {});
    }
    throw new Error('not a plain reference');
  }

  // -------------------------------------------------------------------------------------------------
  // Functions and classes

  private makeFunction(s: Extract<Stmt, { k: 'def' }>, f: Frame): Value {
    const defaults = new Map<string, Value>();
    for (const p of s.params) if (p.default) defaults.set(p.name, this.eval(p.default, f));
    let fn: Value = new PyFunction(
      s.name,
      s.params,
      s.body,
      defaults,
      f.module || f.classNS ? (f.module ? undefined : f.scope === this.globals ? undefined : f.scope) : f.scope,
      this.globals,
      f.chunk,
      s.generator,
    );
    for (let i = s.decorators.length - 1; i >= 0; i--) {
      const d = this.eval(s.decorators[i], f);
      fn = this.call(d, [fn], new Map(), { site: this.site(s.decorators[i], f) });
    }
    return fn;
  }

  private makeClass(s: Extract<Stmt, { k: 'class' }>, f: Frame): Value {
    const bases: PyClass[] = [];
    for (const b of s.bases) {
      if (b.kind !== 'pos') continue;
      const v = this.eval(b.value, f);
      if (v instanceof Unknown)
        return new Unknown(`${s.name}'s base class \`${this.text(b.value, f)}\` is unknown: ${v.reason}`);
      if (!(v instanceof PyClass))
        return new Unknown(`${s.name}'s base \`${this.text(b.value, f)}\` is not a class the lens knows`);
      bases.push(v);
    }
    if (bases.length === 0) bases.push(this.library.objectClass);
    const ns = new Map<string, Value>();
    const frame: Frame = {
      scope: f.module ? this.globals : f.scope,
      chunk: f.chunk,
      classNS: ns,
      module: f.module,
      ret: null,
    };
    const c = this.block(s.body, frame);
    if (c !== NORMAL) this.raise('SyntaxError', "'return' outside function");
    const cls = new PyClass(s.name, bases, ns, undefined, this.site(s, f));
    for (const v of ns.values()) {
      if (v instanceof PyFunction) v.owner = cls;
      else if (v instanceof MethodWrapper && v.fn instanceof PyFunction) v.fn.owner = cls;
    }
    let out: Value = cls;
    for (let i = s.decorators.length - 1; i >= 0; i--) {
      const d = this.eval(s.decorators[i], f);
      out = this.call(d, [out], new Map(), { site: this.site(s.decorators[i], f) });
    }
    return out;
  }

  /** Calls any callable value. */
  call(fn: Value, args: Value[], kwargs: Map<string, Value>, ctx: CallContext): Value {
    if (fn instanceof PyFunction) return this.callFunction(fn, args, kwargs);
    if (fn instanceof BoundMethod) {
      if (fn.fn instanceof Builtin) return fn.fn.fn([fn.self, ...args], kwargs, ctx);
      return this.callFunction(fn.fn, [fn.self, ...args], kwargs);
    }
    if (fn instanceof Builtin) return fn.fn(args, kwargs, ctx);
    if (fn instanceof PyClass) return this.instantiate(fn, args, kwargs, ctx);
    if (fn instanceof PyInstance) {
      if (fn.tainted) return new Unknown(fn.tainted);
      if (fn.module) return this.callModule(fn, args, kwargs, ctx);
      const m = fn.cls.lookup('__call__');
      if (m instanceof PyFunction) return this.callFunction(m, [fn, ...args], kwargs);
      if (m instanceof Builtin) return m.fn([fn, ...args], kwargs, ctx);
      this.raise('TypeError', `'${fn.cls.name}' object is not callable`);
    }
    if (fn instanceof Partial) {
      const kw = new Map(fn.kwargs);
      for (const [k, v] of kwargs) kw.set(k, v);
      // the arguments as written no longer line up with the parameters
      return this.call(fn.fn, [...fn.args, ...args], kw, ctx.site ? { site: ctx.site } : {});
    }
    if (fn instanceof MethodWrapper) return this.call(fn.fn, args, kwargs, ctx);
    if (fn instanceof Unknown) return fn;
    this.raise('TypeError', `'${typeName(fn)}' object is not callable`);
  }

  callMethod(obj: Value, name: string, args: Value[], kwargs = new Map<string, Value>(), ctx: CallContext = {}): Value {
    return this.call(this.getattr(obj, name, ctx), args, kwargs, ctx);
  }

  private callFunction(fn: PyFunction, args: Value[], kwargs: Map<string, Value>): Value {
    this.tick();
    if (fn.generator) return new Unknown(`${fn.name}() is a generator (it uses yield), which the lens does not run`);
    if (this.depth >= this.limits.maxDepth)
      throw new BudgetExceeded(`the calls nest deeper than ${this.limits.maxDepth} (recursion that does not end?)`);
    const { locals, declared } = this.functionLocals(fn.params, fn.body);
    const scope = new Scope(fn.closure, locals, declared.size > 0 ? declared : undefined);
    this.bindParams(fn, args, kwargs, scope);
    const frame: Frame = {
      scope,
      chunk: fn.chunk,
      fn,
      self: args[0],
      module: false,
      ret: null,
    };
    this.depth++;
    try {
      if (!Array.isArray(fn.body)) return this.eval(fn.body as Expr, frame);
      const c = this.block(fn.body as readonly Stmt[], frame);
      return c === RETURN ? frame.ret : null;
    } catch (e) {
      if (e instanceof UnknownAbort) {
        // what the function changed before it stopped is not known either
        const why = `${fn.name}() cannot be followed: ${e.reason}`;
        for (const a of args) taint(a, why);
        return new Unknown(why);
      }
      throw e;
    } finally {
      this.depth--;
    }
  }

  private bindParams(fn: PyFunction, args: Value[], kwargs: Map<string, Value>, scope: Scope): void {
    const params = fn.params;
    const vars = scope.vars;
    const positional = params.filter((p) => p.kind === 'pos');
    const vararg = params.find((p) => p.kind === 'vararg');
    const kwarg = params.find((p) => p.kind === 'kwarg');
    const name = `${fn.name}()`;
    for (let i = 0; i < args.length; i++) {
      if (i < positional.length) vars.set(positional[i].name, args[i]);
      else if (!vararg)
        this.raise(
          'TypeError',
          `${name} takes ${positional.length} positional argument${positional.length === 1 ? '' : 's'} but ${args.length} were given`,
        );
    }
    if (vararg) vars.set(vararg.name, new PyTuple(args.slice(positional.length)));
    let extra: PyDict | undefined;
    if (kwarg) vars.set(kwarg.name, (extra = new PyDict()));
    for (const [k, v] of kwargs) {
      const p = params.find((q) => q.name === k && (q.kind === 'pos' || q.kind === 'kwonly'));
      if (p) {
        if (vars.has(k) && p.kind === 'pos' && positional.indexOf(p) < args.length)
          this.raise('TypeError', `${name} got multiple values for argument '${k}'`);
        vars.set(k, v);
      } else if (extra) extra.set(k, v);
      else this.raise('TypeError', `${name} got an unexpected keyword argument '${k}'`);
    }
    const missing: string[] = [];
    for (const p of params) {
      if ((p.kind === 'pos' || p.kind === 'kwonly') && !vars.has(p.name)) {
        const d = fn.defaults.get(p.name);
        if (d !== undefined) vars.set(p.name, d);
        else missing.push(p.name);
      }
    }
    if (missing.length > 0)
      this.raise(
        'TypeError',
        `${name} missing ${missing.length} required argument${missing.length === 1 ? '' : 's'}: ${missing.map((m) => `'${m}'`).join(', ')}`,
      );
  }

  /** Calling a class: a new instance, then its __init__ (user code, or the native layer/container's). */
  instantiate(cls: PyClass, args: Value[], kwargs: Map<string, Value>, ctx: CallContext): Value {
    const native = cls.nativeBase;
    const newFn = cls.lookup('__new__');
    if (newFn instanceof Builtin) return newFn.fn([cls, ...args], kwargs, ctx);
    if (native?.native?.exception) {
      const exc = new PyInstance(cls, ctx.site);
      exc.message = args.length > 0 ? str(args[0]) : '';
      return exc;
    }
    const inst = new PyInstance(cls, ctx.site);
    const init = cls.lookup('__init__');
    if (init instanceof PyFunction) {
      const r = this.callFunction(init, [inst, ...args], kwargs);
      if (r instanceof Unknown) return r;
      if (inst.tainted) return new Unknown(inst.tainted);
    } else if (init instanceof Builtin) {
      init.fn([inst, ...args], kwargs, ctx);
    } else if (native?.native?.isModule) {
      this.library.nativeInit(inst, native, args, kwargs, ctx);
    }
    return inst;
  }

  // -------------------------------------------------------------------------------------------------
  // Modules

  /** model(x): the module's forward, recorded in the trace while a model runs. */
  callModule(inst: PyInstance, args: Value[], kwargs: Map<string, Value>, ctx: CallContext): Value {
    const trace = this.trace;
    const first = trace ? trace.layers.length : 0;
    const fwd = inst.cls.lookup('forward');
    let out: Value;
    let refused = false;
    try {
      if (fwd instanceof PyFunction) out = this.callFunction(fwd, [inst, ...args], kwargs);
      else if (fwd instanceof Builtin) out = fwd.fn([inst, ...args], kwargs, ctx);
      else out = this.library.nativeForward(inst, args, kwargs, ctx);
    } catch (e) {
      if (e instanceof PyRaise && e.refusal) refused = true;
      if (trace && ctx.site && refused) this.recordCallSite(inst, ctx.site, null, undefined, true, first);
      throw e;
    }
    // a module with no children is a leaf for PyTorch's hooks (a user block, an empty Sequential): recorded
    // when its forward returns; the layers record themselves
    if (trace && inst.module!.children.size === 0 && !inst.cls.nativeBase?.native?.layer)
      this.recordUserLeaf(inst, args, out, ctx);
    if (trace && ctx.site) {
      const shape = out instanceof Tensor ? out.shape : null;
      this.recordCallSite(inst, ctx.site, shape, out instanceof Unknown ? out.reason : undefined, false, first);
    }
    return out;
  }

  private recordCallSite(
    inst: PyInstance,
    site: SourceSite,
    output: readonly number[] | null,
    unknown: string | undefined,
    refused: boolean,
    first: number,
  ): void {
    const t = this.trace!;
    const path = t.paths.get(inst.module!.id);
    t.callSites.push({
      site,
      module: inst,
      ...(path !== undefined ? { path } : {}),
      output,
      ...(unknown ? { unknown } : {}),
      refused,
      first,
      end: t.layers.length,
    });
  }

  private recordUserLeaf(inst: PyInstance, args: Value[], out: Value, ctx: CallContext): void {
    const t = this.trace!;
    const input = args[0] instanceof Tensor ? args[0] : undefined;
    const unknown = out instanceof Unknown ? out.reason : args[0] instanceof Unknown ? args[0].reason : undefined;
    this.recordLayer({
      kind: 'module',
      op: inst.cls.name,
      module: inst,
      site: inst.module!.site ?? ctx.site ?? { start: 0, end: 0, line: 0 },
      ...(ctx.site ? { callSite: ctx.site } : {}),
      input: input ? input.shape : null,
      output: out instanceof Tensor ? out.shape : null,
      ...(unknown ? { unknown } : {}),
      formula: [],
      params: 0,
      flops: 0,
      rf: out instanceof Tensor ? (out.rf ?? null) : null,
      fromInput: input ? t.modelInputs.has(input) : false,
      sources: input ? this.sourcesOf([input]) : [],
    });
  }

  /** Adds a record to the trace (its index, path and call count filled in); returns its index. */
  recordLayer(r: Omit<LayerRecord, 'index' | 'call' | 'path' | 'leaf'>): number {
    const t = this.trace!;
    const index = t.layers.length;
    let call = 0;
    let path: string | undefined;
    let leaf = false;
    if (r.module) {
      const id = r.module.module!.id;
      call = t.calls.get(id) ?? 0;
      t.calls.set(id, call + 1);
      path = t.paths.get(id);
      leaf = r.module.module!.children.size === 0 && path !== undefined;
    }
    t.layers.push({ ...r, index, call, ...(path !== undefined ? { path } : {}), leaf });
    return index;
  }

  /** The records that made these tensors (for links to "the previous layer"). */
  sourcesOf(tensors: readonly Value[]): number[] {
    const t = this.trace;
    if (!t) return [];
    const out: number[] = [];
    for (const x of tensors) if (x instanceof Tensor) out.push(t.producers.get(x) ?? -1);
    return out;
  }

  // -------------------------------------------------------------------------------------------------
  // Expressions

  /** The source text of a node (for reasons and records). */
  text(e: { s: number; e: number }, f: Frame): string {
    const src = this.sourceOf?.(f.chunk);
    return src === undefined ? '…' : src.slice(e.s, e.e).replace(/\s+/g, ' ');
  }

  /** The text of a chunk, when the caller keeps it (set by the model runner). */
  sourceOf?: (chunk: CodeChunk) => string | undefined;

  site(e: { s: number; e: number; ln: number }, f: Frame): SourceSite {
    return { start: f.chunk.base + e.s, end: f.chunk.base + e.e, line: f.chunk.line + e.ln };
  }

  eval(e: Expr, f: Frame): Value {
    switch (e.k) {
      case 'num':
        return e.float ? new PyFloat(e.v) : e.v;
      case 'str':
        return e.v;
      case 'bytes':
        return new Unknown('bytes are not followed');
      case 'fstr':
        return this.formatString(e.parts, f);
      case 'const':
        return e.v === 'ellipsis' ? ELLIPSIS : e.v;
      case 'name':
        return this.lookup(e.id, f, e);
      case 'attr':
        return this.getattr(this.eval(e.obj, f), e.name, NO_CONTEXT);
      case 'sub': {
        const obj = this.eval(e.obj, f);
        return this.getitem(obj, this.eval(e.index, f), obj instanceof Tensor ? { site: this.site(e, f) } : NO_CONTEXT);
      }
      case 'slice':
        return new PySlice(
          e.lo ? this.eval(e.lo, f) : null,
          e.hi ? this.eval(e.hi, f) : null,
          e.step ? this.eval(e.step, f) : null,
        );
      case 'call':
        return this.evalCall(e, f);
      case 'bin':
        return this.binary(e.op, this.eval(e.l, f), this.eval(e.r, f), f, e, false);
      case 'un':
        return this.unary(e.op, this.eval(e.x, f), f, e);
      case 'bool': {
        const l = this.eval(e.l, f);
        const t = this.truth(l);
        if (t instanceof Unknown) return t;
        if (e.op === 'and') return t ? this.eval(e.r, f) : l;
        return t ? l : this.eval(e.r, f);
      }
      case 'cmp': {
        let left = this.eval(e.xs[0], f);
        let result: Value = true;
        for (let i = 0; i < e.ops.length; i++) {
          const right = this.eval(e.xs[i + 1], f);
          const r = this.compare(e.ops[i], left, right, f, e);
          if (e.ops.length === 1) return r;
          const t = this.truth(r);
          if (t instanceof Unknown) return t;
          if (!t) return r;
          result = r;
          left = right;
        }
        return result;
      }
      case 'ifexp': {
        const t = this.truth(this.eval(e.test, f));
        if (t instanceof Unknown) return t;
        return this.eval(t ? e.body : e.orelse, f);
      }
      case 'lambda': {
        const defaults = new Map<string, Value>();
        for (const p of e.params) if (p.default) defaults.set(p.name, this.eval(p.default, f));
        return new PyFunction(
          '<lambda>',
          e.params,
          e.body,
          defaults,
          f.module ? undefined : f.scope,
          this.globals,
          f.chunk,
          false,
        );
      }
      case 'tuple':
        return new PyTuple(this.items(e.items, f));
      case 'list':
        return new PyList(this.items(e.items, f));
      case 'nums':
        return new PyList(Array.from(e.values, (v, i) => (e.floats[i] ? new PyFloat(v) : v)));
      case 'set':
        return new PySet(this.items(e.items, f));
      case 'dict': {
        const d = new PyDict();
        for (const item of e.items) {
          if ('spread' in item) {
            const src = this.eval(item.spread, f);
            if (src instanceof PyDict) for (const [k, v] of src.entries()) d.set(k, v);
            else if (src instanceof Unknown) d.tainted = src.reason;
          } else {
            const k = this.eval(item.key, f);
            if (k instanceof Unknown) d.tainted = k.reason;
            else d.set(k, this.eval(item.value, f));
          }
        }
        return d;
      }
      case 'star':
        return this.eval(e.x, f);
      case 'comp':
        return this.comprehension(e, f);
      case 'walrus': {
        const v = this.eval(e.value, f);
        this.bind(e.target, v, f);
        return v;
      }
      case 'error':
        throw new UnknownAbort(`${e.msg} (line ${f.chunk.line + e.ln + 1})`);
    }
  }

  /** The items of a display, with *starred ones spread out. */
  private items(items: readonly Expr[], f: Frame): Value[] {
    const out: Value[] = [];
    for (const it of items) {
      if (it.k === 'star') {
        const xs = this.iterate(this.eval(it.x, f));
        if (xs instanceof Unknown) out.push(xs);
        else out.push(...xs);
      } else out.push(this.eval(it, f));
    }
    return out;
  }

  private formatString(
    parts: readonly (string | { expr: Expr; conv?: string; spec?: readonly unknown[] })[],
    f: Frame,
  ): Value {
    let s = '';
    for (const p of parts) {
      if (typeof p === 'string') {
        s += p;
        continue;
      }
      const v = this.eval(p.expr, f);
      if (v instanceof Unknown) return v;
      const spec = p.spec ? this.formatString(p.spec as never, f) : '';
      if (spec instanceof Unknown) return spec;
      s += p.conv === 'r' ? repr(v) : this.format(v, spec as string);
    }
    return s;
  }

  /** format(value, spec) for the specs names are built with (d, 03d, .2f, s). */
  format(v: Value, spec: string): string {
    if (!spec) return str(v);
    const m = /^(.?[<>^=])?([+\- ])?(#)?(0)?(\d+)?(,)?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/.exec(spec);
    if (!m) return str(v);
    let body: string;
    const type = m[8];
    const n = typeof v === 'number' || typeof v === 'boolean' || v instanceof PyFloat ? numberOf(v) : undefined;
    if (n !== undefined && (type === 'f' || type === 'F')) body = n.toFixed(m[7] ? Number(m[7]) : 6);
    else if (n !== undefined && type === 'e') body = n.toExponential(m[7] ? Number(m[7]) : 6);
    else if (n !== undefined && type === '%') body = `${(n * 100).toFixed(m[7] ? Number(m[7]) : 6)}%`;
    else if (n !== undefined && type === 'x') body = Math.trunc(n).toString(16);
    else if (n !== undefined && type === 'd') body = String(Math.trunc(n));
    else body = str(v);
    const width = m[5] ? Number(m[5]) : 0;
    this.tick(width);
    if (m[4] && n !== undefined) return body.padStart(width, '0');
    const align = m[1]?.slice(-1) ?? (n !== undefined ? '>' : '<');
    const fill = m[1] && m[1].length === 2 ? m[1][0] : ' ';
    if (body.length >= width) return body;
    if (align === '>') return body.padStart(width, fill);
    if (align === '^') {
      const left = Math.floor((width - body.length) / 2);
      return fill.repeat(left) + body + fill.repeat(width - body.length - left);
    }
    return body.padEnd(width, fill);
  }

  private comprehension(e: Extract<Expr, { k: 'comp' }>, f: Frame): Value {
    const names = new Set<string>();
    for (const g of e.gens) collectNames(g.target, names);
    const scope = new Scope(f.module ? this.globals : f.scope, names);
    const inner: Frame = { scope, chunk: f.chunk, fn: f.fn, self: f.self, module: false, ret: null };
    const out: Value[] = [];
    const dict = e.kind === 'dict' ? new PyDict() : undefined;
    let unknown: Unknown | undefined;
    const run = (level: number): void => {
      if (unknown) return;
      if (level === e.gens.length) {
        this.tick();
        if (dict) {
          const k = this.eval(e.elt, inner);
          if (k instanceof Unknown) unknown = k;
          else dict.set(k, this.eval(e.value!, inner));
        } else out.push(this.eval(e.elt, inner));
        return;
      }
      const g = e.gens[level];
      // the first iterable is evaluated in the enclosing scope
      const it = this.iterate(this.eval(g.iter, level === 0 ? f : inner));
      if (it instanceof Unknown) {
        unknown = it;
        return;
      }
      for (const v of it) {
        this.assign(g.target, v, inner);
        let keep = true;
        for (const c of g.ifs) {
          const t = this.truth(this.eval(c, inner));
          if (t instanceof Unknown) {
            unknown = t;
            return;
          }
          if (!t) {
            keep = false;
            break;
          }
        }
        if (keep) run(level + 1);
        if (unknown) return;
      }
    };
    run(0);
    if (unknown) return unknown;
    if (dict) return dict;
    if (e.kind === 'set') return new PySet(out);
    if (e.kind === 'gen') return new PyTuple(out);
    return new PyList(out);
  }

  private evalCall(e: Extract<Expr, { k: 'call' }>, f: Frame): Value {
    // super(): the class the method was defined in, and its first argument
    if (e.fn.k === 'name' && e.fn.id === 'super' && e.args.length === 0 && !f.classNS) {
      const owner = f.fn?.owner;
      if (!owner) this.raise('RuntimeError', 'super(): no arguments');
      return new SuperValue(owner, f.self ?? null);
    }
    const fn = this.eval(e.fn, f);
    const args: Value[] = [];
    const kwargs = new Map<string, Value>();
    for (const a of e.args) this.callArg(a, args, kwargs, f);
    return this.call(fn, args, kwargs, { site: this.site(e, f), call: { args: e.args, chunk: f.chunk } });
  }

  private callArg(a: CallArg, args: Value[], kwargs: Map<string, Value>, f: Frame): void {
    if (a.kind === 'pos') args.push(this.eval(a.value, f));
    else if (a.kind === 'kw') kwargs.set(a.name!, this.eval(a.value, f));
    else if (a.kind === 'star') {
      const xs = this.iterate(this.eval(a.value, f));
      if (xs instanceof Unknown) args.push(xs);
      else args.push(...xs);
    } else {
      const d = this.eval(a.value, f);
      if (d instanceof PyDict) {
        for (const [k, v] of d.entries()) {
          if (typeof k !== 'string') this.raise('TypeError', 'keywords must be strings');
          kwargs.set(k, v);
        }
        if (d.tainted) kwargs.set('**', new Unknown(d.tainted));
      } else if (d instanceof Unknown) kwargs.set('**', d);
      else this.raise('TypeError', 'argument after ** must be a mapping');
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Attributes and items

  getattr(obj: Value, name: string, ctx: CallContext): Value {
    if (obj instanceof Unknown) return obj;
    if (obj instanceof PyInstance) return this.instanceAttr(obj, name, ctx);
    if (obj instanceof PyClass) {
      if (name === '__name__' || name === '__qualname__') return obj.name;
      if (name === '__mro__') return new PyTuple(obj.mro);
      const v = obj.lookup(name);
      if (v === undefined) this.raise('AttributeError', `type object '${obj.name}' has no attribute '${name}'`);
      if (v instanceof MethodWrapper) {
        if (v.kind === 'class') return new BoundMethod(obj, v.fn as PyFunction);
        return v.fn;
      }
      return v;
    }
    if (obj instanceof SuperValue) {
      const self = obj.self;
      const mro = self instanceof PyInstance ? self.cls.mro : self instanceof PyClass ? self.mro : [];
      const start = mro.indexOf(obj.cls);
      for (const c of mro.slice(start + 1)) {
        const v = c.attrs.get(name);
        if (v === undefined) continue;
        if (v instanceof PyFunction || v instanceof Builtin) return new BoundMethod(self, v);
        if (v instanceof MethodWrapper) return v.kind === 'class' ? new BoundMethod(self, v.fn as PyFunction) : v.fn;
        return v;
      }
      this.raise('AttributeError', `'super' object has no attribute '${name}'`);
    }
    if (obj instanceof Namespace) {
      const v = obj.attrs.get(name) ?? obj.fallback?.(name);
      if (v === undefined) this.raise('AttributeError', `module '${obj.name}' has no attribute '${name}'`);
      return v;
    }
    if (obj instanceof PyFunction || obj instanceof Builtin) {
      if (name === '__name__') return obj.name;
    }
    const v = this.library.attribute(obj, name, ctx);
    if (v !== undefined) return v;
    this.raise('AttributeError', `'${typeName(obj)}' object has no attribute '${name}'`);
  }

  private instanceAttr(obj: PyInstance, name: string, ctx: CallContext): Value {
    if (name === '__class__') return obj.cls;
    const own = obj.attrs.get(name);
    if (own !== undefined) return own;
    const m = obj.module;
    if (m) {
      const child = m.children.get(name);
      if (child !== undefined) return child;
      if (name === 'training') {
        if (this.trace) this.trace.readTraining = true;
        return false;
      }
    }
    const v = obj.cls.lookup(name);
    if (v !== undefined) {
      if (v instanceof PyFunction || v instanceof Builtin) return new BoundMethod(obj, v);
      if (v instanceof MethodWrapper) {
        if (v.kind === 'static') return v.fn;
        if (v.kind === 'class') return new BoundMethod(obj.cls, v.fn as PyFunction);
        return this.call(v.fn, [obj], new Map(), ctx);
      }
      return v;
    }
    if (obj.tainted) return new Unknown(obj.tainted);
    const fallback = obj.cls.lookup('__getattr__');
    if (fallback instanceof PyFunction) return this.callFunction(fallback, [obj, name], new Map());
    if (obj.message !== undefined && name === 'args') return new PyTuple([obj.message]);
    const lib = this.library.attribute(obj, name, ctx);
    if (lib !== undefined) return lib;
    this.raise('AttributeError', `'${obj.cls.name}' object has no attribute '${name}'`);
  }

  getitem(obj: Value, key: Value, ctx: CallContext): Value {
    if (obj instanceof Unknown) return obj;
    if (key instanceof Unknown && !(obj instanceof Tensor)) return key;
    if (obj instanceof PyList || obj instanceof PyTuple) {
      if (obj instanceof PyList && obj.tainted) return new Unknown(obj.tainted);
      const items = obj.items;
      if (typeof key === 'number' || typeof key === 'boolean') {
        const k = numberOf(key);
        const i = k < 0 ? k + items.length : k;
        if (i < 0 || i >= items.length) this.raise('IndexError', `${typeName(obj)} index out of range`);
        return items[i];
      }
      if (key instanceof PySlice) {
        const part = sliceItems(items, key, this);
        return obj instanceof PyList ? new PyList(part) : new PyTuple(part);
      }
      this.raise('TypeError', `${typeName(obj)} indices must be integers or slices, not ${typeName(key)}`);
    }
    if (typeof obj === 'string') {
      if (typeof key === 'number') {
        const i = key < 0 ? key + obj.length : key;
        if (i < 0 || i >= obj.length) this.raise('IndexError', 'string index out of range');
        return obj[i];
      }
      if (key instanceof PySlice) return sliceItems([...obj], key, this).join('');
    }
    if (obj instanceof PyDict) {
      if (obj.tainted && !obj.has(key)) return new Unknown(obj.tainted);
      const v = obj.get(key);
      if (v === undefined) this.raise('KeyError', repr(key));
      return v;
    }
    if (obj instanceof PyRange && typeof key === 'number') {
      const i = key < 0 ? key + obj.length : key;
      if (i < 0 || i >= obj.length) this.raise('IndexError', 'range object index out of range');
      return obj.start + i * obj.step;
    }
    if (obj instanceof Tensor) return this.library.tensorIndex(obj, key, ctx);
    if (obj instanceof PyInstance) {
      if (obj.tainted) return new Unknown(obj.tainted);
      const fn = obj.cls.lookup('__getitem__');
      if (fn instanceof PyFunction || fn instanceof Builtin)
        return this.call(new BoundMethod(obj, fn), [key], new Map(), ctx);
    }
    if (obj instanceof PyClass) return obj; // typing generics: List[int], Optional[Tensor]
    if (obj instanceof Namespace) return new Unknown(`${obj.name}[…] is not followed`);
    this.raise('TypeError', `'${typeName(obj)}' object is not subscriptable`);
  }

  // -------------------------------------------------------------------------------------------------
  // Iteration and truth

  /** The items of an iterable, or why they are unknown. */
  iterate(v: Value): Value[] | Unknown {
    if (v instanceof PyList) return v.tainted ? new Unknown(v.tainted) : [...v.items];
    if (v instanceof PyTuple) return [...v.items];
    if (typeof v === 'string') return [...v];
    if (v instanceof PyDict) return v.tainted ? new Unknown(v.tainted) : v.keys();
    if (v instanceof PySet) return [...v.map.values()];
    if (v instanceof PyRange) {
      const n = v.length;
      this.tick(n);
      return Array.from({ length: n }, (_, i) => v.start + i * v.step);
    }
    if (v instanceof Unknown) return v;
    if (v instanceof Tensor) {
      if (v.shape.length === 0) this.raise('TypeError', 'iteration over a 0-d tensor');
      const n = v.shape[0];
      this.tick(n);
      return Array.from(
        { length: n },
        (_, i) => new Tensor(v.shape.slice(1), v.data && v.shape.length === 1 ? [v.data[i]] : undefined, v.rf, v.dtype),
      );
    }
    if (v instanceof PyInstance) {
      if (v.tainted) return new Unknown(v.tainted);
      const native = this.library.nativeItems(v);
      if (native) return native;
      const it = v.cls.lookup('__iter__');
      if (it instanceof PyFunction) return this.iterate(this.callFunction(it, [v], new Map()));
      const gi = v.cls.lookup('__getitem__');
      const len = v.cls.lookup('__len__');
      if (gi && len) {
        const n = this.callMethod(v, '__len__', []);
        if (typeof n !== 'number') return new Unknown(`len() of ${v.cls.name} is unknown`);
        return Array.from({ length: n }, (_, i) => this.callMethod(v, '__getitem__', [i]));
      }
    }
    this.raise('TypeError', `'${typeName(v)}' object is not iterable`);
  }

  truth(v: Value): boolean | Unknown {
    if (v === null || v === false) return false;
    if (v === true) return true;
    if (typeof v === 'number') return v !== 0;
    if (typeof v === 'string') return v.length > 0;
    if (v instanceof PyFloat) return v.v !== 0;
    if (v instanceof PyList) return v.tainted ? new Unknown(v.tainted) : v.items.length > 0;
    if (v instanceof PyTuple) return v.items.length > 0;
    if (v instanceof PyDict) return v.tainted ? new Unknown(v.tainted) : v.map.size > 0;
    if (v instanceof PySet) return v.map.size > 0;
    if (v instanceof PyRange) return v.length > 0;
    if (v instanceof Unknown) return v;
    if (v instanceof Tensor) {
      const n = v.shape.reduce((a, b) => a * b, 1);
      if (n !== 1) this.raise('RuntimeError', `Boolean value of Tensor with more than one value is ambiguous`);
      if (v.data) return v.data[0] !== 0;
      return new Unknown('the truth of a tensor depends on its values, which the lens does not compute');
    }
    if (v instanceof PyInstance) {
      if (v.tainted) return new Unknown(v.tainted);
      const native = this.library.nativeItems(v);
      if (native) return native.length > 0;
      const b = v.cls.lookup('__bool__') ?? v.cls.lookup('__len__');
      if (b instanceof PyFunction) {
        const r = this.callFunction(b, [v], new Map());
        return r instanceof Unknown ? r : this.truth(r);
      }
      return true;
    }
    return true;
  }

  // -------------------------------------------------------------------------------------------------
  // Operators

  binary(
    op: string,
    a: Value,
    b: Value,
    f: Frame | undefined,
    at: { s: number; e: number; ln: number } | undefined,
    inplace: boolean,
  ): Value {
    if (a instanceof Tensor || b instanceof Tensor) {
      const ctx = f && at ? { site: this.site(at, f) } : {};
      return this.library.tensorBinary(op, a, b, ctx, inplace);
    }
    if (a instanceof Unknown) return a;
    if (b instanceof Unknown) return b;
    return this.pyBinary(op, a, b, inplace);
  }

  pyBinary(op: string, a: Value, b: Value, inplace = false): Value {
    const na = isNum(a);
    const nb = isNum(b);
    if (na && nb) return arithmetic(op, a as NumValue, b as NumValue, this);
    if (op === '+') {
      if (typeof a === 'string' && typeof b === 'string') return a + b;
      if (a instanceof PyList && b instanceof PyList) {
        if (inplace) {
          a.items.push(...b.items);
          if (b.tainted) a.tainted = b.tainted;
          return a;
        }
        const l = new PyList([...a.items, ...b.items]);
        if (a.tainted || b.tainted) l.tainted = a.tainted ?? b.tainted;
        return l;
      }
      if (a instanceof PyList && inplace) {
        const xs = this.iterate(b);
        if (xs instanceof Unknown) a.tainted = xs.reason;
        else a.items.push(...xs);
        return a;
      }
      if (a instanceof PyTuple && b instanceof PyTuple) return new PyTuple([...a.items, ...b.items]);
    }
    if (op === '*') {
      const seq = typeof a === 'number' || typeof a === 'boolean' ? b : a;
      const times = seq === a ? b : a;
      if (
        (typeof times === 'number' || typeof times === 'boolean') &&
        (seq instanceof PyList || seq instanceof PyTuple || typeof seq === 'string')
      ) {
        const n = Math.max(0, numberOf(times));
        const len = typeof seq === 'string' ? seq.length : seq.items.length;
        this.tick(n * len);
        if (typeof seq === 'string') return seq.repeat(n);
        const items: Value[] = [];
        for (let i = 0; i < n; i++) items.push(...seq.items);
        return seq instanceof PyList ? new PyList(items) : new PyTuple(items);
      }
    }
    if (op === '%' && typeof a === 'string') return percentFormat(a, b, this);
    if (op === '|' && a instanceof PyDict && b instanceof PyDict) return new PyDict([...a.entries(), ...b.entries()]);
    if (a instanceof PyInstance || b instanceof PyInstance) {
      const name = DUNDER[op];
      const self = a instanceof PyInstance ? a : (b as PyInstance);
      const m = name ? self.cls.lookup(self === a ? name : `__r${name.slice(2)}`) : undefined;
      if (m instanceof PyFunction) return this.callFunction(m, self === a ? [a, b] : [b, a], new Map());
    }
    this.raise('TypeError', `unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
  }

  private unary(op: string, v: Value, f: Frame, at: Expr): Value {
    if (op === 'not') {
      const t = this.truth(v);
      return t instanceof Unknown ? t : !t;
    }
    if (v instanceof Tensor) return this.library.tensorUnary(op, v, { site: this.site(at, f) });
    if (v instanceof Unknown) return v;
    if (isNum(v)) {
      const x = v as NumValue;
      if (op === '-') return x instanceof PyFloat ? new PyFloat(-x.v) : -numberOf(x);
      if (op === '+') return typeof x === 'boolean' ? numberOf(x) : x;
      if (op === '~' && !(x instanceof PyFloat)) return ~numberOf(x);
    }
    this.raise('TypeError', `bad operand type for unary ${op}: '${typeName(v)}'`);
  }

  compare(op: string, a: Value, b: Value, f: Frame | undefined, at: Expr | undefined): Value {
    if (op === 'is' || op === 'is not') {
      if (a instanceof Unknown) return a;
      if (b instanceof Unknown) return b;
      const same = identical(a, b);
      return op === 'is' ? same : !same;
    }
    if (op === 'in' || op === 'not in') {
      const r = this.contains(b, a);
      if (r instanceof Unknown) return r;
      return op === 'in' ? r : !r;
    }
    if (a instanceof Tensor || b instanceof Tensor)
      return this.library.tensorCompare(op, a, b, f && at ? { site: this.site(at, f) } : {});
    if (a instanceof Unknown) return a;
    if (b instanceof Unknown) return b;
    if (op === '==' || op === '!=') {
      const eq = equals(a, b);
      if (eq instanceof Unknown) return eq;
      return op === '==' ? eq : !eq;
    }
    const c = order(a, b);
    if (c === undefined)
      this.raise('TypeError', `'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
    switch (op) {
      case '<':
        return c < 0;
      case '<=':
        return c <= 0;
      case '>':
        return c > 0;
      default:
        return c >= 0;
    }
  }

  contains(container: Value, item: Value): boolean | Unknown {
    if (container instanceof Unknown) return container;
    if (item instanceof Unknown) return item;
    if (container instanceof PyDict)
      return container.has(item) ? true : container.tainted ? new Unknown(container.tainted) : false;
    if (container instanceof PySet) return container.map.has(hashKey(item));
    if (typeof container === 'string') return typeof item === 'string' ? container.includes(item) : false;
    const items = this.iterate(container);
    if (items instanceof Unknown) return items;
    for (const x of items) {
      const eq = equals(x, item);
      if (eq === true) return true;
      if (eq instanceof Unknown) return eq;
    }
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

type NumValue = number | boolean | PyFloat;

function isNum(v: Value): boolean {
  return typeof v === 'number' || typeof v === 'boolean' || v instanceof PyFloat;
}

const DUNDER: Record<string, string> = {
  '+': '__add__',
  '-': '__sub__',
  '*': '__mul__',
  '/': '__truediv__',
  '//': '__floordiv__',
  '%': '__mod__',
  '**': '__pow__',
  '@': '__matmul__',
};

function arithmetic(op: string, a: NumValue, b: NumValue, rt: Runtime): Value {
  const float = a instanceof PyFloat || b instanceof PyFloat;
  const x = numberOf(a);
  const y = numberOf(b);
  const num = (v: number, isFloat: boolean): Value => {
    if (isFloat) return new PyFloat(v);
    if (!Number.isSafeInteger(v)) return new Unknown(`the integer ${v} is larger than the lens computes exactly`);
    return v;
  };
  switch (op) {
    case '+':
      return num(x + y, float);
    case '-':
      return num(x - y, float);
    case '*':
      return num(x * y, float);
    case '/':
      if (y === 0) rt.raise('ZeroDivisionError', 'division by zero');
      return new PyFloat(x / y);
    case '//':
      if (y === 0) rt.raise('ZeroDivisionError', 'integer division or modulo by zero');
      return num(Math.floor(x / y), float);
    case '%':
      if (y === 0) rt.raise('ZeroDivisionError', 'integer division or modulo by zero');
      return num(x - y * Math.floor(x / y), float);
    case '**':
      if (!float && y < 0) return new PyFloat(x ** y);
      return num(x ** y, float);
    case '<<':
    case '>>':
    case '&':
    case '|':
    case '^':
      if (float) rt.raise('TypeError', `unsupported operand type(s) for ${op}: 'float'`);
      if (op === '<<') return num(x * 2 ** y, false);
      if (op === '>>') return Math.floor(x / 2 ** y);
      if (op === '&') return x & y;
      if (op === '|') return typeof a === 'boolean' && typeof b === 'boolean' ? a || b : x | y;
      return x ^ y;
    case '@':
      rt.raise('TypeError', "unsupported operand type(s) for @: 'int'");
  }
  rt.raise('TypeError', `unsupported operand ${op}`);
}

export function equals(a: Value, b: Value): boolean | Unknown {
  if (a instanceof Unknown) return a;
  if (b instanceof Unknown) return b;
  if (isNum(a) && isNum(b)) return numberOf(a as NumValue) === numberOf(b as NumValue);
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (a === null || b === null) return a === b;
  if ((a instanceof PyList && b instanceof PyList) || (a instanceof PyTuple && b instanceof PyTuple)) {
    if (a.items.length !== b.items.length) return false;
    for (let i = 0; i < a.items.length; i++) {
      const e = equals(a.items[i], b.items[i]);
      if (e !== true) return e;
    }
    return true;
  }
  if (a instanceof PyDict && b instanceof PyDict) {
    if (a.map.size !== b.map.size) return false;
    for (const [k, v] of a.entries()) {
      const w = b.get(k);
      if (w === undefined) return false;
      const e = equals(v, w);
      if (e !== true) return e;
    }
    return true;
  }
  return identical(a, b);
}

function identical(a: Value, b: Value): boolean {
  if (isNum(a) && isNum(b)) return typeof a === typeof b && numberOf(a as NumValue) === numberOf(b as NumValue);
  if (a instanceof EllipsisValue && b instanceof EllipsisValue) return true;
  return a === b;
}

function order(a: Value, b: Value): number | undefined {
  if (isNum(a) && isNum(b)) return numberOf(a as NumValue) - numberOf(b as NumValue);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if ((a instanceof PyTuple && b instanceof PyTuple) || (a instanceof PyList && b instanceof PyList)) {
    for (let i = 0; i < Math.min(a.items.length, b.items.length); i++) {
      if (equals(a.items[i], b.items[i]) === true) continue;
      return order(a.items[i], b.items[i]);
    }
    return a.items.length - b.items.length;
  }
  return undefined;
}

export function sliceBounds(s: PySlice, n: number): [number, number, number] {
  const step = s.step === null ? 1 : Number(s.step);
  const clamp = (v: Value, dflt: number): number => {
    if (v === null) return dflt;
    let x = numberOf(v as NumValue);
    if (x < 0) x += n;
    return step > 0 ? Math.min(Math.max(x, 0), n) : Math.min(Math.max(x, -1), n - 1);
  };
  return [clamp(s.lo, step > 0 ? 0 : n - 1), clamp(s.hi, step > 0 ? n : -1), step];
}

function sliceItems<T>(items: readonly T[], s: PySlice, rt: Runtime): T[] {
  for (const v of [s.lo, s.hi, s.step])
    if (v !== null && typeof v !== 'number' && typeof v !== 'boolean')
      rt.raise('TypeError', 'slice indices must be integers or None');
  const [lo, hi, step] = sliceBounds(s, items.length);
  if (step === 0) rt.raise('ValueError', 'slice step cannot be zero');
  const out: T[] = [];
  if (step > 0) for (let i = lo; i < hi; i += step) out.push(items[i]);
  else for (let i = lo; i > hi; i += step) out.push(items[i]);
  return out;
}

/** 'denselayer%d' % (i + 1) */
function percentFormat(fmt: string, arg: Value, rt: Runtime): Value {
  const args = arg instanceof PyTuple ? [...arg.items] : [arg];
  if (args.some((a) => a instanceof Unknown)) return args.find((a) => a instanceof Unknown)!;
  let k = 0;
  const out = fmt.replace(
    /%([-+ 0#]*)(\d+)?(?:\.(\d+))?([sdifrxeEgG%])/g,
    (_m, flags: string, width: string, prec: string, type: string) => {
      if (type === '%') return '%';
      const v = args[k++];
      let s: string;
      const n = isNum(v) ? numberOf(v as NumValue) : undefined;
      if (type === 'd' || type === 'i') s = n !== undefined ? String(Math.trunc(n)) : str(v);
      else if (type === 'f') s = n !== undefined ? n.toFixed(prec ? Number(prec) : 6) : str(v);
      else if (type === 'r') s = repr(v);
      else if (type === 'x') s = n !== undefined ? Math.trunc(n).toString(16) : str(v);
      else if (type === 'e' || type === 'E') s = n !== undefined ? n.toExponential(prec ? Number(prec) : 6) : str(v);
      else s = str(v);
      const w = width ? Number(width) : 0;
      rt.tick(w);
      if (flags.includes('-')) return s.padEnd(w);
      return s.padStart(w, flags.includes('0') && n !== undefined ? '0' : ' ');
    },
  );
  if (k < args.length && !(arg instanceof PyDict))
    rt.raise('TypeError', 'not all arguments converted during string formatting');
  return out;
}

export function describeException(exc: PyInstance): string {
  return exc.message ? `${exc.cls.name}: ${exc.message}` : exc.cls.name;
}

/** Marks an object as changed by code the lens could not follow. */
function taint(v: Value, reason: string): void {
  if (v instanceof PyList || v instanceof PyDict) v.tainted ??= reason;
  else if (v instanceof PyInstance) v.tainted ??= reason;
}

// ---------------------------------------------------------------------------------------------------------
// Static summaries of code

interface HavocSummary {
  readonly names: Set<string>;
  /** objects changed by the statements: attribute targets' objects, method-call receivers */
  readonly objects: Expr[];
  /** for attribute targets: the attribute assigned */
  readonly attrs: Map<Expr, string>;
  /** the statements may leave the function (return, raise) or the enclosing loop (break, continue) */
  leaves: boolean;
}

const PURE_CALLS = new Set(['print', 'warn', 'info', 'debug', 'warning', 'error', 'log', 'assert_', 'format']);

function summarize(stmts: readonly Stmt[], s: HavocSummary, loopDepth: number): void {
  for (const st of stmts) {
    switch (st.k) {
      case 'assign':
        for (const t of st.targets) summarizeTarget(t, s);
        summarizeCalls(st.value, s);
        break;
      case 'aug':
      case 'ann':
        summarizeTarget(st.target, s);
        if (st.value) summarizeCalls(st.value, s);
        break;
      case 'expr':
        summarizeCalls(st.x, s);
        break;
      case 'if':
        summarize(st.body, s, loopDepth);
        summarize(st.orelse, s, loopDepth);
        break;
      case 'for':
        summarizeTarget(st.target, s);
        summarize(st.body, s, loopDepth + 1);
        summarize(st.orelse, s, loopDepth);
        break;
      case 'while':
        summarize(st.body, s, loopDepth + 1);
        summarize(st.orelse, s, loopDepth);
        break;
      case 'with':
        for (const it of st.items) if (it.target) summarizeTarget(it.target, s);
        summarize(st.body, s, loopDepth);
        break;
      case 'try':
        summarize(st.body, s, loopDepth);
        for (const h of st.handlers) {
          if (h.name) s.names.add(h.name);
          summarize(h.body, s, loopDepth);
        }
        summarize(st.orelse, s, loopDepth);
        summarize(st.final, s, loopDepth);
        break;
      case 'def':
      case 'class':
        s.names.add(st.name);
        break;
      case 'import':
        for (const n of st.names) s.names.add(n.as ?? n.name.split('.')[0]);
        break;
      case 'from':
        for (const n of st.names ?? []) s.names.add(n.as ?? n.name);
        break;
      case 'return':
      case 'raise':
      case 'error':
        s.leaves = true;
        break;
      case 'break':
      case 'continue':
        if (loopDepth === 0) s.leaves = true;
        break;
      case 'del':
        for (const t of st.targets) summarizeTarget(t, s);
        break;
    }
  }
}

function summarizeTarget(t: Expr, s: HavocSummary): void {
  if (t.k === 'name') s.names.add(t.id);
  else if (t.k === 'tuple' || t.k === 'list') for (const x of t.items) summarizeTarget(x, s);
  else if (t.k === 'star') summarizeTarget(t.x, s);
  else if (t.k === 'attr') {
    if (isReference(t.obj)) {
      s.objects.push(t.obj);
      s.attrs.set(t.obj, t.name);
    } else s.leaves = true;
  } else if (t.k === 'sub') {
    if (isReference(t.obj)) s.objects.push(t.obj);
    else s.leaves = true;
  }
}

function isReference(e: Expr): boolean {
  return e.k === 'name' || (e.k === 'attr' && isReference(e.obj));
}

/** Calls in an expression change their receivers and arguments (except print and the like). */
function summarizeCalls(e: Expr, s: HavocSummary): void {
  walkExpr(e, (x) => {
    if (x.k === 'walrus') s.names.add(x.target);
    if (x.k !== 'call') return;
    const fn = x.fn;
    const name = fn.k === 'name' ? fn.id : fn.k === 'attr' ? fn.name : '';
    if (PURE_CALLS.has(name) || (fn.k === 'attr' && fn.obj.k === 'attr' && fn.obj.name === 'init')) return;
    if (fn.k === 'attr' && isReference(fn.obj)) {
      s.objects.push(fn.obj);
      if (fn.obj.k === 'name') s.names.add(fn.obj.id);
    }
    for (const a of x.args) if (isReference(a.value)) s.objects.push(a.value);
  });
}

function walkExpr(e: Expr, visit: (e: Expr) => void): void {
  visit(e);
  for (const v of Object.values(e)) {
    if (v && typeof v === 'object') {
      if (Array.isArray(v)) {
        for (const x of v) {
          if (x && typeof x === 'object' && 'k' in x) walkExpr(x as Expr, visit);
          else if (x && typeof x === 'object' && 'value' in x && (x as CallArg).value)
            walkExpr((x as CallArg).value, visit);
          else if (x && typeof x === 'object')
            for (const y of Object.values(x as object) as unknown[])
              if (y && typeof y === 'object' && 'k' in y) walkExpr(y as Expr, visit);
        }
      } else if ('k' in v) walkExpr(v as Expr, visit);
    }
  }
}

/** The names a block assigns (not descending into nested functions and classes). */
function collectTargets(stmts: readonly Stmt[], out: Set<string>, declared: Map<string, 'global' | 'nonlocal'>): void {
  for (const s of stmts) {
    switch (s.k) {
      case 'assign':
        for (const t of s.targets) collectNames(t, out);
        collectWalrus(s.value, out);
        break;
      case 'aug':
      case 'ann':
        collectNames(s.target, out);
        break;
      case 'for':
        collectNames(s.target, out);
        collectTargets(s.body, out, declared);
        collectTargets(s.orelse, out, declared);
        break;
      case 'while':
        collectTargets(s.body, out, declared);
        collectTargets(s.orelse, out, declared);
        break;
      case 'if':
        collectWalrus(s.test, out);
        collectTargets(s.body, out, declared);
        collectTargets(s.orelse, out, declared);
        break;
      case 'with':
        for (const it of s.items) if (it.target) collectNames(it.target, out);
        collectTargets(s.body, out, declared);
        break;
      case 'try':
        collectTargets(s.body, out, declared);
        for (const h of s.handlers) {
          if (h.name) out.add(h.name);
          collectTargets(h.body, out, declared);
        }
        collectTargets(s.orelse, out, declared);
        collectTargets(s.final, out, declared);
        break;
      case 'def':
      case 'class':
        out.add(s.name);
        break;
      case 'import':
        for (const n of s.names) out.add(n.as ?? n.name.split('.')[0]);
        break;
      case 'from':
        for (const n of s.names ?? []) out.add(n.as ?? n.name);
        break;
      case 'global':
      case 'nonlocal':
        for (const n of s.names) declared.set(n, s.k);
        break;
      case 'error':
        if (s.binds) out.add(s.binds);
        break;
    }
  }
}

function collectWalrus(e: Expr, out: Set<string>): void {
  walkExpr(e, (x) => {
    if (x.k === 'walrus') out.add(x.target);
  });
}

export function collectNames(t: Expr, out: Set<string>): void {
  if (t.k === 'name') out.add(t.id);
  else if (t.k === 'tuple' || t.k === 'list') for (const x of t.items) collectNames(x, out);
  else if (t.k === 'star') collectNames(t.x, out);
}
