/**
 * The models of a Python file and what running each on its input shapes gives: every class that is an
 * nn.Module and every module-level `x = nn.Sequential(...)`, with the input from a
 * `# conv-lens: input 1x3x224x224 [as ResNet(BasicBlock, [2, 2, 2, 2])]` comment above it (several inputs
 * are comma-separated), or from the user. Each model is built and called in the interpreter; the trace
 * holds every module call and tensor operation with its shapes, in PyTorch's call order, and the first
 * layer PyTorch would refuse.
 *
 * `ModelAnalyzer` re-analyses a file that is being edited: the file is split into top-level statements,
 * each parsed once per distinct text, and a model whose dependencies (the statements that bind the
 * names its run read, and every module-level statement with side effects) did not change keeps its result,
 * moved to its new offsets. A keystroke in unrelated code costs a scan of the file and nothing else.
 *
 * Pure TypeScript: no `vscode`, no Node APIs.
 */
import { parseChunk, parseExpression } from './parser';
import type { Expr, ParsedChunk, Stmt } from './syntax';
import { rescanChunks, scanChunks, type ChunkSpan } from './tokenizer';
import {
  BudgetExceeded,
  DEFAULT_LIMITS,
  describeException,
  PyRaise,
  Runtime,
  UnknownAbort,
  type CallSiteRecord,
  type LayerRecord,
  type Limits,
  type Trace,
} from './interpreter';
import { createTorchLibrary } from './torchLibrary';
import type { Refusal } from './layerRules';
import {
  PyClass,
  PyInstance,
  PyList,
  PyTuple,
  Tensor,
  Unknown,
  type CodeChunk,
  type SourceSite,
  type Value,
} from './values';

/** Offsets into the analysed text (end exclusive) and the 0-based line of `start`. */
export type SourceRange = SourceSite;

export interface TextEdit {
  readonly range: SourceRange;
  readonly newText: string;
}

/** What a model is run with: one shape per forward argument, and optionally how to build it. */
export interface InputSpec {
  readonly shapes: readonly (readonly number[])[];
  /** the constructor call, e.g. `ResNet(BasicBlock, [2, 2, 2, 2])` */
  readonly as?: string;
}

export type InputSource = 'comment' | 'remembered' | 'none';

export interface ModelInfo {
  /** the class name, or the Sequential's assignment target (`model`, `self.features`) */
  readonly name: string;
  readonly kind: 'module' | 'sequential';
  /** the class statement, or the Sequential call */
  readonly range: SourceRange;
  /** from the `# conv-lens: input` comment above the model */
  readonly inputSpec?: InputSpec;
  /** the shape of the comment's first input (kept for callers that read one shape) */
  readonly inputShape?: readonly number[];
  /** a Sequential written inside a class: it gets no code lens of its own without an input comment */
  readonly nested: boolean;
}

export interface Diagnostic {
  /** the record PyTorch refuses */
  readonly index: number;
  readonly torch: string;
  readonly why: string;
  readonly fix: string;
  /** an edit of the source that makes the fix, when the refused argument is a literal written once */
  readonly edit?: TextEdit;
}

export interface ModelRun {
  readonly model: ModelInfo;
  readonly spec: InputSpec | null;
  readonly inputSource: InputSource;
  readonly layers: readonly LayerRecord[];
  readonly callSites: readonly CallSiteRecord[];
  /** the shapes forward returns (one per returned tensor); null when unknown */
  readonly outputs: readonly (readonly number[] | null)[] | null;
  /** why the output (or the whole model) is unknown */
  readonly unknown?: string;
  readonly diagnostic?: Diagnostic;
  /** forward read `self.training` (the lens runs the model as in eval mode, where it is False) */
  readonly readTraining: boolean;
  /** parameters of the model, each module counted once */
  readonly params: number;
  /** the class is not an nn.Module: not a model at all */
  readonly notModule?: boolean;
}

// ---------------------------------------------------------------------------------------------------------
// Input comments and specs

const INPUT_COMMENT = /#\s*conv-lens\s*:\s*input\s+(.*)$/i;

/** `1x3x224x224 as ResNet(BasicBlock, [2, 2, 2, 2])`, `1x128x32x32, 1x64x64x64`, `(1, 3, 32, 32)`. */
export function parseInputSpec(text: string): InputSpec {
  let body = text.trim();
  let as: string | undefined;
  const m = /^(.*?)\s+as\s+(.+)$/s.exec(body);
  if (m) {
    body = m[1].trim();
    as = m[2].trim();
    if (as === '') throw new Error('`as` needs the constructor call, e.g. as ResNet(BasicBlock, [2, 2, 2, 2])');
  }
  if (body === '') throw new Error('give the input shape, e.g. 1x3x224x224');
  // parenthesised tuples: (1, 3, 32, 32), (1, 64, 8, 8)
  const tuples = [...body.matchAll(/[([]\s*([^()[\]]*)[)\]]/g)];
  const parts =
    tuples.length > 0 && body.replace(/[([][^()[\]]*[)\]]/g, '').replace(/[\s,]/g, '') === ''
      ? tuples.map((t) => t[1])
      : body.split(',');
  const shapes = parts.map((p) => {
    const dims = p
      .trim()
      .split(tuples.length > 0 ? /\s*,\s*|\s+/ : /\s*[x×*]\s*/)
      .filter((d) => d !== '');
    if (dims.length === 0 || !dims.every((d) => /^\d+$/.test(d)))
      throw new Error(
        `${JSON.stringify(p.trim())} is not a shape like 1x3x224x224 (dims joined by x, shapes separated by commas)`,
      );
    const shape = dims.map(Number);
    if (shape.some((d) => d === 0)) throw new Error(`the shape ${shape.join('x')} has a dim of size 0`);
    if (shape.length > 8) throw new Error(`the shape ${shape.join('x')} has more than 8 dims`);
    return shape;
  });
  return { shapes, ...(as ? { as } : {}) };
}

export function formatInputSpec(spec: InputSpec): string {
  return `${spec.shapes.map((s) => s.join('x')).join(', ')}${spec.as ? ` as ${spec.as}` : ''}`;
}

/** The spec of a `# conv-lens: input …` comment, or undefined when the comment is not one (or is malformed). */
export function parseInputComment(text: string): InputSpec | undefined {
  const m = INPUT_COMMENT.exec(text);
  if (!m) return undefined;
  try {
    return parseInputSpec(m[1]);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Candidates

interface Candidate {
  readonly info: ModelInfo;
  readonly chunk: number;
  /** for a Sequential inside a class: the call to evaluate on its own */
  readonly expr?: Expr;
  /** where the comment's `as` expression starts in the file (for ranges inside it) */
  readonly specAt?: { readonly start: number; readonly line: number };
}

function isSequentialCall(e: Expr): boolean {
  if (e.k !== 'call') return false;
  const f = e.fn;
  return (f.k === 'name' && f.id === 'Sequential') || (f.k === 'attr' && f.name === 'Sequential');
}

/** The `# conv-lens: input` comment just above the statement at chunk line `line` (no code in between). */
function commentAbove(p: ParsedChunk, line: number): { text: string; start: number; line: number } | undefined {
  let prevLast = -1;
  for (const l of p.logical) {
    if (l.line >= line) break;
    prevLast = Math.max(prevLast, l.lastLine);
  }
  let found: { text: string; start: number; line: number } | undefined;
  for (const c of p.comments) if (c.line > prevLast && c.line < line && INPUT_COMMENT.test(c.text)) found = c;
  return found;
}

function candidatesOf(p: ParsedChunk, span: ChunkSpan, index: number): Candidate[] {
  const out: Candidate[] = [];
  const abs = (s: number, e: number, ln: number): SourceRange => ({
    start: span.start + s,
    end: span.start + e,
    line: span.line + ln,
  });
  const withSpec = (
    line: number,
  ): { inputSpec?: InputSpec; inputShape?: readonly number[]; specAt?: Candidate['specAt'] } => {
    const c = commentAbove(p, line);
    if (!c) return {};
    const spec = parseInputComment(c.text);
    if (!spec) return {};
    const asAt = spec.as ? c.text.lastIndexOf(spec.as) : -1;
    return {
      inputSpec: spec,
      inputShape: spec.shapes[0],
      ...(asAt >= 0 ? { specAt: { start: span.start + c.start + asAt, line: span.line + c.line } } : {}),
    };
  };
  for (const s of p.body) {
    if (s.k === 'class' && s.bases.length > 0) {
      const first = s.decorators.length > 0 ? Math.min(s.ln, ...s.decorators.map((d) => d.ln)) : s.ln;
      const end = lastPos(s);
      const { specAt, ...spec } = withSpec(first);
      out.push({
        info: { name: s.name, kind: 'module', range: abs(s.s, end, s.ln), nested: false, ...spec },
        chunk: index,
        ...(specAt ? { specAt } : {}),
      });
      // a Sequential inside the class with an input comment of its own
      for (const inner of nestedSequentials(s.body)) {
        const { specAt: at, ...innerSpec } = withSpec(inner.stmt.ln);
        if (!innerSpec.inputSpec) continue;
        out.push({
          info: {
            name: inner.name,
            kind: 'sequential',
            range: abs(inner.expr.s, inner.expr.e, inner.expr.ln),
            nested: true,
            ...innerSpec,
          },
          chunk: index,
          expr: inner.expr,
          ...(at ? { specAt: at } : {}),
        });
      }
    } else if ((s.k === 'assign' || s.k === 'ann') && 'value' in s && s.value && isSequentialCall(s.value)) {
      const target = s.k === 'assign' ? s.targets[0] : s.target;
      if (target.k !== 'name') continue;
      const { specAt, ...spec } = withSpec(s.ln);
      out.push({
        info: {
          name: target.id,
          kind: 'sequential',
          range: abs(s.value.s, s.value.e, s.value.ln),
          nested: false,
          ...spec,
        },
        chunk: index,
        ...(specAt ? { specAt } : {}),
      });
    }
  }
  return out;
}

function nestedSequentials(body: readonly Stmt[]): { name: string; stmt: Stmt; expr: Expr }[] {
  const out: { name: string; stmt: Stmt; expr: Expr }[] = [];
  const walk = (stmts: readonly Stmt[]): void => {
    for (const s of stmts) {
      if (s.k === 'assign' && isSequentialCall(s.value)) {
        const t = s.targets[0];
        const name =
          t.k === 'attr' && t.obj.k === 'name'
            ? `${t.obj.id}.${t.name}`
            : t.k === 'name'
              ? t.id
              : `Sequential@${s.ln + 1}`;
        out.push({ name, stmt: s, expr: s.value });
      }
      if (s.k === 'def' || s.k === 'if' || s.k === 'for' || s.k === 'with' || s.k === 'while') walk(s.body);
      if (s.k === 'if') walk(s.orelse);
    }
  };
  walk(body);
  return out;
}

function lastPos(s: Stmt): number {
  let e = s.e;
  const visit = (x: Stmt): void => {
    e = Math.max(e, x.e);
    for (const key of ['body', 'orelse', 'final'] as const) {
      const b = (x as unknown as Record<string, unknown>)[key];
      if (Array.isArray(b)) for (const y of b as Stmt[]) visit(y);
    }
    if (x.k === 'try') for (const h of x.handlers) for (const y of h.body) visit(y);
  };
  visit(s);
  return e;
}

// ---------------------------------------------------------------------------------------------------------
// Chunks: what each binds and whether it has effects beyond its bindings

interface ChunkFacts {
  /** names this top-level statement binds; undefined for a statement with other effects */
  readonly binds?: readonly string[];
  /** `if __name__ == '__main__':` — never runs in the lens */
  readonly main?: boolean;
}

function factsOf(p: ParsedChunk): ChunkFacts {
  const names: string[] = [];
  for (const s of p.body) {
    switch (s.k) {
      case 'def':
      case 'class':
        names.push(s.name);
        break;
      case 'import':
        for (const n of s.names) names.push(n.as ?? n.name.split('.')[0]);
        break;
      case 'from':
        if (!s.names) return {};
        for (const n of s.names) names.push(n.as ?? n.name);
        break;
      case 'assign':
        for (const t of s.targets) if (!collectPlain(t, names)) return {};
        break;
      case 'ann':
        if (!collectPlain(s.target, names)) return {};
        break;
      case 'expr':
        // a docstring or a bare constant has no effect
        if (s.x.k !== 'str' && s.x.k !== 'num' && s.x.k !== 'const') return {};
        break;
      case 'if':
        if (p.body.length === 1 && isMainGuard(s.test)) return { binds: [], main: true };
        return {};
      case 'error':
        if (s.binds) names.push(s.binds);
        break;
      case 'pass':
        break;
      default:
        return {};
    }
  }
  return { binds: names };
}

function collectPlain(t: Expr, out: string[]): boolean {
  if (t.k === 'name') {
    out.push(t.id);
    return true;
  }
  if (t.k === 'tuple' || t.k === 'list') return t.items.every((x) => collectPlain(x.k === 'star' ? x.x : x, out));
  return false;
}

function isMainGuard(e: Expr): boolean {
  return (
    e.k === 'cmp' &&
    e.ops.length === 1 &&
    e.ops[0] === '==' &&
    e.xs.some((x) => x.k === 'name' && x.id === '__name__') &&
    e.xs.some((x) => x.k === 'str' && x.v === '__main__')
  );
}

// ---------------------------------------------------------------------------------------------------------
// Running

interface ChunkState {
  readonly span: ChunkSpan;
  readonly text: string;
  readonly parsed: ParsedChunk;
  readonly facts: ChunkFacts;
}

/** One analysis of a file: its chunks, parsed, and (on demand) the module-level run. */
class FileRun {
  private runtime?: Runtime;
  /** global names each chunk read while running at module level */
  private chunkReads: Set<string>[] = [];
  private lib?: ReturnType<typeof createTorchLibrary>;

  constructor(
    readonly chunks: readonly ChunkState[],
    private readonly limits: Limits,
  ) {}

  private moduleLevel(): Runtime {
    if (this.runtime) return this.runtime;
    const rt = new Runtime(this.limits);
    const lib = createTorchLibrary(rt);
    rt.library = lib;
    this.lib = lib;
    rt.sourceOf = (c) => this.chunks[c.index]?.text;
    this.chunkReads = this.chunks.map(() => new Set<string>());
    this.chunks.forEach((c, i) => {
      if (c.facts.main) return;
      rt.resetBudget();
      const reads = this.chunkReads[i];
      rt.onGlobalRead = (n) => reads.add(n);
      try {
        rt.execChunk(c.parsed.body, { base: c.span.start, line: c.span.line, index: i });
      } catch (e) {
        if (!(e instanceof BudgetExceeded)) throw e;
        // the rest of this statement did not run: what it binds is unknown
        for (const n of c.facts.binds ?? [])
          rt.globals.vars.set(n, new Unknown(`line ${c.span.line + 1}: ${e.reason}`));
      }
    });
    rt.onGlobalRead = undefined;
    this.runtime = rt;
    return rt;
  }

  /** Runs one model; `reads` collects the global names its run depends on (with those of their bindings). */
  run(c: Candidate, spec: InputSpec | null, source: InputSource): { run: ModelRun; reads: Set<string> } {
    const rt = this.moduleLevel();
    const lib = this.lib!;
    const reads = new Set<string>();
    rt.onGlobalRead = (n) => reads.add(n);
    rt.resetBudget();
    const base = {
      model: c.info,
      spec,
      inputSource: source,
      layers: [],
      callSites: [],
      readTraining: false,
      params: 0,
    };
    const trace: Trace = {
      layers: [],
      callSites: [],
      paths: new Map(),
      calls: new Map(),
      modelInputs: new Set(),
      producers: new WeakMap(),
      readTraining: false,
    };
    const done = (r: Omit<ModelRun, 'model' | 'spec' | 'inputSource'>): { run: ModelRun; reads: Set<string> } => {
      rt.onGlobalRead = undefined;
      rt.trace = undefined;
      return { run: { model: c.info, spec, inputSource: source, ...r }, reads: this.closeReads(reads) };
    };
    try {
      // the model object
      let model: Value;
      const chunk = this.chunks[c.chunk];
      const code: CodeChunk = { base: chunk.span.start, line: chunk.span.line, index: c.chunk };
      if (spec?.as) {
        let expr: Expr;
        try {
          expr = parseExpression(spec.as);
        } catch (e) {
          return done({
            ...base,
            outputs: null,
            unknown: `the comment's \`as ${spec.as}\` does not parse: ${(e as Error).message}`,
          });
        }
        const at = c.specAt ?? { start: chunk.span.start, line: chunk.span.line };
        model = rt.evaluate(expr, { base: at.start, line: at.line, index: c.chunk });
      } else if (c.expr) model = rt.evaluate(c.expr, code);
      else {
        const v = rt.globals.vars.get(c.info.name);
        model = v === undefined ? new Unknown(`${c.info.name} is not defined at module level`) : v;
        if (model instanceof PyClass) {
          if (!model.isModule)
            return done({ ...base, outputs: null, notModule: true, unknown: `${c.info.name} is not an nn.Module` });
          try {
            model = rt.call(model, [], new Map(), {});
          } catch (e) {
            if (
              e instanceof PyRaise &&
              e.exc.cls.name === 'TypeError' &&
              /missing \d+ required argument/.test(e.exc.message ?? '')
            )
              return done({
                ...base,
                outputs: null,
                unknown: `${c.info.name}() needs arguments (${/: (.*)$/.exec(e.exc.message ?? '')?.[1] ?? ''}): give them in the comment, e.g. \`# conv-lens: input ${spec ? spec.shapes.map((s) => s.join('x')).join(', ') : '1x3x224x224'} as ${c.info.name}(…)\``,
              });
            throw e;
          }
        }
      }
      if (model instanceof Unknown) return done({ ...base, outputs: null, unknown: model.reason });
      if (!(model instanceof PyInstance) || !model.module)
        return done({
          ...base,
          outputs: null,
          unknown: `${c.info.name} is a ${model === null ? 'None' : typeof model}, not a module`,
        });
      const params = 0;
      if (!spec)
        return done({
          ...base,
          params,
          outputs: null,
          unknown: 'no input shape (add a `# conv-lens: input 1x3x224x224` comment)',
        });
      // named_modules() paths, the model's inputs, and the call
      for (const [path, m] of lib.namedModules(model)) trace.paths.set(m.module!.id, path);
      const inputs = spec.shapes.map((s) => new Tensor(s));
      for (const t of inputs) trace.modelInputs.add(t);
      rt.trace = trace;
      let out: Value;
      try {
        out = rt.callModule(model, inputs, new Map(), {});
      } catch (e) {
        if (e instanceof PyRaise && e.refusal) {
          return done({
            ...base,
            params: uniqueParams(trace.layers),
            layers: trace.layers,
            callSites: trace.callSites,
            readTraining: trace.readTraining,
            outputs: null,
            diagnostic: this.diagnostic(e.refusal.refusal, e.refusal.index, trace.layers),
          });
        }
        throw e;
      }
      const outputs = outputShapes(out);
      return done({
        ...base,
        params: uniqueParams(trace.layers),
        layers: trace.layers,
        callSites: trace.callSites,
        readTraining: trace.readTraining,
        outputs: outputs instanceof Unknown ? null : outputs,
        ...(outputs instanceof Unknown ? { unknown: outputs.reason } : {}),
      });
    } catch (e) {
      const partial = {
        ...base,
        layers: trace.layers,
        callSites: trace.callSites,
        readTraining: trace.readTraining,
        outputs: null,
      };
      if (e instanceof BudgetExceeded) return done({ ...partial, unknown: e.reason });
      if (e instanceof PyRaise) return done({ ...partial, unknown: `the model raises ${describeException(e.exc)}` });
      if (e instanceof UnknownAbort) return done({ ...partial, unknown: e.reason });
      // a bug of the lens must not take the editor down: the model is unknown, with the reason
      return done({
        ...partial,
        unknown: `the shape lens failed on this model: ${e instanceof Error ? e.message : String(e)}`,
      });
    }
  }

  /** The reads of a run, with what the statements binding those names read at module level (and so on). */
  private closeReads(reads: Set<string>): Set<string> {
    const out = new Set(reads);
    const queue = [...reads];
    while (queue.length > 0) {
      const n = queue.pop()!;
      this.chunks.forEach((c, i) => {
        if (!c.facts.binds?.includes(n)) return;
        for (const r of this.chunkReads[i] ?? []) {
          if (!out.has(r)) {
            out.add(r);
            queue.push(r);
          }
        }
      });
    }
    return out;
  }

  private diagnostic(r: Refusal, index: number, layers: readonly LayerRecord[]): Diagnostic {
    const layer = layers[index];
    let edit: TextEdit | undefined;
    if (layer && r.editParam && r.newValue !== undefined && layer.module) {
      const site = layer.module.module!.argSites?.get(r.editParam);
      // a literal written at a constructor call that built this one module only: editing it fixes this layer alone
      const sameSite = layers.filter(
        (l) => l.module && l.site.start === layer.site.start && l.site.end === layer.site.end,
      );
      const modules = new Set(sameSite.map((l) => l.module));
      if (site?.literal && modules.size === 1) edit = { range: site.site, newText: String(r.newValue) };
    }
    return { index, torch: r.torch, why: r.why, fix: r.fix, ...(edit ? { edit } : {}) };
  }
}

/** Parameters of the modules the run called, each module once. */
function uniqueParams(layers: readonly LayerRecord[]): number {
  let n = 0;
  for (const l of layers) if (l.kind === 'module' && l.call === 0) n += l.params;
  return n;
}

function outputShapes(v: Value): (readonly number[] | null)[] | Unknown {
  if (v instanceof Tensor) return [v.shape];
  if (v instanceof Unknown) return v;
  if (v instanceof PyTuple || v instanceof PyList) {
    const out: (readonly number[] | null)[] = [];
    for (const x of v.items) {
      if (x instanceof Unknown) return x;
      out.push(x instanceof Tensor ? x.shape : null);
    }
    return out;
  }
  return [null];
}

// ---------------------------------------------------------------------------------------------------------
// The incremental analyzer

interface MemoEntry {
  readonly run: ModelRun;
  /** the key parts that must be unchanged for the run to stand */
  readonly effects: string;
  readonly binders: ReadonlyMap<string, string>;
  /** the spans of the chunks whose code the run's ranges point into, at the time of the run */
  readonly spans: readonly { readonly text: string; readonly start: number; readonly line: number }[];
}

export interface AnalyzeOptions {
  readonly limits?: Limits;
}

/**
 * Analyses the models of a file; for a file being edited, call `analyze` on each version with the same
 * analyzer, so that untouched models keep their results.
 */
export class ModelAnalyzer {
  private parsed = new Map<string, ParsedChunk>();
  private memo = new Map<string, MemoEntry>();
  private previous?: { readonly text: string; readonly spans: readonly ChunkSpan[] };
  private readonly limits: Limits;

  constructor(options: AnalyzeOptions = {}) {
    this.limits = options.limits ?? DEFAULT_LIMITS;
  }

  analyze(src: string, remembered?: (name: string, model: ModelInfo) => InputSpec | undefined): ModelRun[] {
    const spans = this.previous ? rescanChunks(this.previous.text, this.previous.spans, src) : scanChunks(src);
    this.previous = { text: src, spans };
    const parsed = new Map<string, ParsedChunk>();
    const chunks: ChunkState[] = spans.map((span) => {
      const text = src.slice(span.start, span.end);
      let p = parsed.get(text) ?? this.parsed.get(text);
      if (!p) p = parseChunk(text);
      parsed.set(text, p);
      return { span, text, parsed: p, facts: factsOf(p) };
    });
    this.parsed = parsed;
    const candidates = chunks.flatMap((c, i) => candidatesOf(c.parsed, c.span, i));
    const effects = chunks
      .filter((c) => !c.facts.binds)
      .map((c) => c.text)
      .join('\u0001');
    const bindersOf = (name: string): string =>
      chunks
        .filter((c) => c.facts.binds?.includes(name))
        .map((c) => c.text)
        .join('\u0001');
    const file = new FileRun(chunks, this.limits);
    const next = new Map<string, MemoEntry>();
    const runs: ModelRun[] = [];
    for (const c of candidates) {
      const mine = remembered?.(c.info.name, c.info);
      const spec = mine ?? c.info.inputSpec ?? null;
      const source: InputSource = mine ? 'remembered' : c.info.inputSpec ? 'comment' : 'none';
      const key = `${c.info.kind}\u0000${c.info.name}\u0000${chunks[c.chunk].text}\u0000${spec ? formatInputSpec(spec) : '-'}\u0000${source}`;
      const hit = this.memo.get(key);
      let run: ModelRun | undefined;
      if (hit && hit.effects === effects && [...hit.binders].every(([n, t]) => bindersOf(n) === t)) {
        const moved = relocate(hit, chunks, c);
        if (moved) {
          run = moved.run;
          next.set(key, moved.entry);
        }
      }
      if (!run) {
        const r = file.run(c, spec, source);
        run = r.run;
        const binders = new Map<string, string>();
        for (const n of r.reads) binders.set(n, bindersOf(n));
        const used = new Set<number>([c.chunk]);
        chunks.forEach((ch, i) => {
          if (!ch.facts.binds || ch.facts.binds.some((n) => r.reads.has(n))) used.add(i);
        });
        next.set(key, {
          run,
          effects,
          binders,
          spans: [...used]
            .sort((a, b) => a - b)
            .map((i) => ({ text: chunks[i].text, start: chunks[i].span.start, line: chunks[i].span.line })),
        });
      }
      if (run.notModule && !c.info.inputSpec && source !== 'remembered') continue;
      runs.push(run);
    }
    this.memo = next;
    return runs;
  }
}

/** A memoised run moved to where its chunks are now (or undefined when a chunk cannot be found). */
function relocate(
  entry: MemoEntry,
  chunks: readonly ChunkState[],
  c: Candidate,
): { run: ModelRun; entry: MemoEntry } | undefined {
  // match each old chunk to a current one with the same text, in order
  const moves: { from: number; to: number; len: number; dl: number }[] = [];
  let k = 0;
  for (const s of entry.spans) {
    while (k < chunks.length && chunks[k].text !== s.text) k++;
    if (k >= chunks.length) return undefined;
    moves.push({ from: s.start, to: chunks[k].span.start, len: s.text.length, dl: chunks[k].span.line - s.line });
    k++;
  }
  // nothing moved: the very same run (the editor keeps what it derived from it)
  if (moves.every((m) => m.from === m.to && m.dl === 0)) return { run: entry.run, entry };
  void c;
  // the comment's `as` expression lives in the model's own chunk: a range anywhere else is left as it was
  const at = (o: number): { d: number; dl: number } => {
    for (const m of moves) if (o >= m.from && o <= m.from + m.len) return { d: m.to - m.from, dl: m.dl };
    return { d: 0, dl: 0 };
  };
  const range = <T extends SourceRange | undefined>(r: T): T => {
    if (!r) return r;
    const m = at(r.start);
    return { start: r.start + m.d, end: r.end + m.d, line: r.line + m.dl } as T;
  };
  const old = entry.run;
  const layers = old.layers.map((l) => ({
    ...l,
    site: range(l.site),
    ...(l.callSite ? { callSite: range(l.callSite) } : {}),
  }));
  const callSites = old.callSites.map((s) => ({ ...s, site: range(s.site) }));
  const d = old.diagnostic;
  const diagnostic = d && {
    ...d,
    ...(d.edit ? { edit: { newText: d.edit.newText, range: range(d.edit.range) } } : {}),
  };
  const run: ModelRun = { ...old, model: c.info, layers, callSites, ...(diagnostic ? { diagnostic } : {}) };
  const spans = entry.spans.map((s, i) => ({ text: s.text, start: moves[i].to, line: s.line + moves[i].dl }));
  return { run, entry: { ...entry, run, spans } };
}
