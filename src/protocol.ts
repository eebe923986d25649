/**
 * The one protocol between the extension host and the panel's webview (vscode-hexeditor's habit): a typed
 * union per direction, and a runtime guard for each, because a message crossing the boundary is untrusted
 * data until checked. Imported by both `src/` and `webview/`; it imports nothing from either side.
 */

/** A tensor as the panel receives it: nested JSON numbers (non-finite values as strings). */
export type NestedValue = number | string | NestedValue[];

export interface TensorView {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: NestedValue;
}

export interface ErrorView {
  readonly message: string;
  readonly param?: string;
  readonly rule?: string;
  readonly torch?: string;
  readonly why?: string;
  readonly fix?: string;
}

export type ViewKind =
  'conv' | 'conv_transpose' | 'max_pool' | 'avg_pool' | 'im2col' | 'shape' | 'gradcheck' | 'backward';

/** One result to show: what was asked, what came back, and (when there is one) the engine's trace. */
export interface PanelView {
  readonly id: string;
  readonly kind: ViewKind;
  readonly title: string;
  /** the parameters as the user typed them, e.g. "stride=2, padding=1" */
  readonly params: string;
  /** label/value pairs: shapes, mode, dtype, formula lines */
  readonly summary: readonly { readonly label: string; readonly value: string }[];
  readonly notes: readonly string[];
  readonly tensors: readonly TensorView[];
  readonly error: ErrorView | null;
  /** the engine's trace object (src/engine/trace.ts), drawn by the webview as is */
  readonly trace: unknown;
  /** conv views: the same conv and a 2×2 max pool on the input shifted right by one cell */
  readonly equivariance: EquivarianceView | null;
  /** whether "Insert into document" makes sense (there is a source document and an output) */
  readonly canInsert: boolean;
  /** significant digits for numbers (the convLens.numberPrecision setting) */
  readonly precision: number;
}

export type HostMessage =
  | { readonly type: 'show'; readonly view: PanelView }
  /** more steps of a view's trace, answering loadSteps */
  | { readonly type: 'steps'; readonly viewId: string; readonly trace: unknown }
  | { readonly type: 'clear' };

export type WebviewMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'insert'; readonly viewId: string; readonly tensor: string }
  | { readonly type: 'copy'; readonly text: string }
  | { readonly type: 'save'; readonly text: string; readonly fileName: string }
  | { readonly type: 'loadSteps'; readonly viewId: string; readonly part: TracePart; readonly start: number }
  | { readonly type: 'runCommand'; readonly command: PanelCommand };

/** Which step list of a trace to page through (a backward trace has two). */
export type TracePart = 'steps' | 'gradInputSteps' | 'gradWeightSteps';
const TRACE_PARTS: readonly TracePart[] = ['steps', 'gradInputSteps', 'gradWeightSteps'];

/** Shift the input by one cell: the conv output shifts with it, the pooled output mostly does not. */
export interface EquivarianceView {
  readonly input: NestedValue;
  readonly shiftedInput: NestedValue;
  readonly output: NestedValue;
  readonly shiftedOutput: NestedValue;
  readonly pooled: NestedValue;
  readonly shiftedPooled: NestedValue;
  /** how many output cells equal the shifted original (conv) and how many pooled cells did not change */
  readonly convMatches: number;
  readonly convCompared: number;
  readonly poolUnchanged: number;
  readonly poolCompared: number;
}

/** The commands the panel may ask the host to run: a fixed list, never a name from the message. */
export const PANEL_COMMANDS = [
  'convLens.convolve',
  'convLens.checkOutputShape',
  'convLens.checkGradient',
  'convLens.showIm2col',
] as const;
export type PanelCommand = (typeof PANEL_COMMANDS)[number];

const MAX_TEXT = 1 << 20;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isShortString(x: unknown, max = MAX_TEXT): x is string {
  return typeof x === 'string' && x.length <= max;
}

/** Guards what the webview sends the host. */
export function isWebviewMessage(x: unknown): x is WebviewMessage {
  if (!isRecord(x)) return false;
  switch (x.type) {
    case 'ready':
      return true;
    case 'insert':
      return isShortString(x.viewId, 200) && isShortString(x.tensor, 200);
    case 'copy':
      return isShortString(x.text);
    case 'save':
      return isShortString(x.text) && isShortString(x.fileName, 200) && /^[\w.\- ]+$/.test(x.fileName);
    case 'loadSteps':
      return (
        isShortString(x.viewId, 200) &&
        (TRACE_PARTS as readonly unknown[]).includes(x.part) &&
        Number.isInteger(x.start) &&
        (x.start as number) >= 0
      );
    case 'runCommand':
      return (PANEL_COMMANDS as readonly unknown[]).includes(x.command);
    default:
      return false;
  }
}

function isNested(x: unknown, depth = 0): x is NestedValue {
  if (typeof x === 'number' || typeof x === 'string') return typeof x === 'number' || x.length <= 16;
  if (!Array.isArray(x) || depth > 6) return false;
  return x.every((v) => isNested(v, depth + 1));
}

function isTensorView(x: unknown): x is TensorView {
  return (
    isRecord(x) &&
    isShortString(x.name, 200) &&
    Array.isArray(x.shape) &&
    x.shape.length <= 6 &&
    x.shape.every((d) => Number.isInteger(d) && (d as number) >= 0) &&
    isNested(x.values)
  );
}

function isErrorView(x: unknown): x is ErrorView {
  if (!isRecord(x) || !isShortString(x.message)) return false;
  return ['param', 'rule', 'torch', 'why', 'fix'].every((k) => x[k] === undefined || isShortString(x[k]));
}

const VIEW_KINDS: readonly ViewKind[] = [
  'conv',
  'conv_transpose',
  'max_pool',
  'avg_pool',
  'im2col',
  'shape',
  'gradcheck',
  'backward',
];

export function isPanelView(x: unknown): x is PanelView {
  return (
    isRecord(x) &&
    isShortString(x.id, 200) &&
    (VIEW_KINDS as readonly unknown[]).includes(x.kind) &&
    isShortString(x.title, 1000) &&
    isShortString(x.params, 10_000) &&
    Array.isArray(x.summary) &&
    x.summary.length <= 200 &&
    x.summary.every((s) => isRecord(s) && isShortString(s.label, 200) && isShortString(s.value, 10_000)) &&
    Array.isArray(x.notes) &&
    x.notes.length <= 200 &&
    x.notes.every((n) => isShortString(n, 10_000)) &&
    Array.isArray(x.tensors) &&
    x.tensors.length <= 32 &&
    x.tensors.every(isTensorView) &&
    (x.error === null || isErrorView(x.error)) &&
    typeof x.canInsert === 'boolean' &&
    (x.equivariance === null || x.equivariance === undefined || isRecord(x.equivariance)) &&
    (x.trace === null || x.trace === undefined || isRecord(x.trace)) &&
    Number.isInteger(x.precision) &&
    (x.precision as number) >= 1 &&
    (x.precision as number) <= 17
  );
}

/** Guards what the host sends the webview (the webview trusts nothing either). */
export function isHostMessage(x: unknown): x is HostMessage {
  if (!isRecord(x)) return false;
  if (x.type === 'clear') return true;
  if (x.type === 'steps') return isShortString(x.viewId, 200) && isRecord(x.trace);
  return x.type === 'show' && isPanelView(x.view);
}
