/* eslint-disable @typescript-eslint/only-throw-error -- the interpreter's signals (a Python exception, an unknown, a refusal) are not Errors: the lens re-runs on every keystroke, and capturing a stack trace per signal would cost more than the work */
/**
 * PyTorch's shape rules for its layers: each layer's output shape from its arguments and its input shape
 * (every conv, transposed conv and pool shape comes from the engine's geometry), the formula with the
 * numbers in, the parameter count, the FLOPs and how the receptive field changes. When PyTorch would refuse
 * the input, a `Refusal` says it in PyTorch's words with the plain fix; when the lens cannot know the
 * output, an `UnknownShape` says why.
 *
 * Pure TypeScript: no `vscode`, no Node APIs.
 */
import { EngineError } from '../engine/errors';
import { convGeometry, convTransposeGeometry, poolGeometry, tupleParam, type SpatialRank } from '../engine/geometry';
import { PyFloat } from './values';

/** A layer argument as the rules read it: ints are numbers, floats stay PyFloat, tuples and lists are arrays. */
export type Literal = number | PyFloat | string | boolean | null | readonly Literal[];

export type RfChange =
  | { readonly kind: 'window'; readonly span: readonly number[]; readonly stride: readonly number[] }
  | { readonly kind: 'scale'; readonly factor: readonly number[] }
  | { readonly kind: 'lost' }
  | { readonly kind: 'same' };

export interface Outcome {
  readonly output: number[];
  readonly formula?: string[];
  readonly params?: number;
  readonly flops?: number;
  readonly rf?: RfChange;
  /** the layer returns (output, indices): MaxPool with return_indices=True */
  readonly withIndices?: boolean;
}

/** PyTorch would refuse the input (not an Error: the lens re-runs often, and stack traces cost). */
export class Refusal {
  constructor(
    readonly torch: string,
    readonly why: string,
    readonly fix: string,
    /** the argument whose value the fix changes, and its new value: the quick fix, when the source allows it */
    readonly editParam?: string,
    readonly newValue?: number,
  ) {}
}

/** The output cannot be known (not an Error, for the same reason as Refusal). */
export class UnknownShape {
  constructor(readonly message: string) {}
}

export const SHAPE_PRESERVING: ReadonlySet<string> = new Set([
  'ReLU',
  'ReLU6',
  'LeakyReLU',
  'GELU',
  'SiLU',
  'Sigmoid',
  'Tanh',
  'ELU',
  'SELU',
  'CELU',
  'PReLU',
  'RReLU',
  'Hardswish',
  'Hardsigmoid',
  'Hardtanh',
  'Hardshrink',
  'Softshrink',
  'Tanhshrink',
  'Threshold',
  'Mish',
  'Softplus',
  'Softsign',
  'Softmax',
  'Softmin',
  'LogSoftmax',
  'LogSigmoid',
  'Softmax2d',
  'Identity',
  'Dropout',
  'Dropout1d',
  'Dropout2d',
  'Dropout3d',
  'AlphaDropout',
  'FeatureAlphaDropout',
]);

const CONV = [
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
];
const CONV_T = [
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
];
const NORM = ['num_features', 'eps', 'momentum', 'affine', 'track_running_stats', 'device', 'dtype'];

/** Constructor parameters of each layer, in order, and how many are required. */
export const LAYER_PARAMS: Record<string, { readonly names: readonly string[]; readonly required: number }> = (() => {
  const t: Record<string, { names: readonly string[]; required: number }> = {};
  for (const n of [1, 2, 3]) {
    t[`Conv${n}d`] = { names: CONV, required: 3 };
    t[`ConvTranspose${n}d`] = { names: CONV_T, required: 3 };
    t[`MaxPool${n}d`] = {
      names: ['kernel_size', 'stride', 'padding', 'dilation', 'return_indices', 'ceil_mode'],
      required: 1,
    };
    t[`AvgPool${n}d`] = {
      names: [
        'kernel_size',
        'stride',
        'padding',
        'ceil_mode',
        'count_include_pad',
        ...(n > 1 ? ['divisor_override'] : []),
      ],
      required: 1,
    };
    t[`AdaptiveAvgPool${n}d`] = { names: ['output_size'], required: 1 };
    t[`AdaptiveMaxPool${n}d`] = { names: ['output_size', 'return_indices'], required: 1 };
    t[`BatchNorm${n}d`] = { names: NORM, required: 1 };
    t[`InstanceNorm${n}d`] = { names: NORM, required: 1 };
    t[`ReflectionPad${n}d`] = { names: ['padding'], required: 1 };
    t[`ReplicationPad${n}d`] = { names: ['padding'], required: 1 };
    t[`ConstantPad${n}d`] = { names: ['padding', 'value'], required: 2 };
  }
  t.ZeroPad2d = { names: ['padding'], required: 1 };
  t.Linear = { names: ['in_features', 'out_features', 'bias', 'device', 'dtype'], required: 2 };
  t.Flatten = { names: ['start_dim', 'end_dim'], required: 0 };
  t.Unflatten = { names: ['dim', 'unflattened_size'], required: 2 };
  t.Upsample = { names: ['size', 'scale_factor', 'mode', 'align_corners', 'recompute_scale_factor'], required: 0 };
  t.UpsamplingNearest2d = { names: ['size', 'scale_factor'], required: 0 };
  t.UpsamplingBilinear2d = { names: ['size', 'scale_factor'], required: 0 };
  t.PixelShuffle = { names: ['upscale_factor'], required: 1 };
  t.PixelUnshuffle = { names: ['downscale_factor'], required: 1 };
  t.GroupNorm = { names: ['num_groups', 'num_channels', 'eps', 'affine', 'device', 'dtype'], required: 2 };
  t.LayerNorm = { names: ['normalized_shape', 'eps', 'elementwise_affine', 'device', 'dtype'], required: 1 };
  t.LocalResponseNorm = { names: ['size', 'alpha', 'beta', 'k'], required: 1 };
  for (const a of ['ReLU', 'ReLU6', 'SELU', 'SiLU', 'Mish', 'Hardswish', 'Hardsigmoid'])
    t[a] = { names: ['inplace'], required: 0 };
  for (const a of ['Sigmoid', 'Tanh', 'Softsign', 'Tanhshrink', 'LogSigmoid', 'Softmax2d'])
    t[a] = { names: [], required: 0 };
  t.LeakyReLU = { names: ['negative_slope', 'inplace'], required: 0 };
  t.ELU = { names: ['alpha', 'inplace'], required: 0 };
  t.CELU = { names: ['alpha', 'inplace'], required: 0 };
  t.GELU = { names: ['approximate'], required: 0 };
  t.RReLU = { names: ['lower', 'upper', 'inplace'], required: 0 };
  t.Hardtanh = { names: ['min_val', 'max_val', 'inplace', 'min_value', 'max_value'], required: 0 };
  t.Hardshrink = { names: ['lambd'], required: 0 };
  t.Softshrink = { names: ['lambd'], required: 0 };
  t.Threshold = { names: ['threshold', 'value', 'inplace'], required: 2 };
  t.Softplus = { names: ['beta', 'threshold'], required: 0 };
  t.Softmax = { names: ['dim'], required: 0 };
  t.Softmin = { names: ['dim'], required: 0 };
  t.LogSoftmax = { names: ['dim'], required: 0 };
  t.PReLU = { names: ['num_parameters', 'init', 'device', 'dtype'], required: 0 };
  for (const d of ['Dropout', 'Dropout1d', 'Dropout2d', 'Dropout3d', 'AlphaDropout', 'FeatureAlphaDropout'])
    t[d] = { names: ['p', 'inplace'], required: 0 };
  return t;
})();

/** `Conv2d` → ['Conv', 2]; `ReLU` → ['ReLU', 0]. */
export function family(op: string): [string, number] {
  const m =
    /^(Conv|ConvTranspose|MaxPool|AvgPool|AdaptiveAvgPool|AdaptiveMaxPool|BatchNorm|InstanceNorm|ReflectionPad|ReplicationPad|ConstantPad|ZeroPad)([123])d$/.exec(
      op,
    );
  return m ? [m[1], Number(m[2])] : [op, 0];
}

const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);
export const shapeX = (xs: readonly number[]): string => xs.join('x');

function show(v: Literal | undefined): string {
  if (v === undefined) return 'unset';
  if (v instanceof PyFloat) return String(v.v);
  return JSON.stringify(v);
}

/** The argument with floats turned into JS numbers, for the float parameters (eps, scale_factor, p, …). */
function asNumbers(v: Literal | undefined): unknown {
  if (v instanceof PyFloat) return v.v;
  if (Array.isArray(v)) return v.map(asNumbers);
  return v;
}

/** The argument for a geometry function that wants ints: a float anywhere is PyTorch's TypeError, so unknown. */
function ints(args: ReadonlyMap<string, Literal>, name: string): unknown {
  const v = args.get(name);
  const hasFloat = (x: Literal | undefined): boolean => x instanceof PyFloat || (Array.isArray(x) && x.some(hasFloat));
  if (hasFloat(v)) throw new UnknownShape(`${name}=${show(v)} is not an integer`);
  return v;
}

function intValue(args: ReadonlyMap<string, Literal>, name: string, op: string): number {
  const v = args.get(name);
  if (v === undefined) throw new UnknownShape(`${op} needs ${name}`);
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new UnknownShape(`${name}=${show(v)} is not an integer`);
  return v;
}

function mismatch(param: string, declared: number, actual: number, fromInput: boolean, what: string): { fix: string } {
  const from = fromInput ? 'the input gives' : 'the previous layer gives';
  return { fix: `${param}=${declared} but ${from} ${actual} ${what}: set ${param}=${actual}` };
}

/**
 * The output of layer `op` built with `args` (by parameter name) on inputs of these shapes. `fromInput`:
 * the first input is the model's own input (the fix then says "the input gives", not "the previous layer").
 */
export function layerOutcome(
  op: string,
  args: ReadonlyMap<string, Literal>,
  inputs: readonly (readonly number[])[],
  fromInput: boolean,
): Outcome {
  const input = [...inputs[0]];
  const [fam, rank] = family(op);
  if (SHAPE_PRESERVING.has(op)) {
    checkShapePreserving(op, args, input, fromInput);
    return { output: input, rf: { kind: 'same' }, ...(op === 'PReLU' ? { params: preluParameters(args) } : {}) };
  }
  const r = rank as SpatialRank;
  switch (fam) {
    case 'Conv':
    case 'ConvTranspose': {
      const inC = intValue(args, 'in_channels', op);
      const outC = intValue(args, 'out_channels', op);
      const kernel = tupleParam(ints(args, 'kernel_size'), r, 'kernel_size', 1);
      const groups = args.has('groups') ? intValue(args, 'groups', op) : 1;
      if (groups >= 1 && inC % groups !== 0)
        throw new Refusal(
          'in_channels must be divisible by groups',
          `in_channels=${inC} does not split into ${groups} groups`,
          `use groups that divide ${inC}, or in_channels divisible by ${groups}`,
        );
      if (groups >= 1 && outC % groups !== 0)
        throw new Refusal(
          'out_channels must be divisible by groups',
          `out_channels=${outC} does not split into ${groups} groups`,
          `use groups that divide ${outC}, or out_channels divisible by ${groups}`,
        );
      const bias = args.get('bias') !== false;
      const channels = input.length === r + 2 ? input[1] : input[0];
      try {
        if (fam === 'Conv') {
          const g = convGeometry({
            rank: r,
            inputShape: input,
            weightShape: [outC, inC / groups, ...kernel],
            biasShape: bias ? [outC] : null,
            stride: ints(args, 'stride'),
            padding: ints(args, 'padding'),
            dilation: ints(args, 'dilation'),
            groups,
            paddingMode: args.get('padding_mode'),
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
          stride: ints(args, 'stride'),
          padding: ints(args, 'padding'),
          outputPadding: ints(args, 'output_padding'),
          dilation: ints(args, 'dilation'),
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
          const f = mismatch('in_channels', inC, channels, fromInput, 'channels');
          throw new Refusal(e.explanation.torch, e.explanation.why, f.fix, 'in_channels', channels);
        }
        if (e instanceof EngineError && e.explanation)
          throw new Refusal(e.explanation.torch, e.explanation.why, e.explanation.fix);
        if (e instanceof EngineError) throw new UnknownShape(e.message);
        throw e;
      }
    }
    case 'MaxPool':
    case 'AvgPool': {
      const kind = fam === 'MaxPool' ? 'max' : 'avg';
      try {
        const g = poolGeometry({
          kind,
          rank: r,
          inputShape: input,
          kernelSize: ints(args, 'kernel_size'),
          stride: ints(args, 'stride'),
          padding: ints(args, 'padding'),
          dilation: kind === 'max' ? ints(args, 'dilation') : undefined,
          ceilMode: args.get('ceil_mode'),
        });
        return {
          output: [...g.outputShape],
          formula: g.formula.map((f) => f.text),
          rf: { kind: 'window', span: g.formula.map((f) => f.effectiveKernel), stride: [...g.stride] },
          ...(args.get('return_indices') === true ? { withIndices: true } : {}),
        };
      } catch (e) {
        if (e instanceof EngineError && e.explanation)
          throw new Refusal(e.explanation.torch, e.explanation.why, e.explanation.fix);
        if (e instanceof EngineError) throw new UnknownShape(e.message);
        throw e;
      }
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
          `${op} pools over ${r} spatial dim${r > 1 ? 's' : ''}, so its input has ${r + 1} or ${r + 2} dims, but this one has ${input.length}`,
          `use ${fam}${Math.min(3, Math.max(1, input.length - 2))}d, or reshape the input`,
        );
      }
      const spatial = input.slice(input.length - r);
      const raw = ints(args, 'output_size') as Literal;
      const list = Array.isArray(raw) ? raw : new Array<Literal>(r).fill(raw);
      if (
        list.length !== r ||
        !list.every((v) => v === null || (typeof v === 'number' && Number.isInteger(v) && v >= 0))
      )
        throw new UnknownShape(`output_size=${show(raw)} is not ${r} sizes`);
      const out = list.map((v, i) => (v === null ? spatial[i] : (v as number)));
      const even = out.every((o, i) => o > 0 && spatial[i] % o === 0);
      return {
        output: [...input.slice(0, input.length - r), ...out],
        formula: out.map((o, i) => `${o} (output_size; adaptive windows over ${spatial[i]})`),
        rf: even
          ? { kind: 'window', span: out.map((o, i) => spatial[i] / o), stride: out.map((o, i) => spatial[i] / o) }
          : { kind: 'lost' },
        ...(args.get('return_indices') === true ? { withIndices: true } : {}),
      };
    }
    case 'BatchNorm': {
      const nf = intValue(args, 'num_features', op);
      const allowed = r === 1 ? [2, 3] : [r + 2];
      if (!allowed.includes(input.length))
        throw new Refusal(
          `expected ${allowed.map((d) => `${d}D`).join(' or ')} input (got ${input.length}D input)`,
          `${op} normalises (N, C${r === 1 ? '[, L]' : r === 2 ? ', H, W' : ', D, H, W'}) tensors, but this input has ${input.length} dims`,
          `use BatchNorm${input.length === 4 ? 2 : input.length === 5 ? 3 : 1}d for a ${input.length}-D input`,
        );
      const channels = input[1];
      if (channels !== nf) {
        const f = mismatch('num_features', nf, channels, fromInput, 'channels');
        throw new Refusal(
          `running_mean should contain ${channels} elements not ${nf}`,
          `${op}(${nf}) keeps one mean and variance per channel, but the input has ${channels} channels`,
          f.fix,
          'num_features',
          channels,
        );
      }
      return { output: input, params: args.get('affine') === false ? 0 : 2 * nf, rf: { kind: 'same' } };
    }
    case 'InstanceNorm': {
      const nf = intValue(args, 'num_features', op);
      if (input.length !== r + 1 && input.length !== r + 2)
        throw new Refusal(
          `Expected ${r + 1}D (unbatched) or ${r + 2}D (batched) input to ${op}, but got input of size: [${input.join(', ')}]`,
          `${op} normalises (N, C${r === 1 ? ', L' : r === 2 ? ', H, W' : ', D, H, W'}) tensors, but this input has ${input.length} dims`,
          `use InstanceNorm${Math.min(3, Math.max(1, input.length - 2))}d, or reshape the input`,
        );
      const channels = input[input.length - r - 1];
      const affine = args.get('affine') === true;
      // a mismatch is only a warning in PyTorch without affine parameters; with them the lens does not follow it
      if (affine && channels !== nf)
        throw new UnknownShape(
          `${op}(${nf}, affine=True) on ${channels} channels: PyTorch's error here is not modelled`,
        );
      return { output: input, params: affine ? 2 * nf : 0, rf: { kind: 'same' } };
    }
    case 'ReflectionPad':
    case 'ReplicationPad':
    case 'ConstantPad':
    case 'ZeroPad': {
      const n = fam === 'ZeroPad' ? 2 : r;
      const raw = ints(args, 'padding') as Literal;
      const pads = Array.isArray(raw) ? raw : new Array<Literal>(2 * n).fill(raw);
      if (pads.length !== 2 * n || !pads.every((p) => typeof p === 'number' && Number.isInteger(p)))
        throw new UnknownShape(`padding=${show(raw)} is not ${2 * n} integers`);
      if (input.length !== n + 1 && input.length !== n + 2)
        throw new UnknownShape(`${op} on a ${input.length}-D input is not followed`);
      // (left, right, top, bottom, front, back): the last dim first
      const out = [...input];
      for (let i = 0; i < n; i++) {
        const dim = input.length - 1 - i;
        const before = pads[2 * i] as number;
        const after = pads[2 * i + 1] as number;
        if ((fam === 'ReflectionPad' && (before >= input[dim] || after >= input[dim])) || out[dim] + before + after < 1)
          throw new UnknownShape(
            `${op} with padding ${show(raw)} on size ${input[dim]}: PyTorch's error here is not modelled`,
          );
        out[dim] = input[dim] + before + after;
      }
      const padded = pads.map((p) => p as number);
      return {
        output: out,
        formula: Array.from(
          { length: n },
          (_, i) =>
            `${input[input.length - n + i]} + ${padded[2 * (n - 1 - i)]} + ${padded[2 * (n - 1 - i) + 1]} = ${out[input.length - n + i]}`,
        ),
        rf: { kind: 'same' },
      };
    }
    case 'Flatten':
      return flattenOutcome(
        input,
        args.has('start_dim') ? intValue(args, 'start_dim', op) : 1,
        args.has('end_dim') ? intValue(args, 'end_dim', op) : -1,
      );
    case 'Unflatten': {
      const dim = intValue(args, 'dim', op);
      const sizes = args.get('unflattened_size');
      if (!Array.isArray(sizes) || !sizes.every((s) => typeof s === 'number'))
        throw new UnknownShape('unflattened_size is not a tuple of ints');
      const d = dim < 0 ? dim + input.length : dim;
      if (d < 0 || d >= input.length) throw new UnknownShape(`dim=${dim} is out of range`);
      if (prod(sizes) !== input[d])
        throw new UnknownShape(`unflattened_size ${show(sizes)} does not multiply to ${input[d]}`);
      return { output: [...input.slice(0, d), ...sizes, ...input.slice(d + 1)], rf: { kind: 'lost' } };
    }
    case 'Linear': {
      const inF = intValue(args, 'in_features', op);
      const outF = intValue(args, 'out_features', op);
      const last = input[input.length - 1];
      const rows = input.length <= 1 ? 1 : prod(input.slice(0, -1));
      if (input.length === 0 || last !== inF) {
        const f = mismatch('in_features', inF, last, fromInput, 'features');
        throw new Refusal(
          `mat1 and mat2 shapes cannot be multiplied (${rows}x${last} and ${inF}x${outF})`,
          `Linear(${inF}, ${outF}) multiplies the last dim by a ${inF}x${outF} matrix, but the input's last dim is ${last}`,
          f.fix,
          'in_features',
          last,
        );
      }
      const bias = args.get('bias') !== false;
      return {
        output: [...input.slice(0, -1), outF],
        params: inF * outF + (bias ? outF : 0),
        flops: 2 * rows * inF * outF,
        rf: { kind: 'lost' },
      };
    }
    case 'Upsample':
    case 'UpsamplingNearest2d':
    case 'UpsamplingBilinear2d':
      return upsampleOutcome(input, args.get('size'), args.get('scale_factor'));
    case 'PixelShuffle':
    case 'PixelUnshuffle':
      return pixelShuffleOutcome(
        input,
        fam === 'PixelShuffle' ? intValue(args, 'upscale_factor', op) : intValue(args, 'downscale_factor', op),
        fam === 'PixelShuffle',
      );
    case 'GroupNorm': {
      const groups = intValue(args, 'num_groups', op);
      const nc = intValue(args, 'num_channels', op);
      if (input.length < 2 || input[1] !== nc || nc % groups !== 0)
        throw new UnknownShape(`GroupNorm(${groups}, ${nc}) on ${shapeX(input)}: PyTorch's error here is not modelled`);
      return { output: input, params: args.get('affine') === false ? 0 : 2 * nc, rf: { kind: 'same' } };
    }
    case 'LayerNorm': {
      const raw = args.get('normalized_shape');
      const ns = Array.isArray(raw) ? raw : [raw];
      if (!ns.every((v) => typeof v === 'number')) throw new UnknownShape('normalized_shape is not ints');
      const tail = input.slice(input.length - ns.length);
      if (ns.length > input.length || tail.some((t, i) => t !== ns[i]))
        throw new UnknownShape(`LayerNorm(${show(raw)}) on ${shapeX(input)}: PyTorch's error here is not modelled`);
      return {
        output: input,
        params: args.get('elementwise_affine') === false ? 0 : 2 * prod(ns),
        rf: { kind: 'same' },
      };
    }
    case 'LocalResponseNorm':
      return { output: input, rf: { kind: 'same' } };
    default:
      throw new UnknownShape(`${op} is not a layer Conv Lens knows`);
  }
}

export function flattenOutcome(input: readonly number[], startDim: number, endDim: number): Outcome {
  const n = input.length;
  const norm = (name: string, v: number): number => {
    const lo = -Math.max(n, 1);
    const hi = Math.max(n, 1) - 1;
    if (v < lo || v > hi)
      throw new Refusal(
        `Dimension out of range (expected to be in range of [${lo}, ${hi}], but got ${v})`,
        `${name}=${v} but the input has ${n} dims`,
        `use ${name} between ${lo} and ${hi}`,
      );
    return v < 0 ? v + Math.max(n, 1) : v;
  };
  const s = norm('start_dim', startDim);
  const e = norm('end_dim', endDim);
  if (n === 0) return { output: [1], rf: { kind: 'lost' } };
  if (s > e)
    throw new Refusal(
      'flatten() has invalid args: start_dim cannot come after end_dim',
      `start_dim is ${s} and end_dim ${e}`,
      'use start_dim ≤ end_dim',
    );
  return { output: [...input.slice(0, s), prod(input.slice(s, e + 1)), ...input.slice(e + 1)], rf: { kind: 'lost' } };
}

export function upsampleOutcome(
  input: readonly number[],
  size: Literal | undefined,
  scale: Literal | undefined,
): Outcome {
  const n = input.length - 2;
  if (n < 1 || n > 3)
    throw new Refusal(
      `Input Error: Only 3D, 4D and 5D input Tensors supported (got ${input.length}D)`,
      'Upsample works on (N, C, L), (N, C, H, W) or (N, C, D, H, W) tensors',
      'add a batch dim, or reshape the input',
    );
  const spatial = input.slice(2);
  const has = (v: Literal | undefined): boolean => v !== undefined && v !== null;
  if (has(size) === has(scale))
    throw new Refusal(
      has(size)
        ? 'only one of size or scale_factor should be defined'
        : 'either size or scale_factor should be defined',
      'Upsample takes its output either as a size or as a scale factor',
      'give exactly one of size= and scale_factor=',
    );
  const perDim = (v: Literal | undefined, name: string): number[] => {
    const list = asNumbers(Array.isArray(v) ? v : new Array(n).fill(v)) as unknown[];
    if (list.length !== n || !list.every((u) => typeof u === 'number' && u > 0))
      throw new UnknownShape(`${name}=${show(v)} is not ${n} positive numbers`);
    return list as number[];
  };
  if (has(size)) {
    const out = perDim(size, 'size');
    if (!out.every(Number.isInteger)) throw new UnknownShape(`size=${show(size)} is not integers`);
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

export function pixelShuffleOutcome(input: readonly number[], factor: number, up: boolean): Outcome {
  if (input.length < 3)
    throw new UnknownShape(`pixel_${up ? '' : 'un'}shuffle needs at least 3 dims, got ${input.length}`);
  const [c, h, w] = input.slice(-3);
  const lead = input.slice(0, -3);
  if (up) {
    if (c % (factor * factor) !== 0)
      throw new Refusal(
        `pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size(-3)=${c} is not divisible by ${factor * factor}`,
        `PixelShuffle(${factor}) turns each group of ${factor * factor} channels into a ${factor}×${factor} block, but ${c} channels do not split into such groups`,
        `give the layer before it a multiple of ${factor * factor} output channels`,
      );
    return {
      output: [...lead, c / (factor * factor), h * factor, w * factor],
      formula: [
        `${c} / ${factor}² = ${c / (factor * factor)} channels`,
        `${h} × ${factor} = ${h * factor}`,
        `${w} × ${factor} = ${w * factor}`,
      ],
      rf: { kind: 'scale', factor: [factor, factor] },
    };
  }
  if (h % factor !== 0 || w % factor !== 0)
    throw new UnknownShape(`pixel_unshuffle by ${factor} on ${h}×${w}: PyTorch's error here is not modelled`);
  return { output: [...lead, c * factor * factor, h / factor, w / factor], rf: { kind: 'lost' } };
}

/** The two shape-preserving layers with a rule about their input: Softmax's dim, PReLU's parameter count. */
function checkShapePreserving(
  op: string,
  args: ReadonlyMap<string, Literal>,
  input: number[],
  fromInput: boolean,
): void {
  if (op === 'Softmax' || op === 'LogSoftmax' || op === 'Softmin') {
    const dim = args.get('dim');
    if (typeof dim !== 'number') return; // dim=None: PyTorch picks one (and warns)
    checkDim(dim, input.length, `${op}(dim=${dim})`);
  }
  if (op === 'PReLU') {
    const count = preluParameters(args);
    const channels = input.length >= 2 ? input[1] : 1;
    if (count !== 1 && count !== channels) {
      const f = mismatch('num_parameters', count, channels, fromInput, 'channels');
      throw new Refusal(
        `Mismatch of parameter numbers and input channel size. Found parameter numbers = ${count} and channel size = ${channels}.`,
        `PReLU(${count}) learns one slope per channel, but the input has ${channels} channels`,
        f.fix,
        'num_parameters',
        channels,
      );
    }
  }
}

/** PyTorch's check of a `dim` argument against a tensor of `rank` dims. */
export function checkDim(dim: number, rank: number, what: string): number {
  const n = Math.max(rank, 1);
  if (dim < -n || dim > n - 1)
    throw new Refusal(
      `Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${dim})`,
      `${what} but the input has ${rank} dims`,
      `use dim between ${-n} and ${n - 1} (dim=1 for the classes of an N×C input)`,
    );
  return dim < 0 ? dim + n : dim;
}

function preluParameters(args: ReadonlyMap<string, Literal>): number {
  const n = args.get('num_parameters');
  if (n === undefined) return 1;
  if (typeof n !== 'number' || !Number.isInteger(n))
    throw new UnknownShape(`num_parameters=${show(n)} is not an integer`);
  return n;
}

/** `a + b` with PyTorch's broadcasting; its error names the last dim that does not fit (PyTorch checks from the right). */
export function broadcastShapes(a: readonly number[], b: readonly number[], text: string): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    const da = a[i - (n - a.length)] ?? 1;
    const db = b[i - (n - b.length)] ?? 1;
    if (da !== db && da !== 1 && db !== 1)
      throw new Refusal(
        `The size of tensor a (${da}) must match the size of tensor b (${db}) at non-singleton dimension ${i}`,
        `\`${text}\` combines ${shapeX(a)} and ${shapeX(b)}: every dim must be equal, or 1 on one side`,
        shortcutFix(a, b),
      );
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** The usual cause: a residual shortcut that skips a layer which changes channels or size. */
function shortcutFix(main: readonly number[], shortcut: readonly number[]): string {
  const rank = main.length - 2;
  if (main.length !== shortcut.length || rank < 1 || rank > 3)
    return `give both sides the same shape (${shapeX(main)})`;
  const strides = main.slice(2).map((m, i) => shortcut[2 + i] / m);
  const stride = strides.every((s) => Number.isInteger(s) && s === strides[0]) ? strides[0] : undefined;
  if (stride === undefined) return `give the right-hand side the left's shape ${shapeX(main)}`;
  return `project the right-hand side (the shortcut) from ${shapeX(shortcut)} to ${shapeX(main)}: nn.Conv${rank}d(${shortcut[1]}, ${main[1]}, kernel_size=1${stride !== 1 ? `, stride=${stride}` : ''}, bias=False) and a BatchNorm${rank}d(${main[1]}), the usual downsample`;
}

/** torch.cat(tensors, dim): PyTorch's checks in its order (dim range, ranks, then sizes tensor by tensor). */
export function concatenate(inputs: readonly (readonly number[])[], raw: number): Outcome {
  const first = inputs[0];
  const n = first.length;
  if (raw < -n || raw > n - 1)
    throw new Refusal(
      `Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${raw})`,
      `torch.cat's dim=${raw} but the tensors have ${n} dims`,
      `use dim between ${-n} and ${n - 1} (dim=1 joins channels)`,
    );
  const dim = raw < 0 ? raw + n : raw;
  for (let k = 1; k < inputs.length; k++) {
    const t = inputs[k];
    if (t.length !== n)
      throw new Refusal(
        `Tensors must have same number of dimensions: got ${n} and ${t.length}`,
        `torch.cat joins ${shapeX(first)} and ${shapeX(t)}`,
        'give every tensor the same number of dims',
      );
    for (let j = 0; j < n; j++) {
      if (j !== dim && t[j] !== first[j])
        throw new Refusal(
          `Sizes of tensors must match except in dimension ${dim}. Expected size ${first[j]} but got size ${t[j]} for tensor number ${k} in the list.`,
          `torch.cat along dim ${dim} joins ${shapeX(first)} and ${shapeX(t)}, which differ in dim ${j}`,
          j >= 2
            ? `crop or pad tensor ${k} to ${first[j]} in dim ${j} (F.pad, or F.interpolate(…, size=…)), or use an input size that every pooling halves evenly`
            : `make dim ${j} of every tensor ${first[j]}`,
        );
    }
  }
  const output = [...first];
  output[dim] = inputs.reduce((s, t) => s + t[dim], 0);
  return { output, formula: [`${inputs.map((t) => t[dim]).join(' + ')} = ${output[dim]} (dim ${dim})`] };
}
