/**
 * Runs an input shape through a parsed layer chain: each layer's output shape (PyTorch-exact: every conv,
 * transposed conv and pool shape comes from the engine's geometry), the formula, the parameter count, the
 * FLOPs and the receptive field so far. At the first layer PyTorch would refuse, it stops with a diagnostic:
 * PyTorch's words, the plain fix and, for a channel/feature mismatch, a text edit that makes the fix.
 *
 * Pure TypeScript: no `vscode`, no Node APIs.
 */
import { EngineError } from '../engine/errors';
import { convGeometry, convTransposeGeometry, poolGeometry, tupleParam, type SpatialRank } from '../engine/geometry';
import type { Arg, Literal, SourceRange, Step } from './parseModel';
import { SHAPE_PRESERVING } from './parseModel';

export interface ReceptiveField {
  /** per spatial dim, in input pixels */
  readonly size: readonly number[];
  /** distance in input pixels between neighbouring output positions */
  readonly jump: readonly number[];
}

export interface LayerShape {
  readonly index: number;
  readonly step: Step;
  /** null when unknown */
  readonly input: readonly number[] | null;
  readonly output: readonly number[] | null;
  /** one line per spatial dim, with the numbers filled in (empty for layers without a window) */
  readonly formula: readonly string[];
  readonly params: number;
  /** multiply-adds × 2 for conv, transposed conv and linear; 0 for every other layer */
  readonly flops: number;
  /** after this layer; null once it cannot be tracked (unknown layer, Flatten, Linear, uneven adaptive pool) */
  readonly receptiveField: ReceptiveField | null;
  /** why the output is unknown */
  readonly unknown?: string;
  /** every input's shape, for a step that takes several (`Add`, `Cat`); `input` is the first */
  readonly inputs?: readonly (readonly number[] | null)[];
}

export interface TextEdit {
  readonly range: SourceRange;
  readonly newText: string;
}

export interface ShapeDiagnostic {
  readonly index: number;
  readonly step: Step;
  /** PyTorch's error text for this layer and input */
  readonly torch: string;
  readonly why: string;
  /** the plain fix, e.g. "in_channels=3 but the previous layer gives 64 channels: set in_channels=64" */
  readonly fix: string;
  /** an edit of the source that makes the fix, when there is one */
  readonly edit?: TextEdit;
}

export interface Propagation {
  /** one entry per step up to and including the failing one */
  readonly layers: readonly LayerShape[];
  /** the chain's output shape, null when unknown or refused */
  readonly output: readonly number[] | null;
  readonly diagnostic?: ShapeDiagnostic;
}

const PARAM_NAMES: Record<string, readonly string[]> = {
  Conv: [
    'in_channels',
    'out_channels',
    'kernel_size',
    'stride',
    'padding',
    'dilation',
    'groups',
    'bias',
    'padding_mode',
    'device',
    'dtype',
  ],
  ConvTranspose: [
    'in_channels',
    'out_channels',
    'kernel_size',
    'stride',
    'padding',
    'output_padding',
    'groups',
    'bias',
    'dilation',
    'padding_mode',
    'device',
    'dtype',
  ],
  MaxPool: ['kernel_size', 'stride', 'padding', 'dilation', 'return_indices', 'ceil_mode'],
  AvgPool: ['kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad', 'divisor_override'],
  AdaptiveAvgPool: ['output_size'],
  AdaptiveMaxPool: ['output_size', 'return_indices'],
  BatchNorm: ['num_features', 'eps', 'momentum', 'affine', 'track_running_stats', 'device', 'dtype'],
  Flatten: ['start_dim', 'end_dim'],
  Linear: ['in_features', 'out_features', 'bias', 'device', 'dtype'],
  Upsample: ['size', 'scale_factor', 'mode', 'align_corners', 'recompute_scale_factor'],
};

/** `Conv2d` → ['Conv', 2]; `ReLU` → ['ReLU', 0]. */
export function family(op: string): [string, number] {
  const m = /^(Conv|ConvTranspose|MaxPool|AvgPool|AdaptiveAvgPool|AdaptiveMaxPool|BatchNorm)([123])d$/.exec(op);
  return m ? [m[1], Number(m[2])] : [op, 0];
}

/**
 * Thrown (and caught in propagate) when a layer's output cannot be known. Not an Error: the lens re-reads
 * the file on each edit, and capturing a stack trace per unknown layer would cost more than the layer.
 */
class Unknown {
  constructor(readonly message: string) {}
}

/** Arguments by parameter name, positional ones matched to the constructor's order. */
function bind(step: Step, names: readonly string[]): Map<string, Arg> {
  const out = new Map<string, Arg>();
  if (step.args.length > names.length)
    throw new Unknown(`${step.op} takes at most ${names.length} positional arguments`);
  step.args.forEach((a, i) => out.set(names[i], a));
  for (const a of step.kwargs) {
    if (!names.includes(a.name!)) throw new Unknown(`${step.op} has no argument ${a.name}`);
    if (out.has(a.name!)) throw new Unknown(`${step.op} got ${a.name} twice`);
    out.set(a.name!, a);
  }
  return out;
}

function value(args: Map<string, Arg>, name: string): Literal | undefined {
  const a = args.get(name);
  if (!a) return undefined;
  if (!a.known) throw new Unknown(`${name} is \`${a.text}\`, not a literal`);
  return a.value;
}

function intValue(args: Map<string, Arg>, name: string, op: string): number {
  const v = value(args, name);
  if (v === undefined) throw new Unknown(`${op} needs ${name}`);
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw new Unknown(`${name}=${JSON.stringify(v)} is not an integer`);
  return v;
}

const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);
const x = (xs: readonly number[]): string => xs.join('x');

interface Outcome {
  output: number[];
  formula?: string[];
  params?: number;
  flops?: number;
  /** how the receptive field changes: a window (kernel span, stride per spatial dim), a rescale, or lost */
  rf?:
    | { kind: 'window'; span: number[]; stride: number[] }
    | { kind: 'scale'; factor: number[] }
    | { kind: 'lost' }
    | { kind: 'same' };
}

/** PyTorch would refuse the layer's input (not an Error, for the same reason as Unknown). */
class Refusal {
  constructor(
    readonly torch: string,
    readonly why: string,
    readonly fix: string,
    readonly edit?: TextEdit,
  ) {}
}

function mismatchFix(
  param: string,
  declared: number,
  actual: number,
  index: number,
  what: string,
  arg: Arg | undefined,
): { fix: string; edit?: TextEdit } {
  const from = index === 0 ? 'the input gives' : 'the previous layer gives';
  return {
    fix: `${param}=${declared} but ${from} ${actual} ${what}: set ${param}=${actual}`,
    ...(arg ? { edit: { range: arg.range, newText: String(actual) } } : {}),
  };
}

/**
 * The step's literal arguments by parameter name (positional ones matched to the constructor's order), or
 * undefined when an argument is not a literal or the layer is not one Conv Lens knows.
 */
export function literalArgs(step: Step): Map<string, Literal> | undefined {
  const names = PARAM_NAMES[family(step.op)[0]];
  if (!names || !step.known) return undefined;
  try {
    const bound = bind(step, names);
    const out = new Map<string, Literal>();
    for (const [name, arg] of bound) {
      if (!arg.known || arg.value === undefined) return undefined;
      out.set(name, arg.value);
    }
    return out;
  } catch (e) {
    if (e instanceof Unknown) return undefined;
    throw e;
  }
}

function layer(step: Step, inputs: number[][], index: number): Outcome {
  const input = inputs[0];
  if (step.op === 'Add') return { output: broadcastSum(step, inputs[0], inputs[1]) };
  if (step.op === 'Cat') return concatenate(step, inputs);
  const [fam, rank] = family(step.op);
  if (SHAPE_PRESERVING.has(step.op)) {
    checkShapePreserving(step, input, index);
    return { output: input, rf: { kind: 'same' }, ...(step.op === 'PReLU' ? { params: preluParameters(step) } : {}) };
  }
  const names = PARAM_NAMES[fam];
  if (!names) throw new Unknown(`${step.op} is not a layer Conv Lens knows`);
  const a = bind(step, names);
  const r = rank as SpatialRank;

  switch (fam) {
    case 'Conv':
    case 'ConvTranspose': {
      const inC = intValue(a, 'in_channels', step.op);
      const outC = intValue(a, 'out_channels', step.op);
      const kernel = tupleParam(value(a, 'kernel_size'), r, 'kernel_size', 1);
      const groups = a.has('groups') ? intValue(a, 'groups', step.op) : 1;
      if (groups >= 1 && inC % groups !== 0) {
        throw new Refusal(
          'in_channels must be divisible by groups',
          `in_channels=${inC} does not split into ${groups} groups`,
          `use groups that divide ${inC}, or in_channels divisible by ${groups}`,
        );
      }
      if (groups >= 1 && outC % groups !== 0) {
        throw new Refusal(
          'out_channels must be divisible by groups',
          `out_channels=${outC} does not split into ${groups} groups`,
          `use groups that divide ${outC}, or out_channels divisible by ${groups}`,
        );
      }
      const bias = value(a, 'bias') !== false;
      const channels = input.length === r + 2 ? input[1] : input[0];
      try {
        if (fam === 'Conv') {
          const g = convGeometry({
            rank: r,
            inputShape: input,
            weightShape: [outC, inC / groups, ...kernel],
            biasShape: bias ? [outC] : null,
            stride: value(a, 'stride'),
            padding: value(a, 'padding'),
            dilation: value(a, 'dilation'),
            groups,
            paddingMode: value(a, 'padding_mode'),
          });
          return {
            output: [...g.outputShape],
            formula: g.formula.map((f) => f.text),
            params: outC * (inC / groups) * prod(kernel) + (bias ? outC : 0),
            flops: 2 * prod(g.outputShape) * (inC / groups) * prod(kernel),
            rf: { kind: 'window', span: g.formula.map((f) => f.effectiveKernel), stride: [...g.stride] },
          };
        }
        const g = convTransposeGeometry({
          rank: r,
          inputShape: input,
          weightShape: [inC, outC / groups, ...kernel],
          biasShape: bias ? [outC] : null,
          stride: value(a, 'stride'),
          padding: value(a, 'padding'),
          outputPadding: value(a, 'output_padding'),
          dilation: value(a, 'dilation'),
          groups,
        });
        return {
          output: [...g.outputShape],
          formula: g.formula.map((f) => f.text),
          params: inC * (outC / groups) * prod(kernel) + (bias ? outC : 0),
          flops: 2 * prod(input) * (outC / groups) * prod(kernel),
          rf: { kind: 'scale', factor: [...g.stride] },
        };
      } catch (e) {
        if (
          e instanceof EngineError &&
          e.param === 'input' &&
          (e.rule === 'channels_mismatch' || e.rule === 'groups_divisible') &&
          e.explanation &&
          channels % groups === 0
        ) {
          const f = mismatchFix('in_channels', inC, channels, index, 'channels', a.get('in_channels'));
          throw new Refusal(e.explanation.torch, e.explanation.why, f.fix, f.edit);
        }
        throw e;
      }
    }
    case 'MaxPool':
    case 'AvgPool': {
      const kind = fam === 'MaxPool' ? 'max' : 'avg';
      const g = poolGeometry({
        kind,
        rank: r,
        inputShape: input,
        kernelSize: value(a, 'kernel_size'),
        stride: value(a, 'stride'),
        padding: value(a, 'padding'),
        dilation: kind === 'max' ? value(a, 'dilation') : undefined,
        ceilMode: value(a, 'ceil_mode'),
      });
      return {
        output: [...g.outputShape],
        formula: g.formula.map((f) => f.text),
        rf: { kind: 'window', span: g.formula.map((f) => f.effectiveKernel), stride: [...g.stride] },
      };
    }
    case 'AdaptiveAvgPool':
    case 'AdaptiveMaxPool': {
      if (input.length !== r + 1 && input.length !== r + 2) {
        const fn = `adaptive_${fam === 'AdaptiveMaxPool' ? 'max' : 'avg'}_pool${r}d`;
        throw new Refusal(
          // PyTorch's 1-d check has its own wording; the max pools put a colon before the shape
          r === 1
            ? `Expected 2 to 3 dimensions, but got ${input.length}-dimensional tensor for argument #1 'self' (while checking arguments for ${fn})`
            : `${fn}(): Expected ${r + 1}D or ${r + 2}D tensor, but got${fam === 'AdaptiveMaxPool' ? ':' : ''} ${JSON.stringify(input).replace(/,/g, ', ')}`,
          `${step.op} pools over ${r} spatial dim${r > 1 ? 's' : ''}, so its input has ${r + 1} or ${r + 2} dims, but this one has ${input.length}`,
          `use ${fam}${Math.min(3, Math.max(1, input.length - 2))}d, or reshape the input`,
        );
      }
      const spatial = input.slice(input.length - r);
      const raw = value(a, 'output_size');
      const list = Array.isArray(raw) ? raw : new Array(r).fill(raw);
      if (
        list.length !== r ||
        !list.every((v) => v === null || (typeof v === 'number' && Number.isInteger(v) && v >= 0))
      ) {
        throw new Unknown(`output_size=${JSON.stringify(raw)} is not ${r} sizes`);
      }
      const out = list.map((v, i) => (v === null ? spatial[i] : (v as number)));
      const even = out.every((o, i) => o > 0 && spatial[i] % o === 0);
      return {
        output: [...input.slice(0, input.length - r), ...out],
        formula: out.map((o, i) => `${o} (output_size; adaptive windows over ${spatial[i]})`),
        rf: even
          ? { kind: 'window', span: out.map((o, i) => spatial[i] / o), stride: out.map((o, i) => spatial[i] / o) }
          : { kind: 'lost' },
      };
    }
    case 'BatchNorm': {
      const nf = intValue(a, 'num_features', step.op);
      const allowed = r === 1 ? [2, 3] : [r + 2];
      if (!allowed.includes(input.length)) {
        throw new Refusal(
          `expected ${allowed.map((d) => `${d}D`).join(' or ')} input (got ${input.length}D input)`,
          `${step.op} normalises (N, C${r === 1 ? '[, L]' : r === 2 ? ', H, W' : ', D, H, W'}) tensors, but this input has ${input.length} dims`,
          `use BatchNorm${input.length === 4 ? 2 : input.length === 5 ? 3 : 1}d for a ${input.length}-D input`,
        );
      }
      const channels = input[1];
      if (channels !== nf) {
        const f = mismatchFix('num_features', nf, channels, index, 'channels', a.get('num_features'));
        throw new Refusal(
          `running_mean should contain ${channels} elements not ${nf}`,
          `${step.op}(${nf}) keeps one mean and variance per channel, but the input has ${channels} channels`,
          f.fix,
          f.edit,
        );
      }
      return { output: input, params: value(a, 'affine') === false ? 0 : 2 * nf, rf: { kind: 'same' } };
    }
    case 'Flatten': {
      const n = input.length;
      const norm = (name: string, dflt: number): number => {
        const v = a.has(name) ? intValue(a, name, step.op) : dflt;
        const lo = -Math.max(n, 1);
        const hi = Math.max(n, 1) - 1;
        if (v < lo || v > hi) {
          throw new Refusal(
            `Dimension out of range (expected to be in range of [${lo}, ${hi}], but got ${v})`,
            `${name}=${v} but the input has ${n} dims`,
            `use ${name} between ${lo} and ${hi}`,
          );
        }
        return v < 0 ? v + Math.max(n, 1) : v;
      };
      const s = norm('start_dim', 1);
      const e = norm('end_dim', -1);
      if (n === 0) return { output: [1], rf: { kind: 'lost' } };
      if (s > e) {
        throw new Refusal(
          'flatten() has invalid args: start_dim cannot come after end_dim',
          `start_dim is ${s} and end_dim ${e}`,
          'use start_dim ≤ end_dim',
        );
      }
      return {
        output: [...input.slice(0, s), prod(input.slice(s, e + 1)), ...input.slice(e + 1)],
        rf: { kind: 'lost' },
      };
    }
    case 'Linear': {
      const inF = intValue(a, 'in_features', step.op);
      const outF = intValue(a, 'out_features', step.op);
      const last = input[input.length - 1];
      const rows = input.length <= 1 ? 1 : prod(input.slice(0, -1));
      if (last !== inF) {
        const f = mismatchFix('in_features', inF, last, index, 'features', a.get('in_features'));
        throw new Refusal(
          `mat1 and mat2 shapes cannot be multiplied (${rows}x${last} and ${inF}x${outF})`,
          `Linear(${inF}, ${outF}) multiplies the last dim by a ${inF}x${outF} matrix, but the input's last dim is ${last}`,
          f.fix,
          f.edit,
        );
      }
      const bias = value(a, 'bias') !== false;
      return {
        output: [...input.slice(0, -1), outF],
        params: inF * outF + (bias ? outF : 0),
        flops: 2 * rows * inF * outF,
        rf: { kind: 'lost' },
      };
    }
    case 'Upsample': {
      const size = value(a, 'size');
      const scale = value(a, 'scale_factor');
      const n = input.length - 2;
      if (n < 1 || n > 3) {
        throw new Refusal(
          `Input Error: Only 3D, 4D and 5D input Tensors supported (got ${input.length}D)`,
          'Upsample works on (N, C, L), (N, C, H, W) or (N, C, D, H, W) tensors',
          'add a batch dim, or reshape the input',
        );
      }
      const spatial = input.slice(2);
      const has = (v: Literal | undefined): boolean => v !== undefined && v !== null;
      if (has(size) === has(scale)) {
        throw new Refusal(
          has(size)
            ? 'only one of size or scale_factor should be defined'
            : 'either size or scale_factor should be defined',
          'Upsample takes its output either as a size or as a scale factor',
          'give exactly one of size= and scale_factor=',
        );
      }
      const perDim = (v: Literal | undefined, name: string): number[] => {
        const list = Array.isArray(v) ? v : new Array(n).fill(v);
        if (list.length !== n || !list.every((u) => typeof u === 'number' && u > 0)) {
          throw new Unknown(`${name}=${JSON.stringify(v)} is not ${n} positive numbers`);
        }
        return list as number[];
      };
      if (has(size)) {
        const out = perDim(size, 'size');
        if (!out.every(Number.isInteger)) throw new Unknown(`size=${JSON.stringify(size)} is not integers`);
        return {
          output: [input[0], input[1], ...out],
          formula: out.map((o, i) => `${o} (size; from ${spatial[i]})`),
          rf: { kind: 'scale', factor: out.map((o, i) => o / spatial[i]) },
        };
      }
      const f = perDim(scale, 'scale_factor');
      const out = spatial.map((s, i) => Math.floor(s * f[i]));
      return {
        output: [input[0], input[1], ...out],
        formula: out.map((o, i) => `floor(${spatial[i]} × ${f[i]}) = ${o}`),
        rf: { kind: 'scale', factor: f },
      };
    }
    default:
      throw new Unknown(`${step.op} is not a layer Conv Lens knows`);
  }
}

/** The two shape-preserving layers with a rule about their input: Softmax's dim, PReLU's parameter count. */
function checkShapePreserving(step: Step, input: number[], index: number): void {
  if (step.op === 'Softmax' || step.op === 'LogSoftmax') {
    const dim = value(bind(step, ['dim']), 'dim');
    if (typeof dim !== 'number') return; // dim=None: PyTorch picks one (and warns)
    const n = Math.max(input.length, 1);
    if (dim < -n || dim > n - 1) {
      throw new Refusal(
        `Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${dim})`,
        `${step.op}(dim=${dim}) but the input has ${input.length} dims`,
        `use dim between ${-n} and ${n - 1} (dim=1 for the classes of an N×C input)`,
      );
    }
  }
  if (step.op === 'PReLU') {
    const count = preluParameters(step);
    const channels = input.length >= 2 ? input[1] : 1;
    if (count !== 1 && count !== channels) {
      const f = mismatchFix(
        'num_parameters',
        count,
        channels,
        index,
        'channels',
        bind(step, PRELU_PARAMS).get('num_parameters'),
      );
      throw new Refusal(
        `Mismatch of parameter numbers and input channel size. Found parameter numbers = ${count} and channel size = ${channels}.`,
        `PReLU(${count}) learns one slope per channel, but the input has ${channels} channels`,
        f.fix,
        f.edit,
      );
    }
  }
}

const PRELU_PARAMS = ['num_parameters', 'init', 'device', 'dtype'];

function preluParameters(step: Step): number {
  const n = value(bind(step, PRELU_PARAMS), 'num_parameters');
  if (n === undefined) return 1;
  if (typeof n !== 'number' || !Number.isInteger(n))
    throw new Unknown(`num_parameters=${JSON.stringify(n)} is not an integer`);
  return n;
}

/** `a + b` with PyTorch's broadcasting; its error names the last dim that does not fit (PyTorch checks from the right). */
function broadcastSum(step: Step, a: number[], b: number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    const da = a[i - (n - a.length)] ?? 1;
    const db = b[i - (n - b.length)] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Refusal(
        `The size of tensor a (${da}) must match the size of tensor b (${db}) at non-singleton dimension ${i}`,
        `\`${step.text}\` adds ${x(a)} and ${x(b)}: every dim must be equal, or 1 on one side`,
        shortcutFix(a, b),
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** The usual cause: a residual shortcut that skips a layer which changes channels or size. */
function shortcutFix(main: number[], shortcut: number[]): string {
  const rank = main.length - 2;
  if (main.length !== shortcut.length || rank < 1 || rank > 3) return `give both sides the same shape (${x(main)})`;
  const strides = main.slice(2).map((m, i) => shortcut[2 + i] / m);
  const stride = strides.every((s) => Number.isInteger(s) && s === strides[0]) ? strides[0] : undefined;
  if (stride === undefined) return `give the right-hand side the left's shape ${x(main)}`;
  return `project the right-hand side (the shortcut) from ${x(shortcut)} to ${x(main)}: nn.Conv${rank}d(${shortcut[1]}, ${main[1]}, kernel_size=1${stride !== 1 ? `, stride=${stride}` : ''}, bias=False) and a BatchNorm${rank}d(${main[1]}), the usual downsample`;
}

/** torch.cat(tensors, dim): PyTorch's checks in its order (dim range, ranks, then sizes tensor by tensor). */
function concatenate(step: Step, inputs: number[][]): Outcome {
  const dimArg = step.kwargs.find((a) => a.name === 'dim');
  if (dimArg && !dimArg.known) throw new Unknown(`dim is \`${dimArg.text}\`, not a literal`);
  const raw = dimArg ? dimArg.value : 0;
  if (typeof raw !== 'number' || !Number.isInteger(raw))
    throw new Unknown(`dim=${JSON.stringify(raw)} is not an integer`);
  const first = inputs[0];
  const n = first.length;
  if (raw < -n || raw > n - 1) {
    throw new Refusal(
      `Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${raw})`,
      `torch.cat's dim=${raw} but the tensors have ${n} dims`,
      `use dim between ${-n} and ${n - 1} (dim=1 joins channels)`,
    );
  }
  const dim = raw < 0 ? raw + n : raw;
  for (let k = 1; k < inputs.length; k++) {
    const t = inputs[k];
    if (t.length !== n) {
      throw new Refusal(
        `Tensors must have same number of dimensions: got ${n} and ${t.length}`,
        `torch.cat joins ${x(first)} and ${x(t)}`,
        'give every tensor the same number of dims',
      );
    }
    for (let j = 0; j < n; j++) {
      if (j !== dim && t[j] !== first[j]) {
        throw new Refusal(
          `Sizes of tensors must match except in dimension ${dim}. Expected size ${first[j]} but got size ${t[j]} for tensor number ${k} in the list.`,
          `torch.cat along dim ${dim} joins ${x(first)} and ${x(t)}, which differ in dim ${j}`,
          j >= 2
            ? `crop or pad tensor ${k} to ${first[j]} in dim ${j} (F.pad, or F.interpolate(…, size=…)), or use an input size that every pooling halves evenly`
            : `make dim ${j} of every tensor ${first[j]}`,
        );
      }
    }
  }
  const output = [...first];
  output[dim] = inputs.reduce((s, t) => s + t[dim], 0);
  return { output, formula: [`${inputs.map((t) => t[dim]).join(' + ')} = ${output[dim]} (dim ${dim})`] };
}

function nextField(
  rf: ReceptiveField | null | undefined,
  outcome: Outcome,
  input: readonly number[],
): ReceptiveField | null {
  const change = outcome.rf ?? { kind: 'same' };
  if (rf === null || change.kind === 'lost') return null;
  const dims =
    change.kind === 'window'
      ? change.span.length
      : change.kind === 'scale'
        ? change.factor.length
        : Math.max(input.length - 2, 0);
  const start: ReceptiveField = rf ?? { size: new Array(dims).fill(1), jump: new Array(dims).fill(1) };
  if (change.kind === 'same') return start;
  if (start.size.length !== dims) return null;
  if (change.kind === 'window') {
    return {
      size: start.size.map((s, i) => s + (change.span[i] - 1) * start.jump[i]),
      jump: start.jump.map((j, i) => j * change.stride[i]),
    };
  }
  // transposed conv and upsampling: output positions get closer together (in input pixels)
  return { size: start.size, jump: start.jump.map((j, i) => j / change.factor[i]) };
}

/** Runs `input` through `steps`, stopping at the first layer PyTorch would refuse. */
export function propagate(steps: readonly Step[], input: readonly number[] | null): Propagation {
  const layers: LayerShape[] = [];
  // per step: its output (null: unknown), why it is unknown, and the receptive field after it
  // (undefined: the input's own, one pixel; null: no longer tracked)
  const outputs: (number[] | null)[] = [];
  const reasons: (string | undefined)[] = [];
  const fields: (ReceptiveField | null | undefined)[] = [];
  const noInput = 'no input shape (add a `# conv-lens: input 1x3x224x224` comment)';
  const shapeOf = (j: number): number[] | null => (j < 0 ? (input ? [...input] : null) : outputs[j]);
  for (let index = 0; index < steps.length; index++) {
    const step = steps[index];
    const from = step.inputs ?? [index - 1];
    const shapes = from.map(shapeOf);
    const base = {
      index,
      step,
      input: shapes[0],
      formula: [] as string[],
      params: 0,
      flops: 0,
      ...(from.length > 1 ? { inputs: shapes } : {}),
    };
    const unknown = (why: string) => {
      layers.push({ ...base, output: null, receptiveField: null, unknown: why });
      outputs.push(null);
      reasons.push(why);
      fields.push(null);
    };
    const missing = shapes.indexOf(null);
    if (missing >= 0) {
      const j = from[missing];
      unknown(
        j < 0
          ? noInput
          : `follows ${steps[j].attr ?? steps[j].op}, whose output is unknown: ${reasons[j]?.replace(/^follows .*?, whose output is unknown: /, '')}`,
      );
      continue;
    }
    if (!step.known) {
      unknown(step.reason ?? `${step.op} is unknown`);
      continue;
    }
    try {
      const o = layer(step, shapes as number[][], index);
      const inFields = from.map((j) => (j < 0 ? undefined : fields[j]));
      const field =
        from.length > 1
          ? mergeFields(inFields, shapes as number[][])
          : nextField(inFields[0], o, shapes[0] as number[]);
      layers.push({
        ...base,
        output: o.output,
        formula: o.formula ?? [],
        params: o.params ?? 0,
        flops: o.flops ?? 0,
        receptiveField: field,
      });
      outputs.push(o.output);
      reasons.push(undefined);
      fields.push(field);
    } catch (e) {
      if (e instanceof Unknown) {
        unknown(e.message);
        continue;
      }
      let diagnostic: ShapeDiagnostic;
      if (e instanceof Refusal) {
        diagnostic = { index, step, torch: e.torch, why: e.why, fix: e.fix, ...(e.edit ? { edit: e.edit } : {}) };
      } else if (e instanceof EngineError) {
        diagnostic = e.explanation
          ? { index, step, torch: e.explanation.torch, why: e.explanation.why, fix: e.explanation.fix }
          : { index, step, torch: e.message, why: e.message, fix: `check ${e.param}` };
      } else {
        throw e;
      }
      layers.push({ ...base, output: null, receptiveField: null });
      return { layers, output: null, diagnostic };
    }
  }
  const output = steps.length === 0 ? (input ? [...input] : null) : outputs[outputs.length - 1];
  return { layers, output };
}

/** The receptive field where several values meet (a sum, a concatenation): the widest, when they step alike. */
function mergeFields(
  fields: readonly (ReceptiveField | null | undefined)[],
  shapes: readonly number[][],
): ReceptiveField | null {
  const dims = Math.max(shapes[0].length - 2, 0);
  const all = fields.map((f) =>
    f === undefined ? { size: new Array<number>(dims).fill(1), jump: new Array<number>(dims).fill(1) } : f,
  );
  if (all.some((f) => f === null || f.size.length !== dims)) return null;
  const known = all as ReceptiveField[];
  if (!known.every((f) => f.jump.every((j, i) => j === known[0].jump[i]))) return null;
  return { size: known[0].size.map((_, i) => Math.max(...known.map((f) => f.size[i]))), jump: known[0].jump };
}

/** Applies one edit to the source text. */
export function applyEdit(src: string, edit: TextEdit): string {
  return src.slice(0, edit.range.start) + edit.newText + src.slice(edit.range.end);
}

export function formatShapeX(shape: readonly number[] | null): string {
  return shape ? x(shape) : 'unknown';
}
