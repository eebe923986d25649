/** fast-check generators of valid engine problems, shared by the property tests. */
import fc from 'fast-check';
import type { PaddingMode, SpatialRank } from '../../src/engine/geometry';
import type { LiteralFormat } from '../../src/parse';
import { seededRandom } from '../../src/engine/gradcheck';
import { sizeOf, type Tensor } from '../../src/engine/tensor';

export function randomTensor(shape: readonly number[], seed: number, integers = false): Tensor {
  const rand = seededRandom(seed);
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = integers ? Math.floor(rand() * 7) - 3 : rand() * 4 - 2;
  return { shape: [...shape], data };
}

export interface ConvProblem {
  rank: SpatialRank;
  batch: number;
  batched: boolean;
  groups: number;
  inPerGroup: number;
  outPerGroup: number;
  size: number[];
  kernel: number[];
  stride: number[];
  dilation: number[];
  padding: number[] | 'same' | 'valid';
  paddingMode: PaddingMode;
  bias: boolean;
  flip: boolean;
  seed: number;
}

/** conv problems PyTorch accepts: the padded input always holds the dilated kernel. */
export function convProblem(
  options: { modes?: PaddingMode[]; allowSame?: boolean; maxSize?: number } = {},
): fc.Arbitrary<ConvProblem> {
  const maxSize = options.maxSize ?? 7;
  return fc
    .record({
      rank: fc.constantFrom<SpatialRank>(1, 2, 3),
      batch: fc.integer({ min: 1, max: 2 }),
      batched: fc.boolean(),
      groups: fc.integer({ min: 1, max: 3 }),
      inPerGroup: fc.integer({ min: 1, max: 2 }),
      outPerGroup: fc.integer({ min: 1, max: 2 }),
      dims: fc.array(
        fc.record({
          size: fc.integer({ min: 1, max: maxSize }),
          kernel: fc.integer({ min: 1, max: 3 }),
          stride: fc.integer({ min: 1, max: 3 }),
          dilation: fc.integer({ min: 1, max: 2 }),
          pad: fc.integer({ min: 0, max: 2 }),
        }),
        { minLength: 3, maxLength: 3 },
      ),
      paddingKind: fc.constantFrom('numbers', 'numbers', 'same', 'valid'),
      paddingMode: fc.constantFrom<PaddingMode>(
        ...(options.modes ?? ['zeros', 'zeros', 'reflect', 'replicate', 'circular']),
      ),
      bias: fc.boolean(),
      flip: fc.boolean(),
      seed: fc.integer({ min: 1, max: 1 << 30 }),
    })
    .map((r) => {
      const dims = r.dims.slice(0, r.rank);
      const same = options.allowSame !== false && r.paddingKind === 'same';
      const valid = r.paddingKind === 'valid';
      let pads = dims.map((d) => (same || valid ? 0 : d.pad));
      const stride = dims.map((d) => (same ? 1 : d.stride));
      // keep pads legal for the mode: reflect < size, circular ≤ size
      const size = dims.map((d, i) => {
        const effective = d.dilation * (d.kernel - 1) + 1;
        const samePad = same ? Math.ceil((effective - 1) / 2) : 0;
        let s = Math.max(d.size, effective - 2 * pads[i], 1);
        if (r.paddingMode === 'reflect') s = Math.max(s, pads[i] + 1, samePad + 1);
        if (r.paddingMode === 'circular') s = Math.max(s, pads[i], samePad);
        return s;
      });
      pads = pads.map((p) => p);
      return {
        rank: r.rank,
        batch: r.batch,
        batched: r.batched || r.batch > 1,
        groups: r.groups,
        inPerGroup: r.inPerGroup,
        outPerGroup: r.outPerGroup,
        size,
        kernel: dims.map((d) => d.kernel),
        stride,
        dilation: dims.map((d) => d.dilation),
        padding: same ? 'same' : valid ? 'valid' : pads,
        paddingMode: r.paddingMode,
        bias: r.bias,
        flip: r.flip,
        seed: r.seed,
      } satisfies ConvProblem;
    });
}

export function convOperands(p: ConvProblem): {
  input: Tensor;
  weight: Tensor;
  bias: Tensor | null;
  inputShape: number[];
  weightShape: number[];
} {
  const cin = p.groups * p.inPerGroup;
  const cout = p.groups * p.outPerGroup;
  const inputShape = p.batched ? [p.batch, cin, ...p.size] : [cin, ...p.size];
  const weightShape = [cout, p.inPerGroup, ...p.kernel];
  return {
    inputShape,
    weightShape,
    input: randomTensor(inputShape, p.seed),
    weight: randomTensor(weightShape, p.seed + 1),
    bias: p.bias ? randomTensor([cout], p.seed + 2) : null,
  };
}

export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return a.length === b.length ? m : Infinity;
}

export function maxAbs(a: Float64Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

/** Tensors of up to four dims of 1..`maxDim` each and at most `maxElements` values drawn from `value`. */
export function literalTensorArb(
  value: fc.Arbitrary<number>,
  maxDim: number,
  maxElements = Infinity,
): fc.Arbitrary<Tensor> {
  return fc
    .array(fc.integer({ min: 1, max: maxDim }), { minLength: 1, maxLength: 4 })
    .filter((shape) => shape.reduce((a, b) => a * b, 1) <= maxElements)
    .chain((shape) => {
      const size = shape.reduce((a, b) => a * b, 1);
      return fc
        .array(value, { minLength: size, maxLength: size })
        .map((data) => ({ shape, data: Float64Array.from(data) }));
    });
}

/** MATLAB and LaTeX hold at most two dimensions: fold the leading ones into rows. */
export function fitTo(format: LiteralFormat, t: Tensor): Tensor {
  if ((format !== 'matlab' && format !== 'latex') || t.shape.length <= 2) return t;
  const last = t.shape[t.shape.length - 1];
  return { shape: [t.data.length / last, last], data: t.data };
}
