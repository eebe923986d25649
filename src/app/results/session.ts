/**
 * A ResultSession is one computed result and everything the panel may ask of it later: the view (sent
 * once), further pages of steps, planes of big tensors, whole tensors (to insert or copy). The op runs once,
 * when the session opens; pages and planes are cut from what it computed. Sessions are plain objects over
 * typed tensors, so the same code runs in the extension host and in an engine worker.
 */
import { EngineError } from '../../engine/errors';
import { CancelledError } from '../../engine/gradcheck';
import { reshape, shapeText, type Tensor } from '../../engine/tensor';
import { scatterPartial, type Scatter } from '../../engine/trace';
import type { ErrorView, PanelView, StepPage, SummaryRow, TensorPayload, TracePart, ViewKind } from '../../protocol';
import { formatNumber } from '../../format';
import { controlsFor } from '../controls';
import type { OperationSpec } from '../operation';
import { planeOf, sliceOf, tensorPayload } from '../tensorPayload';

export interface ResultSession {
  readonly view: PanelView;
  /** the result in the user's own shape: what "insert into the document" writes */
  readonly output: Tensor | null;
  page(part: TracePart, start: number): StepPage;
  plane(tensorId: string, index: readonly number[]): Float64Array;
  /** dims rows × cols of a tensor, the others at `index` (see sliceOf) */
  slice(tensorId: string, rows: number, cols: number, index: readonly number[]): Float64Array;
  /** a scatter's uncropped result plane after steps 0 … `step` (transposed conv, and dX) */
  partial(part: TracePart, step: number, batch: number, channel: number): Float64Array;
  tensor(tensorId: string): Tensor | undefined;
}

/** A request the session cannot answer (an unknown part or tensor, an index out of range). */
export class SessionError extends Error {}

let nextId = 1;
export function newViewId(kind: string): string {
  return `${kind}-${Date.now().toString(36)}-${nextId++}`;
}

export function errorView(e: unknown): ErrorView {
  if (e instanceof EngineError) {
    const ex = e.explanation;
    return { message: e.message, param: e.param, rule: e.rule, torch: ex?.torch, why: ex?.why, fix: ex?.fix };
  }
  if (e instanceof CancelledError) return { message: 'cancelled', rule: 'cancelled' };
  return { message: `internal error in Conv Lens (please report it): ${e instanceof Error ? e.message : String(e)}` };
}

/** "height", "width"… for the formula line of spatial dim i of a rank-`rank` op. */
export function dimLabel(rank: number, i: number): string {
  const names = rank === 1 ? ['width'] : rank === 2 ? ['height', 'width'] : ['depth', 'height', 'width'];
  return names[i] ?? `dim ${i}`;
}

/** A tensor with its batch dim: as it is when batched, with a leading 1 otherwise. */
export function withBatch(t: Tensor, batched: boolean): Tensor {
  return batched ? t : reshape(t, [1, ...t.shape]);
}

export function numberText(x: number, precision: number): string {
  return formatNumber(x, precision);
}

/** The operand rows of a summary: shape, and where the operand came from when the command knows. */
export function operandRows(spec: OperationSpec, rows: readonly [string, Tensor | undefined][]): SummaryRow[] {
  const out: SummaryRow[] = [];
  for (const [role, t] of rows) {
    if (!t) continue;
    const origin = spec.origins?.find((o) => o.role === role);
    out.push({ label: role, value: origin ? `${shapeText(t.shape)} · ${origin.label}` : shapeText(t.shape) });
  }
  return out;
}

/** The tensors of a view by id, with the payloads the view carries and the planes and pages cut from them. */
export class TensorTable {
  private readonly byId = new Map<string, Tensor>();
  readonly payloads: TensorPayload[] = [];

  add(id: string, name: string, t: Tensor, dtype = 'float64'): string {
    this.byId.set(id, t);
    this.payloads.push(tensorPayload(id, name, t, dtype));
    return id;
  }

  get(id: string): Tensor | undefined {
    return this.byId.get(id);
  }

  slice(id: string, rows: number, cols: number, index: readonly number[]): Float64Array {
    const t = this.byId.get(id);
    if (!t) throw new SessionError(`this view has no tensor ${JSON.stringify(id)}`);
    const s = sliceOf(t, rows, cols, index);
    if (!s) throw new SessionError(`tensor ${id} has no slice of dims ${rows} × ${cols} at [${index.join(', ')}]`);
    return s;
  }

  plane(id: string, index: readonly number[]): Float64Array {
    const t = this.byId.get(id);
    if (!t) throw new SessionError(`this view has no tensor ${JSON.stringify(id)}`);
    const p = planeOf(t, index);
    if (!p) throw new SessionError(`tensor ${id} has no plane at [${index.join(', ')}]`);
    return p;
  }
}

export interface ViewParts {
  readonly kind: ViewKind;
  readonly title: string;
  readonly summary?: readonly SummaryRow[];
  readonly notes?: readonly string[];
  readonly error?: ErrorView | null;
  readonly results?: readonly string[];
  readonly trace?: PanelView['trace'];
  readonly equivariance?: PanelView['equivariance'];
  readonly canInsert?: boolean;
}

/** The spec's parameters as live controls, when the spec is an operation's. */
function controlsOf(spec: Pick<OperationSpec, 'paramsText' | 'precision'> & Partial<OperationSpec>, kind: ViewKind) {
  return spec.kind && spec.params && kind !== 'shape' && kind !== 'tensor' && kind !== 'gradcheck'
    ? controlsFor(spec.kind, spec.params, spec.flipByDefault ?? false)
    : [];
}

export function panelView(
  spec: Pick<OperationSpec, 'paramsText' | 'precision'> & Partial<OperationSpec>,
  tensors: TensorTable,
  p: ViewParts,
): PanelView {
  return {
    id: newViewId(p.kind),
    kind: p.kind,
    title: p.title,
    params: spec.paramsText,
    summary: p.summary ?? [],
    notes: p.notes ?? [],
    error: p.error ?? null,
    tensors: tensors.payloads,
    results: p.results ?? [],
    trace: p.trace ?? null,
    equivariance: p.equivariance ?? null,
    canInsert: p.canInsert ?? false,
    precision: spec.precision,
    controls: controlsOf(spec, p.kind),
    replaces: null,
  };
}

/** A session that holds only a view (a refusal, a shape check): it has no pages, and planes of its tensors. */
export function viewOnlySession(
  view: PanelView,
  tensors: TensorTable = new TensorTable(),
  output: Tensor | null = null,
): ResultSession {
  return {
    view,
    output,
    page: (part) => {
      throw new SessionError(`this view has no ${part} steps`);
    },
    plane: (id, index) => tensors.plane(id, index),
    slice: (id, rows, cols, index) => tensors.slice(id, rows, cols, index),
    partial: (part) => {
      throw new SessionError(`this view has no ${part} scatter`);
    },
    tensor: (id) => tensors.get(id),
  };
}

/** A scatter's partial result, refusing a step or plane outside it. */
export function partialOf(sc: Scatter, step: number, batch: number, channel: number): Float64Array {
  if (step >= sc.total || batch >= sc.batch || channel >= sc.toChannels) {
    throw new SessionError(`the scatter has ${sc.total} steps, ${sc.batch} batch items and ${sc.toChannels} channels`);
  }
  return scatterPartial(sc, step, batch, channel);
}

/** The view of a refused operation: PyTorch's error (or the engine's) and the operand shapes. */
export function refusedSession(
  spec: OperationSpec,
  kind: ViewKind,
  title: string,
  e: unknown,
  notes: string[] = [],
): ResultSession {
  const tensors = new TensorTable();
  const view = panelView(spec, tensors, {
    kind,
    title,
    summary: operandRows(spec, [
      ['input', spec.input],
      ['kernel', spec.kernel],
    ]),
    notes,
    error: errorView(e),
  });
  return viewOnlySession(view, tensors);
}
