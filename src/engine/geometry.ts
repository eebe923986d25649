/**
 * One geometry record per request, computed once and read by every kernel, trace and shape check
 * (the tfjs-core `computeConv2DInfo` habit). Every op here is the same sliding window: output position `o`
 * and kernel tap `t` read input position `o * stride - padBefore + t * dilation` along each spatial dim.
 *
 * Kernels work on a 3-D normalised form: a rank-1 or rank-2 problem is padded in front with spatial dims
 * of size 1 (kernel 1, stride 1, dilation 1, padding 0), so one loop nest serves conv1d, conv2d and conv3d.
 */
import { EngineError, fail, refuse } from './errors';
import { formatShape, show, sizeOf } from './tensor';

export type SpatialRank = 1 | 2 | 3;
export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';
export const PADDING_MODES: readonly PaddingMode[] = ['zeros', 'reflect', 'replicate', 'circular'];
export type Triple = [number, number, number];

/**
 * The sliding window between a "big" side (the windowed tensor: conv input, pool input, transposed-conv
 * output) and a "small" side (one value per window position: conv output, pool output, transposed-conv
 * input). Channel mixing, when there is any, is grouped: small channel `c` of group `g` reads big channels
 * `g * bigPerGroup … (g + 1) * bigPerGroup - 1`.
 */
export interface WindowGeometry {
  readonly batch: number;
  readonly groups: number;
  readonly bigChannels: number;
  readonly smallChannels: number;
  readonly big: Triple;
  readonly small: Triple;
  readonly kernel: Triple;
  readonly stride: Triple;
  readonly dilation: Triple;
  /** padding before each dim; the window may also overrun the far end, which reads as padding too */
  readonly padBefore: Triple;
}

/** One term-by-term account of an output size, for the shape check and the panel. */
export interface DimFormula {
  readonly dim: number;
  readonly input: number;
  readonly padBefore: number;
  readonly padAfter: number;
  readonly kernel: number;
  readonly dilation: number;
  readonly stride: number;
  /** d·(k−1)+1: the span of the dilated kernel */
  readonly effectiveKernel: number;
  readonly output: number;
  /** the formula with the numbers filled in */
  readonly text: string;
}

/** What a convolution and a transposed convolution both know: channels, sizes, the weight and the window. */
interface WeightedGeometry {
  readonly rank: SpatialRank;
  readonly batched: boolean;
  readonly batch: number;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly groups: number;
  readonly inputSize: readonly number[];
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  readonly outputSize: readonly number[];
  readonly inputShape: readonly number[];
  readonly weightShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly hasBias: boolean;
  readonly formula: readonly DimFormula[];
  readonly window: WindowGeometry;
}

export interface ConvGeometry extends WeightedGeometry {
  readonly op: 'conv';
  readonly padBefore: readonly number[];
  readonly padAfter: readonly number[];
  /**
   * For padding_mode 'zeros' the window pads implicitly. For the other modes the input is padded
   * explicitly first (as nn.ConvNd does), so the window runs over the padded input with padding 0.
   */
  readonly paddingMode: PaddingMode;
}

/** The window's big side is this op's output and its small side its input: it scatters along the conv window. */
export interface ConvTransposeGeometry extends WeightedGeometry {
  readonly op: 'conv_transpose';
  readonly padding: readonly number[];
  readonly outputPadding: readonly number[];
}

export type PoolKind = 'max' | 'avg';

export interface PoolGeometry {
  readonly op: 'pool';
  readonly kind: PoolKind;
  readonly rank: SpatialRank;
  readonly batched: boolean;
  readonly batch: number;
  readonly channels: number;
  readonly inputSize: readonly number[];
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  readonly padding: readonly number[];
  readonly ceilMode: boolean;
  readonly outputSize: readonly number[];
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly formula: readonly DimFormula[];
  /** pooling is a window with one channel per group: small channel c reads big channel c only */
  readonly window: WindowGeometry;
}

export interface UnfoldGeometry {
  readonly op: 'unfold';
  readonly rank: SpatialRank;
  readonly batched: boolean;
  readonly batch: number;
  readonly channels: number;
  readonly inputSize: readonly number[];
  readonly kernelSize: readonly number[];
  readonly stride: readonly number[];
  readonly dilation: readonly number[];
  readonly padding: readonly number[];
  readonly blocks: readonly number[];
  /** rows of the column matrix: channels × kernel taps, channel-major */
  readonly rows: number;
  /** columns of the column matrix: the number of window positions */
  readonly columns: number;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly formula: readonly DimFormula[];
  readonly window: WindowGeometry;
}

// ---------------------------------------------------------------------------------------------------------
// Parameter reading

const DIM_NAMES: Record<SpatialRank, readonly string[]> = {
  1: ['width'],
  2: ['height', 'width'],
  3: ['depth', 'height', 'width'],
};

export function dimName(rank: SpatialRank, i: number): string {
  return DIM_NAMES[rank][i];
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

function isIntList(list: readonly unknown[]): list is readonly number[] {
  return list.every(isInt);
}

// ---------------------------------------------------------------------------------------------------------
// Integer range. PyTorch reads every size and parameter as an int64 ("Overflow when unpacking long" past it);
// its pooling kernels take theirs as int32 ("integer out of range"), its transposed-conv kernels too (they
// truncate silently, so a stride of 2^40 becomes 0). Conv Lens computes sizes in float64, exact up to
// 2^53 − 1: a value or a size past that is refused rather than rounded.

export const MAX_EXACT_INT = Number.MAX_SAFE_INTEGER;
const INT64_LIMIT = 2 ** 63;
const INT32_MAX = 2 ** 31 - 1;
/** numel · sizeof(float64) must fit in int64, or PyTorch refuses the tensor ("Storage size calculation overflowed"). */
const MAX_STORAGE_ELEMENTS = 2 ** 60;

/** `int32For`: the op whose PyTorch kernel reads this parameter as a 32-bit int. */
export function checkIntRange(v: number, name: string, int32For?: string): void {
  const a = Math.abs(v);
  if (a <= (int32For ? INT32_MAX : MAX_EXACT_INT)) return;
  if (a >= INT64_LIMIT) {
    refuse(name, 'int_range', {
      torch: 'Overflow when unpacking long',
      why: `${name}=${show(v)} is beyond int64, the integers PyTorch takes (|value| < 2^63 = 9223372036854775808)`,
      fix: `use a ${name} of at most ${int32For ? INT32_MAX : MAX_EXACT_INT}`,
    });
  }
  if (int32For) {
    refuse(name, 'int_range', {
      torch: 'integer out of range',
      why: `PyTorch's ${int32For} kernel reads ${name} as a 32-bit integer (at most ${INT32_MAX}), but ${name}=${show(v)}`,
      fix: `use ${name} ≤ ${INT32_MAX}`,
    });
  }
  fail(
    name,
    'int_range',
    `${name}=${show(v)} is beyond 2^53 − 1 = ${MAX_EXACT_INT}: a JSON number past it is rounded, so Conv Lens cannot compute with it exactly; use ${name} ≤ ${MAX_EXACT_INT}`,
  );
}

/** A size computed from the parameters (a padded input, a dilated kernel, an output) must stay exact. */
function checkSize(size: number, param: string, what: string): void {
  if (size <= MAX_EXACT_INT) return;
  fail(
    param,
    'int_range',
    `${what} would be ${size.toExponential(3)} long, beyond 2^53 − 1 = ${MAX_EXACT_INT} (past int64 PyTorch's own size arithmetic overflows): use a smaller ${param}`,
  );
}

/** PyTorch refuses a tensor whose storage (numel · 8 bytes of float64) overflows int64. */
function checkStorage(shape: readonly number[], param: string): void {
  const n = sizeOf(shape);
  if (n < MAX_STORAGE_ELEMENTS) return;
  refuse(param, 'int_range', {
    torch: `Storage size calculation overflowed with sizes=${formatShape(shape)}`,
    why: `${param} would have ${n.toExponential(3)} elements, and its float64 storage of ${(n * 8).toExponential(3)} bytes is beyond int64`,
    fix: 'use smaller sizes',
  });
}

/** An int for every spatial dim, or a list with one int (broadcast) or one per dim, as torch's `_ntuple`. */
export function tupleParam(value: unknown, rank: SpatialRank, name: string, min: number, int32For?: string): number[] {
  let out: number[];
  const list: readonly unknown[] | null = Array.isArray(value) ? value : null;
  if (isInt(value)) out = new Array<number>(rank).fill(value);
  else if (list !== null && isIntList(list) && (list.length === rank || list.length === 1)) {
    out = list.length === rank ? [...list] : new Array<number>(rank).fill(list[0]);
  } else {
    return fail(name, 'type', `${name} must be an integer or a list of ${rank} integers, got ${show(value)}`);
  }
  for (const v of out) checkIntRange(v, name, int32For);
  for (const v of out) {
    if (v < min) {
      const torch =
        name === 'stride'
          ? 'non-positive stride is not supported'
          : name === 'dilation'
            ? 'dilation should be greater than zero'
            : name === 'kernel_size'
              ? 'kernel_size must be greater than zero'
              : name === 'groups'
                ? 'non-positive groups is not supported'
                : min === 0
                  ? `negative ${name} is not supported`
                  : `${name} must be at least ${min}`;
      refuse(name, 'nonpositive', {
        torch,
        why: `${name}=${show(value)} has a value below ${min}`,
        fix: `use ${name} ≥ ${min}${name === 'padding' ? ' (0 means no padding)' : ''}`,
      });
    }
  }
  return out;
}

function intParam(value: unknown, name: string, min: number): number {
  if (!isInt(value)) return fail(name, 'type', `${name} must be an integer, got ${show(value)}`);
  checkIntRange(value, name);
  if (value < min) {
    refuse(name, 'nonpositive', {
      torch: name === 'groups' ? 'non-positive groups is not supported' : `${name} must be at least ${min}`,
      why: `${name}=${value} is below ${min}`,
      fix: `use ${name} ≥ ${min}`,
    });
  }
  return value;
}

function triple(values: readonly number[], fillWith: number): Triple {
  const t: Triple = [fillWith, fillWith, fillWith];
  const off = 3 - values.length;
  for (let i = 0; i < values.length; i++) t[off + i] = values[i];
  return t;
}

function x(values: readonly number[]): string {
  return values.join('x');
}

/** "2" when every dim has the same value, else "2x1". */
function compact(values: readonly number[]): string {
  return values.every((v) => v === values[0]) ? String(values[0]) : x(values);
}

function tupleText(values: readonly number[]): string {
  return `(${values.join(', ')})`;
}

/** Splits an input shape into batch, channels and spatial sizes, checking its rank. */
function splitInput(
  shape: readonly number[],
  rank: SpatialRank,
  opName: string,
  param = 'input',
): { batched: boolean; batch: number; channels: number; spatial: number[] } {
  if (shape.length !== rank + 1 && shape.length !== rank + 2) {
    refuse(param, 'rank_mismatch', {
      torch: `Expected ${rank + 1}D (unbatched) or ${rank + 2}D (batched) input to ${opName}, but got input of size: ${formatShape(shape)}`,
      why: `${opName} slides over ${rank} spatial dim${rank > 1 ? 's' : ''}, so its ${param} is (C, ${spatialLetters(rank)}) or (N, C, ${spatialLetters(rank)}), but it has ${shape.length} dim${shape.length === 1 ? '' : 's'}`,
      fix:
        shape.length < rank + 1
          ? `add the missing dims (e.g. a channel dim of size 1: shape ${formatShape([1, ...shape])})`
          : `use the ${shape.length - 2}-D op (e.g. conv${Math.min(3, shape.length - 2)}d) or drop the extra dims`,
    });
  }
  const batched = shape.length === rank + 2;
  const batch = batched ? shape[0] : 1;
  const channels = batched ? shape[1] : shape[0];
  const spatial = shape.slice(batched ? 2 : 1);
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] < 1 && !(batched && i === 0)) {
      refuse(param, 'output_too_small', {
        torch: `Expected ${param} to have non-zero size for non-batch dimensions, but got ${formatShape(shape)}`,
        why: `dim ${i} of ${param} is empty`,
        fix: 'give every channel and spatial dim at least one element',
      });
    }
  }
  return { batched, batch, channels, spatial };
}

function spatialLetters(rank: SpatialRank): string {
  return rank === 1 ? 'L' : rank === 2 ? 'H, W' : 'D, H, W';
}

function checkShapeArray(value: unknown, name: string): number[] {
  const list: readonly unknown[] | null = Array.isArray(value) ? value : null;
  if (list === null || !isIntList(list) || list.some((v) => v < 0)) {
    return fail(
      name,
      'type',
      `${name} must be a list of non-negative integers such as [1, 3, 224, 224], got ${show(value)}`,
    );
  }
  for (const d of list) checkIntRange(d, name);
  checkStorage(list, name);
  return [...list];
}

// ---------------------------------------------------------------------------------------------------------
// Convolution

export interface ConvParams {
  readonly rank: SpatialRank;
  readonly inputShape: readonly number[];
  readonly weightShape: readonly number[];
  readonly biasShape?: readonly number[] | null;
  readonly stride?: unknown;
  readonly padding?: unknown;
  readonly dilation?: unknown;
  readonly groups?: unknown;
  readonly paddingMode?: unknown;
}

function convName(rank: SpatialRank, transposed = false): string {
  return `conv${transposed ? '_transpose' : ''}${rank}d`;
}

function readPaddingMode(value: unknown): PaddingMode {
  if (value === undefined || value === null) return 'zeros';
  if (typeof value === 'string' && (PADDING_MODES as readonly string[]).includes(value)) return value as PaddingMode;
  return fail(
    'padding_mode',
    'type',
    `padding_mode must be one of 'zeros', 'reflect', 'replicate' or 'circular', got ${show(value)}`,
  );
}

function checkWeightRank(
  weightShape: readonly number[],
  rank: SpatialRank,
  inputShape: readonly number[],
  opName: string,
): void {
  if (weightShape.length !== rank + 2) {
    refuse('weight', 'rank_mismatch', {
      torch: `Expected ${rank + 2}-dimensional weight for ${opName}, but got ${weightShape.length}-dimensional weight of size ${formatShape(weightShape)}`,
      why: `${opName}'s weight is (C_out, C_in/groups, ${rank === 1 ? 'kL' : rank === 2 ? 'kH, kW' : 'kD, kH, kW'}), ${rank + 2} dims, but this one has ${weightShape.length}`,
      fix:
        weightShape.length === rank
          ? `wrap the kernel as one filter with one channel: shape ${formatShape([1, 1, ...weightShape])}`
          : weightShape.length === rank + 1
            ? `add the output-channel dim: shape ${formatShape([1, ...weightShape])}`
            : `use conv${Math.min(3, Math.max(1, weightShape.length - 2))}d for this weight, or reshape it`,
    });
  }
  void inputShape;
  for (let i = 0; i < weightShape.length; i++) {
    if (weightShape[i] < 1) {
      refuse('weight', 'nonpositive', {
        torch: `weight should have non-zero size in every dimension, but got ${formatShape(weightShape)}`,
        why: `dim ${i} of the weight is empty`,
        fix: 'give every dim of the weight at least one element',
      });
    }
  }
}

function checkBias(
  biasShape: readonly number[] | null | undefined,
  outChannels: number,
  weightShape: readonly number[],
): boolean {
  if (biasShape === null || biasShape === undefined) return false;
  if (biasShape.length !== 1 || biasShape[0] !== outChannels) {
    refuse('bias', 'bias_shape', {
      torch: `Given weight of size ${formatShape(weightShape)}, expected bias to be 1-dimensional with ${outChannels} elements, but got bias of size ${formatShape(biasShape)} instead`,
      why: `there are ${outChannels} output channels, so the bias needs one value per output channel`,
      fix: `give a bias of ${outChannels} values, or null for none`,
    });
  }
  return true;
}

export function convGeometry(p: ConvParams): ConvGeometry {
  const rank = p.rank;
  const opName = convName(rank);
  const inputShape = checkShapeArray(p.inputShape, 'input');
  const weightShape = checkShapeArray(p.weightShape, 'weight');
  const { batched, batch, channels, spatial } = splitInput(inputShape, rank, opName);
  checkWeightRank(weightShape, rank, inputShape, opName);
  const stride = tupleParam(p.stride ?? 1, rank, 'stride', 1);
  const dilation = tupleParam(p.dilation ?? 1, rank, 'dilation', 1);
  const groups = intParam(p.groups ?? 1, 'groups', 1);
  const paddingMode = readPaddingMode(p.paddingMode);
  const kernelSize = weightShape.slice(2);
  const effective = kernelSize.map((k, i) => dilation[i] * (k - 1) + 1);
  effective.forEach((e, i) => checkSize(e, 'dilation', `the dilated kernel along ${dimName(rank, i)}`));

  let padBefore: number[];
  let padAfter: number[];
  const padding = p.padding ?? 0;
  if (typeof padding === 'string') {
    if (padding === 'valid') {
      padBefore = new Array<number>(rank).fill(0);
      padAfter = new Array<number>(rank).fill(0);
    } else if (padding === 'same') {
      if (stride.some((s) => s !== 1)) {
        refuse('padding', 'same_strided', {
          torch: "padding='same' is not supported for strided convolutions",
          why: `'same' keeps the output the size of the input, which a stride of ${x(stride)} cannot do`,
          fix: `give the padding as numbers (padding=${tupleText(effective.map((e) => Math.floor((e - 1) / 2)))} keeps every window centred) or use stride=1`,
        });
      }
      // PyTorch pads d·(k−1) in total; an odd total puts the extra cell after (right/bottom).
      padBefore = effective.map((e) => Math.floor((e - 1) / 2));
      padAfter = effective.map((e, i) => e - 1 - padBefore[i]);
    } else {
      return refuse('padding', 'bad_padding_string', {
        torch: `Invalid padding string '${padding}', should be one of ['valid', 'same']`,
        why: `padding may be a number, a list of numbers, 'same' or 'valid'`,
        fix: "use 'same', 'valid' or a number",
      });
    }
  } else {
    padBefore = tupleParam(padding, rank, 'padding', 0);
    padAfter = [...padBefore];
  }

  const outChannels = weightShape[0];
  if (outChannels % groups !== 0) {
    refuse('groups', 'groups_divisible', {
      torch: `Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size ${formatShape(weightShape)} instead`,
      why: `each of the ${groups} groups needs the same number of filters, but there are ${outChannels} filters (out_channels)`,
      fix: `use out_channels divisible by ${groups}, or groups that divide ${outChannels} (${divisors(outChannels).join(', ')})`,
    });
  }
  if (channels !== weightShape[1] * groups) {
    const expected = weightShape[1] * groups;
    const divisible = channels % groups === 0;
    refuse('input', divisible ? 'channels_mismatch' : 'groups_divisible', {
      torch: `Given groups=${groups}, weight of size ${formatShape(weightShape)}, expected input${formatShape(inputShape)} to have ${expected} channels, but got ${channels} channels instead`,
      why:
        groups === 1
          ? `the weight's dim 1 (in_channels) is ${weightShape[1]}, but the input has ${channels} channels`
          : `with groups=${groups} each filter sees ${weightShape[1]} channels, so the input needs ${weightShape[1]}×${groups} = ${expected} channels, but it has ${channels}`,
      fix:
        groups === 1
          ? `set in_channels=${channels} (a weight of shape ${formatShape([outChannels, channels, ...kernelSize])}), or feed an input with ${weightShape[1]} channels`
          : divisible
            ? `give the weight ${channels / groups} input channels per group (shape ${formatShape([outChannels, channels / groups, ...kernelSize])}), or feed ${expected} channels`
            : `in_channels=${channels} is not divisible by groups=${groups}: use groups that divide ${channels} (${divisors(channels).join(', ')})`,
    });
  }
  const hasBias = checkBias(p.biasShape, outChannels, weightShape);

  if (paddingMode === 'reflect' || paddingMode === 'circular') {
    for (let i = 0; i < rank; i++) {
      const pad = Math.max(padBefore[i], padAfter[i]);
      if (paddingMode === 'reflect' && pad >= spatial[i]) {
        refuse('padding', 'reflect_pad_too_large', {
          torch: `Argument #4: Padding size should be less than the corresponding input dimension, but got: padding (${padBefore[i]}, ${padAfter[i]}) at dimension ${inputShape.length - rank + i} of input ${formatShape(inputShape)}`,
          why: `reflect padding mirrors the ${dimName(rank, i)} without repeating the edge, so it can add at most ${spatial[i] - 1} cell${spatial[i] - 1 === 1 ? '' : 's'} on a side of size ${spatial[i]}, but padding is ${pad}`,
          fix: `use padding ≤ ${spatial[i] - 1} along ${dimName(rank, i)}, or padding_mode='replicate' or 'zeros'`,
        });
      }
      if (paddingMode === 'circular' && pad > spatial[i]) {
        refuse('padding', 'circular_pad_too_large', {
          torch: 'Padding value causes wrapping around more than once.',
          why: `circular padding wraps the ${dimName(rank, i)} of size ${spatial[i]} around once at most, but padding is ${pad}`,
          fix: `use padding ≤ ${spatial[i]} along ${dimName(rank, i)}, or padding_mode='replicate' or 'zeros'`,
        });
      }
    }
  }

  const padded = spatial.map((s, i) => s + padBefore[i] + padAfter[i]);
  padded.forEach((pd, i) => checkSize(pd, 'padding', `the padded input along ${dimName(rank, i)}`));
  if (effective.some((e, i) => e > padded[i])) {
    refuse('weight', 'kernel_too_large', {
      torch: `Calculated padded input size per channel: (${padded.join(' x ')}). Kernel size: (${effective.join(' x ')}). Kernel size can't be greater than actual input size`,
      why: `kernel ${x(kernelSize)}${dilation.some((d) => d > 1) ? ` with dilation ${compact(dilation)} spans ${x(effective)}` : ''}, but the padded input is ${x(padded)}`,
      fix: kernelFitFix(kernelSize, dilation, spatial, padBefore, padAfter, typeof padding === 'string'),
    });
  }

  const outputSize = padded.map((pd, i) => Math.floor((pd - effective[i]) / stride[i]) + 1);
  const formula = outputSize.map((o, i) =>
    dimFormula(i, spatial[i], padBefore[i], padAfter[i], kernelSize[i], dilation[i], stride[i], o, 'conv'),
  );
  const outputShape = batched ? [batch, outChannels, ...outputSize] : [outChannels, ...outputSize];
  checkStorage(outputShape, 'output');
  const explicit = paddingMode !== 'zeros';
  const window: WindowGeometry = {
    batch,
    groups,
    bigChannels: channels,
    smallChannels: outChannels,
    big: triple(explicit ? padded : spatial, 1),
    small: triple(outputSize, 1),
    kernel: triple(kernelSize, 1),
    stride: triple(stride, 1),
    dilation: triple(dilation, 1),
    padBefore: triple(explicit ? new Array(rank).fill(0) : padBefore, 0),
  };
  return {
    op: 'conv',
    rank,
    batched,
    batch,
    inChannels: channels,
    outChannels,
    groups,
    inputSize: spatial,
    kernelSize,
    stride,
    dilation,
    padBefore,
    padAfter,
    paddingMode,
    outputSize,
    inputShape,
    weightShape,
    outputShape,
    hasBias,
    formula,
    window,
  };
}

function kernelFitFix(
  kernel: readonly number[],
  dilation: readonly number[],
  spatial: readonly number[],
  padBefore: readonly number[],
  padAfter: readonly number[],
  paddingWasString: boolean,
): string {
  const options: string[] = [];
  const needPad: number[] = [];
  const maxDil: number[] = [];
  let dilationHelps = true;
  for (let i = 0; i < kernel.length; i++) {
    const eff = dilation[i] * (kernel[i] - 1) + 1;
    const padded = spatial[i] + padBefore[i] + padAfter[i];
    needPad.push(Math.max(padBefore[i], Math.ceil((eff - spatial[i]) / 2)));
    const fitting = kernel[i] > 1 ? Math.floor((padded - 1) / (kernel[i] - 1)) : dilation[i];
    maxDil.push(Math.min(dilation[i], fitting));
    if (fitting < 1) dilationHelps = false;
  }
  if (!paddingWasString)
    options.push(`padding ≥ ${needPad.every((v) => v === needPad[0]) ? needPad[0] : tupleText(needPad)}`);
  if (dilation.some((d) => d > 1) && dilationHelps) {
    options.push(`dilation ${maxDil.every((v) => v === maxDil[0]) ? maxDil[0] : tupleText(maxDil)}`);
  }
  const maxKernel = spatial.map((s, i) => Math.floor((s + padBefore[i] + padAfter[i] - 1) / dilation[i]) + 1);
  options.push(`a kernel of at most ${x(maxKernel.map((m, i) => Math.min(m, kernel[i])))}`);
  return `use ${options.join(' or ')}`;
}

function divisors(n: number): number[] {
  const out: number[] = [];
  for (let d = 1; d <= n && out.length < 12; d++) if (n % d === 0) out.push(d);
  return out;
}

function dimFormula(
  dim: number,
  input: number,
  padBefore: number,
  padAfter: number,
  kernel: number,
  dilation: number,
  stride: number,
  output: number,
  kind: 'conv' | 'pool_floor' | 'pool_ceil' | 'transpose',
  outputPadding = 0,
): DimFormula {
  const effectiveKernel = dilation * (kernel - 1) + 1;
  const pad = padBefore === padAfter ? `2·${padBefore}` : `${padBefore} + ${padAfter}`;
  let text: string;
  if (kind === 'transpose') {
    text = `(${input} − 1)·${stride} − 2·${padBefore} + ${dilation}·(${kernel} − 1) + ${outputPadding} + 1 = ${output}`;
  } else {
    const round = kind === 'pool_ceil' ? 'ceil' : 'floor';
    text = `${round}((${input} + ${pad} − ${dilation}·(${kernel} − 1) − 1) / ${stride}) + 1 = ${output}`;
  }
  return { dim, input, padBefore, padAfter, kernel, dilation, stride, effectiveKernel, output, text };
}

// ---------------------------------------------------------------------------------------------------------
// Transposed convolution

export interface ConvTransposeParams {
  readonly rank: SpatialRank;
  readonly inputShape: readonly number[];
  readonly weightShape: readonly number[];
  readonly biasShape?: readonly number[] | null;
  readonly stride?: unknown;
  readonly padding?: unknown;
  readonly outputPadding?: unknown;
  readonly dilation?: unknown;
  readonly groups?: unknown;
}

export function convTransposeGeometry(p: ConvTransposeParams): ConvTransposeGeometry {
  const rank = p.rank;
  const opName = convName(rank, true);
  const inputShape = checkShapeArray(p.inputShape, 'input');
  const weightShape = checkShapeArray(p.weightShape, 'weight');
  const { batched, batch, channels, spatial } = splitInput(inputShape, rank, opName);
  if (weightShape.length !== rank + 2) {
    refuse('weight', 'rank_mismatch', {
      torch: `Expected ${rank + 2}-dimensional weight for ${opName}, but got ${weightShape.length}-dimensional weight of size ${formatShape(weightShape)}`,
      why: `${opName}'s weight is (C_in, C_out/groups, ${spatialLetters(rank).replace(/\w/g, (c) => 'k' + c)}), ${rank + 2} dims, but this one has ${weightShape.length}`,
      fix:
        weightShape.length === rank
          ? `wrap the kernel: shape ${formatShape([1, 1, ...weightShape])}`
          : 'reshape the weight or use the matching op',
    });
  }
  if (typeof p.padding === 'string') {
    refuse('padding', 'bad_padding_string', {
      torch: `${opName}(): argument 'padding' must be tuple of ints, not str`,
      why: `a transposed convolution takes its padding as numbers; 'same' and 'valid' exist only for conv`,
      fix: 'give padding as a number or a list of numbers',
    });
  }
  const stride = tupleParam(p.stride ?? 1, rank, 'stride', 1, opName);
  const padding = tupleParam(p.padding ?? 0, rank, 'padding', 0, opName);
  const outputPadding = tupleParam(p.outputPadding ?? 0, rank, 'output_padding', 0, opName);
  const dilation = tupleParam(p.dilation ?? 1, rank, 'dilation', 1, opName);
  const groups = intParam(p.groups ?? 1, 'groups', 1);
  const kernelSize = weightShape.slice(2);
  for (let i = 0; i < weightShape.length; i++) {
    if (weightShape[i] < 1) {
      refuse('weight', 'nonpositive', {
        torch: `weight should have non-zero size in every dimension, but got ${formatShape(weightShape)}`,
        why: `dim ${i} of the weight is empty`,
        fix: 'give every dim of the weight at least one element',
      });
    }
  }
  if (weightShape[0] % groups !== 0) {
    refuse('groups', 'groups_divisible', {
      torch: `Given groups=${groups}, expected weight to be divisible by ${groups} at dimension 0, but got weight of size ${formatShape(weightShape)} instead`,
      why: `a transposed conv's weight is (C_in, C_out/groups, …): its ${weightShape[0]} input channels must split evenly into ${groups} groups`,
      fix: `use groups that divide ${weightShape[0]} (${divisors(weightShape[0]).join(', ')})`,
    });
  }
  if (channels !== weightShape[0]) {
    refuse('input', 'channels_mismatch', {
      torch: `Given transposed=1, weight of size ${formatShape(weightShape)}, expected input${formatShape(inputShape)} to have ${weightShape[0]} channels, but got ${channels} channels instead`,
      why: `a transposed conv's weight is (C_in, C_out/groups, …), so its dim 0 (${weightShape[0]}) must equal the input's ${channels} channels`,
      fix: `give the weight shape ${formatShape([channels, weightShape[1], ...kernelSize])}, or feed an input with ${weightShape[0]} channels`,
    });
  }
  const outChannels = weightShape[1] * groups;
  const hasBias = checkBias(p.biasShape, outChannels, weightShape);
  for (let i = 0; i < rank; i++) {
    if (outputPadding[i] >= stride[i] && outputPadding[i] >= dilation[i]) {
      const names = DIM_NAMES[rank];
      refuse('output_padding', 'output_padding', {
        torch: `output padding must be smaller than either stride or dilation, but got ${names.map((n, j) => `output_padding_${n}: ${outputPadding[j]}`).join(' ')} ${names.map((n, j) => `stride_${n}: ${stride[j]}`).join(' ')} ${names.map((n, j) => `dilation_${n}: ${dilation[j]}`).join(' ')}`,
        why: `output_padding only picks among the ${Math.max(stride[i], dilation[i])} output size${Math.max(stride[i], dilation[i]) > 1 ? 's' : ''} that map back to the same input size, so along ${dimName(rank, i)} it must be below stride (${stride[i]}) or dilation (${dilation[i]}), but it is ${outputPadding[i]}`,
        fix: `use output_padding ≤ ${Math.max(stride[i], dilation[i]) - 1} along ${dimName(rank, i)}`,
      });
    }
  }
  const outputSize = spatial.map(
    (s, i) => (s - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernelSize[i] - 1) + outputPadding[i] + 1,
  );
  spatial.forEach((s, i) =>
    checkSize(
      (s - 1) * stride[i] + dilation[i] * (kernelSize[i] - 1) + outputPadding[i] + 1,
      'stride',
      `the output along ${dimName(rank, i)} before the padding crop`,
    ),
  );
  if (outputSize.some((o) => o < 1)) {
    refuse('padding', 'output_too_small', {
      torch: `Given input size per channel: (${spatial.join(' x ')}). Calculated output size per channel: (${outputSize.join(' x ')}). Output size is too small`,
      why: `the padding (${x(padding)}) crops more than the transposed conv produces`,
      fix: `use padding ≤ ${tupleText(spatial.map((s, i) => Math.floor(((s - 1) * stride[i] + dilation[i] * (kernelSize[i] - 1) + outputPadding[i]) / 2)))}`,
    });
  }
  const formula = outputSize.map((o, i) =>
    dimFormula(
      i,
      spatial[i],
      padding[i],
      padding[i],
      kernelSize[i],
      dilation[i],
      stride[i],
      o,
      'transpose',
      outputPadding[i],
    ),
  );
  const outputShape = batched ? [batch, outChannels, ...outputSize] : [outChannels, ...outputSize];
  checkStorage(outputShape, 'output');
  const window: WindowGeometry = {
    batch,
    groups,
    bigChannels: outChannels,
    smallChannels: channels,
    big: triple(outputSize, 1),
    small: triple(spatial, 1),
    kernel: triple(kernelSize, 1),
    stride: triple(stride, 1),
    dilation: triple(dilation, 1),
    padBefore: triple(padding, 0),
  };
  return {
    op: 'conv_transpose',
    rank,
    batched,
    batch,
    inChannels: channels,
    outChannels,
    groups,
    inputSize: spatial,
    kernelSize,
    stride,
    dilation,
    padding,
    outputPadding,
    outputSize,
    inputShape,
    weightShape,
    outputShape,
    hasBias,
    formula,
    window,
  };
}

/** The output_padding that makes conv_transpose restore `inputSize` from a conv's output (for backward). */
export function restoringOutputPadding(g: ConvGeometry): number[] {
  return g.outputSize.map((o, i) => {
    const padded = g.inputSize[i] + g.padBefore[i] + g.padAfter[i];
    const effective = g.dilation[i] * (g.kernelSize[i] - 1) + 1;
    return padded - ((o - 1) * g.stride[i] + effective);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Pooling

export interface PoolParams {
  readonly kind: PoolKind;
  readonly rank: SpatialRank;
  readonly inputShape: readonly number[];
  readonly kernelSize: unknown;
  readonly stride?: unknown;
  readonly padding?: unknown;
  readonly dilation?: unknown;
  readonly ceilMode?: unknown;
}

export function poolGeometry(p: PoolParams): PoolGeometry {
  const rank = p.rank;
  const opName = `${p.kind}_pool${rank}d`;
  const inputShape = checkShapeArray(p.inputShape, 'input');
  const { batched, batch, channels, spatial } = splitInput(inputShape, rank, opName);
  if (p.kernelSize === undefined || p.kernelSize === null)
    fail('kernel_size', 'missing_field', `${opName} needs kernel_size`);
  // PyTorch's pooling kernels read their parameters as int32, except max_pool1d's, which reads int64
  const int32 = p.kind === 'max' && rank === 1 ? undefined : opName;
  const kernelSize = tupleParam(p.kernelSize, rank, 'kernel_size', 1, int32);
  const stride =
    p.stride === undefined || p.stride === null || (Array.isArray(p.stride) && p.stride.length === 0)
      ? [...kernelSize]
      : tupleParam(p.stride, rank, 'stride', 1, int32);
  const padding = tupleParam(p.padding ?? 0, rank, 'padding', 0, int32);
  const dilation =
    p.kind === 'max' ? tupleParam(p.dilation ?? 1, rank, 'dilation', 1, int32) : new Array<number>(rank).fill(1);
  if (p.ceilMode !== undefined && p.ceilMode !== null && typeof p.ceilMode !== 'boolean') {
    fail('ceil_mode', 'type', `ceil_mode must be true or false, got ${show(p.ceilMode)}`);
  }
  const ceilMode = p.ceilMode === true;
  for (let i = 0; i < rank; i++) {
    // PyTorch 2.x: pad ≤ half the *effective* (dilated) kernel; avg pool has no dilation.
    const effective = (kernelSize[i] - 1) * dilation[i] + 1;
    const limit = Math.floor(effective / 2);
    if (padding[i] > limit) {
      refuse('padding', 'pool_pad_too_large', {
        torch:
          p.kind === 'max'
            ? `pad should be at most half of effective kernel size, but got pad=${padding[i]}, kernel_size=${kernelSize[i]} and dilation=${dilation[i]}`
            : `pad should be at most half of kernel size, but got pad=${padding[i]} and kernel_size=${kernelSize[i]}`,
        why: `a window of ${effective} cell${effective > 1 ? 's' : ''} along ${dimName(rank, i)} may hang over the edge by at most ${limit}, or some windows would see only padding`,
        fix: `use padding ≤ ${limit}${p.kind === 'max' ? ' or a larger kernel_size/dilation' : ' or a larger kernel_size'}`,
      });
    }
  }
  const outputSize = spatial.map((s, i) => {
    const effective = dilation[i] * (kernelSize[i] - 1) + 1;
    const span = s + 2 * padding[i] - effective;
    let o = (ceilMode ? Math.ceil(span / stride[i]) : Math.floor(span / stride[i])) + 1;
    // Pool.h: with ceil_mode the last window must start inside the input or the left padding.
    if (ceilMode && (o - 1) * stride[i] >= s + padding[i]) o--;
    return o;
  });
  if (outputSize.some((o) => o < 1)) {
    const shownIn = [channels, ...spatial];
    refuse('kernel_size', 'output_too_small', {
      torch: `Given input size: (${x(shownIn)}). Calculated output size: (${x([channels, ...outputSize])}). Output size is too small`,
      why: `the window (kernel ${x(kernelSize)}${dilation.some((d) => d > 1) ? `, dilation ${x(dilation)}` : ''}) is larger than the padded input ${x(spatial.map((s, i) => s + 2 * padding[i]))}`,
      fix: `use a kernel_size of at most ${x(spatial.map((s, i) => Math.floor((s + 2 * padding[i] - 1) / dilation[i]) + 1))}`,
    });
  }
  const formula = outputSize.map((o, i) =>
    dimFormula(
      i,
      spatial[i],
      padding[i],
      padding[i],
      kernelSize[i],
      dilation[i],
      stride[i],
      o,
      ceilMode ? 'pool_ceil' : 'pool_floor',
    ),
  );
  const outputShape = batched ? [batch, channels, ...outputSize] : [channels, ...outputSize];
  const window: WindowGeometry = {
    batch,
    groups: channels,
    bigChannels: channels,
    smallChannels: channels,
    big: triple(spatial, 1),
    small: triple(outputSize, 1),
    kernel: triple(kernelSize, 1),
    stride: triple(stride, 1),
    dilation: triple(dilation, 1),
    padBefore: triple(padding, 0),
  };
  return {
    op: 'pool',
    kind: p.kind,
    rank,
    batched,
    batch,
    channels,
    inputSize: spatial,
    kernelSize,
    stride,
    dilation,
    padding,
    ceilMode,
    outputSize,
    inputShape,
    outputShape,
    formula,
    window,
  };
}

// ---------------------------------------------------------------------------------------------------------
// im2col (unfold) and col2im (fold)

export interface UnfoldParams {
  readonly rank: SpatialRank;
  readonly inputShape: readonly number[];
  readonly kernelSize: unknown;
  readonly stride?: unknown;
  readonly padding?: unknown;
  readonly dilation?: unknown;
}

function blocksGeometry(
  rank: SpatialRank,
  batched: boolean,
  batch: number,
  channels: number,
  spatial: number[],
  inputShape: number[],
  p: UnfoldParams,
  opName: string,
): UnfoldGeometry {
  if (p.kernelSize === undefined || p.kernelSize === null)
    fail('kernel_size', 'missing_field', `${opName} needs kernel_size`);
  const kernelSize = tupleParam(p.kernelSize, rank, 'kernel_size', 1);
  const stride = tupleParam(p.stride ?? 1, rank, 'stride', 1);
  const padding = tupleParam(p.padding ?? 0, rank, 'padding', 0);
  const dilation = tupleParam(p.dilation ?? 1, rank, 'dilation', 1);
  spatial.forEach((s, i) => {
    checkSize(s + 2 * padding[i], 'padding', `the padded input along ${dimName(rank, i)}`);
    checkSize(dilation[i] * (kernelSize[i] - 1) + 1, 'dilation', `the dilated kernel along ${dimName(rank, i)}`);
  });
  const blocks = spatial.map(
    (s, i) => Math.floor((s + 2 * padding[i] - dilation[i] * (kernelSize[i] - 1) - 1) / stride[i]) + 1,
  );
  if (blocks.some((b) => b < 1)) {
    refuse('kernel_size', 'output_too_small', {
      torch: `Given input with spatial size ${tupleText(spatial)}, kernel_size=${tupleText(kernelSize)}, dilation=${tupleText(dilation)}, padding=${tupleText(padding)}, calculated shape of the array of sliding blocks as ${tupleText(blocks)}, but its components must be at least one.`,
      why: `the dilated kernel ${x(kernelSize.map((k, i) => dilation[i] * (k - 1) + 1))} does not fit in the padded input ${x(spatial.map((s, i) => s + 2 * padding[i]))}`,
      fix: `use more padding or a smaller kernel_size/dilation`,
    });
  }
  const taps = sizeOf(kernelSize);
  const columns = sizeOf(blocks);
  const rows = channels * taps;
  checkStorage([batch, rows, columns], 'output');
  const formula = blocks.map((o, i) =>
    dimFormula(i, spatial[i], padding[i], padding[i], kernelSize[i], dilation[i], stride[i], o, 'conv'),
  );
  const window: WindowGeometry = {
    batch,
    groups: channels,
    bigChannels: channels,
    smallChannels: channels,
    big: triple(spatial, 1),
    small: triple(blocks, 1),
    kernel: triple(kernelSize, 1),
    stride: triple(stride, 1),
    dilation: triple(dilation, 1),
    padBefore: triple(padding, 0),
  };
  return {
    op: 'unfold',
    rank,
    batched,
    batch,
    channels,
    inputSize: spatial,
    kernelSize,
    stride,
    dilation,
    padding,
    blocks,
    rows,
    columns,
    inputShape,
    outputShape: batched ? [batch, rows, columns] : [rows, columns],
    formula,
    window,
  };
}

/** `F.unfold` (rank 2: (N, C, H, W) or (C, H, W)); ranks 1 and 3 give the same column matrix for conv1d/3d. */
export function unfoldGeometry(p: UnfoldParams): UnfoldGeometry {
  const inputShape = checkShapeArray(p.inputShape, 'input');
  const opName = p.rank === 2 ? 'unfold' : `unfold${p.rank}d`;
  const { batched, batch, channels, spatial } = splitInput(inputShape, p.rank, opName);
  return blocksGeometry(p.rank, batched, batch, channels, spatial, inputShape, p, opName);
}

export interface FoldParams extends Omit<UnfoldParams, 'rank'> {
  readonly outputSize: unknown;
}

/** `F.fold`: input (N, C·∏k, L) or (C·∏k, L) back to (N, C, *output_size), summing overlaps. */
export function foldGeometry(p: FoldParams): UnfoldGeometry {
  const inputShape = checkShapeArray(p.inputShape, 'input');
  const rank: SpatialRank = 2;
  if (inputShape.length !== 2 && inputShape.length !== 3) {
    refuse('input', 'rank_mismatch', {
      torch: `Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions for input, but got: ${formatShape(inputShape)}`,
      why: `fold's input is a column matrix (C·kH·kW, L), optionally batched, but it has ${inputShape.length} dims`,
      fix: 'pass the output of unfold: (N, C·kH·kW, L) or (C·kH·kW, L)',
    });
  }
  const outputSize = tupleParam(p.outputSize, rank, 'output_size', 1);
  const kernelSize = tupleParam(p.kernelSize, rank, 'kernel_size', 1);
  const batched = inputShape.length === 3;
  const rows = inputShape[batched ? 1 : 0];
  const columns = inputShape[batched ? 2 : 1];
  const taps = sizeOf(kernelSize);
  if (rows % taps !== 0) {
    refuse('input', 'shape_mismatch', {
      torch: `Expected size of input's dimension ${batched ? 1 : 0} to be divisible by the product of kernel_size, but got input.size(${batched ? 1 : 0})=${rows} and kernel_size=${tupleText(kernelSize)}`,
      why: `each column holds C × ${x(kernelSize)} = C × ${taps} values, but there are ${rows} rows`,
      fix: `give ${taps}·C rows (e.g. ${taps * Math.max(1, Math.round(rows / taps))}), or the kernel_size the columns were made with`,
    });
  }
  const channels = rows / taps;
  const g = blocksGeometry(
    rank,
    batched,
    batched ? inputShape[0] : 1,
    channels,
    outputSize,
    [],
    { ...p, rank },
    'fold',
  );
  if (g.columns !== columns) {
    refuse('input', 'shape_mismatch', {
      torch: `Given output_size=${tupleText(outputSize)}, kernel_size=${tupleText(kernelSize)}, dilation=${tupleText(g.dilation)}, padding=${tupleText(g.padding)}, stride=${tupleText(g.stride)}, expected size of input's dimension ${batched ? 2 : 1} to match the calculated number of sliding blocks ${g.blocks.join(' * ')} = ${g.columns}, but got input.size(${batched ? 2 : 1})=${columns}.`,
      why: `output_size ${x(outputSize)} with these parameters has ${g.columns} window positions, so the input needs that many columns, but it has ${columns}`,
      fix: 'use the output_size, stride, padding and dilation that the columns were unfolded with',
    });
  }
  return { ...g, inputShape, outputShape: batched ? [g.batch, channels, ...outputSize] : [channels, ...outputSize] };
}

export function isEngineError(e: unknown): e is EngineError {
  return e instanceof EngineError;
}
