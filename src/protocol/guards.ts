/**
 * Runtime guards for everything that crosses between the host and the webview: a message is untrusted data
 * until one of these has checked it (shapes, bounds, array lengths against the shapes they describe), on
 * both sides. Each guard returns the reason for a refusal, or null; the `is…` forms wrap them.
 */
import { PANEL_COMMANDS, type HostMessage, type WebviewMessage } from './messages';
import type { Floats } from './floats';
import type { ConvPage, PoolPage, ScatterPage, StepPage, WeightGradPage } from './pages';
import { TRACE_PARTS, type PanelTrace, type PanelView, type Paging, type TensorPayload, type ViewKind } from './view';

const MAX_TEXT = 1 << 20;
const MAX_ID = 200;
const MAX_RANK = 8;
const MAX_ELEMENTS = 1 << 26;
const VIEW_KINDS: readonly ViewKind[] = [
  'conv',
  'conv_transpose',
  'max_pool',
  'avg_pool',
  'im2col',
  'shape',
  'gradcheck',
  'backward',
  'tensor',
];

type Reason = string | null;
type Rec = Record<string, unknown>;

function isRecord(x: unknown): x is Rec {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const isText = (x: unknown, max = MAX_TEXT): x is string => typeof x === 'string' && x.length <= max;
const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isIndex = (x: unknown): x is number => Number.isSafeInteger(x);

function isDims(x: unknown, max = MAX_RANK): x is number[] {
  return Array.isArray(x) && x.length <= max && x.every(isCount);
}

function isIndexList(x: unknown): x is number[] {
  return Array.isArray(x) && x.length <= MAX_RANK && x.every(isIndex);
}

function isTextList(x: unknown, maxItems = 10_000, maxLength = 10_000): x is string[] {
  return Array.isArray(x) && x.length <= maxItems && x.every((s) => isText(s, maxLength));
}

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** A typed array of the given kind, and (when given) of exactly `length` entries. */
function typed<T extends ArrayBufferView>(x: unknown, ctor: { new (n: number): T }, length?: number): x is T {
  return x instanceof ctor && (length === undefined || (x as unknown as { length: number }).length === length);
}

/** a float column: float64, or float32 when that was exact (floats.ts) */
function isFloats(x: unknown, length?: number): x is Floats {
  return typed(x, Float64Array, length) || typed(x, Float32Array, length);
}

function all(...reasons: Reason[]): Reason {
  return reasons.find((r) => r !== null) ?? null;
}

function check(ok: boolean, reason: string): Reason {
  return ok ? null : reason;
}

// ---------------------------------------------------------------------------------------------------------
// Tensors

export function tensorProblem(x: unknown): Reason {
  if (!isRecord(x)) return 'a tensor must be an object';
  if (!isText(x.id, MAX_ID) || !isText(x.name, MAX_ID) || !isText(x.dtype, 32))
    return 'a tensor needs id, name and dtype';
  if (!isDims(x.shape)) return `tensor ${x.id}: bad shape`;
  const n = product(x.shape);
  if (n > MAX_ELEMENTS) return `tensor ${x.id}: too many elements`;
  if (x.data !== null && !isFloats(x.data, n))
    return `tensor ${x.id}: data must be a Float64Array or Float32Array of ${n}`;
  const s = x.stats;
  if (!isRecord(s) || !isCount(s.count) || !isCount(s.nan) || !isCount(s.posInf) || !isCount(s.negInf)) {
    return `tensor ${x.id}: bad stats`;
  }
  const finiteOrNull = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v));
  if (![s.min, s.max, s.mean, s.std].every(finiteOrNull)) return `tensor ${x.id}: bad stats`;
  for (const k of ['firstNaN', 'firstPosInf', 'firstNegInf']) {
    if (s[k] !== null && !isDims(s[k])) return `tensor ${x.id}: bad ${k}`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// Pages

function pageBaseProblem(p: Rec): Reason {
  if (!isCount(p.rank) || p.rank > 3) return 'page: bad rank';
  const w = p.window;
  if (!isRecord(w) || !isCount(w.start) || !isCount(w.count) || !isCount(w.total) || typeof w.truncated !== 'boolean') {
    return 'page: bad window';
  }
  if (w.start + w.count > w.total) return 'page: window past the end';
  if (!typed(p.step, Int32Array, w.count)) return 'page: bad step list';
  if (!typed(p.termStart, Int32Array, w.count + 1)) return 'page: bad termStart';
  const starts = p.termStart as Int32Array;
  for (let i = 0; i < starts.length - 1; i++) if (starts[i + 1] < starts[i]) return 'page: termStart decreases';
  if (starts[0] !== 0) return 'page: termStart must start at 0';
  return null;
}

/** per-step fields: `fields` hold one entry per step, `vectorFields` rank entries per step. */
function fieldsProblem(
  p: Rec,
  count: number,
  rank: number,
  ints: string[],
  vectorFields: string[],
  floats: string[],
  prefix = '',
): Reason {
  for (const f of ints)
    if (!typed(p[f], Int32Array, count)) return `page: ${prefix}${f} must be an Int32Array of ${count}`;
  for (const f of vectorFields) {
    if (!typed(p[f], Int32Array, count * rank)) return `page: ${prefix}${f} must be an Int32Array of ${count * rank}`;
  }
  for (const f of floats)
    if (!isFloats(p[f], count)) return `page: ${prefix}${f} must be a Float64Array or Float32Array of ${count}`;
  return null;
}

function stepPageProblem(x: unknown, kind: StepPage['kind']): Reason {
  if (!isRecord(x) || x.kind !== kind) return `expected a ${kind} page`;
  const base = pageBaseProblem(x);
  if (base) return base;
  const rank = x.rank as number;
  const count = (x.window as Rec).count as number;
  const terms = (x.termStart as Int32Array)[count];
  switch (kind) {
    case 'conv': {
      const p = x as unknown as ConvPage & Rec;
      const sums = typed(p.sumStart, Int32Array, count + 1) ? p.sumStart[count] : -1;
      return all(
        fieldsProblem(x, count, rank, ['batch', 'outChannel', 'group'], ['position', 'windowStart'], ['value', 'bias']),
        check(typed(p.hasBias, Uint8Array, count), 'page: bad hasBias'),
        check(isTextList(p.text) && p.text.length === count, 'page: bad text'),
        fieldsProblem(
          x,
          terms,
          rank,
          ['termChannel'],
          ['termTap', 'termAt', 'termSource'],
          ['termX', 'termW', 'termProduct', 'termRunning'],
        ),
        check(
          sums >= 0 && typed(p.sumChannel, Int32Array, sums) && isFloats(p.sumValue, sums),
          'page: bad channel sums',
        ),
      );
    }
    case 'scatter': {
      const p = x as unknown as ScatterPage & Rec;
      return all(
        fieldsProblem(p, count, rank, ['batch', 'inChannel'], ['position'], ['value']),
        fieldsProblem(
          p,
          terms,
          rank,
          ['termOutChannel'],
          ['termTap', 'termAt', 'termPosition'],
          ['termW', 'termProduct', 'termAfter'],
        ),
      );
    }
    case 'pool': {
      const p = x as unknown as PoolPage & Rec;
      return all(
        fieldsProblem(
          p,
          count,
          rank,
          ['batch', 'channel'],
          ['position', 'windowStart'],
          ['argmax', 'divisor', 'value'],
        ),
        check(isTextList(p.text) && p.text.length === count, 'page: bad text'),
        fieldsProblem(p, terms, rank, [], ['termTap', 'termAt'], ['termValue']),
        check(typed(p.termInside, Uint8Array, terms), 'page: bad termInside'),
      );
    }
    case 'weight_grad': {
      const p = x as unknown as WeightGradPage & Rec;
      return all(
        fieldsProblem(p, count, rank, ['outChannel', 'inChannel'], ['tap'], ['value']),
        check(isTextList(p.text) && p.text.length === count, 'page: bad text'),
        fieldsProblem(p, terms, rank, ['termBatch'], ['termPosition'], ['termX', 'termDy']),
      );
    }
  }
}

export function isStepPage(x: unknown): x is StepPage {
  return (
    isRecord(x) &&
    ['conv', 'scatter', 'pool', 'weight_grad'].includes(x.kind as string) &&
    stepPageProblem(x, x.kind as StepPage['kind']) === null
  );
}

function pagingProblem(x: unknown, kind: StepPage['kind']): Reason {
  if (!isRecord(x)) return 'steps: expected paging';
  const p = x as unknown as Paging<unknown>;
  if (!isCount(p.total) || !isCount(p.pageSize) || p.pageSize < 1) return 'steps: bad total or page size';
  return stepPageProblem(p.first, kind);
}

// ---------------------------------------------------------------------------------------------------------
// Traces

function traceProblem(t: unknown, tensorIds: ReadonlySet<string>): Reason {
  if (!isRecord(t)) return 'the trace must be an object';
  const ref = (id: unknown, what: string): Reason =>
    check(typeof id === 'string' && tensorIds.has(id), `trace: ${what} names no tensor of the view`);
  const dims = (...names: string[]): Reason => {
    for (const n of names) if (!isDims(t[n])) return `trace: bad ${n}`;
    return null;
  };
  const indexLists = (...names: string[]): Reason => {
    for (const n of names) if (!isIndexList(t[n])) return `trace: bad ${n}`;
    return null;
  };
  const rank = t.rank as number;
  const rankOk = check(rank === 1 || rank === 2 || rank === 3, 'trace: rank must be 1, 2 or 3');
  switch (t.kind) {
    case 'conv':
      return all(
        rankOk,
        dims('inputShape', 'weightShape', 'outputShape', 'stride', 'dilation', 'paddedSize'),
        indexLists('padBefore', 'padAfter'),
        check(
          Array.isArray(t.padSource) &&
            t.padSource.length === rank &&
            (t.padSource as unknown[]).every((a, i) => typed(a, Int32Array, (t.paddedSize as number[])[i])),
          'trace: bad padSource',
        ),
        check(
          typeof t.flip === 'boolean' &&
            typeof t.batched === 'boolean' &&
            isText(t.paddingMode, 32) &&
            isCount(t.groups),
          'trace: bad conv options',
        ),
        check(isTextList(t.formula, 8), 'trace: bad formula'),
        ref(t.input, 'input'),
        ref(t.weight, 'weight'),
        ref(t.output, 'output'),
        pagingProblem(t.steps, 'conv'),
      );
    case 'conv_transpose':
      return all(
        rankOk,
        dims(
          'inputShape',
          'weightShape',
          'outputShape',
          'stride',
          'dilation',
          'padding',
          'outputPadding',
          'uncroppedSize',
        ),
        check(typeof t.batched === 'boolean' && isCount(t.groups) && isTextList(t.formula, 8), 'trace: bad options'),
        ref(t.input, 'input'),
        ref(t.weight, 'weight'),
        ref(t.output, 'output'),
        pagingProblem(t.steps, 'scatter'),
      );
    case 'max_pool':
    case 'avg_pool':
      return all(
        rankOk,
        dims('inputShape', 'outputShape', 'kernelSize', 'stride', 'padding', 'dilation', 'overhang'),
        check(typeof t.ceilMode === 'boolean' && typeof t.batched === 'boolean', 'trace: bad options'),
        check(isTextList(t.formula, 8) && isTextList(t.notes, 8), 'trace: bad notes'),
        ref(t.input, 'input'),
        ref(t.output, 'output'),
        pagingProblem(t.steps, 'pool'),
      );
    case 'im2col': {
      if (!isCount(t.rows) || !isCount(t.columns) || t.rows * t.columns > MAX_ELEMENTS) return 'trace: bad matrix size';
      const rows = t.rows;
      const cols = t.columns;
      const g = t.gemm;
      let gemm: Reason = null;
      if (g !== null) {
        if (!isRecord(g) || !isCount(g.outChannels) || !isCount(g.weightColumns) || !isCount(g.groups))
          gemm = 'trace: bad gemm';
        else {
          gemm = all(
            check(typed(g.weightMatrix, Float64Array, g.outChannels * g.weightColumns), 'trace: bad weight matrix'),
            check(typed(g.product, Float64Array, g.outChannels * cols), 'trace: bad product'),
          );
        }
      }
      return all(
        rankOk,
        dims('inputShape', 'kernelSize', 'stride', 'padding', 'dilation', 'blocks'),
        check(isCount(t.batch), 'trace: bad batch'),
        check(typed(t.matrix, Float64Array, rows * cols), 'trace: bad matrix'),
        check(typed(t.sources, Int32Array, rows * cols * rank), 'trace: bad sources'),
        check(
          typed(t.rowChannel, Int32Array, rows) && typed(t.rowTap, Int32Array, rows * rank),
          'trace: bad row labels',
        ),
        check(typed(t.columnPosition, Int32Array, cols * rank), 'trace: bad column labels'),
        ref(t.input, 'input'),
        gemm,
      );
    }
    case 'conv_backward':
      return all(
        rankOk,
        dims('inputShape', 'weightShape', 'outputShape', 'stride', 'dilation', 'paddedSize'),
        indexLists('padBefore', 'padAfter'),
        check(typeof t.batched === 'boolean' && isTextList(t.formula, 8), 'trace: bad options'),
        ref(t.gradOutput, 'gradOutput'),
        ref(t.gradInput, 'gradInput'),
        ref(t.gradWeight, 'gradWeight'),
        t.gradBias === null ? null : ref(t.gradBias, 'gradBias'),
        pagingProblem(t.gradInputSteps, 'scatter'),
        pagingProblem(t.gradWeightSteps, 'weight_grad'),
      );
    case 'tensor': {
      const h = t.histogram;
      return all(
        ref(t.tensor, 'tensor'),
        check(isText(t.origin, 2000), 'trace: bad origin'),
        check(
          h === null ||
            (isRecord(h) &&
              typeof h.lo === 'number' &&
              typeof h.hi === 'number' &&
              Number.isFinite(h.lo) &&
              Number.isFinite(h.hi) &&
              typed(h.counts, Int32Array) &&
              (h.counts as Int32Array).length <= 1024),
          'trace: bad histogram',
        ),
        t.filters === null
          ? null
          : isRecord(t.filters) && (t.filters.note === null || isText(t.filters.note, 1000))
            ? ref(t.filters.tensor, 'filters')
            : 'trace: bad filters',
      );
    }
    case 'gradcheck': {
      if (t.message !== null && !isText(t.message)) return 'trace: bad message';
      if (
        !Array.isArray(t.checks) ||
        t.checks.length > 8 ||
        !Array.isArray(t.userGradients) ||
        t.userGradients.length > 8
      ) {
        return 'trace: bad checks';
      }
      for (const c of t.checks as unknown[]) {
        if (
          !isRecord(c) ||
          !isText(c.input, MAX_ID) ||
          typeof c.passed !== 'boolean' ||
          !isText(c.headline, 1000) ||
          !isText(c.maxDifference, 100)
        ) {
          return 'trace: bad check';
        }
        if (c.difference !== null && ref(c.difference, 'difference')) return 'trace: bad difference tensor';
        if (c.failed !== null && !typed(c.failed, Uint8Array)) return 'trace: bad failed flags';
        if (!Array.isArray(c.worst) || c.worst.length > 100 || !c.worst.every((r) => isTextList(r, 8, 200)))
          return 'trace: bad worst list';
      }
      for (const u of t.userGradients as unknown[]) {
        if (!isRecord(u) || !isText(u.name, MAX_ID) || typeof u.passed !== 'boolean' || !isText(u.headline, 1000))
          return 'trace: bad user gradient';
        if (!Array.isArray(u.wrong) || u.wrong.length > 1000 || !u.wrong.every((r) => isTextList(r, 8, 200)))
          return 'trace: bad wrong list';
      }
      return null;
    }
    default:
      return 'trace: unknown kind';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Views and messages

export function panelViewProblem(x: unknown): Reason {
  if (!isRecord(x)) return 'the view must be an object';
  if (!isText(x.id, MAX_ID) || !(VIEW_KINDS as readonly unknown[]).includes(x.kind))
    return 'the view needs an id and a kind';
  if (!isText(x.title, 1000) || !isText(x.params, 10_000)) return 'bad title or params';
  if (
    !Array.isArray(x.summary) ||
    x.summary.length > 200 ||
    !x.summary.every((s) => isRecord(s) && isText(s.label, 200) && isText(s.value, 10_000))
  ) {
    return 'bad summary';
  }
  if (!isTextList(x.notes, 200)) return 'bad notes';
  if (x.error !== null) {
    const e = x.error;
    if (
      !isRecord(e) ||
      !isText(e.message) ||
      !['param', 'rule', 'torch', 'why', 'fix'].every((k) => e[k] === undefined || isText(e[k]))
    ) {
      return 'bad error';
    }
  }
  if (!Array.isArray(x.tensors) || x.tensors.length > 64) return 'bad tensor list';
  for (const t of x.tensors as unknown[]) {
    const p = tensorProblem(t);
    if (p) return p;
  }
  const ids = new Set((x.tensors as TensorPayload[]).map((t) => t.id));
  if (ids.size !== x.tensors.length) return 'tensor ids must be unique';
  if (!Array.isArray(x.results) || !x.results.every((r) => typeof r === 'string' && ids.has(r)))
    return 'results must name tensors of the view';
  if (x.replaces !== null && !isText(x.replaces, MAX_ID)) return 'bad replaces';
  if (
    !Array.isArray(x.controls) ||
    x.controls.length > 16 ||
    !x.controls.every(
      (c) =>
        isRecord(c) &&
        isText(c.keyword, 32) &&
        ['number', 'choice', 'flag'].includes(c.kind as string) &&
        isText(c.value, 200) &&
        isText(c.placeholder, 200) &&
        isTextList(c.options, 16, 32),
    )
  ) {
    return 'bad controls';
  }
  if (
    typeof x.canInsert !== 'boolean' ||
    !Number.isInteger(x.precision) ||
    (x.precision as number) < 1 ||
    (x.precision as number) > 17
  ) {
    return 'bad canInsert or precision';
  }
  if (x.trace !== null) {
    const p = traceProblem(x.trace, ids);
    if (p) return p;
  }
  if (x.equivariance !== null) {
    const e = x.equivariance;
    if (!isRecord(e) || !isText(e.text, 2000)) return 'bad equivariance';
    for (const k of ['input', 'shiftedInput', 'output', 'shiftedOutput', 'pooled', 'shiftedPooled']) {
      if (typeof e[k] !== 'string' || !ids.has(e[k])) return `equivariance: ${k} names no tensor`;
    }
  }
  return null;
}

export function isPanelView(x: unknown): x is PanelView {
  return panelViewProblem(x) === null;
}

export function isPanelTrace(x: unknown, tensorIds: ReadonlySet<string>): x is PanelTrace {
  return traceProblem(x, tensorIds) === null;
}

/** Guards what the webview sends the host. */
export function isWebviewMessage(x: unknown): x is WebviewMessage {
  if (!isRecord(x)) return false;
  switch (x.type) {
    case 'ready':
      return x.viewId === null || isText(x.viewId, MAX_ID);
    case 'page':
      return (
        isCount(x.requestId) &&
        isText(x.viewId, MAX_ID) &&
        (TRACE_PARTS as readonly unknown[]).includes(x.part) &&
        isCount(x.start)
      );
    case 'plane':
      return isCount(x.requestId) && isText(x.viewId, MAX_ID) && isText(x.tensor, MAX_ID) && isDims(x.index);
    case 'slice':
      return (
        isCount(x.requestId) &&
        isText(x.viewId, MAX_ID) &&
        isText(x.tensor, MAX_ID) &&
        isCount(x.rows) &&
        isCount(x.cols) &&
        isDims(x.index)
      );
    case 'partial':
      return (
        isCount(x.requestId) &&
        isText(x.viewId, MAX_ID) &&
        (TRACE_PARTS as readonly unknown[]).includes(x.part) &&
        isCount(x.step) &&
        isCount(x.batch) &&
        isCount(x.channel)
      );
    case 'recompute':
      return (
        isText(x.viewId, MAX_ID) &&
        isRecord(x.values) &&
        Object.keys(x.values).length <= 16 &&
        Object.entries(x.values).every(([k, v]) => /^[a-z_]{1,32}$/.test(k) && isText(v, 200))
      );
    case 'insert':
      return isText(x.viewId, MAX_ID) && isText(x.tensor, MAX_ID);
    case 'copy':
      return isText(x.text);
    case 'copyTensor':
      return isText(x.viewId, MAX_ID) && isText(x.tensor, MAX_ID) && (x.format === 'markdown' || x.format === 'latex');
    case 'save':
      return isText(x.text) && isText(x.fileName, MAX_ID) && /^[\w.\- ]+$/.test(x.fileName);
    case 'saveBinary':
      return (
        x.data instanceof Uint8Array &&
        x.data.length <= 1 << 26 &&
        isText(x.fileName, MAX_ID) &&
        /^[\w.\- ]+\.png$/.test(x.fileName)
      );
    case 'runCommand':
      return (PANEL_COMMANDS as readonly unknown[]).includes(x.command);
    default:
      return false;
  }
}

/** Guards what the host sends the webview (the webview trusts nothing either). */
export function hostMessageProblem(x: unknown): Reason {
  if (!isRecord(x)) return 'a message must be an object';
  switch (x.type) {
    case 'clear':
      return null;
    case 'show':
      return panelViewProblem(x.view);
    case 'page':
      if (!isCount(x.inReplyTo)) return 'page: bad inReplyTo';
      if (x.page === null) return check(isText(x.error, 10_000), 'page: an empty reply needs an error');
      return isStepPage(x.page)
        ? null
        : stepPageProblem(x.page, (isRecord(x.page) ? x.page.kind : 'conv') as StepPage['kind']);
    case 'plane':
      if (!isCount(x.inReplyTo)) return 'plane: bad inReplyTo';
      if (x.data === null) return check(isText(x.error, 10_000), 'plane: an empty reply needs an error');
      return check(
        isFloats(x.data) && x.data.length <= MAX_ELEMENTS,
        'plane: data must be a Float64Array or a Float32Array',
      );
    default:
      return 'unknown message type';
  }
}

export function isHostMessage(x: unknown): x is HostMessage {
  return hostMessageProblem(x) === null;
}
